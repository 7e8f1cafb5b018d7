using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Injections;

/// <summary>
/// Applies a scenario's injections to a host session's bench at their ticks. Injection k starts at tick
/// round(at_s · rate) (tick 0 is the run's first) and ends at start + round(duration_s · rate) (never, without a
/// duration). The caller runs the ticks and calls <see cref="ApplyDue"/> between them, right before tick t runs, for
/// every t, or only when t reaches <see cref="NextEventTick"/>: that is the only place the bench is touched, so a
/// lockstep run stays bit-for-bit repeatable. A collision obstacle also has a preparatory event one tick before its start
/// (it samples which way the link moves); <see cref="NextEventTick"/> includes it.
/// <para>
/// The constructor checks every target against this session (<see cref="Rt.Core.Errors.InputError"/> otherwise) and is
/// not real-time safe. <see cref="ApplyDue"/> does not allocate when nothing is due; see <see cref="BenchInjection"/>
/// for what an edge costs.
/// </para>
/// </summary>
public sealed class FaultInjector : IDisposable
{
    private enum Phase { Arm = 0, End = 1, Start = 2, Ramp = 3 }

    /// <summary>A payload with ramp_s grows in steps of this, s (MuJoCo's set_const per step: between ticks, bounded work).</summary>
    public const double RampStepS = 0.01;

    private readonly record struct Event(long Tick, Phase Phase, int Injection);

    private readonly BenchInjection[] _injections;
    private readonly Event[] _events;
    private readonly long[] _endTicks;
    private readonly long[] _rampStart, _rampTicks; // payload ramps: start tick and length in ticks (0: a step)
    // What started, written on the tick thread without allocating (an AppliedInjection is 64 bytes on the heap):
    // injection index and applied tick per start, published by _startedCount; Applied builds the records off the tick.
    private readonly int[] _startedInjection;
    private readonly long[] _startedTick;
    private int _startedCount;
    private readonly long _periodNs;
    private int _next;

    /// <param name="session">The session whose bench (and in-process EtherCAT segment) the injections act on.</param>
    /// <param name="scenario">The validated scenario.</param>
    /// <param name="broker">The scenario's private broker, the session's telemetry pointing at it (broker_outage).</param>
    /// <param name="realtime">Whether the session runs in real time (cpu_hog is refused otherwise).</param>
    public FaultInjector(HostSession session, Scenario scenario, PrivateBroker? broker = null, bool realtime = false)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(scenario);
        double rate = session.Config.Loop.RateHz;
        _periodNs = session.PeriodNs;
        var bench = session.Bench?.Bench;
        var segment = session.BenchBridge?.Segment;
        int n = scenario.Injections.Count;
        _injections = new BenchInjection[n];
        _endTicks = new long[n];
        _rampStart = new long[n];
        _rampTicks = new long[n];
        var events = new List<Event>(2 * n + 1);
        FirstInjectionTick = long.MaxValue;
        try
        {
            for (int k = 0; k < n; k++)
            {
                var inj = scenario.Injections[k];
                _injections[k] = BenchInjection.Prepare(inj, k, bench, segment, session.Config, broker, realtime, scenario.SourcePath);
                long start = (long)Math.Round(inj.AtS * rate);
                FirstInjectionTick = Math.Min(FirstInjectionTick, start);
                if (inj.Kind == InjectionKind.CollisionObstacle && start > 0) events.Add(new Event(start - 1, Phase.Arm, k));
                events.Add(new Event(start, Phase.Start, k));
                _endTicks[k] = long.MaxValue;
                if (inj.Kind == InjectionKind.Payload && inj.RampS is { } ramp)
                {
                    // The mass grows from nothing at the start to mass_kg after ramp_s, one step every RampStepS.
                    long step = Math.Max(1, (long)Math.Round(RampStepS * rate));
                    long rampTicks = Math.Max(1, (long)Math.Round(ramp * rate));
                    _rampStart[k] = start;
                    _rampTicks[k] = rampTicks;
                    for (long t = step; t < rampTicks + step; t += step) events.Add(new Event(start + Math.Min(t, rampTicks), Phase.Ramp, k));
                }
                if (inj.DurationS is { } d && inj.Kind is not (InjectionKind.FrameLoss or InjectionKind.SlaveSafeOp))
                {
                    _endTicks[k] = start + Math.Max(1, (long)Math.Round(d * rate));
                    events.Add(new Event(_endTicks[k], Phase.End, k));
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        // Same tick: arms, then ends, then starts (a fault ending as another begins on the same target hands over cleanly).
        events.Sort((a, b) => a.Tick != b.Tick ? a.Tick.CompareTo(b.Tick) : a.Phase != b.Phase ? a.Phase.CompareTo(b.Phase) : a.Injection.CompareTo(b.Injection));
        _events = [.. events];
        _startedInjection = new int[n];
        _startedTick = new long[n];
    }

    /// <summary>Tick at which the next event (start, end, or a collision's preparation) is due; long.MaxValue when none is left.</summary>
    public long NextEventTick => _next < _events.Length ? _events[_next].Tick : long.MaxValue;

    /// <summary>The first injection's start tick; long.MaxValue if the scenario has none.</summary>
    public long FirstInjectionTick { get; }

    /// <summary>
    /// Injections started so far, in the order they started: a new list on each call, safe to read from another thread
    /// while the tick thread applies injections. Not real-time safe (it allocates the records).
    /// </summary>
    public IReadOnlyList<AppliedInjection> Applied
    {
        get
        {
            int count = Volatile.Read(ref _startedCount);
            var list = new List<AppliedInjection>(count);
            for (int i = 0; i < count; i++)
            {
                int k = _startedInjection[i];
                long tick = _startedTick[i];
                var inj = _injections[k].Injection;
                long? end = _endTicks[k] == long.MaxValue ? null : _endTicks[k];
                list.Add(new AppliedInjection(inj.Kind, inj.Target, tick, tick * _periodNs / 1e9, end));
            }
            return list;
        }
    }

    /// <summary>The resolved injections, in scenario order (e.g. where the obstacle was placed).</summary>
    public IReadOnlyList<BenchInjection> Injections => _injections;

    /// <summary>
    /// Call between ticks, right before tick <paramref name="tick"/> runs: applies every event due at or before it
    /// (a caller that skipped ticks catches up; the applied tick is <paramref name="tick"/>). Allocates nothing itself;
    /// see <see cref="BenchInjection"/> for what an edge of each kind costs.
    /// </summary>
    public void ApplyDue(long tick)
    {
        while (_next < _events.Length && _events[_next].Tick <= tick)
        {
            var e = _events[_next++];
            var inj = _injections[e.Injection];
            switch (e.Phase)
            {
                case Phase.Arm:
                    inj.Arm();
                    break;
                case Phase.Start:
                    inj.Start();
                    int n = _startedCount;
                    _startedInjection[n] = e.Injection;
                    _startedTick[n] = tick;
                    Volatile.Write(ref _startedCount, n + 1);
                    break;
                case Phase.End:
                    inj.End();
                    break;
                case Phase.Ramp:
                    inj.RampTo(Math.Min(1.0, (double)(e.Tick - _rampStart[e.Injection]) / _rampTicks[e.Injection]));
                    break;
            }
        }
    }

    /// <summary>Stops what must not outlive the run (CPU hog threads). The bench is not restored.</summary>
    public void Dispose()
    {
        foreach (var i in _injections) i?.Dispose();
    }
}
