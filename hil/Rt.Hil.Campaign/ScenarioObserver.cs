using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.ProcessData;
using Rt.Core.Tick;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Esc;
using Rt.Hil.Plant;
using Rt.Session;
using Rt.Safety;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign;

/// <summary>
/// Watches one scenario run from beside the tick and turns it into a <see cref="ScenarioResult"/>: the safety timeline,
/// the trip and its latencies (injection → trip decision → stop frame on the bus), stop time and distance, false trips,
/// warnings, safety events raised vs logged, per-channel maximum divergence and a decimated series for the plots.
/// Construction sizes everything; <see cref="AfterTick"/> is allocation-free (the real-time runner calls it on the tick
/// thread after each tick); <see cref="OnSafetyEvent"/> runs on the safety log's thread; <see cref="Finish"/> is the
/// report (call it after the session is disposed, so every event has been made durable and forwarded).
/// </summary>
public sealed class ScenarioObserver
{
    /// <summary>Width of one plot sample, s (the series keeps the worst ratio in each window).</summary>
    public const double SeriesWindowS = 0.010;

    /// <summary>A joint slower than this (rad/s) counts as stopped.</summary>
    public const double StandstillRadS = 0.01;

    private const int MaxObservedChanges = 256;

    /// <summary>The window after the stop command over which the contact force is judged, ms (issue 13).</summary>
    public const double ContactWindowMs = 50;

    /// <summary>The end of that window whose mean force is compared with the force at the command, ms.</summary>
    public const double ContactWindowEndMs = 10;

    /// <summary>Scenarios with this tag and a collision_obstacle are judged on issue 13's collision numbers too.</summary>
    public const string ReactionTag = "reaction";

    /// <summary>A contact force at or below this (N) counts as released (no contact).</summary>
    public const double ContactReleasedN = 1;

    /// <summary>
    /// How long after the trip the obstacle's per-link contact is still watched, ms: the isolator's evidence window
    /// (src/Rt.Twin/Isolation/FaultIsolator WindowS, 20 ms), whose residual the refined cause is made of.
    /// </summary>
    public const double TouchAfterTripMs = 20;

    /// <summary>The isolator's evidence window leaves out its first ticks (the observer's residual builds up): the window's torque means start this long after the trip.</summary>
    public const double WindowSettleMs = 5;

    /// <summary>Plot groups; the last one is the collision trigger's own test, |external torque| / its threshold.</summary>
    private static readonly string[] GroupNames =
        ["joint position", "joint velocity", "joint torque", "external torque", "IMU angular rate", "IMU specific force", "collision"];
    private const int CollisionGroup = 6;

    private readonly HostSession _session;
    private readonly Scenario _scenario;
    private readonly TickState _state;
    private readonly ChannelLayout _layout;
    private readonly double _periodS;
    private readonly int _joints;
    private readonly long _totalTicks;

    // Divergence: per channel maxima, per group window maxima and the decimated series.
    private readonly int[] _groupOf;
    private readonly double[] _maxRatio, _maxInnovation;
    private readonly long[] _maxAt;
    private readonly double[] _collisionThreshold;
    private readonly int _decimation;
    private readonly double[] _windowMax;
    private readonly double[][] _series;
    private readonly SafetyState[] _seriesState;
    private int _samples;
    private long _window; // index of the window being accumulated (= the sample it will become)

    // Safety state as seen by the tick (a fallback for the event log, which carries the causes).
    private readonly long[] _changeTick = new long[MaxObservedChanges];
    private readonly SafetyState[] _changeFrom = new SafetyState[MaxObservedChanges];
    private readonly SafetyState[] _changeTo = new SafetyState[MaxObservedChanges];
    private int _changes;
    private SafetyState _lastState;
    private bool _started;
    private long _lastTick = -1;
    private long _ticksSeen;

    // The first trip and what followed it.
    private long _tripTick = -1;
    private readonly double[] _tripPosition;
    private readonly double[] _travel;
    private long _stopSentTick = -1, _stopDeliveredTick = -1, _standstillTick = -1;
    private int _stopMismatchJoint = -1;
    // Powered vs unpowered travel: the power request going off (STO) splits the stop distance.
    private readonly double[] _poweredTravel, _unpoweredTravel, _powerOffPosition;
    private long _powerOffTick = -1, _restTick = -1;

    // Contact force on the obstacle (MuJoCo's touch sensor), per tick, for runs that put an obstacle in a leg's path.
    private readonly MujocoPlant? _plant;
    private readonly double[] _contactForce;
    private ushort _stopMismatchControlword;

