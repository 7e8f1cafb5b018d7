using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Twin.Adaptation;
using Rt.Twin.CrossCheck;
using Rt.Twin.Dynamics;
using Rt.Twin.Isolation;
using Rt.Twin.Models;

namespace Rt.Twin;

/// <summary>
/// The in-the-loop digital twin (the pipeline's <see cref="ITwinStage"/>). Every tick k:
/// <list type="number">
/// <item>compare: the prediction made at tick k−1 for tick k against this tick's measurement → innovations
/// (measured − predicted, before any correction) per channel;</item>
/// <item>correct: x_c = x̂ + L(y − x̂) per joint (L = 1 by default: the next prediction starts from the measurement, so
/// model error cannot accumulate); IMU biases take one slow step;</item>
/// <item>momentum observer at the corrected state → external torque estimate r into the record; the external-torque
/// channel's innovation is r whitened (see <see cref="ExternalTorqueComponent"/>; nominally 0);</item>
/// <item>cross-check (<see cref="CrossCheckEvaluator"/>) fills the divergence record;</item>
/// <item>predict tick k+1: servo model from the corrected state and the command the drives apply over [k, k+1]
/// (the part of the drives' sawtooth torque that end-of-tick samples miss, J·deficit, is handed to the observer)
/// (at twin time that is <see cref="TickState.TargetPosition"/> — the controller of tick k−1 wrote it and runs after
/// the twin), then the torque τ̂ = RNEA(q̂, q̂̇, q̂̈) + τ_f(q̂̇) and the IMUs at the predicted state.</item>
/// </list>
/// Non-finite measurements: a <see cref="FaultCode.SensorNonFinite"/> fault with the channel index as source, the
/// channel's innovation is reported as 0, the twin state is not corrected from it (the prediction stands in, as a
/// Kalman filter treats a missing measurement), so NaN never enters the twin state.
/// <para>Joint order: TickState arrays and the channel layout are in the config's joint order; the dynamics run in the
/// model's order through a fixed permutation.</para>
/// Construction is not real-time safe; <see cref="Step"/> and <see cref="Reset"/> are real-time safe (no allocation).
/// </summary>
public sealed class DigitalTwin : ITwinStage
{
    private readonly int _n, _nImu;
    private readonly bool _enabled;
    private readonly int[] _map;                    // config joint index → model index
    private readonly RigidBodyModel _model;
    private readonly ServoModel _servo;
    private readonly ImuModel _imu;
    private readonly MomentumObserver _observer;
    private readonly CrossCheckEvaluator _crossCheck;
    private readonly FaultIsolator _isolator;
    private readonly ImuKinematicCheck _imuKinematics; // the IMUs against the encoders' kinematics (issue 13 item 4)
    private readonly ContactTest _contact;             // the contact matched filter over each chain's residual (issue 13)
    private readonly bool _contactOn;                  // options.ContactTest: evaluated only when asked for (advisory, unread)
    private readonly HeldLegStepTest? _heldLeg;        // a push on a standing leg: its held joints' position step (issue 13)
    private readonly bool[] _heldNow;                  // per joint, this tick: held (for _heldLeg)
    private readonly double[] _heldTarget, _heldTargetTol; // per joint: last tick's target, half an encoder count (rad)
    private readonly HeldSlipCheck _slip;              // torque loss at a standing joint (issue 13)
    private readonly double[] _slipMass;               // model order, n×n: M(q) for the slip test
    private readonly EncoderStuckCheck? _encoderStuck; // off unless options.EncoderStuckCheck; a frozen encoder at standstill: its flicker stops (issue 13)
    private readonly double[] _qMeasured;              // config order: this tick's encoder positions
    private readonly bool[] _imuBad;                   // per IMU: this tick's sample is not usable
    private readonly double _lp, _lv, _kd;
    private readonly bool _torqueTickMean, _imuTickMean;
    private readonly bool _requireOperational;
    private readonly int _warmupTicks;
    private readonly bool _whitenExternal;
    private readonly bool _sawtoothFull;
    private readonly bool _heldPosition;             // options.HeldPosition: held joints' position = where they are + creep
    private readonly double _observerPole;
    private readonly PayloadAdaptation? _adapt;  // twin.adapt: null when off
    private readonly FrictionAdaptation? _frictionAdapt; // twin.adapt.friction: null when off

    private readonly JointChannels[] _jointCh;      // per joint: its channels and innovation offsets
    private readonly ImuChannels[] _imuCh;          // per IMU
    private readonly double[] _components;          // innovations in channel-layout order
    private readonly JointMeasurement[] _y;         // per joint (config order)
    private readonly ImuMeasurements _yImu;
    private readonly JointGate[] _gate;             // per joint: scored or not, and why
    private bool _imuExcluded;
    private readonly JointEstimate _est;            // config order
    private readonly ImuPrediction _imuPred;
    private readonly ModelScratch _m;               // model order

