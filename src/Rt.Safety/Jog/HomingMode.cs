using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.ProcessData;
using Rt.Core.Tick;

namespace Rt.Safety.Jog;

public enum HomingCommandKind : byte
{
    /// <summary>Home one joint (its drive set up for it before the run).</summary>
    Start,

    /// <summary>Renew the hold (the button is still pressed).</summary>
    Hold,

    /// <summary>The button was let go: the homing is interrupted, the joint stops where it is.</summary>
    Release,
}

/// <summary>One operator request, from the local socket's (or the hold input's) thread to the tick.</summary>
public readonly record struct HomingCommand(long Seq, HomingCommandKind Kind, JogSource Source, short Joint);

/// <summary>What happened to a homing run (each is a <c>ManualHoming</c> event in the safety log).</summary>
public enum HomingEventKind : byte
{
    Started,
    Attained,

    /// <summary>The drive raised its homing error (statusword bit 13).</summary>
    Failed,

    /// <summary>No "homing attained" within <c>homing.timeout_s</c> on the tick's clock.</summary>
    TimedOut,
    HoldReleased,
    StoppedByTrip,
    StoppedDriveNotEnabled,

    /// <summary>The joint moved faster than its homing speeds allow: the drive is not doing what it was set up for.</summary>
    StoppedOverspeed,
    Settled,
    RefusedNetwork,
    RefusedJoint,

    /// <summary>The joint has no <c>homing.joints</c> entry (its encoder is absolute, or it is not set up).</summary>
    RefusedNoHoming,

    /// <summary>The supervisor does not permit recovery by hand (enabled, or a cause other than a position limit persists).</summary>
    RefusedNotDisabled,

    /// <summary>A joint is still moving: homing starts from standstill only.</summary>
    RefusedMoving,

    /// <summary>A jog or another homing is running.</summary>
    RefusedBusy,
}

public enum HomingModePhase : byte
{
    Idle,
    Enabling,
    Homing,
    Settling,
}

/// <summary>What the tick last did with the homing requests: read by the socket thread to answer.</summary>
/// <param name="EndEvent">How the last run ended (Attained, Failed, TimedOut…); Started while one runs.</param>
public readonly record struct HomingStatus(long CommandSeq, HomingEventKind StartOutcome, HomingModePhase Phase, HomingEventKind LastEvent,
    HomingEventKind EndEvent, short Joint, double PositionRad, SafetyState Supervisor, long Tick);

/// <summary>
/// Homing by hand (issue 15): a joint with an incremental encoder is referenced by its drive's CiA 402 homing mode (6)
/// while the robot is otherwise recovered by hand. Runs inside the supervisor as the manual mode, in front of the jog
/// (<see cref="JogMode"/> runs whenever no homing does; one of them at a time): only while the supervisor permits
/// recovery and every joint stands still; the drives are enabled in place, every other joint holds its pose, the homed
/// joint's drive gets 0x6060 = 6 and, once it shows mode 6, controlword bit 4 (<see cref="HomingProcedure"/>), until
/// statusword bits 12+10 (attained), bit 13 (error), <c>homing.timeout_s</c> on the tick's clock, a speed beyond the
/// set-up's, a trip, or the hold-to-run deadline (<c>jog.hold_timeout_s</c>) ends it. Then the pose is held with power
/// for <c>jog.settle_s</c> in the joint's cyclic mode, then STO. The set-up objects (0x6098/0x6099/0x609A/0x607C) are
/// written by SDO before the first tick (<see cref="HomingSetup"/>). Every start, end and refusal is logged.
/// Construction, <see cref="Submit"/> and <see cref="Status"/>: not real-time safe; <see cref="Step"/>: real-time safe.
/// </summary>
public sealed class HomingMode : IManualMode
{
    /// <summary>A joint slower than this stands still (homing starts from standstill only), rad/s.</summary>
    public const double StandstillRadS = 0.01;

    private readonly SafetySupervisor _supervisor;
    private readonly JogMode _jog;
    private readonly SpscRing<HomingCommand> _commands = new(16);
    private readonly object _submitLock = new();
    private readonly bool[] _homed;
    private readonly double[] _speedBound, _hold, _commanded;
    private readonly HomingProcedure _procedure;
    private readonly long _settleNs, _holdTimeoutNs, _enableTimeoutNs;
    private long _submitSeq;