    // Which links the box touched (the physical truth behind isolation, issue 13): per link index the largest normal force
    // from the obstacle's injection to the end of the evidence window, and the tick of its first contact (> released).
    private readonly long _touchFromTick = long.MaxValue;
    private readonly long _touchAfterTripTicks;
    private readonly int[] _touchLinks = [];
    private readonly double[] _touchForces = [];
    private readonly double[] _linkPeakN = [];
    private readonly long[] _linkFirstTick = [];
    private readonly double[] _linkFirstN = [];
    private long _touchFirstTick = -1, _touchLastTick = -1;
    private bool _touchIncomplete;
    // The isolator's evidence window against MuJoCo (trip + WindowSettleMs … trip + TouchAfterTripMs): per joint the sum of
    // the box's true joint torques and of the twin's observer residual, and the ticks summed.
    private readonly double[] _boxTau = [], _boxTauSum = [], _residualSum = [], _boxSeen = [], _boxSeenSum = [], _windowEndQ = [];
    private readonly long _windowSettleTicks;
    private readonly double _observerPole; // the twin's momentum observer: r follows τ_ext through 1 − pole / (1 − pole·z⁻¹)
    private int _windowTicks;

    // The bus frame the slaves received (in-process EtherCAT bench only).
    private readonly ServoDriveDevice?[] _drives;
    private readonly Rt.Hil.Esc.Segment.EscSegment? _segment;
    private readonly DriveOutputs[] _sentByLastTick;
    private long _pdFramesBefore;

    private readonly List<SafetyEvent> _events = [];

    public ScenarioObserver(HostSession session, Scenario scenario, long totalTicks)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(scenario);
        _session = session;
        _scenario = scenario;
        _state = session.State;
        _layout = session.Layout;
        _periodS = session.PeriodNs * 1e-9;
        _joints = session.Config.Joints.Count;
        _totalTicks = Math.Max(0, totalTicks);

        int n = _layout.Count;
        _groupOf = new int[n];
        for (int c = 0; c < n; c++)
        {
            _groupOf[c] = _layout.Channels[c].Kind switch
            {
                ChannelKind.JointPosition => 0,
                ChannelKind.JointVelocity => 1,
                ChannelKind.JointTorque => 2,
                ChannelKind.ExternalTorque => 3,
                ChannelKind.ImuAngularRate => 4,
                _ => 5,
            };
        }
        _maxRatio = new double[n];
        _maxInnovation = new double[n];
        _maxAt = new long[n];
        Array.Fill(_maxAt, -1);

        // The supervisor's collision threshold, resolved as it does (policy threshold, else 0.3 × the torque limit).
        _collisionThreshold = new double[_joints];
        double configured = session.Supervisor?.Policy[SafetyTrigger.Collision].Threshold ?? 0;
        for (int j = 0; j < _joints; j++)
            _collisionThreshold[j] = configured > 0 ? configured : 0.3 * session.Config.Joints[j].Limits.TorqueNm;

        _decimation = Math.Max(1, (int)Math.Round(SeriesWindowS / _periodS));
        int samples = (int)Math.Min(int.MaxValue / 2, (_totalTicks + _decimation - 1) / _decimation);
        _windowMax = new double[GroupNames.Length];
        _series = new double[GroupNames.Length][];
        for (int g = 0; g < GroupNames.Length; g++) _series[g] = new double[samples];
        _seriesState = new SafetyState[samples];

