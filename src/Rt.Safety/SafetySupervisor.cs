using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Hardware;
using Rt.Core.ProcessData;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>The outcome of the last reset request, for the local reset socket's reply.</summary>
public readonly record struct ResetOutcome(long Sequence, bool Accepted, FaultCode Cause, short Channel, double Value, double Threshold, SafetyState State);

/// <summary>
/// The safety supervisor (issue 5): every tick decides whether the robot may keep moving.
/// Watches the triggers (<see cref="SafetyTrigger"/>), confirms each after its discrepancy count, and reacts per
/// IEC 60204-1 / IEC 61800-5-2: Cat 0 = STO now; Cat 1 = SS1 (ramp at <c>stop_deceleration_rad_s2</c> from the
/// measured velocity, time-monitored, then STO); Cat 2 = SS2 then SOS (hold with power, standstill monitored).
/// The trip is decided in the tick where the condition is confirmed: <see cref="TickState.PowerRequest"/> and the
/// overridden targets are set in that same <see cref="Evaluate"/> call, so they go out in the next bus frame.
/// Every trip latches; only <see cref="RequestReset"/> or a rising edge on the reset input, with the cause gone,
/// resets (see docs/SAFETY.md). State changes leave the tick as <see cref="SafetyEvent"/>s through the ring.
/// Construction is not real-time safe (sizes everything); <see cref="Evaluate"/> is.
/// </summary>
public sealed class SafetySupervisor : ISafetyGate
{
    private const double RampLagAllowanceS = 0.05;   // measured velocity may trail the ramp by this much time…
    private const double RampVelocityToleranceRadS = 0.05; // …plus this, before "ramp not followed"
    private const double StandstillVelocityRadS = 0.05;
    private const double StopSettleS = 0.05;         // after the ramp ends, time allowed to reach standstill
    private const double ResetTimeoutS = 1.0;        // drives must clear their fault within this after a reset
    private const double EnableTimeoutS = 1.0;       // drives must reach "operation enabled" within this
    private const ushort StatuswordFault = 0x0008;   // CiA 402 statusword bit 3
    private const ushort ImuBadStatus = (ushort)(ImuStatus.AccelSaturated | ImuStatus.GyroSaturated | ImuStatus.SelfTestFailed);

    private readonly SpscRing<SafetyEvent> _events;
    private readonly IDigitalInput? _estopInput, _resetInput;
    private readonly IDigitalOutput? _enableOutput;
    private readonly FlightRecorder? _recorder;
    private readonly int _joints, _imus, _channels;
    private readonly double _dt;

    // Resolved policy, flat.
    private readonly StopCategory[] _reaction = new StopCategory[SafetyTriggers.Count];
    private readonly int[] _discrepancy = new int[SafetyTriggers.Count];
    private readonly double[] _posMin, _posMax, _velMax, _torqueMax, _followMax, _collisionMax;
    private readonly int[] _imuStaleTicks;
    private readonly double _decel, _standstillWindow, _rampTolerance;
    private readonly long _stopTimeTicks, _settleTicks, _resetTimeoutTicks, _enableTimeoutTicks;

    // Per trigger, per channel: consecutive ticks the condition held; faults from other stages this tick.
    private readonly int[][] _count = new int[SafetyTriggers.Count][];
    private readonly bool[][] _listHit = new bool[SafetyTriggers.Count][];
    private readonly double[][] _listValue = new double[SafetyTriggers.Count][];
    private readonly short[] _listSource = new short[SafetyTriggers.Count]; // first fault's source (slave, IMU…) per trigger
    private readonly bool[] _active = new bool[SafetyTriggers.Count];
    private readonly short[] _activeChannel = new short[SafetyTriggers.Count];
    private readonly double[] _activeValue = new double[SafetyTriggers.Count];
    private readonly double[] _activeThreshold = new double[SafetyTriggers.Count];

    // IMU stale detection.
    private readonly ushort[] _imuLastCounter;
    private readonly int[] _imuSameTicks;
    private bool _imuSeen;

