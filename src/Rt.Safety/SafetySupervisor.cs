using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Hardware;
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
/// resets (see docs/SAFETY.md). State changes leave the tick as <see cref="SafetyEvent"/>s through the ring; an event
/// that does not fit is itself a Cat 0 fault. A policy whose digest is not the pinned one never enables.
/// The jobs live in their own classes: <see cref="SupervisorLimits"/> (policy, flattened), <see cref="TriggerDetector"/>,
/// <see cref="StopRamp"/> (SS1/SS2 ramps and their monitoring), <see cref="ResetArbiter"/>, <see cref="PowerOutput"/>
/// (enable output) and <see cref="SafetyEventSink"/>; this class composes them and applies the state table.
/// Construction is not real-time safe (sizes everything); <see cref="Evaluate"/> is.
/// </summary>
public sealed class SafetySupervisor : ISafetyGate
{
    private readonly SafetyEventSink _events;
    private readonly TriggerDetector _triggers;
    private readonly StopRamp _stop;
    private readonly ResetArbiter _reset;
    private readonly PowerOutput _power;
    private readonly FlightRecorder? _recorder;
    private readonly SupervisorLimits _limits;

    private SafetyState _state = SafetyState.Disabled;
    private bool _enableArmed = true;  // motion must be released and asked for again after a trip
    private bool _refusalLogged;
    private long _enablingSince;
    private long _tick;
    private Trip _trip;                // this tick's trip (from the detector, or an event loss)
    private bool _tripIsCollision;     // ReactionPolicy: this tick's trip gets the compliant hold
    private SafetyCause _failure;      // this tick's stop / reset failure
    private bool _manualPowered;       // the manual mode (jog) powered the drives last tick
    private long _twinTripTick = -1;   // the last tick a twin_divergence trip was confirmed
    private long _refinedSeen = -1;    // the twin's RefinedSinceTick last tick (a change is a newly closed window)

