using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety.Jog;

public enum JogCommandKind : byte
{
    /// <summary>Start (or renew) a jog of one joint in one direction at a speed.</summary>
    Start,

    /// <summary>Renew the hold of the running jog (the button is still pressed).</summary>
    Hold,

    /// <summary>The button was let go: the joint stops where it is.</summary>
    Release,
}

/// <summary>One operator request, from the local reset socket's thread to the tick.</summary>
public readonly record struct JogCommand(long Seq, JogCommandKind Kind, JogSource Source, short Joint, sbyte Direction, double SpeedRadS);

public enum JogPhase : byte
{
    Idle,

    /// <summary>The drives are being enabled in place (every joint holds its measured pose).</summary>
    Enabling,

    /// <summary>One joint moves at the jog speed; every other joint holds.</summary>
    Jogging,

    /// <summary>The jog ended: the pose is held with power for <c>jog.settle_s</c>, then STO.</summary>
    Settling,
}

/// <summary>What the tick last did with the operator's requests: read by the socket thread to answer.</summary>
/// <param name="CommandSeq">The last command the tick handled.</param>
/// <param name="StartOutcome">What the last Start command got (Started, or why it was refused).</param>
/// <param name="LastEvent">The last thing that happened to the jog (Started, HoldReleased, ReachedRange, StoppedByTrip, Settled…).</param>
public readonly record struct JogStatus(long CommandSeq, JogEventKind StartOutcome, JogPhase Phase, JogEventKind LastEvent, short Joint,
    double PositionRad, SafetyState Supervisor, long Tick);

/// <summary>
/// Supervised jog mode (issue 15): recovering a robot by hand, one joint at a time, at reduced speed, hold-to-run.
/// Runs inside the supervisor (<see cref="SafetySupervisor.Manual"/>) and powers the drives only while the supervisor
/// permits recovery (Disabled, or Stopped/Faulted with nothing but a position limit persisting): the drives are enabled
/// in place, the jogged joint follows <see cref="JogGuard"/> (only toward the range while outside it, stopping inside
/// it), every other joint holds its pose, and the supervisor monitors the following error against these targets and
/// every other trigger as usual. Any trip ends the jog at once (STO). When the jog ends (reached the range, hold let go,
/// hold renewal missing past <c>jog.hold_timeout_s</c> on the tick's clock) the pose is held with power for
/// <c>jog.settle_s</c>, then STO (the brakes close). Every start, stop and refusal goes to the safety log.
/// Requests arrive from the local reset socket's thread through a ring (<see cref="Submit"/>); the network has no path
/// here. Construction and <see cref="Submit"/>/<see cref="Status"/>: not real-time safe (the socket thread);
/// <see cref="Step"/>: real-time safe.
/// </summary>
public sealed class JogMode : IManualMode
{
    /// <summary>How long the drives may take to reach "operation enabled" when a jog starts.</summary>
    public static readonly TimeSpan EnableTimeout = TimeSpan.FromSeconds(1);

    private readonly SafetySupervisor _supervisor;
    private readonly JogGuard _guard;
    private readonly SpscRing<JogEvent> _guardEvents = new(32);
    private readonly SpscRing<JogCommand> _commands = new(16);
    private readonly object _submitLock = new();
    private readonly double[] _hold, _commanded, _maxSpeed;
    private readonly long _settleNs, _enableTimeoutNs;
    private long _submitSeq;

    private JogPhase _phase;
    private long _since;
    private short _joint = -1;
    private JogSource _source;
    private JogEventKind _lastEvent, _startOutcome;
    private long _handledSeq;

    private readonly SeqLockSlot<JogStatus> _status = new(); // tick writes, socket threads read