    // The stop in progress.
    private readonly double[] _v0, _p0, _hold, _rampVelocity;
    private long _stopStartTick;
    private long _rampTicks;
    private StopCategory _stopCategory; // Cat1, Cat2, or None for the operator's own stop

    // This tick's strongest newly confirmed trip.
    private SafetyTrigger _tripTrigger;
    private StopCategory _tripReaction;
    private short _tripChannel;
    private double _tripValue, _tripThreshold;
    private FaultCode _failCode;
    private short _failChannel;
    private double _failValue, _failThreshold;

    private SafetyState _state = SafetyState.Disabled;
    private bool _enableArmed = true;
    private bool _resetPrevLevel = true; // a level already high at start is not an edge
    private int _resetRequested;
    private long _resettingSince, _enablingSince;
    private bool _enableWritten, _enableLevel;
    private long _eventId;
    private long _tick, _timeNs;

    private long _outcomeSeq;
    private ResetOutcome _outcome;

    /// <summary>Not real-time safe. Validates the config (throws InputError) and sizes everything.</summary>
    public SafetySupervisor(RtConfig config, int jointCount, ChannelLayout layout, long periodNs,
        SpscRing<SafetyEvent> events, IDigitalInput? estopInput = null, IDigitalInput? resetInput = null,
        IDigitalOutput? enableOutput = null, FlightRecorder? recorder = null)
        : this(config, SafetyConfigValidator.Validate(config), jointCount, layout, periodNs, events, estopInput, resetInput, enableOutput, recorder)
    {
    }

    /// <summary>Not real-time safe. Uses an already validated policy.</summary>
    public SafetySupervisor(RtConfig config, SafetyPolicy policy, int jointCount, ChannelLayout layout, long periodNs,
        SpscRing<SafetyEvent> events, IDigitalInput? estopInput = null, IDigitalInput? resetInput = null,
        IDigitalOutput? enableOutput = null, FlightRecorder? recorder = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(periodNs, 0);
        if (jointCount != layout.JointCount || config.Joints.Count < jointCount)
            throw new ArgumentException($"joint count {jointCount} does not match the channel layout ({layout.JointCount}) / config ({config.Joints.Count})");
        Policy = policy;
        _events = events;
        _estopInput = estopInput;
        _resetInput = resetInput;
        _enableOutput = enableOutput;
        _recorder = recorder;
        _joints = jointCount;
        _imus = layout.ImuCount;
        _channels = layout.Count;
        _dt = periodNs * 1e-9;

        for (int t = 0; t < SafetyTriggers.Count; t++)
        {
            _reaction[t] = policy.Triggers[t].Reaction;
            _discrepancy[t] = Math.Max(1, policy.Triggers[t].DiscrepancyTicks);
            int width = (SafetyTrigger)t switch
            {
                SafetyTrigger.TwinDivergence => Math.Max(1, _channels),
                SafetyTrigger.Collision or SafetyTrigger.PositionLimit or SafetyTrigger.VelocityLimit or SafetyTrigger.TorqueLimit
                    or SafetyTrigger.FollowingError or SafetyTrigger.DriveFault => Math.Max(1, _joints),
                SafetyTrigger.ImuFault => Math.Max(1, _imus),
                _ => 1,
            };
            _count[t] = new int[width];
            _listHit[t] = new bool[width];
            _listValue[t] = new double[width];
        }

        double Thr(SafetyTrigger t, double dflt) => policy[t].Threshold > 0 ? policy[t].Threshold : dflt;
        double posMargin = Thr(SafetyTrigger.PositionLimit, 0);
        double velFactor = Thr(SafetyTrigger.VelocityLimit, 1.1);
        double torqueFactor = Thr(SafetyTrigger.TorqueLimit, 1.1);
        double followFactor = Thr(SafetyTrigger.FollowingError, 1.0);
        _posMin = new double[_joints]; _posMax = new double[_joints]; _velMax = new double[_joints];
        _torqueMax = new double[_joints]; _followMax = new double[_joints]; _collisionMax = new double[_joints];
        for (int j = 0; j < _joints; j++)
        {
            var lim = config.Joints[j].Limits;
            _posMin[j] = lim.PositionMinRad - posMargin;
            _posMax[j] = lim.PositionMaxRad + posMargin;
            _velMax[j] = lim.VelocityRadS * velFactor;
            _torqueMax[j] = lim.TorqueNm * torqueFactor;
            _followMax[j] = lim.FollowingErrorRad * followFactor;
            _collisionMax[j] = Thr(SafetyTrigger.Collision, 0.3 * lim.TorqueNm);
        }
        _imuStaleTicks = new int[_imus];
        _imuLastCounter = new ushort[_imus];
        _imuSameTicks = new int[_imus];
        double loopHz = 1.0 / _dt;
        for (int i = 0; i < _imus; i++)
        {
            double imuHz = i < config.Imus.Count && config.Imus[i].RateHz > 0 ? config.Imus[i].RateHz : loopHz;
            _imuStaleTicks[i] = policy[SafetyTrigger.ImuFault].Threshold > 0
                ? (int)Math.Ceiling(policy[SafetyTrigger.ImuFault].Threshold)
                : Math.Max(2, (int)Math.Ceiling(3 * loopHz / imuHz));
        }

        _decel = policy.StopDecelerationRadS2;
        _standstillWindow = policy.StandstillWindowRad;
        _rampTolerance = _decel * RampLagAllowanceS + RampVelocityToleranceRadS;
        _stopTimeTicks = Ticks(policy.StopTimeS);
        _settleTicks = Ticks(StopSettleS);
        _resetTimeoutTicks = Ticks(ResetTimeoutS);
        _enableTimeoutTicks = Ticks(EnableTimeoutS);
        _v0 = new double[_joints];
        _p0 = new double[_joints];
        _hold = new double[_joints];
        _rampVelocity = new double[_joints];
    }