    /// <summary>Not real-time safe. Validates the config (throws InputError; robot rules, not the bench's) and sizes everything.</summary>
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
        var limits = new SupervisorLimits(config, policy, jointCount, layout, periodNs);
        _limits = limits;
        _events = new SafetyEventSink(events);
        _triggers = new TriggerDetector(limits, _events, estopInput);
        _stop = new StopRamp(limits);
        _reset = new ResetArbiter(limits, resetInput, _events);
        _power = new PowerOutput(jointCount, enableOutput);
        _recorder = recorder;
        EnableRefusal = policy.DigestMismatch;
    }

    public SafetyPolicy Policy { get; }

    /// <summary>Current state (as of the last <see cref="Evaluate"/>).</summary>
    public SafetyState State => _state;

    /// <summary>The category of the stop in progress (None for the operator's own stop or no stop).</summary>
    public StopCategory StopInProgress => _stop.Category;

    /// <summary>Why motion is never enabled (the policy digest is not the pinned one), or null. Not real-time safe to format; fixed at construction.</summary>
    public string? EnableRefusal { get; }

    /// <summary>Thread-safe. Safety events that did not fit in the ring (each one stopped motion, Cat 0).</summary>
    public long EventsLost => _events.Lost;

    /// <summary>
    /// Thread-safe, not for the network: asks for a reset as a deliberate local edge. The next tick consumes it once;
    /// the answer appears in <see cref="LastResetOutcome"/>. Callers: the GPIO reset input (read in the tick) and
    /// <see cref="LocalResetSocket"/>. Nothing reachable from MQTT or any other network path may call this.
    /// </summary>
    public void RequestReset() => _reset.Request();

    /// <summary>Thread-safe. The last reset decision (sequence 0 = none yet).</summary>
    public ResetOutcome LastResetOutcome => _reset.Last;

    /// <summary>
    /// The manual mode (recovery by hand: <see cref="Jog.JogMode"/>), or null. Set before the first tick. It runs inside
    /// <see cref="Evaluate"/> after the state table, may power the drives only while the supervisor permits recovery
    /// (<see cref="RecoveryPermitted"/>), is told of every trip, and its following error is monitored here.
    /// </summary>
    public Jog.IManualMode? Manual { get; set; }

    /// <summary>
    /// Real-time safe. Whether recovery by hand may power the drives now: Disabled, Stopped or Faulted, the policy is
    /// the pinned one, and no stop trigger's cause persists but a position limit (a robot outside its range).
    /// </summary>
    public bool RecoveryPermitted =>
        _state is SafetyState.Disabled or SafetyState.Stopped or SafetyState.Faulted && EnableRefusal is null
        && _triggers.PersistsOnly(SafetyTrigger.PositionLimit);

    /// <summary>
    /// Real-time safe; the tick thread only (from the manual mode inside <see cref="Evaluate"/>). Logs a manual action
    /// (jog, homing, brake) in the safety log; false when the ring had no room (counted as a lost event: Cat 0).
    /// </summary>
    public bool LogManual(FaultCode code, short joint, double value, double positionRad)
    {
        _events.Emit(_state, _state, code, joint, StopCategory.None, value, positionRad);
        return !_events.LostThisTick;
    }

    /// <summary>Real-time safe: no allocation, no locks, no clock, no exceptions.</summary>
    public void Evaluate(TickState state)
    {
        _tick = state.Tick;
        _events.BeginTick(state.Tick, state.TimeNs);
        _failure = default;

        _triggers.Detect(state, _state, _tick, _enablingSince, _stop.CommandedTargets, _manualPowered ? Manual!.CommandedTargets : null); // 1. triggers: warnings out, strongest stop kept
        _trip = _triggers.Trip;
        ClassifyTrip(state);                                      //    reaction by class: collisions get the compliant hold
        var progress = MonitorStopOrReset(state);                 // 2. the stop / reset in progress
        LogBrakeClosed(state);                                    //    a brake the hold closed under power
        bool resetEdge = _reset.ConsumeEdge();                    // 3. a deliberate reset edge
        if (!state.MotionRequested) _enableArmed = true;

        var input = ChooseInput(state, progress, resetEdge);      // 4. one input for the state table
        _reset.AnswerPreempted(resetEdge, _state, input, _trip, _failure);
        if (input != SafetyInput.None) Apply(state, input);       // 5. transition, event, stop begins
        LogRefinedCause(state);                                   //    the twin's refined cause of its trip, once known
        bool manual = Manual is { } m                            //    recovery by hand: told of any trip this tick
            && m.Step(state, new Jog.ManualContext(_state, _trip.Reaction != StopCategory.None, RecoveryPermitted));
        if (_events.LostThisTick && _state != SafetyState.Faulted) StopForLostEvent(state); // 6. a lost event is Cat 0

        if (manual && (_events.LostThisTick || _state is not (SafetyState.Disabled or SafetyState.Stopped or SafetyState.Faulted)))
        {
            Manual!.Abort(state); // a lost event is a Cat 0 stop: the jog ends with it
            manual = false;
        }
        _manualPowered = manual;
        _power.Write(state, _state, _manualPowered, _stop.Compliant); // 7. power request, targets, torque limit, enable line
        _stop.Remember(state);                                    //    a stop next tick checks its start against this tick
        _recorder?.Record(state);
    }

    /// <summary>
    /// Reaction by class (<see cref="ReactionPolicy"/>): a Cat 1/Cat 2 trip that is a collision becomes the compliant hold,
    /// logged as Cat 2 (it ends in a monitored standstill with power). A configured Cat 0 stays Cat 0.
    /// </summary>
    private void ClassifyTrip(TickState state)
    {
        if (_trip.Reaction is not (StopCategory.Cat1 or StopCategory.Cat2)) { _tripIsCollision = false; return; }
        // During a collision's hold the twin keeps disagreeing (the obstacle is still there, the motion was cut short)
        // and the drives brake at their limit: those further trips are that same collision. The hold's own monitor
        // (travel, time, standstill window) and every other trigger still escalate.
        bool sameCollision = _stop.Compliant && _state is SafetyState.Stopping or SafetyState.Holding
            && _trip.Cause.Code is FaultCode.TwinDivergence or FaultCode.Collision or FaultCode.TorqueLimit;
        _tripIsCollision = sameCollision || ReactionPolicy.IsCollision(_trip, state.Divergence, _limits);
        if (_tripIsCollision) _trip = new Trip(StopCategory.Cat2, _trip.Cause);
    }

    /// <summary>
    /// The trip event carries the trip tick's cause (the reaction's basis). The twin decides again after its evidence
    /// window (<see cref="DivergenceRecord.RefinedDiagnosis"/>, ~20 ms later): when that window belongs to a twin trip
    /// (it opened at or before the trip's tick and closed after it), its answer is logged as its own record,
    /// <see cref="FaultCode.IsolationRefined"/>, with the window's evidence. Never a trigger; at most one per tick.
    /// </summary>
    private void LogRefinedCause(TickState state)
    {
        if (_trip.Reaction is StopCategory.Cat0 or StopCategory.Cat1 or StopCategory.Cat2 && _trip.Cause.Code == FaultCode.TwinDivergence)
            _twinTripTick = _tick;
        var d = state.Divergence;
        long since = d.RefinedSinceTick;
        if (since == _refinedSeen) return;
        _refinedSeen = since;
        if (since < 0 || _twinTripTick < since || d.RefinedDiagnosis.Class == FaultClass.Unknown) return;
        _events.Emit(_state, _state, FaultCode.IsolationRefined, (short)Math.Clamp(d.RefinedEvidenceChannel, -1, short.MaxValue), StopCategory.None,
            d.RefinedEvidenceValue, d.RefinedEvidenceThreshold, d.RefinedDiagnosis);
    }

    /// <summary>
    /// A brake the collision hold closed under power (<see cref="StopRamp.BrakeFromShare"/>) is logged as its own record,
    /// <see cref="FaultCode.HoldBrakeClosed"/>: never a trigger; at most one per tick (several in one tick follow on the next).
    /// </summary>
    private void LogBrakeClosed(TickState state)
    {
        int j = _stop.TakeBrakeClosed();
        if (j < 0) return;
        _events.Emit(_state, _state, FaultCode.HoldBrakeClosed, (short)j, StopCategory.None, state.Torque[j], _stop.TravelSinceTrip(state, j));
    }

    private SafetyInput MonitorStopOrReset(TickState state) => _state switch
    {
        SafetyState.Stopping => _stop.MonitorStop(state, _tick, ref _failure),
        SafetyState.Holding => _stop.MonitorHold(state, ref _failure),
        SafetyState.Resetting => _reset.MonitorResetting(state, _tick, _triggers, ref _failure),
        _ => SafetyInput.None,
    };

    /// <summary>The strongest of this tick's inputs (order in <see cref="SafetyInput"/>).</summary>
    private SafetyInput ChooseInput(TickState state, SafetyInput progress, bool resetEdge)
    {
        if (_trip.Reaction == StopCategory.Cat0) return SafetyInput.TripCat0;
        if (progress == SafetyInput.StopFailed) return progress;
        if (_trip.Reaction == StopCategory.Cat1) return SafetyInput.TripCat1;
        if (_trip.Reaction == StopCategory.Cat2) return SafetyInput.TripCat2;
        if (progress != SafetyInput.None) return progress;
        if (resetEdge && SafetyTransitions.Latched(_state)) return _reset.Arbitrate(_triggers, _state);
        return _state switch
        {
            SafetyState.Disabled when state.MotionRequested && _enableArmed => EnableOrRefuse(),
            SafetyState.Enabling when !state.MotionRequested => SafetyInput.DisableRequested,
            SafetyState.Enabling when state.AllDrivesOperational => SafetyInput.DrivesReady,
            SafetyState.Operational when !state.MotionRequested => SafetyInput.DisableRequested,
            _ => SafetyInput.None,
        };
    }

    /// <summary>A pinned digest that does not match refuses every enable; the refusal is logged once.</summary>
    private SafetyInput EnableOrRefuse()
    {
        if (EnableRefusal is null) return SafetyInput.EnableRequested;
        if (!_refusalLogged)
        {
            _refusalLogged = true;
            _events.Emit(_state, _state, FaultCode.SafetyConfigMismatch, -1, StopCategory.Cat0, 0, 0);
        }
        return SafetyInput.None;
    }

    private void StopForLostEvent(TickState state)
    {
        _trip = new Trip(StopCategory.Cat0, new SafetyCause(FaultCode.SafetyEventLost, -1, _events.Lost, 0));
        Apply(state, SafetyInput.TripCat0); // its own event may not fit either: the log thread records the loss count
    }

    private void Apply(TickState s, SafetyInput input)
    {
        bool trip = input is SafetyInput.TripCat0 or SafetyInput.TripCat1 or SafetyInput.TripCat2;
        if (!SafetyTransitions.TryFind(_state, input, out var row))
        {
            // No row: the state stays, but a newly confirmed trip is still logged with its cause.
            if (!trip) return;
            _events.Emit(_state, _state, _trip.Reaction, _trip.Cause);
            _enableArmed = false;
            return;
        }

        var from = _state;
        BeginStop(s, row.Action, from);
        _state = row.To;
        if (row.To == SafetyState.Enabling) { _enableArmed = false; _enablingSince = _tick; }
        if (row.To == SafetyState.Resetting) _reset.Began(_tick);
        if (row.To is SafetyState.Disabled or SafetyState.Stopped or SafetyState.Faulted or SafetyState.Resetting) _stop.Category = StopCategory.None;
        if (row.Latches) _enableArmed = false;

        if (trip) _events.Emit(from, row.To, _trip.Reaction, _trip.Cause);
        else if (input is SafetyInput.StopFailed or SafetyInput.ResetFailed) _events.Emit(from, row.To, StopCategory.Cat0, _failure);
        else
        {
            _events.Emit(from, row.To, FaultCode.None, -1, row.To == SafetyState.Stopped ? StopCategory.Cat1 : StopCategory.None, 0, 0);
            if (input == SafetyInput.ResetAccepted) _reset.Publish(true, new SafetyCause(FaultCode.None, -1, 0, 0), _state);
        }
        if (row.Latches) _recorder?.RequestDump(_tick); // every trip: post-mortem off the tick
    }

    private void BeginStop(TickState s, StopAction action, SafetyState from)
    {
        switch (action)
        {
            case StopAction.BeginSs1:
                if (from != SafetyState.Stopping) _stop.Begin(s, _tick);
                _stop.Category = StopCategory.Cat1;
                break;
            case StopAction.BeginSs2:
                if (from != SafetyState.Stopping) _stop.Begin(s, _tick, compliant: _tripIsCollision);
                if (_stop.Category != StopCategory.Cat1) _stop.Category = StopCategory.Cat2; // never weaken
                break;
            case StopAction.BeginOperatorStop:
                _stop.Begin(s, _tick);
                _stop.Category = StopCategory.None;
                break;
        }
    }
}
