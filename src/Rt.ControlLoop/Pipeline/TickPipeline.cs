using Rt.ControlLoop.Scheduling;
using Rt.ControlLoop.Timing;
using Rt.Core.Concurrency;
using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.ControlLoop.Pipeline;

/// <summary>
/// One control tick, start to finish. Everything the robot does happens in <see cref="Tick"/>, in this order:
/// <list type="number">
/// <item>read: one bus exchange sends the outputs decided last tick and brings back fresh inputs;</item>
/// <item>convert the drives' counts to joint-side SI values;</item>
/// <item>twin: predict, compare, correct → divergence record;</item>
/// <item>controller: next joint targets;</item>
/// <item>safety gate: may the robot keep moving? It may override the targets or cut power;</item>
/// <item>write: CiA 402 controlwords and targets into the process image (sent by the next exchange: the very next frame);</item>
/// <item>sinks: telemetry/recording get the tick's record through their rings; faults leave through the fault ring.</item>
/// </list>
/// Real-time safe: every object used here was sized at construction; nothing allocates, locks, logs or throws.
/// Time is injected by whichever scheduler drives it (real-time or lockstep); the pipeline never reads a clock.
/// </summary>
public sealed class TickPipeline : ITickBody
{
    private readonly TickState _state;
    private readonly IFieldbus _bus;
    private readonly JointIo _io;
    private readonly ITwinStage _twin;
    private readonly IMotionController _controller;
    private readonly ISafetyGate _safety;
    private readonly ITickSink[] _sinks;
    private readonly SpscRing<Fault> _faultsOut;
    private readonly FaultList _raisedAfterGate = new(16); // sink faults (e.g. telemetry loss), seen by the gate next tick

    public TickPipeline(
        TickState state,
        IFieldbus bus,
        JointIo io,
        ITwinStage twin,
        IMotionController controller,
        ISafetyGate safety,
        IReadOnlyList<ITickSink> sinks,
        SpscRing<Fault> faultsOut,
        long periodNs)
    {
        _state = state;
        _bus = bus;
        _io = io;
        _twin = twin;
        _controller = controller;
        _safety = safety;
        _sinks = [.. sinks];
        _faultsOut = faultsOut;
        _state.PeriodNs = periodNs;
        Statistics.Prepare(state.JointCount);
    }

    public TickState State => _state;

    /// <summary>Loop timing of the scheduler driving this pipeline; its confirmed overrun faults enter the next tick.</summary>
    public TickTiming? Timing { get; set; }

    public LoopStatistics Statistics { get; } = new();

    /// <summary>Benchmarks only: times each stage (null in every real run; then it costs one null check per stage).</summary>
    public StageProbe? Probe { get; set; }

    /// <summary>The operator's motion request, copied into the tick state at the start of every tick.</summary>
    public OperatorCommands Operator { get; } = new();

    /// <summary>Real-time safe.</summary>
    public void Tick(long tick, long timeNs, long wakeLatencyNs)
    {
        var s = _state;
        s.Tick = tick;
        s.TimeNs = timeNs;
        s.WakeLatencyNs = wakeLatencyNs;
        s.Faults.Clear();
        var late = _raisedAfterGate.Items;
        int carried = late.Length;
        for (int i = 0; i < carried; i++) s.Faults.Add(late[i]);
        _raisedAfterGate.Clear();
        s.MotionRequested = Operator.MotionRequested(tick);
        if (Timing != null && Timing.TakePendingFault(tick, out var overrun)) s.Faults.Add(overrun);

        var probe = Probe;
        _bus.Exchange(s);          // 1. read (and send last tick's outputs)
        probe?.Lap(TickStage.Bus);
        _io.ReadInputs(s);         // 2. counts → SI
        probe?.Lap(TickStage.Convert);
        _twin.Step(s);             // 3. twin
        probe?.Lap(TickStage.Twin);
        _controller.Update(s);     // 4. controller
        probe?.Lap(TickStage.Controller);
        _safety.Evaluate(s);       // 5. safety gate
        probe?.Lap(TickStage.Safety);
        _io.WriteOutputs(s);       // 6. write (goes out in the next exchange)
        probe?.Lap(TickStage.Write);

        int gateSaw = s.Faults.Count;
        for (int i = 0; i < _sinks.Length; i++) _sinks[i].Enqueue(s); // 7. records out
        var faults = s.Faults.Items;
        for (int i = carried; i < faults.Length; i++) _faultsOut.TryPush(faults[i]); // carried ones went out last tick
        for (int i = gateSaw; i < faults.Length; i++) _raisedAfterGate.Add(faults[i]);
        Statistics.Record(s);
        probe?.Lap(TickStage.Sinks);
    }
}