    private bool _hasPrediction;
    private bool _restartAfterGap;
    private readonly int _catchUpTicks;
    private int _catchUpLeft;

    /// <summary>Builds the twin from the config (joints, IMUs, loop rate, twin section) and the robot description. Not real-time safe.</summary>
    public DigitalTwin(RtConfig config, ChannelLayout layout, DigitalTwinOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layout);
        options ??= new DigitalTwinOptions();
        var description = options.Description ?? config.Description
            ?? throw new ArgumentException("the config has no robot description loaded (RtConfig.Description)", nameof(config));
        _n = config.Joints.Count;
        _nImu = config.Imus.Count;
        if (layout.JointCount != _n || layout.ImuCount != _nImu)
            throw new ArgumentException($"channel layout has {layout.JointCount} joints and {layout.ImuCount} IMUs, the config {_n} and {_nImu}", nameof(layout));
        for (int j = 0; j < _n; j++)
            if (layout.JointNames[j] != config.Joints[j].Name)
                throw new ArgumentException($"channel layout joint {j} is '{layout.JointNames[j]}', the config's is '{config.Joints[j].Name}'", nameof(layout));
        Layout = layout;
        _enabled = config.Twin.Enabled;
        double rate = config.Loop.RateHz;
        if (!(rate > 0) || !double.IsFinite(rate)) throw new ArgumentException($"loop.rate_hz is {rate}; expected > 0", nameof(config));
        PeriodS = 1.0 / rate;

        _model = RigidBodyModel.FromDescription(description);
        if (options.InertialParameters is { } pi)
        {
            if (pi.Count != _model.ParameterCount)
                throw new ArgumentException($"inertial parameters have {pi.Count} values, robot '{_model.RobotName}' needs {_model.ParameterCount} (10 per body)", nameof(options));
            var arr = new double[pi.Count];
            for (int i = 0; i < arr.Length; i++)
            {
                if (!double.IsFinite(pi[i])) throw new ArgumentException($"inertial parameter {_model.ParameterNames[i]} is {pi[i]}; expected a finite number", nameof(options));
                arr[i] = pi[i];
            }
            _model.SetInertialParameters(arr);
        }
        var names = new string[_n];
        for (int j = 0; j < _n; j++) names[j] = config.Joints[j].Name;
        _map = _model.MapJointNames(names);
        if (_model.DegreesOfFreedom != _n)
        {
            // Joints the config does not drive would be frozen at 0 in the model; refuse rather than mispredict.
            throw new ArgumentException($"robot '{_model.RobotName}' has {_model.DegreesOfFreedom} movable joints, the config drives {_n}; the twin needs every movable joint", nameof(config));
        }

        IReadOnlyList<ServoParameters> servo = options.Servo ?? NominalServo(config, description);
        if (servo.Count != _n) throw new ArgumentException($"{servo.Count} servo parameter sets for {_n} joints", nameof(options));
        _servo = new ServoModel(servo, PeriodS);
        _imu = new ImuModel(_model, config.Imus, options.ImuBiasGain, config.SourcePath);
        _observer = new MomentumObserver(_n, config.Twin.ObserverGain, PeriodS);
        var noise = options.Noise ?? NoiseModel.Nominal(layout, config);
        _crossCheck = new CrossCheckEvaluator(layout, noise, config.Twin, TimeSpan.FromSeconds(PeriodS), options.CrossCheck);
        if (options.PositionCorrectionGain is < 0 or > 1 || options.VelocityCorrectionGain is < 0 or > 1)
            throw new ArgumentException("correction gains must lie in [0, 1]", nameof(options));
        _lp = options.PositionCorrectionGain;
        _lv = options.VelocityCorrectionGain;
        if (options.DisturbanceGain is < 0 or > 1 || double.IsNaN(options.DisturbanceGain))
            throw new ArgumentException("the disturbance gain must lie in [0, 1]", nameof(options));
        _kd = options.DisturbanceGain;
        _requireOperational = options.RequireDrivesOperational;
        _warmupTicks = Math.Max(1, options.WarmupTicks);
        if (options.CatchUpTicks < 0) throw new ArgumentException("the catch-up after a bus gap must be ≥ 0 ticks", nameof(options));
        _catchUpTicks = options.CatchUpTicks;
        _whitenExternal = options.ExternalTorqueComponent == ExternalTorqueComponent.Whitened;
        _sawtoothFull = options.SawtoothInertia == SawtoothInertia.Full;
        _heldPosition = options.HeldPosition;
        _torqueTickMean = options.TorqueFeedback == TorqueFeedback.TickMean;
        _imuTickMean = options.ImuSampling == ImuSampling.TickMean;
        _observerPole = Math.Exp(-config.Twin.ObserverGain * PeriodS);