        _tripPosition = new double[_joints];
        _travel = new double[_joints];
        _poweredTravel = new double[_joints];
        _unpoweredTravel = new double[_joints];
        _powerOffPosition = new double[_joints];
        bool obstacle = false;
        foreach (var inj in scenario.Injections) obstacle |= inj.Kind == InjectionKind.CollisionObstacle;
        _plant = obstacle && session.Bench is { } benchRig && benchRig.Bench.Plant.ObstacleCount > 0 ? benchRig.Bench.Plant : null;
        _contactForce = _plant is null ? [] : new double[(int)Math.Min(_totalTicks, int.MaxValue / 2)];
        if (_plant is not null)
        {
            // The box is placed at the first obstacle injection's tick (FaultInjector rounds the same way).
            foreach (var inj in scenario.Injections)
                if (inj.Kind == InjectionKind.CollisionObstacle)
                    _touchFromTick = Math.Min(_touchFromTick, (long)Math.Round(inj.AtS * session.Config.Loop.RateHz));
            _touchAfterTripTicks = Math.Max(0, (long)Math.Round(TouchAfterTripMs * 1e-3 / _periodS));
            int links = _plant.LinkIndexCount;
            _touchLinks = new int[links];
            _touchForces = new double[links];
            _linkPeakN = new double[links];
            _linkFirstTick = new long[links];
            _linkFirstN = new double[links];
            Array.Fill(_linkFirstTick, -1);
            _boxTau = new double[_joints];
            _boxTauSum = new double[_joints];
            _residualSum = new double[_joints];
            _boxSeen = new double[_joints];
            _boxSeenSum = new double[_joints];
            _windowEndQ = new double[_joints];
            _observerPole = Math.Exp(-session.Config.Twin.ObserverGain * _periodS);
            _windowSettleTicks = (long)Math.Round(WindowSettleMs * 1e-3 / _periodS);
            // Bind the native calls now (a first call allocates a little), not on the tick that first watches the box.
            _plant.ObstacleContacts(0, _touchLinks, _touchForces);
            _plant.ObstacleContactTorque(0, _boxTau);
        }
        _drives = new ServoDriveDevice?[_joints];
        _sentByLastTick = new DriveOutputs[_joints];
        if (session.BenchBridge is { } bridge)
        {
            _segment = bridge.Segment;
            for (int j = 0; j < _joints; j++)
            {
                int position = session.Config.Joints[j].Drive;
                _drives[j] = position >= 0 && position < _segment.Slaves.Count ? _segment.Slaves[position] as ServoDriveDevice : null;
            }
        }
    }

    /// <summary>Ticks observed so far.</summary>
    public long TicksSeen => _ticksSeen;

    /// <summary>The first trip's tick as the tick saw it (-1: none yet). Real-time safe.</summary>
    public long TripTick => _tripTick;

    /// <summary>Real-time safe: reads the tick's blackboard (and the emulated slaves' received commands); no allocation.</summary>
    public void AfterTick(long tick)
    {
        var s = _state;
        // Close the windows before this tick's (more than one if the real-time loop skipped ticks).
        long window = tick / _decimation;
        while (_window < window)
        {
            FlushWindow();
            _window++;
        }
        _lastTick = tick;
        _ticksSeen++;

        var state = s.SafetyState;
        if (!_started || state != _lastState)
        {
            if (_started && _changes < MaxObservedChanges)
            {
                _changeTick[_changes] = tick;
                _changeFrom[_changes] = _lastState;
                _changeTo[_changes] = state;
                _changes++;
            }
            if (_tripTick < 0 && IsTripState(state)) BeginStop(tick);
            _lastState = state;
            _started = true;
        }

        ObserveDivergence(s.Divergence, tick);
        if (_tripTick >= 0) ObserveStop(tick);
        // The twin's refined cause (its evidence window after the first tick over threshold) of the episode that tripped.
        if (_tripTick >= 0 && _refinedSince < 0 && s.Divergence.RefinedSinceTick is long since and >= 0
            && since <= _tripTick && (_tripTick - since) * _periodS <= RefinedEpisodeS)
        {
            _refinedSince = since;
            _refined = s.Divergence.RefinedDiagnosis;
        }
        if (_plant is not null && tick >= 0 && tick < _contactForce.Length) _contactForce[tick] = _plant.ObstacleContactForceN(0);
        if (_plant is not null && tick >= _touchFromTick && (_tripTick < 0 || tick <= _tripTick + _touchAfterTripTicks)) ObserveTouch(tick, s.Divergence);

        // Remember what this tick wrote: the next tick's exchange sends it.
        var outputs = s.Image.Outputs;
        for (int j = 0; j < _joints && j < outputs.Length; j++) _sentByLastTick[j] = outputs[j];
        if (_segment is not null) _pdFramesBefore = _segment.ProcessDataFrames;
    }

    /// <summary>Off the tick (the safety log's thread, after the event is durable): the event with its cause.</summary>
    public void OnSafetyEvent(SafetyEvent e)
    {
        lock (_events) _events.Add(e);
    }

    private bool IsTripState(SafetyState state) => state switch
    {
        SafetyState.Faulted or SafetyState.Stopped or SafetyState.Holding => true,
        // The operator's own stop ramps too, without a stop category; only a safety stop counts.
        SafetyState.Stopping => _session.Supervisor is not { } sup || sup.StopInProgress != StopCategory.None,
        _ => false,
    };

    /// <summary>A refined cause counts for the trip when its episode began at most this long before the trip.</summary>
    private const double RefinedEpisodeS = 0.005;
    private long _refinedSince = -1;
    private FaultDiagnosis _refined;

    private void BeginStop(long tick)
    {
        _tripTick = tick;
        var p = _state.Position;
        for (int j = 0; j < _joints; j++) _tripPosition[j] = p[j];
    }

    private void ObserveDivergence(DivergenceRecord d, long tick)
    {
        if (d.Valid)
        {
            int n = Math.Min(_groupOf.Length, d.Detector.Length);
            for (int c = 0; c < n; c++)
            {
                double thr = d.Threshold[c];
                double ratio = thr > 0 && double.IsFinite(thr) ? d.Detector[c] / thr : 0;
                if (!double.IsFinite(ratio)) ratio = double.MaxValue; // a non-finite detector is as bad as it gets
                if (ratio > _maxRatio[c]) { _maxRatio[c] = ratio; _maxAt[c] = tick; }
                double inn = Math.Abs(d.Innovation[c]);
                if (inn > _maxInnovation[c]) _maxInnovation[c] = inn;
                int g = _groupOf[c];
                if (ratio > _windowMax[g]) _windowMax[g] = ratio;
            }
            var tau = d.ExternalTorque;
            for (int j = 0; j < _joints && j < tau.Length; j++)
            {
                double r = Math.Abs(tau[j]) / _collisionThreshold[j];
                if (!double.IsFinite(r)) r = double.MaxValue;
                if (r > _windowMax[CollisionGroup]) _windowMax[CollisionGroup] = r;
            }
        }
    }

    private void ObserveStop(long tick)
    {
        var s = _state;
        if (tick > _tripTick)
        {
            // Tick k's exchange sent the outputs written in tick k−1 (the trip tick's stop for k = trip + 1).
            if (_stopSentTick < 0) _stopSentTick = tick;
            if (_stopDeliveredTick < 0) CheckDelivery(tick);
        }
        double[] p = s.Position, v = s.Velocity;
        bool still = true;
        // The power request this tick wrote acts from the next frame: travel up to here was made with power.
        bool powered = _powerOffTick < 0;
        for (int j = 0; j < _joints; j++)
        {
            double travel = Math.Abs(p[j] - _tripPosition[j]);
            if (travel > _travel[j] || !double.IsFinite(travel)) _travel[j] = double.IsFinite(travel) ? travel : double.MaxValue;
            if (powered) Raise(_poweredTravel, j, travel);
            else Raise(_unpoweredTravel, j, Math.Abs(p[j] - _powerOffPosition[j]));
            if (!(Math.Abs(v[j]) < StandstillRadS)) still = false;
        }
        if (powered && s.PowerRequest == DrivePowerRequest.Off)
        {
            _powerOffTick = tick;
            for (int j = 0; j < _joints; j++) _powerOffPosition[j] = p[j];
        }
        if (_restTick < 0 && still) _restTick = tick;
        bool sto = s.PowerRequest == DrivePowerRequest.Off && _stopDeliveredTick >= 0;
        if (_standstillTick < 0 && (still || sto)) _standstillTick = tick;
    }


    /// <summary>
    /// Real-time safe: the box's contacts per link this tick (the last substep's), folded into the per-link peaks; and its
    /// joint torques, folded into the evidence window's sums next to the observer residual of <paramref name="d"/>.
    /// </summary>
    private void ObserveTouch(long tick, DivergenceRecord d)
    {
        if (_plant!.ObstacleContactTorque(0, _boxTau) >= 0)
        {
            // What an exact observer shows of the box: its torques through the observer's first-order response, from the
            // box's placement on (the residual in the window still carries a contact that has just ended).
            for (int j = 0; j < _joints; j++) _boxSeen[j] = _observerPole * _boxSeen[j] + (1 - _observerPole) * _boxTau[j];
            if (_tripTick >= 0 && tick >= _tripTick + _windowSettleTicks && d.Valid)
            {
                var r = d.ExternalTorque;
                for (int j = 0; j < _joints && j < r.Length; j++)
                {
                    _boxTauSum[j] += _boxTau[j];
                    _boxSeenSum[j] += _boxSeen[j];
                    _residualSum[j] += r[j];
                }
                var q = _state.Position;
                for (int j = 0; j < _joints; j++) _windowEndQ[j] = q[j];
                _windowTicks++;
            }
        }
        int n = _plant!.ObstacleContacts(0, _touchLinks, _touchForces);
        if (n > _touchLinks.Length) { _touchIncomplete = true; n = _touchLinks.Length; }
        if (_touchFirstTick < 0) _touchFirstTick = tick;
        _touchLastTick = tick;
        for (int k = 0; k < n; k++)
        {
            int link = _touchLinks[k];
            double f = _touchForces[k];
            if (!double.IsFinite(f)) f = double.MaxValue;
            if (f > _linkPeakN[link]) _linkPeakN[link] = f;
            if (_linkFirstTick[link] < 0 && f > ContactReleasedN) { _linkFirstTick[link] = tick; _linkFirstN[link] = f; }
        }
    }

    private static void Raise(double[] max, int j, double value)
    {
        if (value > max[j] || !double.IsFinite(value)) max[j] = double.IsFinite(value) ? value : double.MaxValue;
    }

    private void CheckDelivery(long tick)
    {
        if (_segment is null)
        {
            _stopDeliveredTick = tick; // the in-process image (or a remote emulator): the exchange is the delivery
            return;
        }
        if (_segment.ProcessDataFrames == _pdFramesBefore || !_segment.LastFrameExchangedProcessData) return; // lost: not yet
        for (int j = 0; j < _joints; j++)
        {
            var dev = _drives[j];
            // A slave out of OP passes nothing on: its drive falls to "disable voltage" on its own (BenchBridge).
            if (dev is null || dev.Esc.State != AlState.Op) continue;
            ref readonly var sent = ref _sentByLastTick[j];
            if (dev.Command.Controlword != sent.Controlword || dev.Command.TargetPosition != sent.TargetPosition)
            {
                if (_stopMismatchJoint < 0)
                {
                    _stopMismatchJoint = j;
                    _stopMismatchControlword = dev.Command.Controlword;
                }
                return;
            }
        }
        _stopDeliveredTick = tick;
    }

    private void FlushWindow()
    {
        if (_samples < _seriesState.Length)
        {
            for (int g = 0; g < _windowMax.Length; g++) _series[g][_samples] = _windowMax[g];
            _seriesState[_samples] = _lastState; // the state at the window's last tick
            _samples++;
        }
        Array.Clear(_windowMax);
    }

    /// <summary>
    /// Not real-time safe. The verdict and the figures. Call after the session is disposed (its safety log drained and
    /// joined), so raised and logged event counts are final.
    /// </summary>
    /// <param name="mode">"lockstep" or "realtime".</param>
    /// <param name="wallS">Wall-clock seconds the run took.</param>
    /// <param name="applied">Injections as applied.</param>
    /// <param name="drawn">Randomised values drawn.</param>
    /// <param name="firstInjectionTick">First injection's tick (long.MaxValue: none).</param>
    public ScenarioResult Finish(string mode, double wallS, IReadOnlyList<AppliedInjection> applied, IReadOnlyDictionary<string, double> drawn, long firstInjectionTick)
    {
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(drawn);
        if (_lastTick >= 0 && _samples <= _window) FlushWindow(); // the last window (maybe partial) closes here

        List<SafetyEvent> events;
        lock (_events) events = [.. _events];
        events.Sort((a, b) => a.Id.CompareTo(b.Id));

        long dropped = _session.SafetyEvents?.Dropped ?? 0;
        long pending = _session.SafetyEvents?.Count ?? 0;
        long written = _session.SafetyLog?.Written ?? events.Count;
        long raised = written + dropped + pending;
        long logged = events.Count;

        var timeline = new List<StateChange>();
        SafetyEvent? trip = null;
        int warnings = 0, falseTrips = 0;
        string? firstWarning = null;
        long firstWarningTick = -1;
        var acceptedWarnings = 0;
        foreach (var e in events)
        {
            bool isTrip = IsTripEvent(e);
            bool isWarning = e.Reaction == StopCategory.Warning;
            if (e.From != e.To || isWarning || isTrip || e.Trigger == FaultCode.HoldBrakeClosed)
                timeline.Add(new StateChange(e.Tick, e.Tick * _periodS, e.From, e.To, TriggerName(e.Trigger), ChannelName(e.Trigger, e.Channel), e.Value, e.Threshold) { Cause = CauseText(e.Diagnosis) });
            if (isWarning)
            {
                warnings++;
                if (firstWarning is null) { firstWarning = Describe(e); firstWarningTick = e.Tick; }
                if (Accepted(_scenario.Expect.Triggers, TriggerName(e.Trigger))) acceptedWarnings++;
            }
            if (isTrip)
            {
                trip ??= e;
                if (e.Tick < firstInjectionTick || _scenario.Expect.Outcome != ExpectedOutcome.Stop) falseTrips++;
            }
        }
        // A gap in the event log is lost events; the tick's own view still shows the trip.
        if (trip is null && _tripTick >= 0)
        {
            if (_tripTick < firstInjectionTick || _scenario.Expect.Outcome != ExpectedOutcome.Stop) falseTrips++;
            for (int i = 0; i < _changes; i++)
                timeline.Add(new StateChange(_changeTick[i], _changeTick[i] * _periodS, _changeFrom[i], _changeTo[i], "unknown", "", 0, 0));
        }

        long? tripTick = trip?.Tick ?? (_tripTick >= 0 ? _tripTick : null);
        bool injected = firstInjectionTick != long.MaxValue && firstInjectionTick >= 0;
        double ms = _periodS * 1e3;
        double? detection = tripTick is long tt && injected && tt >= firstInjectionTick ? (tt - firstInjectionTick) * ms : null;
        double? stopCmd = _stopSentTick >= 0 && injected && tripTick >= firstInjectionTick ? (_stopSentTick - firstInjectionTick) * ms : null;
        double? stopTime = _standstillTick >= 0 && _tripTick >= 0 ? (_standstillTick - _tripTick) * ms : null;
        double? stopDist = null;
        string? stopJoint = null;
        if (_tripTick >= 0)
        {
            int worst = 0;
            for (int j = 1; j < _joints; j++) if (_travel[j] > _travel[worst]) worst = j;
            if (_joints > 0) { stopDist = _travel[worst]; stopJoint = _session.Config.Joints[worst].Name; }
        }

        var (poweredTravel, poweredJoint) = Worst(_tripTick >= 0 ? _poweredTravel : null);
        var (unpoweredTravel, unpoweredJoint) = Worst(_tripTick >= 0 && _powerOffTick >= 0 ? _unpoweredTravel : null);
        var contact = ContactFigures(firstInjectionTick, ms);
        string? escalation = null;
        if (trip is { } te)
        {
            foreach (var e in events)
            {
                if (e.Id <= te.Id || e.Reaction != StopCategory.Cat0 || e.Trigger == FaultCode.None) continue;
                escalation = $"{Describe(e)} → Cat 0 at {(e.Tick * _periodS).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} s";
                break;
            }
        }

        var maxima = new List<ChannelMaximum>(_layout.Count);
        for (int c = 0; c < _layout.Count; c++)
            maxima.Add(new ChannelMaximum(_layout.Channels[c].Name, _maxRatio[c], _maxInnovation[c], _maxAt[c]));

        var facts = new RunFacts
        {
            Expect = _scenario.Expect,
            PeriodMs = ms,
            SimulatedS = _ticksSeen * _periodS,
            FirstInjectionTick = injected ? firstInjectionTick : null,
            Trip = trip,
            TripTick = tripTick,
            TripTrigger = trip is { } t1 ? TriggerName(t1.Trigger) : tripTick is null ? null : "unknown",
            TripChannel = trip is { } t2 ? ChannelName(t2.Trigger, t2.Channel) : "",
            TripCategory = trip?.Reaction ?? (tripTick is null ? null : StateCategory()),
            StopSentTick = _stopSentTick >= 0 ? _stopSentTick : null,
            StopDeliveredTick = _stopDeliveredTick >= 0 ? _stopDeliveredTick : null,
            StopMismatch = _stopMismatchJoint >= 0 && _stopDeliveredTick < 0
                ? $"{_session.Config.Joints[_stopMismatchJoint].Name}'s slave received controlword 0x{_stopMismatchControlword:X4}, not the stop" : null,
            Warnings = warnings,
            AcceptedWarnings = acceptedWarnings,
            FirstWarning = firstWarning,
            FirstWarningTick = firstWarningTick >= 0 ? firstWarningTick : null,
            Raised = raised,
            Logged = logged,
            WorstChannel = WorstChannel(maxima),
            LogFailure = _session.SafetyLog?.Failure?.Message,
            PlantFailed = _session.Bench is { } rig && !rig.Bench.PlantHealthy,
            // Issue 13's reaction scenarios (tag "reaction") are judged on the collision numbers; every obstacle run reports them.
            Collision = _plant is not null && _scenario.Injections.Count > 0 && _scenario.Injections[0].Kind == InjectionKind.CollisionObstacle
                && _scenario.Tags.Contains(ReactionTag, StringComparer.OrdinalIgnoreCase),
            Cat0Escalation = escalation,
            StopDistanceRad = stopDist,
            StopDistanceJoint = stopJoint,
            Contact = contact,
            // Every collision run (obstacle or wrench first, on the bench) reports issue 13's numbers, tag or not.
            CollisionRun = _session.Bench is not null && _scenario.Injections.Count > 0
                && _scenario.Injections[0].Kind is InjectionKind.CollisionObstacle or InjectionKind.CollisionWrench,
        };
        var (verdict, reason) = ScenarioVerdicts.Judge(facts);

        // Isolation against the injected truth: scored for a trip at or after the first injection.
        var truth = _scenario.Injections.Count > 0 ? IsolationScore.Truth(_scenario.Injections[0], _session.Config) : null;
        (string Class, string Location)? atTrip = trip is { } t3 && t3.Diagnosis.Class != FaultClass.Unknown
            ? IsolationScore.Isolated(t3.Diagnosis, _session.Config) : null;
        // A twin trip is named by the twin's refined cause once its window closed; other triggers by their own event.
        bool refined = trip is { } t5 && t5.Trigger == FaultCode.TwinDivergence && _refined.Class != FaultClass.Unknown;
        var isolated = refined ? IsolationScore.Isolated(_refined, _session.Config) : atTrip;
        bool scored = truth is not null && injected && tripTick is long t4 && t4 >= firstInjectionTick;
        bool? classRight = scored ? isolated?.Class == truth!.Value.Class : null;
        bool? locationRight = scored ? isolated is { } iso && IsolationScore.SameLocation(iso.Location, truth!.Value.Location, _scenario.Injections[0]) : null;
        var touch = Touch();

        return new ScenarioResult
        {
            Name = _scenario.Name,
            SourcePath = _scenario.SourcePath,
            Seed = _scenario.Seed,
            Expect = _scenario.Expect,
            Verdict = verdict,
            Reason = reason,
            Mode = mode,
            SimulatedS = facts.SimulatedS,
            WallS = wallS,
            Ticks = _ticksSeen,
            Injections = applied,
            Timeline = timeline,
            TripTick = tripTick,
            TripTrigger = facts.TripTrigger,
            TripCategory = facts.TripCategory,
            DetectionLatencyMs = detection,
            StopCommandLatencyMs = stopCmd,
            StopTimeMs = stopTime,
            StopDistanceRad = stopDist,
            StopDistanceJoint = stopJoint,
            PoweredTravelRad = poweredTravel,
            PoweredTravelJoint = poweredJoint,
            UnpoweredTravelRad = unpoweredTravel,
            UnpoweredTravelJoint = unpoweredJoint,
            PowerOffMs = _powerOffTick >= 0 && _tripTick >= 0 ? (_powerOffTick - _tripTick) * ms : null,
            StandstillTimeMs = _restTick >= 0 && _tripTick >= 0 ? (_restTick - _tripTick) * ms : null,
            Cat0Escalation = escalation,
            Contact = contact,
            CollisionNumbers = facts.CollisionRun ? ScenarioVerdicts.CollisionNumbersOf(facts) : null,
            FalseTrips = falseTrips,
            Warnings = warnings,
            SafetyEventsRaised = raised,
            SafetyEventsLogged = logged,
            MaxDivergence = maxima,
            Series = BuildSeries(),
            Drawn = drawn,
            IsolatedClass = isolated?.Class,
            IsolatedLocation = isolated?.Location,
            TripIsolatedClass = refined ? atTrip?.Class : null,
            TripIsolatedLocation = refined ? atTrip?.Location : null,
            TruthClass = truth?.Class,
            TruthLocation = truth?.Location,
            ClassRight = classRight,
            LocationRight = locationRight,
            Touch = touch,
            TouchedLinkRight = IsolationScore.NamedTouchedLink(classRight, locationRight,
                _scenario.Injections.Count > 0 ? _scenario.Injections[0].Kind : null, isolated?.Location, touch?.Touched),
        };
    }

    private (double? Rad, string? Joint) Worst(double[]? travel)
    {
        if (travel is null || _joints == 0) return (null, null);
        int worst = 0;
        for (int j = 1; j < _joints; j++) if (travel[j] > travel[worst]) worst = j;
        return (travel[worst], _session.Config.Joints[worst].Name);
    }

    /// <summary>The evidence window's means per joint (null when no tick was summed).</summary>
    private IReadOnlyList<JointWindowTorque>? WindowTorques()
    {
        if (_windowTicks == 0) return null;
        var list = new List<JointWindowTorque>(_joints);
        for (int j = 0; j < _joints; j++)
            list.Add(new JointWindowTorque(_session.Config.Joints[j].Name, _residualSum[j] / _windowTicks, _boxTauSum[j] / _windowTicks,
                _boxSeenSum[j] / _windowTicks, _windowEndQ[j]));
        return list;
    }

    /// <summary>Which links the box touched over the watched window (every link with a force, by peak; the touched set; the first); null without an obstacle.</summary>
    private ObstacleTouch? Touch()
    {
        if (_plant is null) return null;
        var links = new List<LinkContact>();
        int first = -1;
        for (int i = 0; i < _linkPeakN.Length; i++)
        {
            if (!(_linkPeakN[i] > 0) || _plant.LinkName(i) is not { } name) continue;
            links.Add(new LinkContact(name, _linkPeakN[i], _linkFirstTick[i] >= 0 ? _linkFirstTick[i] : null));
            // The earliest first contact; in one tick, the harder one.
            if (_linkFirstTick[i] >= 0 && (first < 0 || _linkFirstTick[i] < _linkFirstTick[first]
                || (_linkFirstTick[i] == _linkFirstTick[first] && _linkFirstN[i] > _linkFirstN[first])))
                first = i;
        }
        links.Sort((a, b) => b.PeakN.CompareTo(a.PeakN));
        return new ObstacleTouch
        {
            FromTick = _touchFirstTick >= 0 ? _touchFirstTick : null,
            ToTick = _touchLastTick >= 0 ? _touchLastTick : null,
            Links = links,
            Touched = IsolationScore.TouchedLinks(links),
            FirstTouched = first >= 0 ? _plant.LinkName(first) : null,
            Incomplete = _touchIncomplete,
            Window = WindowTorques(),
        };
    }

    /// <summary>
    /// The obstacle's contact force around the stop (docs/HIL.md, "Collision reaction"): at the command = the last
    /// sample before the stop frame acts (the trip tick, after its plant period); the window = the
    /// <see cref="ContactWindowMs"/> of plant time with the stop acting; its end = the mean over the window's last
    /// <see cref="ContactWindowEndMs"/>. Null without an obstacle.
    /// </summary>
    private ContactForceFigures? ContactFigures(long firstInjectionTick, double ms)
    {
        if (_plant is null) return null;
        int n = (int)Math.Min(_contactForce.Length, _lastTick + 1);
        long first = -1;
        double peakRun = 0;
        for (int t = (int)Math.Max(0, Math.Min(firstInjectionTick, n)); t < n; t++)
        {
            if (first < 0 && _contactForce[t] > ContactReleasedN) first = t;
            peakRun = Math.Max(peakRun, _contactForce[t]);
        }
        if (_stopSentTick < 1 || _stopSentTick > n)
            return new ContactForceFigures { FirstContactTick = first >= 0 ? first : null, PeakN = peakRun, Trend = first >= 0 ? "no stop" : "no contact" };
        long cmd = _stopSentTick - 1;
        int window = Math.Max(1, (int)Math.Round(ContactWindowMs / ms));
        int endWindow = Math.Clamp((int)Math.Round(ContactWindowEndMs / ms), 1, window);
        long last = Math.Min(n - 1, cmd + window);
        double atStop = _contactForce[cmd], peak = 0, end = 0;
        int endCount = 0;
        for (long t = cmd + 1; t <= last; t++)
        {
            peak = Math.Max(peak, _contactForce[t]);
            if (t > last - endWindow) { end += _contactForce[t]; endCount++; }
        }
        end = endCount > 0 ? end / endCount : atStop;
        bool complete = last - cmd >= window;
        string trend = first < 0 && peak <= ContactReleasedN ? "no contact"
            : !complete ? "window cut short"
            : end <= ContactReleasedN ? "released"
            : end <= atStop ? "falling" : "rising";
        return new ContactForceFigures
        {
            FirstContactTick = first >= 0 ? first : null,
            ContactToStopMs = first >= 0 ? (_stopSentTick - first) * ms : null,
            AtStopN = atStop,
            PeakAfterStopN = peak,
            EndOfWindowN = end,
            PeakN = peakRun,
            At100msN = After(100),
            At300msN = After(300),
            Trend = trend,
        };
        double? After(double afterMs)
        {
            long t = cmd + (long)Math.Round(afterMs / ms);
            return t < n ? _contactForce[t] : null;
        }
    }

    private string CauseText(FaultDiagnosis d)
    {
        if (d.Class == FaultClass.Unknown) return "";
        var (cls, location) = IsolationScore.Isolated(d, _session.Config);
        string test = d.Test switch { DetectionTest.Cusum => "cusum", DetectionTest.Gate => "gate", DetectionTest.MeanShift => "mean shift", DetectionTest.Limit => "limit", DetectionTest.Report => "reported", DetectionTest.StuckEncoder => "stuck encoder", DetectionTest.HeldLegStep => "held-leg step", _ => "" };
        return location.Length == 0 ? $"{cls} ({test})" : $"{cls} at {location} ({test})";
    }

    private StopCategory StateCategory() => _lastState switch
    {
        SafetyState.Faulted => StopCategory.Cat0,
        SafetyState.Holding => StopCategory.Cat2,
        _ => StopCategory.Cat1,
    };

    private ScenarioSeries BuildSeries()
    {
        int n = _samples;
        var time = new double[n];
        for (int i = 0; i < n; i++) time[i] = Math.Min((i + 1) * (long)_decimation, _lastTick + 1) * _periodS;
        var ratios = new Dictionary<string, double[]>(GroupNames.Length);
        for (int g = 0; g < GroupNames.Length; g++)
        {
            // Groups the robot does not have (no IMU, say) are left out rather than plotted flat.
            if (g < CollisionGroup && !_groupOf.Contains(g)) continue;
            ratios[GroupNames[g]] = _series[g][..n];
        }
        return new ScenarioSeries { DecimationTicks = _decimation, TimeS = time, Ratios = ratios, States = _seriesState[..n] };
    }

    private static (string Channel, double Ratio)? WorstChannel(List<ChannelMaximum> maxima)
    {
        ChannelMaximum? worst = null;
        foreach (var m in maxima) if (worst is null || m.MaxRatio > worst.MaxRatio) worst = m;
        return worst is null || worst.MaxRatio <= 0 ? null : (worst.Channel, worst.MaxRatio);
    }

    /// <summary>A stop decision: a stop reaction taking the supervisor out of a state that was not already stopping.</summary>
    public static bool IsTripEvent(SafetyEvent e) =>
        e.Trigger != FaultCode.None
        && e.Reaction is StopCategory.Cat0 or StopCategory.Cat1 or StopCategory.Cat2
        && e.From is SafetyState.Disabled or SafetyState.Enabling or SafetyState.Operational or SafetyState.Resetting;

    internal static bool Accepted(IReadOnlyList<string> accepted, string trigger)
    {
        if (accepted.Count == 0) return true;
        foreach (var a in accepted) if (string.Equals(a, trigger, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>The config name of the trigger a fault code feeds (e.g. "collision"), or the code itself.</summary>
    public static string TriggerName(FaultCode code) =>
        SafetyTriggers.TryMap(code, out var t) ? SafetyTriggers.Names[(int)t]
        : code == FaultCode.StopMonitor ? SafetyTriggers.StopMonitorName
        : code == FaultCode.HoldBrakeClosed ? SafetyTriggers.HoldBrakeClosedName
        : code == FaultCode.None ? "" : code.ToString();

    private string Describe(SafetyEvent e)
    {
        string ch = ChannelName(e.Trigger, e.Channel);
        return ch.Length == 0 ? TriggerName(e.Trigger) : $"{TriggerName(e.Trigger)} ({ch})";
    }

    /// <summary>What an event's channel number means for its trigger: a twin channel, a joint, an IMU or a slave.</summary>
    public string ChannelName(FaultCode code, short channel)
    {
        var cfg = _session.Config;
        if (code is FaultCode.StopMonitor or FaultCode.HoldBrakeClosed && channel >= 0) return channel < cfg.Joints.Count ? cfg.Joints[channel].Name : $"joint {channel}";
        if (channel < 0 || !SafetyTriggers.TryMap(code, out var t)) return "";
        switch (t)
        {
            case SafetyTrigger.TwinDivergence:
                return channel < _layout.Count ? _layout.Channels[channel].Name : $"channel {channel}";
            case SafetyTrigger.Collision or SafetyTrigger.PositionLimit or SafetyTrigger.VelocityLimit or SafetyTrigger.TorqueLimit
                or SafetyTrigger.FollowingError or SafetyTrigger.DriveFault:
                return channel < cfg.Joints.Count ? cfg.Joints[channel].Name : $"joint {channel}";
            case SafetyTrigger.ImuFault:
                return channel < cfg.Imus.Count ? cfg.Imus[channel].Name : $"IMU {channel}";
            case SafetyTrigger.BusSlaveLeftOp:
                foreach (var j in cfg.Joints) if (j.Drive == channel) return $"slave {channel} ({j.Name})";
                foreach (var i in cfg.Imus) if (i.Device == channel) return $"slave {channel} ({i.Name})";
                return $"slave {channel}";
            default:
                return "";
        }
    }
}