    private long Ticks(double seconds) => Math.Max(1, (long)Math.Ceiling(seconds / _dt - 1e-9));

    public SafetyPolicy Policy { get; }

    /// <summary>Current state (as of the last <see cref="Evaluate"/>).</summary>
    public SafetyState State => _state;

    /// <summary>The category of the stop in progress (None for the operator's own stop or no stop).</summary>
    public StopCategory StopInProgress => _stopCategory;

    /// <summary>
    /// Thread-safe, not for the network: asks for a reset as a deliberate local edge. The next tick consumes it once;
    /// the answer appears in <see cref="LastResetOutcome"/>. Callers: the GPIO reset input (read in the tick) and
    /// <see cref="LocalResetSocket"/>. Nothing reachable from MQTT or any other network path may call this.
    /// </summary>
    public void RequestReset() => Interlocked.Exchange(ref _resetRequested, 1);

    /// <summary>Thread-safe. The last reset decision (sequence 0 = none yet).</summary>
    public ResetOutcome LastResetOutcome
    {
        get
        {
            while (true)
            {
                long s1 = Volatile.Read(ref _outcomeSeq);
                if ((s1 & 1) != 0) { Thread.SpinWait(1); continue; }
                var o = _outcome;
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _outcomeSeq) == s1) return o;
            }
        }
    }

    /// <summary>Real-time safe: no allocation, no locks, no clock, no exceptions.</summary>
    public void Evaluate(TickState state)
    {
        _tick = state.Tick;
        _timeNs = state.TimeNs;
        _tripReaction = StopCategory.None;
        _failCode = FaultCode.None;
        bool powered = SafetyTransitions.Powered(_state);

        CollectFaults(state);
        EvaluateTriggers(state, powered);

        // Stop monitoring and the reset/enable inputs feed the state table as one input per tick.
        bool stopFailed = false;
        SafetyInput progress = SafetyInput.None;
        if (_state == SafetyState.Stopping) progress = MonitorStop(state, ref stopFailed);
        else if (_state == SafetyState.Holding) stopFailed = MonitorHold(state);
        else if (_state == SafetyState.Resetting) progress = MonitorReset(state);

        bool resetEdge = ConsumeResetEdge();
        if (resetEdge && !SafetyTransitions.Latched(_state)) PublishOutcome(false, FaultCode.None, -1, 0, 0); // nothing to reset
        if (!state.MotionRequested) _enableArmed = true;

        SafetyInput input;
        if (_tripReaction == StopCategory.Cat0) input = SafetyInput.TripCat0;
        else if (stopFailed) input = SafetyInput.StopFailed;
        else if (_tripReaction == StopCategory.Cat1) input = SafetyInput.TripCat1;
        else if (_tripReaction == StopCategory.Cat2) input = SafetyInput.TripCat2;
        else if (progress != SafetyInput.None) input = progress;
        else if (resetEdge && SafetyTransitions.Latched(_state)) input = ResetInputOrRefuse();
        else input = _state switch
        {
            SafetyState.Disabled when state.MotionRequested && _enableArmed => SafetyInput.EnableRequested,
            SafetyState.Enabling when !state.MotionRequested => SafetyInput.DisableRequested,
            SafetyState.Enabling when state.AllDrivesOperational => SafetyInput.DrivesReady,
            SafetyState.Operational when !state.MotionRequested => SafetyInput.DisableRequested,
            _ => SafetyInput.None,
        };

        if (resetEdge && SafetyTransitions.Latched(_state) && input is not (SafetyInput.ResetAccepted or SafetyInput.None))
        {
            // A trip or stop event in the same tick takes precedence: the reset is refused with that cause.
            bool trip = _tripReaction != StopCategory.None;
            PublishOutcome(false, trip ? SafetyTriggers.Code(_tripTrigger) : _failCode, trip ? _tripChannel : _failChannel,
                trip ? _tripValue : _failValue, trip ? _tripThreshold : _failThreshold);
        }
        if (input != SafetyInput.None) Apply(state, input);

        WriteOutputs(state);
        _recorder?.Record(state);
    }

    private void CollectFaults(TickState state)
    {
        for (int t = 0; t < SafetyTriggers.Count; t++) Array.Clear(_listHit[t]);
        var faults = state.Faults.Items;
        for (int i = 0; i < faults.Length; i++)
        {
            ref readonly var f = ref faults[i];
            if (!SafetyTriggers.TryMap(f.Code, out var trig)) continue;
            var hits = _listHit[(int)trig];
            int ch = f.Source >= 0 && f.Source < hits.Length ? f.Source : 0;
            if (hits[ch]) continue;
            _listSource[(int)trig] = f.Source;
            hits[ch] = true;
            _listValue[(int)trig][ch] = f.Value != 0 ? f.Value : f.Received;
        }
    }

    private void EvaluateTriggers(TickState s, bool powered)
    {
        Array.Clear(_active);
        var d = s.Divergence;
        bool twin = powered && d.Valid;

        // Twin divergence per channel (the twin's CUSUM already decided OverThreshold).
        var hitTwin = _listHit[(int)SafetyTrigger.TwinDivergence];
        for (int c = 0; c < _count[(int)SafetyTrigger.TwinDivergence].Length; c++)
        {
            bool over = twin && c < d.OverThreshold.Length && d.OverThreshold[c];
            bool cond = over || hitTwin[c];
            double value = over ? d.Detector[c] : _listValue[(int)SafetyTrigger.TwinDivergence][c];
            double thr = over ? d.Threshold[c] : 0;
            Check(SafetyTrigger.TwinDivergence, c, cond && (powered || hitTwin[c]), value, thr);
        }

        var inputs = s.Image.Inputs;
        for (int j = 0; j < _joints; j++)
        {
            double tau = j < d.ExternalTorque.Length ? d.ExternalTorque[j] : 0;
            bool coll = twin && !(Math.Abs(tau) <= _collisionMax[j]);
            Check(SafetyTrigger.Collision, j, coll || (powered && _listHit[(int)SafetyTrigger.Collision][j]), tau, _collisionMax[j]);

            double p = s.Position[j];
            bool outside = !(p >= _posMin[j] && p <= _posMax[j]); // NaN is outside
            Check(SafetyTrigger.PositionLimit, j, outside || _listHit[(int)SafetyTrigger.PositionLimit][j], p, p < _posMin[j] ? _posMin[j] : _posMax[j]);

            double v = s.Velocity[j];
            Check(SafetyTrigger.VelocityLimit, j, !(Math.Abs(v) <= _velMax[j]) || _listHit[(int)SafetyTrigger.VelocityLimit][j], v, _velMax[j]);

            double t = s.Torque[j];
            Check(SafetyTrigger.TorqueLimit, j, !(Math.Abs(t) <= _torqueMax[j]) || _listHit[(int)SafetyTrigger.TorqueLimit][j], t, _torqueMax[j]);

            double e = s.TargetPosition[j] - p;
            bool follow = powered && (!(Math.Abs(e) <= _followMax[j]) || _listHit[(int)SafetyTrigger.FollowingError][j]);
            Check(SafetyTrigger.FollowingError, j, follow, e, _followMax[j]);

            // Drive fault: statusword bit 3 (value = 0x603F error code, reported by number), a fault raised by the
            // bus/drive layer, a drive that left "operation enabled" while it should be powered, or one that did not
            // reach it within 1 s of enabling.
            bool faultBit = j < inputs.Length && (inputs[j].Statusword & StatuswordFault) != 0;
            bool dropped = !s.DriveOperational[j]
                && (_state is SafetyState.Operational or SafetyState.Stopping or SafetyState.Holding
                    || (_state == SafetyState.Enabling && _tick - _enablingSince >= _enableTimeoutTicks)); // never enabled
            bool listed = _listHit[(int)SafetyTrigger.DriveFault][j];
            double code = faultBit ? inputs[j].ErrorCode : listed ? _listValue[(int)SafetyTrigger.DriveFault][j] : j < inputs.Length ? inputs[j].Statusword : 0;
            Check(SafetyTrigger.DriveFault, j, faultBit || dropped || listed, code, 0);
        }

        var imus = s.Image.Imus;
        int imuCount = Math.Min(_imus, imus.Length);
        for (int i = 0; i < imuCount; i++)
        {
            ref readonly var m = ref imus[i];
            if (_imuSeen && m.SampleCounter == _imuLastCounter[i]) { if (_imuSameTicks[i] < int.MaxValue) _imuSameTicks[i]++; }
            else _imuSameTicks[i] = 0;
            _imuLastCounter[i] = m.SampleCounter;
            bool stale = _imuSameTicks[i] >= _imuStaleTicks[i];
            bool saturated = (m.Status & ImuBadStatus) != 0;
            bool nonFinite = !(float.IsFinite(m.SpecificForceX) && float.IsFinite(m.SpecificForceY) && float.IsFinite(m.SpecificForceZ)
                && float.IsFinite(m.AngularRateX) && float.IsFinite(m.AngularRateY) && float.IsFinite(m.AngularRateZ));
            bool listed = _listHit[(int)SafetyTrigger.ImuFault][i];
            double value = stale ? _imuSameTicks[i] : saturated ? m.Status : nonFinite ? double.NaN : _listValue[(int)SafetyTrigger.ImuFault][i];
            Check(SafetyTrigger.ImuFault, i, stale || saturated || nonFinite || listed, value, stale ? _imuStaleTicks[i] : 0);
        }
        _imuSeen = true;

        CheckList(SafetyTrigger.LoopOverrun);
        CheckList(SafetyTrigger.BusFrameLoss);
        CheckList(SafetyTrigger.BusSlaveLeftOp);
        CheckList(SafetyTrigger.BusLinkDown);
        CheckList(SafetyTrigger.TelemetryLoss);

        bool estop = (_estopInput?.Read() ?? false) || _listHit[(int)SafetyTrigger.EStop][0];
        Check(SafetyTrigger.EStop, 0, estop, estop ? 1 : 0, 0);
    }

    private void CheckList(SafetyTrigger t)
    {
        var hits = _listHit[(int)t];
        bool any = false;
        int ch = 0;
        for (int c = 0; c < hits.Length; c++) if (hits[c]) { any = true; ch = c; break; }
        // Single-channel bus/loop triggers: the event's channel is the fault's source (e.g. the slave that left OP).
        Check(t, ch, any, any ? _listValue[(int)t][ch] : 0, 0, hits.Length == 1 ? _listSource[(int)t] : (short)ch);
    }

    private void Check(SafetyTrigger t, int channel, bool condition, double value, double threshold) =>
        Check(t, channel, condition, value, threshold, (short)channel);

    /// <summary>Counts the condition on counter <paramref name="channel"/>; events report <paramref name="reportChannel"/>.</summary>
    private void Check(SafetyTrigger t, int channel, bool condition, double value, double threshold, short reportChannel)
    {
        int ti = (int)t;
        var counts = _count[ti];
        if (!condition)
        {
            counts[channel] = 0;
            return;
        }
        if (!_active[ti])
        {
            _active[ti] = true;
            _activeChannel[ti] = reportChannel;
            _activeValue[ti] = value;
            _activeThreshold[ti] = threshold;
        }
        int c = counts[channel];
        if (c < int.MaxValue) counts[channel] = ++c;
        if (c != _discrepancy[ti]) return; // confirmed exactly once per episode

        var reaction = _reaction[ti];
        if (reaction == StopCategory.Warning)
        {
            Emit(_state, _state, SafetyTriggers.Code(t), reportChannel, StopCategory.Warning, value, threshold);
            return;
        }
        if (SafetyTriggers.Severity(reaction) > SafetyTriggers.Severity(_tripReaction))
        {
            _tripReaction = reaction;
            _tripTrigger = t;
            _tripChannel = reportChannel;
            _tripValue = value;
            _tripThreshold = threshold;
        }
    }

    /// <summary>Writes the ramp's targets for ramp step k (the target for time (k+1)·dt, the next frame's time).</summary>
    private void WriteRamp(TickState s, long k)
    {
        double t = (k + 1) * _dt;
        for (int j = 0; j < _joints; j++)
        {
            double v0 = _v0[j];
            double speed0 = Math.Abs(v0);
            double sign = Math.Sign(v0);
            double tc = Math.Min(t, speed0 / _decel);
            _rampVelocity[j] = t < speed0 / _decel ? sign * (speed0 - _decel * t) : 0;
            double pr = _p0[j] + v0 * tc - sign * 0.5 * _decel * tc * tc;
            s.TargetPosition[j] = pr;
            s.TargetVelocity[j] = _rampVelocity[j];
            s.FeedforwardTorque[j] = 0;
            _hold[j] = pr;
        }
    }

    private SafetyInput MonitorStop(TickState s, ref bool failed)
    {
        long k = _tick - _stopStartTick;
        WriteRamp(s, k);
        bool still = true;
        for (int j = 0; j < _joints; j++)
        {
            // The ramp commanded for this tick's time was sent one frame ago, so compare against the previous step.
            double allowed = Math.Abs(PreviousRampVelocity(j, k)) + _rampTolerance;
            double vm = s.Velocity[j];
            if (!(Math.Abs(vm) <= allowed) && !failed)
            {
                failed = true; // the drive is not following the ramp: STO at once
                SetFailure(FaultCode.FollowingError, j, vm, allowed);
            }
            if (!(Math.Abs(vm) <= StandstillVelocityRadS)) still = false;
        }
        if (failed) return SafetyInput.None;
        if (k >= _rampTicks && still)
        {
            return _stopCategory switch
            {
                StopCategory.Cat2 => SafetyInput.HoldReached,
                StopCategory.Cat1 => SafetyInput.StopComplete,
                _ => SafetyInput.OperatorStopComplete,
            };
        }
        long limit = Math.Max(_stopTimeTicks, _rampTicks) + _settleTicks;
        if (k >= limit)
        {
            failed = true; // time monitoring: not at standstill in time
            SetFailure(FaultCode.FollowingError, -1, k * _dt, limit * _dt);
        }
        return SafetyInput.None;
    }

    private double PreviousRampVelocity(int j, long k)
    {
        double t = k * _dt;
        double speed0 = Math.Abs(_v0[j]);
        return t < speed0 / _decel ? speed0 - _decel * t : 0;
    }

    private bool MonitorHold(TickState s)
    {
        bool failed = false;
        for (int j = 0; j < _joints; j++)
        {
            s.TargetPosition[j] = _hold[j];
            s.TargetVelocity[j] = 0;
            s.FeedforwardTorque[j] = 0;
            double dev = s.Position[j] - _hold[j];
            if (!(Math.Abs(dev) <= _standstillWindow) && !failed)
            {
                failed = true; // SOS window left: STO
                SetFailure(FaultCode.PositionLimit, j, dev, _standstillWindow);
            }
        }
        return failed;
    }

    private SafetyInput MonitorReset(TickState s)
    {
        // Drives must leave "fault" after the reset (the axis logic sends the CiA 402 fault reset while Resetting).
        var inputs = s.Image.Inputs;
        for (int j = 0; j < _joints && j < inputs.Length; j++)
        {
            if ((inputs[j].Statusword & StatuswordFault) != 0 || _listHit[(int)SafetyTrigger.DriveFault][j])
            {
                if (_tick - _resettingSince < _resetTimeoutTicks) return SafetyInput.None;
                SetFailure(FaultCode.DriveFault, j, inputs[j].ErrorCode, 0);
                return SafetyInput.ResetFailed;
            }
        }
        return _tick > _resettingSince ? SafetyInput.ResetComplete : SafetyInput.None;
    }

    private void SetFailure(FaultCode code, int channel, double value, double threshold)
    {
        _failCode = code;
        _failChannel = (short)channel;
        _failValue = value;
        _failThreshold = threshold;
    }

    private bool ConsumeResetEdge()
    {
        bool edge = Interlocked.Exchange(ref _resetRequested, 0) != 0;
        if (_resetInput is not null)
        {
            bool level = _resetInput.Read();
            if (level && !_resetPrevLevel) edge = true; // rising edge only; a held level does nothing
            _resetPrevLevel = level;
        }
        return edge;
    }

    private SafetyInput ResetInputOrRefuse()
    {
        // The cause must be gone. Drive faults are excluded here: clearing them needs the reset itself (checked in Resetting).
        for (int t = 0; t < SafetyTriggers.Count; t++)
        {
            if (!_active[t] || _reaction[t] == StopCategory.Warning || t == (int)SafetyTrigger.DriveFault) continue;
            var code = SafetyTriggers.Code((SafetyTrigger)t);
            Emit(_state, _state, code, _activeChannel[t], StopCategory.None, _activeValue[t], _activeThreshold[t]);
            PublishOutcome(false, code, _activeChannel[t], _activeValue[t], _activeThreshold[t]);
            return SafetyInput.None;
        }
        return SafetyInput.ResetAccepted;
    }

    private void Apply(TickState s, SafetyInput input)
    {
        if (!SafetyTransitions.TryFind(_state, input, out var row))
        {
            // No row: the state stays, but a newly confirmed trip is still logged with its cause.
            if (input is SafetyInput.TripCat0 or SafetyInput.TripCat1 or SafetyInput.TripCat2)
            {
                Emit(_state, _state, SafetyTriggers.Code(_tripTrigger), _tripChannel, _tripReaction, _tripValue, _tripThreshold);
                _enableArmed = false;
            }
            return;
        }

        var from = _state;
        switch (row.Action)
        {
            case StopAction.BeginSs1:
                if (from != SafetyState.Stopping) BeginRamp(s);
                _stopCategory = StopCategory.Cat1;
                break;
            case StopAction.BeginSs2:
                if (from != SafetyState.Stopping) BeginRamp(s);
                if (_stopCategory != StopCategory.Cat1) _stopCategory = StopCategory.Cat2; // never weaken
                break;
            case StopAction.BeginOperatorStop:
                BeginRamp(s);
                _stopCategory = StopCategory.None;
                break;
            case StopAction.Sto:
            case StopAction.None:
                break;
        }
        _state = row.To;
        if (row.To == SafetyState.Enabling)
        {
            _enableArmed = false;
            _enablingSince = _tick;
        }
        if (row.To == SafetyState.Resetting) _resettingSince = _tick;
        if (row.To is SafetyState.Disabled or SafetyState.Stopped or SafetyState.Faulted or SafetyState.Resetting) _stopCategory = StopCategory.None;
        if (row.Latches) _enableArmed = false;

        switch (input)
        {
            case SafetyInput.TripCat0:
            case SafetyInput.TripCat1:
            case SafetyInput.TripCat2:
                Emit(from, row.To, SafetyTriggers.Code(_tripTrigger), _tripChannel, _tripReaction, _tripValue, _tripThreshold);
                break;
            case SafetyInput.StopFailed:
            case SafetyInput.ResetFailed:
                Emit(from, row.To, _failCode, _failChannel, StopCategory.Cat0, _failValue, _failThreshold);
                break;
            case SafetyInput.ResetAccepted:
                Emit(from, row.To, FaultCode.None, -1, StopCategory.None, 0, 0);
                PublishOutcome(true, FaultCode.None, -1, 0, 0);
                break;
            default:
                Emit(from, row.To, FaultCode.None, -1, row.To == SafetyState.Stopped ? StopCategory.Cat1 : StopCategory.None, 0, 0);
                break;
        }
        if (row.Latches) _recorder?.RequestDump(_tick); // every trip: post-mortem off the tick
    }

    private void BeginRamp(TickState s)
    {
        _stopStartTick = _tick;
        double longest = 0;
        for (int j = 0; j < _joints; j++)
        {
            double v = s.Velocity[j];
            double p = s.Position[j];
            _v0[j] = double.IsFinite(v) ? v : 0;
            _p0[j] = double.IsFinite(p) ? p : 0;
            longest = Math.Max(longest, Math.Abs(_v0[j]) / _decel);
        }
        _rampTicks = (long)Math.Ceiling(longest / _dt - 1e-9);
        WriteRamp(s, 0); // the ramp's first step goes out in the very next frame
    }

    private void WriteOutputs(TickState s)
    {
        switch (_state)
        {
            case SafetyState.Operational:
                s.PowerRequest = DrivePowerRequest.Operate;
                s.TargetsOverridden = false;
                break;
            case SafetyState.Enabling:
                // Enable in place: targets follow the measured pose so nothing jumps when torque comes on.
                s.PowerRequest = DrivePowerRequest.Operate;
                HoldMeasured(s);
                break;
            case SafetyState.Stopping:
            case SafetyState.Holding:
                s.PowerRequest = DrivePowerRequest.Operate;
                s.TargetsOverridden = true; // ramp / hold targets written by the monitors
                break;
            default:
                s.PowerRequest = DrivePowerRequest.Off;
                HoldMeasured(s);
                break;
        }
        s.SafetyState = _state;
        bool enable = s.PowerRequest != DrivePowerRequest.Off;
        if (_enableOutput is not null && (!_enableWritten || enable != _enableLevel))
        {
            _enableOutput.Write(enable);
            _enableWritten = true;
            _enableLevel = enable;
        }
    }

    private void HoldMeasured(TickState s)
    {
        for (int j = 0; j < _joints; j++)
        {
            double p = s.Position[j];
            s.TargetPosition[j] = double.IsFinite(p) ? p : 0;
            s.TargetVelocity[j] = 0;
            s.FeedforwardTorque[j] = 0;
        }
        s.TargetsOverridden = true;
    }

    private void Emit(SafetyState from, SafetyState to, FaultCode trigger, short channel, StopCategory reaction, double value, double threshold)
    {
        _events.TryPush(new SafetyEvent(++_eventId, _tick, _timeNs, from, to, trigger, channel, reaction, value, threshold));
    }

    private void PublishOutcome(bool accepted, FaultCode cause, short channel, double value, double threshold)
    {
        long seq = _outcomeSeq;
        Volatile.Write(ref _outcomeSeq, seq + 1); // odd: writing
        _outcome = new ResetOutcome((seq + 2) / 2, accepted, cause, channel, value, threshold, _state);
        Volatile.Write(ref _outcomeSeq, seq + 2);
    }
}