        _adapt = config.Twin.Adapt.Enabled ? new PayloadAdaptation(_model, _map, config.Twin.Adapt, PeriodS, _observer) : null;
        _frictionAdapt = config.Twin.Adapt.Friction ? new FrictionAdaptation(_servo, _map, names, config.Twin.Adapt, PeriodS) : null;
        _isolator = new FaultIsolator(layout, _crossCheck, noise, _model, _map, _imu, config.Joints, PeriodS, _observerPole);
        _imuKinematics = new ImuKinematicCheck(_model, _imu, _map, layout, noise, PeriodS, _crossCheck.ArlTicks);
        _isolator.Kinematics = _imuKinematics;
        _contact = new ContactTest(_model, _map, layout, noise, _crossCheck.ArlTicks, PeriodS);
        _contactOn = options.ContactTest;
        double[] countsPerRadian = EncoderCountsPerRadian(config);
        _heldLeg = options.HeldLegStepTest ? new HeldLegStepTest(_model, _map, layout, noise, countsPerRadian, _crossCheck.ArlTicks) : null;
        _heldNow = new bool[_n];
        _heldTarget = new double[_n];
        _heldTargetTol = Array.ConvertAll(countsPerRadian, c => c > 0 ? 0.5 / c : 0);
        _slip = new HeldSlipCheck(layout, noise, options.SlipTest ? options.TorqueModelRelativeError : null, _map, _servo, config.Twin.ObserverGain, PeriodS, _crossCheck.ArlTicks);
        _slipMass = new double[_n * _n];
        _qMeasured = new double[_n];
        _imuBad = new bool[_nImu];
        _jointCh = JointChannels.For(layout, _crossCheck);
        _encoderStuck = options.EncoderStuckCheck
            ? new EncoderStuckCheck(Array.ConvertAll(_jointCh, c => c.Position.Channel), countsPerRadian, _crossCheck.ArlTicks)
            : null;
        _imuKinematics.Stuck = _encoderStuck;
        _imuCh = ImuChannels.For(layout, _crossCheck);
        _components = new double[_crossCheck.ComponentCount];
        _y = new JointMeasurement[_n];
        _yImu = new ImuMeasurements(_nImu);
        _est = new JointEstimate(_n);
        _imuPred = new ImuPrediction(_nImu);
        _m = new ModelScratch(_n);
        _gate = new JointGate[_n];
        if (options.StictionBandRadS < 0 || !double.IsFinite(options.StictionBandRadS))
            throw new ArgumentException("the stiction band must be finite and ≥ 0 rad/s", nameof(options));
        if (options.StictionTorqueMargin < 0 || !double.IsFinite(options.StictionTorqueMargin))
            throw new ArgumentException("the stiction torque margin must be finite and ≥ 0", nameof(options));
        for (int j = 0; j < _n; j++)
        {
            _gate[j].StictionBand = servo[j].CoulombFrictionNm > 0 ? Math.Min(options.StictionBandRadS, servo[j].FrictionSmoothingRadS) : 0;
            _gate[j].StictionTorque = options.StictionTorqueMargin * servo[j].CoulombFrictionNm;
        }
        Reset();
    }

    public ChannelLayout Layout { get; }
    public double PeriodS { get; }

    /// <summary>The rigid-body model (model joint order; shares its workspace with the twin: do not call it concurrently with <see cref="Step"/>).</summary>
    public RigidBodyModel Model => _model;

    public ServoModel Servo => _servo;
    public ImuModel Imu => _imu;
    public MomentumObserver Observer => _observer;
    public CrossCheckEvaluator CrossCheck => _crossCheck;

    /// <summary>The contact matched filter: this tick's best point-force fit per link (for isolation) and its alarm.</summary>
    public ContactTest Contact => _contact;

    /// <summary>The held-leg step test (a push on a standing leg), null when off (<see cref="DigitalTwinOptions.HeldLegStepTest"/>).</summary>
    public HeldLegStepTest? HeldLeg => _heldLeg;

    /// <summary>The slip test (torque loss at a standing joint): its last tick's evidence and threshold per joint.</summary>
    public HeldSlipCheck Slip => _slip;

    /// <summary>The payload adaptation (twin.adapt), or null when it is off.</summary>
    public PayloadAdaptation? Adaptation => _adapt;

    /// <summary>The friction adaptation (twin.adapt.friction), or null when it is off.</summary>
    public FrictionAdaptation? FrictionAdaptation => _frictionAdapt;

    /// <summary>Config index → model index of every joint.</summary>
    public ReadOnlySpan<int> JointMap => _map;

    /// <summary>What the twin predicts for the NEXT tick (config order): position, velocity, acceleration, torque.</summary>
    public ReadOnlySpan<double> PredictedPosition => _est.PredQ;
    public ReadOnlySpan<double> PredictedVelocity => _est.PredQd;
    public ReadOnlySpan<double> PredictedAcceleration => _est.PredQdd;
    public ReadOnlySpan<double> PredictedTorque => _est.PredTau;

    /// <summary>Predicted IMU readings for the next tick (with bias), 3 per IMU, sensor frame.</summary>
    public ReadOnlySpan<double> PredictedAngularRate => _imuPred.Rate;
    public ReadOnlySpan<double> PredictedSpecificForce => _imuPred.Force;

    /// <summary>The innovation components of the last tick in channel-layout order (1 per joint channel, 3 per IMU channel).</summary>
    public ReadOnlySpan<double> Components => _components;

    /// <summary>Restarts after a bus gap (ticks without fresh inputs) since construction.</summary>
    public long GapRestarts { get; private set; }

    /// <summary>Corrected joint state after the last tick (config order).</summary>
    public ReadOnlySpan<double> CorrectedPosition => _est.Q;
    public ReadOnlySpan<double> CorrectedVelocity => _est.Qd;

    /// <summary>Forget predictions, observer and detector state (e.g. after a safety reset). Real-time safe.</summary>
    public void Reset()
    {
        _hasPrediction = false;
        _restartAfterGap = false;
        _catchUpLeft = 0;
        _servo.Reset();
        _observer.Reset();
        _crossCheck.Reset();
        _isolator.Reset();
        _imuKinematics.Reset();
        _contact.Reset();
        _heldLeg?.Reset();
        _slip.Reset();
        _encoderStuck?.Reset();
        for (int j = 0; j < _n; j++) _gate[j].Warmup = _warmupTicks;
        Array.Clear(_components);
        Array.Clear(_est.Residual);
    }

    /// <summary>One tick: compare, correct, observe, cross-check, predict. Real-time safe.</summary>
    public void Step(TickState state)
    {
        var record = state.Divergence;
        record.Tick = state.Tick;
        record.TimeNs = state.TimeNs;
        if (!_enabled)
        {
            record.Valid = false;
            return;
        }
        if (!state.InputsFresh)
        {
            // The bus brought nothing new: the image holds last tick's inputs. Comparing them with a prediction for
            // this tick would report the lost frame as a divergence (the bus triggers own that). Skip the tick and
            // restart from the next fresh measurement; the load estimates, biases and detector statistics carry over.
            record.Valid = false;
            _restartAfterGap = true;
            return;
        }
        if (_restartAfterGap)
        {
            // The drives held the last target they received while the frames were lost, slowed down, and now catch
            // up with a target that jumped by the gap's worth of motion: a step that the two-state servo model (no
            // velocity filter, velocity integral or feedback latency) mispredicts by 50–100σ for a few ticks (a single
            // lost frame in the march's fastest knee swing: 0.55 rad/s, 54 N·m). Within the frame-loss budget that is
            // the bus's business (bus_frame_loss owns longer gaps), so the servo-driven channels warm up again, as after
            // a start: every joint (and with them the IMUs) is excluded for WarmupTicks while the load estimate follows.
            _restartAfterGap = false;
            _hasPrediction = false;
            _observer.Reset();
            _isolator.Reset();
            _contact.Reset();
            _heldLeg?.Reset();
            _slip.Reset();
            Array.Clear(_est.Residual);
            for (int j = 0; j < _n; j++) _gate[j].Warmup = Math.Max(_gate[j].Warmup, _catchUpTicks);
            _catchUpLeft = _catchUpTicks;
            GapRestarts++;
        }
        ReadMeasurements(state);
        UpdateExclusions(state);
        var est = _est;
        var m = _m;
        var yImu = _yImu;
        var imuPred = _imuPred;

        // (a) innovations: measured − predicted for this tick (before correction).
        bool compare = _hasPrediction;
        for (int j = 0; j < _n; j++)
        {
            ref readonly var y = ref _y[j];
            ref readonly var ch = ref _jointCh[j];
            _components[ch.Position.Offset] = compare && !y.BadQ ? y.Q - est.PredQ[j] : 0;
            _components[ch.Velocity.Offset] = compare && !y.BadQd ? y.Qd - est.PredQd[j] : 0;
            double torqueInnovation = compare && !y.BadTau ? y.Tau - est.PredTau[j] : 0;
            // In the stiction band the holding friction is anywhere in [−F_c, F_c]: only the part of the innovation
            // that no holding friction explains is evidence (a dead zone of StictionTorqueMargin·F_c). A drive that
            // loses its torque while the joint stands still shows at once: its current rises, the joint barely moves.
            // Held by static friction (stick-slip): a measured torque within the holding friction of the held prediction
            // is explained; otherwise the full model's innovation counts (break-away, or a drive losing its torque).
            if (_gate[j].Stuck)
                torqueInnovation = _gate[j].Held && compare && !y.BadTau && Math.Abs(y.Tau - est.PredTauHeld[j]) <= _gate[j].StictionTorque
                    ? 0 : DeadZone(torqueInnovation, _gate[j].StictionTorque);
            _components[ch.Torque.Offset] = torqueInnovation;
        }
        for (int i = 0; i < _nImu; i++)
            for (int a = 0; a < 3; a++)
            {
                int k = 3 * i + a;
                _components[_imuCh[i].Rate.Offset + a] = compare && !yImu.BadRate[i] ? yImu.Rate[k] - imuPred.Rate[k] : 0;
                _components[_imuCh[i].Force.Offset + a] = compare && !yImu.BadForce[i] ? yImu.Force[k] - imuPred.Force[k] : 0;
            }

        // (b) correction.
        for (int j = 0; j < _n; j++)
        {
            ref readonly var y = ref _y[j];
            if (compare)
            {
                est.Q[j] = y.BadQ ? est.PredQ[j] : est.PredQ[j] + _lp * (y.Q - est.PredQ[j]);
                est.Qd[j] = y.BadQd ? est.PredQd[j] : est.PredQd[j] + _lv * (y.Qd - est.PredQd[j]);
                // The load estimate converges during the warm-up too (that is what the warm-up is for); only a drive that
                // is off (no closed loop to describe) leaves it alone.
                if (!y.BadQd && _gate[j].DriveOn) _servo.CorrectDisturbance(j, y.Qd - est.PredQd[j], _kd);
            }
            else
            {
                est.Q[j] = y.Q;
                est.Qd[j] = y.Qd;
            }
        }
        if (_heldPosition) _servo.TrackCreep(est.Q, compare);
        if (compare)
            for (int i = 0; i < _nImu; i++)
                _imu.UpdateBias(
                    i,
                    yImu.BadRate[i] ? NaN3 : yImu.Rate.AsSpan(3 * i, 3),
                    yImu.BadForce[i] ? NaN3 : yImu.Force.AsSpan(3 * i, 3),
                    imuPred.ModelRate, imuPred.ModelForce);

        // (c) momentum observer at the corrected state with the measured motor torque.
        for (int j = 0; j < _n; j++)
        {
            int mj = _map[j];
            m.Q[mj] = est.Q[j];
            m.Qd[mj] = est.Qd[j];
            est.Friction[j] = _servo.FrictionTorque(j, est.Qd[j]);
            m.Friction[mj] = est.Friction[j];
            // A bad torque sample is replaced by the prediction (or the last good one before the first prediction).
            m.MeasuredTau[mj] = _y[j].BadTau && compare ? est.PredTau[j] : _y[j].Tau;
        }
        _model.ObserverTerms(m.Q, m.Qd, [], m.Momentum, m.CoriolisT, m.Gravity);
        if (_catchUpLeft > 0)
        {
            // The catch-up after a bus gap: the tick-mean torque and the drives' filtered velocity do not describe the
            // step (a 3-frame gap in the march read as a collision on a hip pitch): the observer starts from the
            // state the drives settled in, so a collision trip waits for the catch-up too (CatchUpTicks).
            _observer.Reset();
            _catchUpLeft--;
        }
        _observer.Update(m.Momentum, m.MeasuredTau, m.Friction, m.CoriolisT, m.Gravity, m.Residual);
        for (int j = 0; j < _n; j++)
        {
            double r = m.Residual[_map[j]];
            // Whitened: the observer's per-tick input (see ExternalTorqueComponent); r_(k−1) is 0 at the first tick.
            _components[_jointCh[j].External.Offset] = _whitenExternal ? (r - _observerPole * est.Residual[j]) / (1 - _observerPole) : r;
            est.Residual[j] = r;
            record.ExternalTorque[j] = r;
        }

        // (d) cross-check (nothing to compare on the first tick after a start or a gap: the detectors wait).
        if (compare) _crossCheck.Evaluate(_components, record, state.Faults, state.Tick);
        if (compare) EvaluateSlip(record, m);
        for (int j = 0; j < _n; j++) _qMeasured[j] = _y[j].BadQ ? est.Q[j] : _y[j].Q;
        for (int i = 0; i < _nImu; i++) _imuBad[i] = yImu.BadRate[i] || yImu.BadForce[i];
        // Its integrals are exact for tick-mean IMU samples (the drives' and the bench's); instantaneous ones are not checked.
        if (_imuTickMean) _imuKinematics.Evaluate(state.Tick, _qMeasured, yImu.Rate, yImu.Force, _imuBad, compare && !_imuExcluded, record, _crossCheck);
        // The contact matched filter on m.Q (model order, the corrected state), after the per-channel tests.
        if (_contactOn) _contact.Evaluate(m.Q, _components, _crossCheck, compare, compare ? record : null);
        if (_heldLeg is not null)
        {
            // Held, and its command exactly still (a sweep's slow turn counts as "settled" for the servo model, but the
            // joint still moves then: not a standing leg).
            for (int j = 0; j < _n; j++)
            {
                double target = state.TargetPosition[j];
                _heldNow[j] = _gate[j].Held && _gate[j].Stuck && !_y[j].BadQ && Math.Abs(target - _heldTarget[j]) <= _heldTargetTol[j];
                _heldTarget[j] = target;
            }
            _heldLeg.Evaluate(_components, _heldNow, _crossCheck, compare, compare ? record : null);
        }
        for (int j = 0; j < _n && _encoderStuck is not null; j++)
            _encoderStuck.Observe(j, _y[j].Q, _y[j].Qd, compare && !_y[j].BadQ && !_y[j].BadQd && !_crossCheck.IsExcluded(_jointCh[j].Position.Channel), _servo.CommandSettled(j));
        _encoderStuck?.Raise(record, _crossCheck, compare);
        record.Valid = compare;
        // Adaptation (twin.adapt) after the detectors have seen this tick, so a rising detector freezes it at once.
        if (_adapt is not null || _frictionAdapt is not null)
        {
            // Its evidence is the momentum observer's external torque with its sign turned (a payload's weight is an
            // external torque −φ·Δm), in model order; m.Tau is free until the prediction below. Not the torque
            // innovation: the servo model's prediction absorbs most of a slow load into its own tracking error.
            for (int j = 0; j < _n; j++) m.Tau[j] = -m.Residual[j];
            _adapt?.Update(est.PredQ, est.PredQd, est.PredQdd, m.Q, m.Qd, m.Tau, record, compare && !_imuExcluded, state.Tick);
            _frictionAdapt?.Update(m.Tau, est.Qd, record, compare && !_imuExcluded, state.Tick);
        }
        // Isolation (issue 13): only when something diverges; m.Q still holds the corrected state here.
        record.ChainsDiverging = compare ? _isolator.ChainsDiverging(record) : 0;
        if (compare)
        {
            _isolator.Observe(_components);
            // A stopped flicker names the encoder itself; the isolator's evidence window still runs on it.
            if (_encoderStuck?.NameSole(record) == true || _heldLeg?.NameSole(record) == true) _isolator.Refine(record, m.Q, est.Qd, state.Torque);
            else _isolator.Diagnose(record, m.Q, est.Qd, state.Torque, _components);
        }
        else
        {
            record.Diagnosis = default;
            record.EvidenceChannel = -1;
        }

        // (e) prediction for the next tick.
        _servo.Predict(est.Q, est.Qd, state.TargetPosition, state.TargetVelocity, est.PredQ, est.PredQd, est.PredQdd, est.Deficit);
        // Stick-slip (issue 13 item 5): a joint in its stiction band whose command has stood still long enough for the
        // loop to settle may be held by static friction: then it does not accelerate, whatever the servo model makes of
        // its velocity noise (the standing hip yaw of the sine sweep: predicted torque swings of ±1–3.7 N·m the drive
        // never produced). Its torque is predicted both ways (PredTauHeld below); the comparison takes the held one while
        // it explains the measured torque within the holding friction, else the full model (break-away, or a fault).
        bool anyHeld = false;
        for (int j = 0; j < _n; j++)
        {
            ref var g = ref _gate[j];
            g.Held = g.Stuck && _servo.CommandSettled(j);
            anyHeld |= g.Held;
        }
        if (!_torqueTickMean)
        {
            // The drives' torque is a sawtooth (steps when the new command lands, drifts within the tick); the observer's
            // trapezoid over end-of-tick samples misses J·deficit of its integral: hand the missing part over as a shift of
            // the interval's starting torque (adding X to β_start adds ½X·dt to the integral, hence the 2/dt).
            double scale = 2 / PeriodS;
            for (int j = 0; j < _n; j++) m.Qdd[_map[j]] = est.Deficit[j] * scale;
            if (_sawtoothFull)
            {
                _model.MassTimes(m.Q, m.Qdd, m.Jump);
            }
            else
            {
                _model.MassMatrixDiagonal(m.Q, m.Jump);
                for (int k = 0; k < _n; k++) m.Jump[k] *= m.Qdd[k];
            }
            _observer.AddIntervalStartTorque(m.Jump);
        }
        for (int j = 0; j < _n; j++)
        {
            int mj = _map[j];
            m.Q[mj] = est.PredQ[j];
            m.Qd[mj] = est.PredQd[j];
        }
        // A tick-mean reading belongs to the tick's mean acceleration (q̇_(k+1) − q̇_k)/dt, exact for the servo model's
        // velocity change; an instantaneous one to the model's end-of-tick acceleration.
        bool meanPass = _torqueTickMean || _imuTickMean;
        if (meanPass)
        {
            for (int j = 0; j < _n; j++) m.Qdd[_map[j]] = (est.PredQd[j] - est.Qd[j]) / PeriodS;
            _model.InverseDynamics(m.Q, m.Qd, m.Qdd, m.Tau);
            if (_imuTickMean) _imu.PredictFromModelWorkspace(imuPred.ModelRate, imuPred.ModelForce);
        }
        if (!_torqueTickMean || !_imuTickMean)
        {
            // Save the mean-acceleration torques before the end-of-tick pass overwrites them.
            if (meanPass) m.Tau.CopyTo(m.Jump, 0);
            for (int j = 0; j < _n; j++) m.Qdd[_map[j]] = est.PredQdd[j];
            _model.InverseDynamics(m.Q, m.Qd, m.Qdd, m.Tau);
            if (!_imuTickMean) _imu.PredictFromModelWorkspace(imuPred.ModelRate, imuPred.ModelForce);
            if (_torqueTickMean) m.Jump.CopyTo(m.Tau, 0);
        }
        for (int j = 0; j < _n; j++)
            est.PredTau[j] = m.Tau[_map[j]] + _servo.FrictionTorque(j, est.PredQd[j]);
        if (anyHeld)
        {
            // Held: zero acceleration and no q̇ friction. Inverse dynamics is linear in q̈, so the held torques are the
            // full ones minus M·(the held joints' predicted accelerations), with the accelerations the torque pass used.
            for (int j = 0; j < _n; j++)
                m.Qdd[_map[j]] = !_gate[j].Held ? 0 : _torqueTickMean ? (est.PredQd[j] - est.Qd[j]) / PeriodS : est.PredQdd[j];
            _model.MassTimes(m.Q, m.Qdd, m.Jump);
            for (int j = 0; j < _n; j++)
                est.PredTauHeld[j] = _gate[j].Held ? est.PredTau[j] - m.Jump[_map[j]] - _servo.FrictionTorque(j, est.PredQd[j]) : est.PredTau[j];
        }
        // Held by static friction: the joint stays where it is, plus its creep (stick-slip chatter, issue 13 item 5). Only
        // the position compared next tick: the torque and IMU passes above used the servo model's, as before.
        if (_heldPosition && anyHeld)
            for (int j = 0; j < _n; j++)
                if (_gate[j].Held) est.PredQ[j] = _servo.HeldPosition(j, est.Q[j]);
        imuPred.ModelRate.CopyTo(imuPred.Rate, 0);
        imuPred.ModelForce.CopyTo(imuPred.Force, 0);
        _imu.AddBias(imuPred.Rate, imuPred.Force);
        _hasPrediction = true;
    }

    /// <summary>
    /// The slip test (<see cref="HeldSlipCheck"/>) on every joint whose command has settled; M(q) only when one has
    /// (same corrected q as the observer pass, so the model's kinematic workspace is unchanged). Real-time safe.
    /// </summary>
    private void EvaluateSlip(DivergenceRecord record, ModelScratch m)
    {
        bool any = false;
        for (int j = 0; j < _n; j++) any |= _servo.CommandSettled(j) && _slip.Tested(j);
        if (any) _model.MassMatrix(m.Q, _slipMass);
        for (int j = 0; j < _n; j++)
        {
            ref readonly var y = ref _y[j];
            _slip.Evaluate(j, y.BadQd ? double.NaN : y.Qd, any && _servo.CommandSettled(j), _gate[j].DriveOn, record.ExternalTorque[j],
                _slipMass, _est.PredQdd, _est.PredTau[j], _servo, record, _crossCheck);
        }
    }

    private static double DeadZone(double e, double width) => e > width ? e - width : e < -width ? e + width : 0;

    private static ReadOnlySpan<double> NaN3 => [double.NaN, double.NaN, double.NaN];

    private void ReadMeasurements(TickState state)
    {
        var faults = state.Faults;
        long tick = state.Tick;
        for (int j = 0; j < _n; j++)
        {
            ref var y = ref _y[j];
            ref readonly var ch = ref _jointCh[j];
            y.BadQ = Take(state.Position[j], ref y.Q, ch.Position.Channel);
            y.BadQd = Take(state.Velocity[j], ref y.Qd, ch.Velocity.Channel);
            // A drive without torque actual (channel marked off): the prediction stands in, as for a bad sample.
            y.BadTau = Layout.IsOff(ch.Torque.Channel) || Take(state.Torque[j], ref y.Tau, ch.Torque.Channel);
        }
        var imus = state.Image.Imus;
        for (int i = 0; i < _nImu; i++)
        {
            ref readonly var s = ref imus[i];
            _yImu.BadRate[i] = Take3(s.AngularRateX, s.AngularRateY, s.AngularRateZ, _yImu.Rate.AsSpan(3 * i, 3), _imuCh[i].Rate.Channel);
            _yImu.BadForce[i] = Take3(s.SpecificForceX, s.SpecificForceY, s.SpecificForceZ, _yImu.Force.AsSpan(3 * i, 3), _imuCh[i].Force.Channel);
        }

        bool Take(double value, ref double held, int channel)
        {
            if (double.IsFinite(value))
            {
                held = value;
                return false;
            }
            faults.Add(Fault.Of(FaultCode.SensorNonFinite, channel, tick));
            return true;
        }

        bool Take3(float x, float y, float z, Span<double> held, int channel)
        {
            if (float.IsFinite(x) && float.IsFinite(y) && float.IsFinite(z))
            {
                held[0] = x;
                held[1] = y;
                held[2] = z;
                return false;
            }
            faults.Add(Fault.Of(FaultCode.SensorNonFinite, channel, tick));
            return true;
        }
    }

    private void UpdateExclusions(TickState state)
    {
        bool allOn = true, anyWarming = false;
        for (int j = 0; j < _n; j++)
        {
            ref var g = ref _gate[j];
            ref readonly var ch = ref _jointCh[j];
            bool on = !_requireOperational || state.DriveOperational[j];
            if (!on && g.DriveOn) _servo.ResetDisturbance(j);
            g.DriveOn = on;
            if (!on)
            {
                allOn = false;
                g.Warmup = _warmupTicks;
            }
            else if (g.Warmup > 0 && _hasPrediction)
            {
                g.Warmup--;
            }
            bool exclude = !on || g.Warmup > 0;
            anyWarming |= g.Warmup > 0;
            if (exclude != g.Excluded)
            {
                g.Excluded = exclude;
                _crossCheck.SetExcluded(ch.Position.Channel, exclude);
                _crossCheck.SetExcluded(ch.Velocity.Channel, exclude);
            }
            // A drive that is off (or its brake) holds the joint with a torque the model cannot see: the external
            // torque estimate then reads the holding torque, not a contact. A joint in its stiction band (|q̇| below
            // min(band, Coulomb smoothing velocity)) is held by a friction torque anywhere in [−F_c, F_c] that no model
            // of q̇ predicts (see the torque dead zone in Step).
            // Hysteresis: out of the band only above twice its width, so a joint creeping in stick-slip (dragged by
            // its neighbours' motion) does not flicker in and out and is not judged in the very tick it breaks free.
            double speed = Math.Abs(_y[j].Qd);
            bool stuck = g.StictionBand > 0 && !_y[j].BadQd
                && (g.FrictionExcluded ? speed < 2 * g.StictionBand : speed < g.StictionBand);
            bool frictionExclude = exclude || stuck;
            g.Stuck = stuck;
            if (exclude != _crossCheck.IsExcluded(ch.Torque.Channel)) _crossCheck.SetExcluded(ch.Torque.Channel, exclude);
            if (frictionExclude != g.FrictionExcluded)
            {
                g.FrictionExcluded = frictionExclude;
                // The external-torque estimate differentiates momentum (p = M q̇): velocity noise dominates it at
                // standstill, and the holding friction is in it undivided; it waits until the joint slides.
                _crossCheck.SetExcluded(ch.External.Channel, frictionExclude);
            }
        }
        // The IMUs see every joint: they arm once all drives are on and past their warm-up.
        bool imuExclude = !allOn || !_hasPrediction || anyWarming;
        if (imuExclude != _imuExcluded)
        {
            _imuExcluded = imuExclude;
            for (int i = 0; i < _nImu; i++)
            {
                _crossCheck.SetExcluded(_imuCh[i].Rate.Channel, imuExclude);
                _crossCheck.SetExcluded(_imuCh[i].Force.Channel, imuExclude);
            }
        }
    }

    /// <summary>Not real-time safe. Per joint (config order): encoder counts per joint radian (gear × counts per rev / 2π).</summary>
    private static double[] EncoderCountsPerRadian(RtConfig config)
    {
        var c = new double[config.Joints.Count];
        for (int j = 0; j < c.Length; j++) c[j] = config.Joints[j].GearRatio * config.Joints[j].EncoderCountsPerRev / (2 * Math.PI);
        return c;
    }

    private static ServoParameters[] NominalServo(RtConfig config, RobotDescription description)
    {
        var result = new ServoParameters[config.Joints.Count];
        for (int j = 0; j < result.Length; j++)
            result[j] = ServoParameters.Nominal(description.FindJoint(config.Joints[j].Name)?.Dynamics);
        return result;
    }
}
