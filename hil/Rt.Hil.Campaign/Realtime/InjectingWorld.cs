using Rt.ControlLoop.Scheduling;
using Rt.Core.Tick;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Realtime;

/// <summary>
/// The world the real-time scheduler advances on the tick thread after each tick, wrapped so a scenario runs in tick
/// terms as it does in lockstep: after tick k the bench advances one period (the emulated world; absent when the bench
/// runs in its own process), the observer records tick k, and the injections due at tick k+1 are applied — between the
/// ticks, before k+1 reads the bus, exactly where the lockstep runner applies them. The host's logic (the pipeline) is
/// untouched.
/// <para>
/// Real-time rules: <see cref="ScenarioObserver.AfterTick"/> is allocation-free, and so is this wrapper. The fault
/// injector's <c>ApplyDue</c> may allocate a little at the start or end of an injection (a record of what was applied,
/// a MuJoCo name lookup for a payload): that happens only on the few ticks where an injection begins or ends, and it
/// is the emulated world's work — on a robot there is no bench and no injector in the tick. Kinds whose effect is a
/// process or a thread (CPU hog, broker outage, the veth link) are never applied here but by
/// <see cref="HostSideInjector"/> off the tick.
/// </para>
/// </summary>
public sealed class InjectingWorld : ISimulatedWorld
{
    private readonly ISimulatedWorld? _inner;
    private readonly TickState _state;
    private readonly ScenarioObserver _observer;
    private readonly FaultInjector? _injector;
    private long _lastTick = -1;

    public InjectingWorld(ISimulatedWorld? inner, TickState state, ScenarioObserver observer, FaultInjector? injector)
    {
        _inner = inner;
        _state = state;
        _observer = observer;
        _injector = injector;
    }

    /// <summary>The last tick that ran and was observed (−1 before the first). Read by other threads.</summary>
    public long LastTick => Volatile.Read(ref _lastTick);

    /// <summary>Not real-time: before the scheduler starts, applies what is due at tick 0 (the lockstep runner does the same).</summary>
    public void BeforeFirstTick()
    {
        if (_injector is { } inj && inj.NextEventTick <= 0) inj.ApplyDue(0);
    }

    /// <summary>Real-time safe apart from injection edges (see the class note).</summary>
    public void Advance(long periodNs)
    {
        long tick = _state.Tick;
        _inner?.Advance(periodNs);
        _observer.AfterTick(tick);
        Volatile.Write(ref _lastTick, tick);
        // A missed period skips tick numbers; ApplyDue applies everything due up to the tick it is given.
        if (_injector is { } inj && tick + 1 >= inj.NextEventTick) inj.ApplyDue(tick + 1);
    }
}
