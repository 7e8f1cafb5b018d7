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
    /// compliant hold, stop monitor) and the twin's isolator. JIT-compiled there it cost ~10 ms and 64 bytes on the tick
    /// thread, and the real-time demo's stop reached the bus at 12–14 ms instead of 2.
    /// </summary>
    public static IEnumerable<Type> HostTripPath() =>
        typeof(Rt.Safety.SafetySupervisor).Assembly.GetTypes()
            .Concat(typeof(Rt.Twin.DigitalTwin).Assembly.GetTypes().Where(t => t.Namespace == "Rt.Twin.Isolation"));

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
