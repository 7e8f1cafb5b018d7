using System.Reflection;
using System.Runtime.CompilerServices;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Realtime;

/// <summary>
/// Compiles the methods of the bench-side types a real-time run calls only on rare ticks (an injection's start and end,
/// the observer's trip and stop bookkeeping) before the first tick. Without it their first call is JIT-compiled on the
/// tick thread, which costs about a period: the scheduler then skips the period and the injection lands a tick late.
/// Not real-time safe (reflection; call during preparation).
/// </summary>
public static class JitWarmup
{
    /// <summary>Bench, injection and observer types whose rare paths run on the tick thread (or the serve process's frame thread).</summary>
    public static readonly Type[] BenchSide =
    [
        typeof(BenchInjection), typeof(FaultInjector), typeof(ScenarioObserver), typeof(InjectingWorld),
        typeof(ServedFaults), typeof(ControlSocketServer),
        typeof(Rt.Hil.Plant.MujocoPlant), typeof(Rt.Hil.Drives.EmulatedServoDrive), typeof(Rt.Hil.Drives.EmulatedImu),
        typeof(Rt.Hil.Esc.Segment.EscSegment), typeof(Rt.Hil.Esc.Esc.EscController), typeof(Rt.Hil.Drives.HoldingBrake),
    ];

    /// <summary>
    /// The host's trip path, which runs only on the tick a fault is confirmed: the supervisor's parts (reaction policy,
    /// compliant hold, stop monitor), the twin (its isolator calls rigid-body code the cross-check never does:
    /// JointAxesWorld, UpdateWorldPoses, MassMatrixDiagonal), the controller, the CiA 402 axis logic (quick stop,
    /// disable) and the core's fault and tick types (FaultList.Add first runs at the first fault). JIT-compiled there it
    /// cost ~10 ms and the real-time demo's stop reached the bus at 12–14 ms instead of 2; with the safety assembly and
    /// the isolator alone the rigid-body methods still compiled at the trip (6.4 ms, an overrun on the trip tick).
    /// </summary>
    public static IEnumerable<Type> HostTripPath() =>
        typeof(Rt.Safety.SafetySupervisor).Assembly.GetTypes()
            .Concat(typeof(Rt.Twin.DigitalTwin).Assembly.GetTypes().Where(t => InNamespace(t, TwinTickNamespaces)))
            .Concat(typeof(Rt.Core.Tick.TickState).Assembly.GetTypes().Where(t => InNamespace(t, CoreTickNamespaces)))
            .Concat(typeof(Rt.ControlLoop.Pipeline.TickPipeline).Assembly.GetTypes().Where(t => InNamespace(t, ControlLoopTickNamespaces)))
            .Concat(typeof(Rt.Drivers.Cia402.Cia402Codec).Assembly.GetTypes().Where(t => InNamespace(t, ["Rt.Drivers.Cia402"])));

    // Namespaces whose code runs in the tick; the rest of each assembly (config, calibration, recording) never does.
    private static readonly string[] TwinTickNamespaces = ["Rt.Twin", "Rt.Twin.Dynamics", "Rt.Twin.Isolation", "Rt.Twin.Models", "Rt.Twin.CrossCheck"];
    private static readonly string[] CoreTickNamespaces = ["Rt.Core.Faults", "Rt.Core.Tick", "Rt.Core.Concurrency", "Rt.Core.Divergence", "Rt.Core.ProcessData"];
    private static readonly string[] ControlLoopTickNamespaces = ["Rt.ControlLoop.Pipeline", "Rt.ControlLoop.Control", "Rt.ControlLoop.Timing"];

    private static bool InNamespace(Type t, string[] namespaces) => t.Namespace is { } ns && Array.IndexOf(namespaces, ns) >= 0;

    /// <summary>JIT-compiles every non-generic method and constructor with a body declared by <paramref name="types"/>; returns how many.</summary>
    public static int Prepare(IEnumerable<Type> types)
    {
        int n = 0;
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var t in types)
        {
            if (t.ContainsGenericParameters) continue;
            foreach (var m in t.GetMethods(all).Cast<MethodBase>().Concat(t.GetConstructors(all)))
            {
                if (m.IsAbstract || m.ContainsGenericParameters || m.GetMethodBody() == null) continue;
                try
                {
                    RuntimeHelpers.PrepareMethod(m.MethodHandle);
                    n++;
                }
                catch (Exception e) when (e is ArgumentException or NotSupportedException or BadImageFormatException or InvalidOperationException)
                {
                    // A method the runtime will not pre-compile (e.g. an unmanaged-callers-only stub): it JITs on first use.
                }
            }
        }
        return n;
    }
}
