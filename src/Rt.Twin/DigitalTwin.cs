using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Twin.CrossCheck;
using Rt.Twin.Dynamics;
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
    private readonly double _lp, _lv, _kd;
    private readonly bool _torqueTickMean, _imuTickMean;
    private readonly bool _requireOperational;
    private readonly int _warmupTicks;
    private readonly bool _whitenExternal;
    private readonly bool _sawtoothFull;
    private readonly double _observerPole;

    // Channel → component offsets.
    private readonly int[] _chPos, _chVel, _chTau, _chExt, _chRate, _chForce;
    private readonly int[] _offPos, _offVel, _offTau, _offExt, _offRate, _offForce;
    private readonly double[] _components;

    // Config-order state.
    private readonly double[] _yq, _yqd, _ytau, _yw, _yf;          // measurements (non-finite replaced by held values)
    private readonly bool[] _badQ, _badQd, _badTau, _badW, _badF;
    private readonly double[] _predQ, _predQd, _predQdd, _predTau;  // prediction for this tick
    private readonly double[] _predW, _predF, _modelW, _modelF;     // IMU predictions with and without bias
    private readonly double[] _cq, _cqd;                            // corrected state
    private readonly double[] _friction, _residual;
    private readonly int[] _warmup;                                 // per joint ticks left before its channels count
    private readonly bool[] _jointExcluded;
    private readonly bool[] _driveOn;                              // per joint: its drive closes the loop this tick
    private readonly bool[] _frictionExcluded;                     // per joint: torque/external-torque channels not scored
    private readonly double[] _stictionBand;                       // per joint: |q̇| below this is the stiction band, rad/s
    private readonly double[] _stictionTorque;                     // per joint: holding friction the dead zone allows, N·m
    private readonly bool[] _stuck;                                // per joint: in the stiction band this tick
    private bool _imuExcluded;

    // Model-order scratch.
    private readonly double[] _mq, _mqd, _mqdd, _mtau, _mp, _mct, _mg, _mfric, _mtauMeas, _mres, _mjump;
    private readonly double[] _deficit;

    private bool _hasPrediction;
    private bool _restartAfterGap;

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
        _whitenExternal = options.ExternalTorqueComponent == ExternalTorqueComponent.Whitened;
        _sawtoothFull = options.SawtoothInertia == SawtoothInertia.Full;
        _torqueTickMean = options.TorqueFeedback == TorqueFeedback.TickMean;
        _imuTickMean = options.ImuSampling == ImuSampling.TickMean;
        _observerPole = Math.Exp(-config.Twin.ObserverGain * PeriodS);

        _chPos = new int[_n];
        _chVel = new int[_n];
        _chTau = new int[_n];
        _chExt = new int[_n];
        _offPos = new int[_n];
        _offVel = new int[_n];
        _offTau = new int[_n];
        _offExt = new int[_n];
        for (int j = 0; j < _n; j++)
        {
            _chPos[j] = layout.IndexOf(ChannelKind.JointPosition, j);
            _chVel[j] = layout.IndexOf(ChannelKind.JointVelocity, j);
            _chTau[j] = layout.IndexOf(ChannelKind.JointTorque, j);
            _chExt[j] = layout.IndexOf(ChannelKind.ExternalTorque, j);
            _offPos[j] = _crossCheck.ComponentOffset(_chPos[j]);
            _offVel[j] = _crossCheck.ComponentOffset(_chVel[j]);
            _offTau[j] = _crossCheck.ComponentOffset(_chTau[j]);
            _offExt[j] = _crossCheck.ComponentOffset(_chExt[j]);
        }
        _chRate = new int[_nImu];
        _chForce = new int[_nImu];
        _offRate = new int[_nImu];
        _offForce = new int[_nImu];
        for (int i = 0; i < _nImu; i++)
        {
            _chRate[i] = layout.IndexOf(ChannelKind.ImuAngularRate, i);
            _chForce[i] = layout.IndexOf(ChannelKind.ImuSpecificForce, i);
            _offRate[i] = _crossCheck.ComponentOffset(_chRate[i]);
            _offForce[i] = _crossCheck.ComponentOffset(_chForce[i]);
        }
        _components = new double[_crossCheck.ComponentCount];

        _yq = new double[_n];
        _yqd = new double[_n];
        _ytau = new double[_n];
        _yw = new double[3 * _nImu];
        _yf = new double[3 * _nImu];
        _badQ = new bool[_n];
        _badQd = new bool[_n];
        _badTau = new bool[_n];
        _badW = new bool[_nImu];
        _badF = new bool[_nImu];
        _predQ = new double[_n];
        _predQd = new double[_n];
        _predQdd = new double[_n];
        _predTau = new double[_n];
        _predW = new double[3 * _nImu];
        _predF = new double[3 * _nImu];
        _modelW = new double[3 * _nImu];
        _modelF = new double[3 * _nImu];
        _cq = new double[_n];
        _cqd = new double[_n];
        _friction = new double[_n];
        _residual = new double[_n];
        _warmup = new int[_n];
        _jointExcluded = new bool[_n];
        _driveOn = new bool[_n];
        _frictionExcluded = new bool[_n];
        _stictionBand = new double[_n];
        _stictionTorque = new double[_n];
        _stuck = new bool[_n];
        if (options.StictionBandRadS < 0 || !double.IsFinite(options.StictionBandRadS))
            throw new ArgumentException("the stiction band must be finite and ≥ 0 rad/s", nameof(options));
        if (options.StictionTorqueMargin < 0 || !double.IsFinite(options.StictionTorqueMargin))
            throw new ArgumentException("the stiction torque margin must be finite and ≥ 0", nameof(options));
        for (int j = 0; j < _n; j++)
        {
            _stictionBand[j] = servo[j].CoulombFrictionNm > 0 ? Math.Min(options.StictionBandRadS, servo[j].FrictionSmoothingRadS) : 0;
            _stictionTorque[j] = options.StictionTorqueMargin * servo[j].CoulombFrictionNm;
        }
        _mq = new double[_n];
        _mqd = new double[_n];
        _mqdd = new double[_n];
        _mtau = new double[_n];
        _mp = new double[_n];
        _mct = new double[_n];
        _mg = new double[_n];
        _mfric = new double[_n];
        _mtauMeas = new double[_n];
        _mres = new double[_n];
        _mjump = new double[_n];
        _deficit = new double[_n];
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

    /// <summary>Config index → model index of every joint.</summary>
    public ReadOnlySpan<int> JointMap => _map;

    /// <summary>What the twin predicts for the NEXT tick (config order): position, velocity, acceleration, torque.</summary>
    public ReadOnlySpan<double> PredictedPosition => _predQ;
    public ReadOnlySpan<double> PredictedVelocity => _predQd;
    public ReadOnlySpan<double> PredictedAcceleration => _predQdd;
    public ReadOnlySpan<double> PredictedTorque => _predTau;

    /// <summary>Predicted IMU readings for the next tick (with bias), 3 per IMU, sensor frame.</summary>
    public ReadOnlySpan<double> PredictedAngularRate => _predW;
    public ReadOnlySpan<double> PredictedSpecificForce => _predF;

    /// <summary>The innovation components of the last tick in channel-layout order (1 per joint channel, 3 per IMU channel).</summary>
    public ReadOnlySpan<double> Components => _components;

    /// <summary>Corrected joint state after the last tick (config order).</summary>
    public ReadOnlySpan<double> CorrectedPosition => _cq;
    public ReadOnlySpan<double> CorrectedVelocity => _cqd;

    /// <summary>Forget predictions, observer and detector state (e.g. after a safety reset). Real-time safe.</summary>
    public void Reset()
    {
        _hasPrediction = false;
        _restartAfterGap = false;
        _servo.Reset();
        _observer.Reset();
        _crossCheck.Reset();
        for (int j = 0; j < _n; j++) _warmup[j] = _warmupTicks;
        Array.Clear(_components);
        Array.Clear(_residual);
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
            _restartAfterGap = false;
            _hasPrediction = false;
            _observer.Reset();
            Array.Clear(_residual);
        }
        ReadMeasurements(state);
        UpdateExclusions(state);

        // (a) innovations: measured − predicted for this tick (before correction).
        bool compare = _hasPrediction;
        for (int j = 0; j < _n; j++)
        {
            _components[_offPos[j]] = compare && !_badQ[j] ? _yq[j] - _predQ[j] : 0;
            _components[_offVel[j]] = compare && !_badQd[j] ? _yqd[j] - _predQd[j] : 0;
            double torqueInnovation = compare && !_badTau[j] ? _ytau[j] - _predTau[j] : 0;
            // In the stiction band the holding friction is anywhere in [−F_c, F_c]: only the part of the innovation
            // that no holding friction explains is evidence (a dead zone of StictionTorqueMargin·F_c). A drive that
            // loses its torque while the joint stands still shows at once: its current rises, the joint barely moves.
            if (_stuck[j]) torqueInnovation = DeadZone(torqueInnovation, _stictionTorque[j]);
            _components[_offTau[j]] = torqueInnovation;
        }
        for (int i = 0; i < _nImu; i++)
            for (int a = 0; a < 3; a++)
            {
                int k = 3 * i + a;
                _components[_offRate[i] + a] = compare && !_badW[i] ? _yw[k] - _predW[k] : 0;
                _components[_offForce[i] + a] = compare && !_badF[i] ? _yf[k] - _predF[k] : 0;
            }

        // (b) correction.
        for (int j = 0; j < _n; j++)
        {
            if (compare)
            {
                _cq[j] = _badQ[j] ? _predQ[j] : _predQ[j] + _lp * (_yq[j] - _predQ[j]);
                _cqd[j] = _badQd[j] ? _predQd[j] : _predQd[j] + _lv * (_yqd[j] - _predQd[j]);
                // The load estimate converges during the warm-up too (that is what the warm-up is for); only a drive that
                // is off (no closed loop to describe) leaves it alone.
                if (!_badQd[j] && _driveOn[j]) _servo.CorrectDisturbance(j, _yqd[j] - _predQd[j], _kd);
            }
            else
            {
                _cq[j] = _yq[j];
                _cqd[j] = _yqd[j];
            }
        }
        if (compare)
            for (int i = 0; i < _nImu; i++)
                _imu.UpdateBias(
                    i,
                    _badW[i] ? NaN3 : _yw.AsSpan(3 * i, 3),
                    _badF[i] ? NaN3 : _yf.AsSpan(3 * i, 3),
                    _modelW, _modelF);

        // (c) momentum observer at the corrected state with the measured motor torque.
        for (int j = 0; j < _n; j++)
        {
            int m = _map[j];
            _mq[m] = _cq[j];
            _mqd[m] = _cqd[j];
            _friction[j] = _servo.FrictionTorque(j, _cqd[j]);
            _mfric[m] = _friction[j];
            // A bad torque sample is replaced by the prediction (or the last good one before the first prediction).
            _mtauMeas[m] = _badTau[j] && compare ? _predTau[j] : _ytau[j];
        }
        _model.ObserverTerms(_mq, _mqd, [], _mp, _mct, _mg);
        _observer.Update(_mp, _mtauMeas, _mfric, _mct, _mg, _mres);
        for (int j = 0; j < _n; j++)
        {
            double r = _mres[_map[j]];
            // Whitened: the observer's per-tick input (see ExternalTorqueComponent); r_(k−1) is 0 at the first tick.
            _components[_offExt[j]] = _whitenExternal ? (r - _observerPole * _residual[j]) / (1 - _observerPole) : r;
            _residual[j] = r;
            record.ExternalTorque[j] = r;
        }

        // (d) cross-check (nothing to compare on the first tick after a start or a gap: the detectors wait).
        if (compare) _crossCheck.Evaluate(_components, record, state.Faults, state.Tick);
        record.Valid = compare;

        // (e) prediction for the next tick.
        _servo.Predict(_cq, _cqd, state.TargetPosition, state.TargetVelocity, _predQ, _predQd, _predQdd, _deficit);
        if (!_torqueTickMean)
        {
            // The drives' torque is a sawtooth (steps when the new command lands, drifts within the tick); the observer's
            // trapezoid over end-of-tick samples misses J·deficit of its integral: hand the missing part over as a shift of
            // the interval's starting torque (adding X to β_start adds ½X·dt to the integral, hence the 2/dt).
            double scale = 2 / PeriodS;
            for (int j = 0; j < _n; j++) _mqdd[_map[j]] = _deficit[j] * scale;
            if (_sawtoothFull)
            {
                _model.MassTimes(_mq, _mqdd, _mjump);
            }
            else
            {
                _model.MassMatrixDiagonal(_mq, _mjump);
                for (int m = 0; m < _n; m++) _mjump[m] *= _mqdd[m];
            }
            _observer.AddIntervalStartTorque(_mjump);
        }
        for (int j = 0; j < _n; j++)
        {
            int m = _map[j];
            _mq[m] = _predQ[j];
            _mqd[m] = _predQd[j];
        }
        // A tick-mean reading belongs to the tick's mean acceleration (q̇_(k+1) − q̇_k)/dt, exact for the servo model's
        // velocity change; an instantaneous one to the model's end-of-tick acceleration.
        bool meanPass = _torqueTickMean || _imuTickMean;
        if (meanPass)
        {
            for (int j = 0; j < _n; j++) _mqdd[_map[j]] = (_predQd[j] - _cqd[j]) / PeriodS;
            _model.InverseDynamics(_mq, _mqd, _mqdd, _mtau);
            if (_imuTickMean) _imu.PredictFromModelWorkspace(_modelW, _modelF);
        }
        if (!_torqueTickMean || !_imuTickMean)
        {
            // Save the mean-acceleration torques before the end-of-tick pass overwrites them.
            if (meanPass) _mtau.CopyTo(_mjump, 0);
            for (int j = 0; j < _n; j++) _mqdd[_map[j]] = _predQdd[j];
            _model.InverseDynamics(_mq, _mqd, _mqdd, _mtau);
            if (!_imuTickMean) _imu.PredictFromModelWorkspace(_modelW, _modelF);
            if (_torqueTickMean) _mjump.CopyTo(_mtau, 0);
        }
        for (int j = 0; j < _n; j++)
            _predTau[j] = _mtau[_map[j]] + _servo.FrictionTorque(j, _predQd[j]);
        _modelW.CopyTo(_predW, 0);
        _modelF.CopyTo(_predF, 0);
        _imu.AddBias(_predW, _predF);
        _hasPrediction = true;
    }

    private static double DeadZone(double e, double width) => e > width ? e - width : e < -width ? e + width : 0;

    private static ReadOnlySpan<double> NaN3 => [double.NaN, double.NaN, double.NaN];

    private void ReadMeasurements(TickState state)
    {
        var faults = state.Faults;
        long tick = state.Tick;
        for (int j = 0; j < _n; j++)
        {
            _badQ[j] = Take(state.Position[j], ref _yq[j], _chPos[j]);
            _badQd[j] = Take(state.Velocity[j], ref _yqd[j], _chVel[j]);
            _badTau[j] = Take(state.Torque[j], ref _ytau[j], _chTau[j]);
        }
        var imus = state.Image.Imus;
        for (int i = 0; i < _nImu; i++)
        {
            ref readonly var s = ref imus[i];
            _badW[i] = Take3(s.AngularRateX, s.AngularRateY, s.AngularRateZ, _yw.AsSpan(3 * i, 3), _chRate[i]);
            _badF[i] = Take3(s.SpecificForceX, s.SpecificForceY, s.SpecificForceZ, _yf.AsSpan(3 * i, 3), _chForce[i]);
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
            bool on = !_requireOperational || state.DriveOperational[j];
            if (!on && _driveOn[j]) _servo.ResetDisturbance(j);
            _driveOn[j] = on;
            if (!on)
            {
                allOn = false;
                _warmup[j] = _warmupTicks;
            }
            else if (_warmup[j] > 0 && _hasPrediction)
            {
                _warmup[j]--;
            }
            bool exclude = !on || _warmup[j] > 0;
            anyWarming |= _warmup[j] > 0;
            if (exclude != _jointExcluded[j])
            {
                _jointExcluded[j] = exclude;
                _crossCheck.SetExcluded(_chPos[j], exclude);
                _crossCheck.SetExcluded(_chVel[j], exclude);
            }
            // A drive that is off (or its brake) holds the joint with a torque the model cannot see: the external
            // torque estimate then reads the holding torque, not a contact. A joint in its stiction band (|q̇| below
            // min(band, Coulomb smoothing velocity)) is held by a friction torque anywhere in [−F_c, F_c] that no model
            // of q̇ predicts (see the torque dead zone in Step).
            // Hysteresis: out of the band only above twice its width, so a joint creeping in stick-slip (dragged by
            // its neighbours' motion) does not flicker in and out and is not judged in the very tick it breaks free.
            double speed = Math.Abs(_yqd[j]);
            bool stuck = _stictionBand[j] > 0 && !_badQd[j]
                && (_frictionExcluded[j] ? speed < 2 * _stictionBand[j] : speed < _stictionBand[j]);
            bool frictionExclude = exclude || stuck;
            _stuck[j] = stuck;
            if (exclude != _crossCheck.IsExcluded(_chTau[j])) _crossCheck.SetExcluded(_chTau[j], exclude);
            if (frictionExclude != _frictionExcluded[j])
            {
                _frictionExcluded[j] = frictionExclude;
                // The external-torque estimate differentiates momentum (p = M q̇): velocity noise dominates it at
                // standstill, and the holding friction is in it undivided; it waits until the joint slides.
                _crossCheck.SetExcluded(_chExt[j], frictionExclude);
            }
        }
        // The IMUs see every joint: they arm once all drives are on and past their warm-up.
        bool imuExclude = !allOn || !_hasPrediction || anyWarming;
        if (imuExclude != _imuExcluded)
        {
            _imuExcluded = imuExclude;
            for (int i = 0; i < _nImu; i++)
            {
                _crossCheck.SetExcluded(_chRate[i], imuExclude);
                _crossCheck.SetExcluded(_chForce[i], imuExclude);
            }
        }
    }

    private static ServoParameters[] NominalServo(RtConfig config, RobotDescription description)
    {
        var result = new ServoParameters[config.Joints.Count];
        for (int j = 0; j < result.Length; j++)
            result[j] = ServoParameters.Nominal(description.FindJoint(config.Joints[j].Name)?.Dynamics);
        return result;
    }
}