    /// <summary>Not real-time safe. Sizes everything from the config and attaches to <paramref name="supervisor"/>.</summary>
    public JogMode(RtConfig config, SafetySupervisor supervisor)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(supervisor);
        var jog = config.Jog;
        int n = config.Joints.Count;
        JointNames = [.. config.Joints.Select(j => j.Name)];
        _maxSpeed = [.. config.Joints.Select(j => jog.MaxSpeedFor(j.Name))];
        _guard = new JogGuard([.. config.Joints.Select(j => j.Limits.PositionMinRad)], [.. config.Joints.Select(j => j.Limits.PositionMaxRad)],
            jog.MaxSpeedRadS, TimeSpan.FromSeconds(jog.HoldTimeoutS), _guardEvents, jog.InsideMarginRad);
        _hold = new double[n];
        _commanded = new double[n];
        _settleNs = (long)(jog.SettleS * 1e9);
        _enableTimeoutNs = (long)EnableTimeout.TotalNanoseconds;
        HoldTimeout = TimeSpan.FromSeconds(jog.HoldTimeoutS);
        DefaultSpeedRadS = jog.SpeedRadS;
        _supervisor = supervisor;
        supervisor.Manual = this;
    }

    public IReadOnlyList<string> JointNames { get; }
    public TimeSpan HoldTimeout { get; }
    public double DefaultSpeedRadS { get; }

    /// <summary>The jog speed bound of joint <paramref name="joint"/>, rad/s (config <c>jog.*max_speed*</c>).</summary>
    public double MaxSpeedRadS(int joint) => _maxSpeed[joint];

    public double[] CommandedTargets => _commanded;

    /// <summary>Real-time safe. The current phase (tick thread).</summary>
    public JogPhase Phase => _phase;

    /// <summary>
    /// Not real-time safe (the socket thread; several callers serialise here). Queues a request for the next tick;
    /// returns its sequence number, or -1 when the queue is full (the request is refused, never dropped silently).
    /// </summary>
    public long Submit(JogCommandKind kind, JogSource source, int joint, int direction, double speedRadS)
    {
        lock (_submitLock)
        {
            long seq = _submitSeq + 1;
            if (!_commands.TryPush(new JogCommand(seq, kind, source, (short)joint, (sbyte)Math.Clamp(direction, -1, 1), speedRadS))) return -1;
            _submitSeq = seq;
            return seq;
        }
    }

    /// <summary>Thread-safe. What the tick did last (a seqlock: no lock on the tick).</summary>
    public JogStatus Status
        => _status.Read();

    /// <summary>Real-time safe.</summary>
    public bool Step(TickState state, in ManualContext context)
    {
        long now = state.TimeNs;
        bool permitted = context.RecoveryPermitted && !context.Tripped;
        while (_commands.TryPop(out var c)) Handle(in c, state, permitted, now);

        // A running jog continues until a trip is confirmed (the supervisor's discrepancy count decides, and logs it).
        bool mayContinue = !context.Tripped && context.State is SafetyState.Disabled or SafetyState.Stopped or SafetyState.Faulted;
        if (_phase != JogPhase.Idle && !mayContinue) End(state, now, JogEventKind.StoppedByTrip);
        bool powered = Advance(state, now);
        DrainGuardEvents(state);
        Publish(state, context.State);
        return powered && _phase != JogPhase.Idle;
    }

    /// <summary>Real-time safe.</summary>
    public void Abort(TickState state)
    {
        if (_phase != JogPhase.Idle) End(state, state.TimeNs, JogEventKind.StoppedByTrip);
        DrainGuardEvents(state);
        Publish(state, _supervisor.State);
    }

    private void Handle(in JogCommand c, TickState s, bool permitted, long now)
    {
        _handledSeq = c.Seq;
        int j = c.Joint;
        double q = (uint)j < (uint)s.JointCount ? s.Position[j] : double.NaN;
        switch (c.Kind)
        {
            case JogCommandKind.Start:
                bool ok = (uint)j < (uint)_maxSpeed.Length && !(c.SpeedRadS > _maxSpeed[j])
                    ? _guard.Request(c.Source, j, c.Direction, q, permitted, now, c.SpeedRadS)
                    : Refuse(c, q, now);
                DrainGuardEvents(s);
                _startOutcome = ok ? JogEventKind.Started : _lastEvent;
                if (!ok) return;
                if (_phase == JogPhase.Idle)
                {
                    // Enable in place: every joint holds what it measures now.
                    for (int k = 0; k < _hold.Length; k++) _hold[k] = double.IsFinite(s.Position[k]) ? s.Position[k] : 0;
                    _phase = JogPhase.Enabling;
                    _since = now;
                }
                else if (_phase == JogPhase.Settling)
                {
                    _phase = JogPhase.Jogging; // still powered: the held pose stays
                }
                _joint = (short)j;
                _source = c.Source;
                break;
            case JogCommandKind.Hold:
                _guard.Hold(c.Source, now);
                break;
            case JogCommandKind.Release:
                if (_guard.ActiveJoint >= 0) _guard.Release(now, s.Position[_guard.ActiveJoint]);
                break;
        }
    }

    /// <summary>A joint's own bound (tighter than the guard's) or an unknown joint: refused through the guard's log.</summary>
    private bool Refuse(in JogCommand c, double q, long now)
    {
        // The guard refuses an out-of-range joint itself; a speed over the joint's bound is asked at a speed it refuses.
        _guard.Request(c.Source, c.Joint, c.Direction, q, true, now, (uint)c.Joint < (uint)_maxSpeed.Length ? double.PositiveInfinity : c.SpeedRadS);
        return false;
    }

    private bool Advance(TickState s, long now)
    {
        switch (_phase)
        {
            case JogPhase.Idle:
                return false;
            case JogPhase.Enabling:
                if (!_guard.Held(now))
                {
                    End(s, now, JogEventKind.HoldReleased); // let go before the drives were ready: nothing moved
                    return false;
                }
                if (!s.AllDrivesOperational)
                {
                    if (now - _since <= _enableTimeoutNs) return WriteTargets(s);
                    End(s, now, JogEventKind.StoppedDriveNotEnabled);
                    return false;
                }
                _phase = JogPhase.Jogging;
                goto case JogPhase.Jogging;
            case JogPhase.Jogging:
                if (!s.AllDrivesOperational)
                {
                    End(s, now, JogEventKind.StoppedDriveNotEnabled);
                    return false;
                }
                int j = _guard.ActiveJoint;
                if (j >= 0)
                {
                    _hold[j] = _guard.Step(j, s.Position[j], s.PeriodNs * 1e-9, now);
                    _joint = (short)j;
                }
                if (_guard.ActiveJoint < 0)
                {
                    _phase = JogPhase.Settling; // reached the range or let go: hold with power, monitored, then STO
                    _since = now;
                }
                return WriteTargets(s);
            case JogPhase.Settling:
                if (now - _since >= _settleNs)
                {
                    _phase = JogPhase.Idle;
                    Log(JogEventKind.Settled, _source, _joint, 0, s);
                    return false;
                }
                return WriteTargets(s);
        }
        return false;
    }

    private bool WriteTargets(TickState s)
    {
        for (int k = 0; k < _hold.Length; k++)
        {
            s.TargetPosition[k] = _hold[k];
            s.TargetVelocity[k] = 0;
            s.FeedforwardTorque[k] = 0;
            _commanded[k] = _hold[k];
        }
        return true;
    }

    /// <summary>Ends the jog now with <paramref name="kind"/>: no power from this tick on.</summary>
    private void End(TickState s, long now, JogEventKind kind)
    {
        if (_guard.ActiveJoint >= 0) _guard.Abort(now, kind, s.Position[_guard.ActiveJoint]);
        else Log(kind, _source, _joint, 0, s);
        _phase = JogPhase.Idle;
    }

    private void DrainGuardEvents(TickState s)
    {
        while (_guardEvents.TryPop(out var e))
        {
            _lastEvent = e.Kind;
            if (e.Joint >= 0 && e.Joint < s.JointCount) _joint = e.Joint;
            _supervisor.LogManual(FaultCode.ManualJog, e.Joint, ManualEventCode.Encode((byte)e.Kind, e.Source, e.Direction), e.PositionRad);
        }
    }

    private void Log(JogEventKind kind, JogSource source, short joint, int direction, TickState s)
    {
        _lastEvent = kind;
        double q = joint >= 0 && joint < s.JointCount ? s.Position[joint] : 0;
        _supervisor.LogManual(FaultCode.ManualJog, joint, ManualEventCode.Encode((byte)kind, source, direction), q);
    }

    private void Publish(TickState s, SafetyState supervisor)
    {
        short j = _joint;
        double q = j >= 0 && j < s.JointCount ? s.Position[j] : 0;
        _status.Write(new JogStatus(_handledSeq, _startOutcome, _phase, _lastEvent, j, q, supervisor, s.Tick));
    }
}