    private HomingModePhase _phase;
    private long _since, _lastHold;
    private short _joint = -1;
    private JogSource _source;
    private HomingEventKind _lastEvent, _startOutcome, _endEvent;
    private long _handledSeq;
    private bool _poweredByHoming, _overrides;

    private readonly SeqLockSlot<HomingStatus> _status = new(); // tick writes, socket threads read

    /// <summary>Not real-time safe. Sizes everything from the config and puts itself in front of <paramref name="jog"/> in <paramref name="supervisor"/>.</summary>
    public HomingMode(RtConfig config, SafetySupervisor supervisor, JogMode jog)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(supervisor);
        ArgumentNullException.ThrowIfNull(jog);
        int n = config.Joints.Count;
        _homed = new bool[n];
        _speedBound = new double[n];
        for (int j = 0; j < n; j++)
        {
            var h = config.Homing.For(config.Joints[j].Name);
            if (h == null) continue;
            _homed[j] = true;
            // The drive runs its own profile: allow its switch speed with margin for the loop's overshoot, never more.
            _speedBound[j] = 1.5 * Math.Max(h.SwitchSpeedRadS, h.ZeroSpeedRadS) + 0.02;
        }
        _hold = new double[n];
        _commanded = new double[n];
        _procedure = new HomingProcedure(TimeSpan.FromSeconds(config.Homing.TimeoutS));
        _settleNs = (long)(config.Jog.SettleS * 1e9);
        _holdTimeoutNs = (long)(config.Jog.HoldTimeoutS * 1e9);
        _enableTimeoutNs = (long)JogMode.EnableTimeout.TotalNanoseconds;
        HoldTimeout = TimeSpan.FromSeconds(config.Jog.HoldTimeoutS);
        JointNames = [.. config.Joints.Select(j => j.Name)];
        _supervisor = supervisor;
        _jog = jog;
        supervisor.Manual = this;
    }

    public IReadOnlyList<string> JointNames { get; }
    public TimeSpan HoldTimeout { get; }

    /// <summary>Whether joint <paramref name="joint"/> has a homing set-up (an incremental encoder).</summary>
    public bool HasHoming(int joint) => (uint)joint < (uint)_homed.Length && _homed[joint];

    /// <summary>Real-time safe. The current phase (tick thread).</summary>
    public HomingModePhase Phase => _phase;

    public double[] CommandedTargets => _poweredByHoming ? _commanded : _jog.CommandedTargets;

    /// <summary>
    /// Not real-time safe (callers serialise here). Queues a request for the next tick; its sequence number, or -1 when
    /// the queue is full (refused, never dropped silently).
    /// </summary>
    public long Submit(HomingCommandKind kind, JogSource source, int joint)
    {
        lock (_submitLock)
        {
            long seq = _submitSeq + 1;
            if (!_commands.TryPush(new HomingCommand(seq, kind, source, (short)joint))) return -1;
            _submitSeq = seq;
            return seq;
        }
    }

    /// <summary>Thread-safe. What the tick did last (a seqlock: no lock on the tick).</summary>
    public HomingStatus Status
        => _status.Read();

    /// <summary>Real-time safe.</summary>
    public bool Step(TickState state, in ManualContext context)
    {
        long now = state.TimeNs;
        bool permitted = context.RecoveryPermitted && !context.Tripped;
        while (_commands.TryPop(out var c)) Handle(in c, state, permitted, now);
        ClearOverrides(state);

        if (_phase == HomingModePhase.Idle)
        {
            _poweredByHoming = false;
            Publish(state, context.State);
            bool jogging = _jog.Step(state, context); // no homing: the jog decides (its own requests wait during a homing)
            Brakes?.Step(state, context.State, jogging || _jog.Phase != JogPhase.Idle);
            return jogging;
        }
        bool mayContinue = !context.Tripped && context.State is SafetyState.Disabled or SafetyState.Stopped or SafetyState.Faulted;
        if (!mayContinue) End(state, HomingEventKind.StoppedByTrip);
        bool powered = Advance(state, now) && _phase != HomingModePhase.Idle;
        _poweredByHoming = powered;
        Publish(state, context.State);
        Brakes?.Step(state, context.State, manualMotion: true);
        return powered;
    }

    /// <summary>
    /// Brakes released by hand (hold-to-run), stepped here on the tick after the manual motion's decision, or null when
    /// the host has no brake outputs. Set before the first tick.
    /// </summary>
    public BrakeHold? Brakes { get; set; }

    /// <summary>Real-time safe.</summary>
    public void Abort(TickState state)
    {
        bool homing = _phase != HomingModePhase.Idle || _poweredByHoming;
        if (_phase != HomingModePhase.Idle) End(state, HomingEventKind.StoppedByTrip);
        ClearOverrides(state);
        _poweredByHoming = false;
        if (!homing) _jog.Abort(state);
        Brakes?.Step(state, _supervisor.State, manualMotion: true); // a Cat 0 stop: every brake closes
        Publish(state, _supervisor.State);
    }

    private void Handle(in HomingCommand c, TickState s, bool permitted, long now)
    {
        _handledSeq = c.Seq;
        int j = c.Joint;
        switch (c.Kind)
        {
            case HomingCommandKind.Start:
                var refusal = c.Source == JogSource.Network ? HomingEventKind.RefusedNetwork
                    : (uint)j >= (uint)_homed.Length ? HomingEventKind.RefusedJoint
                    : !_homed[j] ? HomingEventKind.RefusedNoHoming
                    : _phase != HomingModePhase.Idle || _jog.Phase != JogPhase.Idle ? HomingEventKind.RefusedBusy
                    : !permitted ? HomingEventKind.RefusedNotDisabled
                    : Moving(s) ? HomingEventKind.RefusedMoving
                    : HomingEventKind.Started;
                _startOutcome = refusal;
                Log(refusal, c.Source, (short)j, s);
                if (refusal != HomingEventKind.Started) return;
                for (int k = 0; k < _hold.Length; k++) _hold[k] = double.IsFinite(s.Position[k]) ? s.Position[k] : 0; // enable in place
                _phase = HomingModePhase.Enabling;
                _endEvent = HomingEventKind.Started;
                _since = now;
                _lastHold = now;
                _joint = (short)j;
                _source = c.Source;
                break;
            case HomingCommandKind.Hold:
                if (_phase is HomingModePhase.Enabling or HomingModePhase.Homing && j == _joint && c.Source != JogSource.Network) _lastHold = now;
                break;
            case HomingCommandKind.Release:
                if (_phase is HomingModePhase.Enabling or HomingModePhase.Homing && j == _joint) End(s, HomingEventKind.HoldReleased);
                break;
        }
    }

    private static bool Moving(TickState s)
    {
        for (int k = 0; k < s.JointCount; k++)
            if (!(Math.Abs(s.Velocity[k]) <= StandstillRadS)) return true; // NaN counts as moving
        return false;
    }

    private bool Advance(TickState s, long now)
    {
        switch (_phase)
        {
            case HomingModePhase.Idle:
                return false;
            case HomingModePhase.Enabling:
                if (now - _lastHold > _holdTimeoutNs)
                {
                    End(s, HomingEventKind.HoldReleased);
                    return _phase != HomingModePhase.Idle && WriteTargets(s);
                }
                if (!s.AllDrivesOperational)
                {
                    if (now - _since <= _enableTimeoutNs) return WriteTargets(s);
                    End(s, HomingEventKind.StoppedDriveNotEnabled);
                    return false;
                }
                _phase = HomingModePhase.Homing;
                _procedure.Start(now);
                goto case HomingModePhase.Homing;
            case HomingModePhase.Homing:
            {
                int j = _joint;
                if (!s.AllDrivesOperational)
                {
                    End(s, HomingEventKind.StoppedDriveNotEnabled);
                    return false;
                }
                if (now - _lastHold > _holdTimeoutNs)
                {
                    End(s, HomingEventKind.HoldReleased);
                    return WriteTargets(s);
                }
                if (!(Math.Abs(s.Velocity[j]) <= _speedBound[j]))
                {
                    End(s, HomingEventKind.StoppedOverspeed);
                    return WriteTargets(s);
                }
                ref readonly var input = ref s.Image.Inputs[j];
                // A drive without 0x6061 in its TxPDO cannot show the mode: the procedure then trusts the request.
                sbyte display = (s.Image.Feedback[j] & DriveFeedback.ModeDisplay) != 0 ? input.ModeDisplay : HomingProcedure.HomingMode;
                _procedure.Step(input.Statusword, display, now, out sbyte mode, out ushort bits);
                _hold[j] = s.Position[j]; // the drive runs the joint: hold it wherever homing leaves it
                switch (_procedure.Phase)
                {
                    case HomingPhase.Attained:
                        End(s, HomingEventKind.Attained);
                        break;
                    case HomingPhase.Failed:
                        End(s, _procedure.TimedOut ? HomingEventKind.TimedOut : HomingEventKind.Failed);
                        break;
                    default:
                        s.ModeOverride[j] = mode;
                        s.ControlwordBits[j] = bits;
                        _overrides = true;
                        break;
                }
                return WriteTargets(s);
            }
            case HomingModePhase.Settling:
                if (now - _since >= _settleNs)
                {
                    _phase = HomingModePhase.Idle;
                    Log(HomingEventKind.Settled, _source, _joint, s);
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

    /// <summary>
    /// Ends the homing with <paramref name="kind"/>: a trip or a drive that dropped out ends it without power now; any
    /// other end holds the pose (the homed joint where it stands, in its cyclic mode again) for the settle time.
    /// </summary>
    private void End(TickState s, HomingEventKind kind)
    {
        Log(kind, _source, _joint, s);
        if (_phase != HomingModePhase.Settling) _endEvent = kind; // a trip while settling does not undo the result
        if (kind is HomingEventKind.StoppedByTrip or HomingEventKind.StoppedDriveNotEnabled || _phase == HomingModePhase.Settling)
        {
            _phase = HomingModePhase.Idle;
            return;
        }
        if (_joint >= 0 && double.IsFinite(s.Position[_joint])) _hold[_joint] = s.Position[_joint];
        _phase = HomingModePhase.Settling;
        _since = s.TimeNs;
    }

    private void ClearOverrides(TickState s)
    {
        if (!_overrides) return;
        Array.Clear(s.ModeOverride);
        Array.Clear(s.ControlwordBits);
        _overrides = false;
    }

    private void Log(HomingEventKind kind, JogSource source, short joint, TickState s)
    {
        _lastEvent = kind;
        double q = joint >= 0 && joint < s.JointCount ? s.Position[joint] : 0;
        _supervisor.LogManual(FaultCode.ManualHoming, joint, ManualEventCode.Encode((byte)kind, source, 0), q);
    }

    private void Publish(TickState s, SafetyState supervisor)
    {
        short j = _joint;
        double q = j >= 0 && j < s.JointCount ? s.Position[j] : 0;
        _status.Write(new HomingStatus(_handledSeq, _startOutcome, _phase, _lastEvent, _endEvent, j, q, supervisor, s.Tick));
    }
}

/// <summary>
/// The SDO set-up of a joint's homing (0x6098, 0x6099:01/02, 0x609A, 0x607C) from its config entry, in drive units.
/// Not real-time safe (written before the first tick).
/// </summary>
public static class HomingSetup
{
    /// <param name="countsPerRad">The joint's encoder counts per joint radian, signed by its direction.</param>
    /// <param name="zeroOffsetCounts">The joint's zero offset, counts.</param>
    public static IReadOnlyList<SdoWrite> Writes(HomingJointConfig h, double countsPerRad, int zeroOffsetCounts)
    {
        ArgumentNullException.ThrowIfNull(h);
        double k = Math.Abs(countsPerRad);
        uint Speed(double radS) => (uint)Math.Clamp(Math.Round(radS * k), 1, uint.MaxValue);
        int offset = unchecked(zeroOffsetCounts + (int)Math.Clamp(Math.Round(h.HomeOffsetRad * countsPerRad), int.MinValue, int.MaxValue));
        return HomingProcedure.Configuration(h.Method, Speed(h.SwitchSpeedRadS), Speed(h.ZeroSpeedRadS), Speed(h.AccelerationRadS2), offset);
    }
}
