using Rt.Core.Config;
using Rt.Core.ProcessData;
using Rt.Drivers.Cia402;
using Rt.Hil.Sim;

namespace Rt.Hil.Drives;

/// <summary>
/// An emulated CiA 402 servo drive on one joint of the bench plant.
/// <para>
/// Per tick the bench hands it the host's <see cref="DriveOutputs"/> (<see cref="ApplyCommand"/>: controlword state
/// machine, mode 0x6060) and reads back <see cref="Feedback"/> (statusword, 0x6064/0x606C/0x6077, 0x603F). Per plant
/// substep <see cref="Update"/> runs the drive's own loops: encoder quantisation (counts/rev at the motor, gear,
/// direction, zero offset: <see cref="JointScaling"/>), velocity from filtered encoder differences, cascaded
/// position P → velocity PI with 0x60B1/0x60B2 feed-forward in CSP (8), velocity PI in CSV (9), torque pass-through
/// in CST (10), the torque limit (rated · gear · the smaller of the drive's own peak ‰ and the 0x6072 ‰ the master
/// writes; 0 = not written, as in a mapping without 0x6072), and the following-error monitor (window, time-out → fault 0x8611).
/// 0x60FE:01 bit 0 releases the holding brake (<see cref="Brake"/>) while the power stage is off.
/// It returns the joint torque the motor really produces, which goes to the plant.
/// </para>
/// <para>
/// Fault hooks (set any time, take effect next substep): <see cref="TorqueScale"/> (weak or lost motor: the drive
/// still reports the torque it commands, as a real current-based 0x6077 would), <see cref="EncoderFrozen"/>,
/// <see cref="EncoderOffsetCounts"/>, <see cref="EncoderNoiseCounts"/>, <see cref="InjectFault"/>.
/// </para>
/// <para>
/// Domain randomisation (set before the run): <see cref="MotorConstantScale"/> (this motor's real torque constant
/// against its nameplate) and <see cref="FeedbackLatencySubsteps"/> (the TxPDO feedback is that many substeps old).
/// Both default to today's ideal drive, bit for bit.
/// </para>
/// Construction is not real-time safe; every other member is real-time safe (no allocation, no clock: dt is passed in).
/// </summary>
public sealed partial class EmulatedServoDrive
{
    private const ushort SwVoltageEnabled = 0x0010, SwRemote = 0x0200, SwWarning = 0x0080, SwTargetReached = 0x0400,
        SwFollowing = 0x1000, SwFollowingError = 0x2000;

    private readonly DriveModelOptions _o;
    private readonly NoiseSource _noise;
    private readonly double _maxTorque;
    private double _torqueLimit; // this cycle's: _maxTorque, or the master's lower 0x6072
    private readonly double _followingWindow;
    private double _kv, _ki, _kp;

    private DriveOutputs _cmd;
    private ushort _prevControlword;
    private DriveInputs _latched;

    private bool _encoderInitialised;
    private int _counts;
    private double _velocityCounts; // filtered, counts/s
    private double _positionRad, _velocityRadS;

    private double _integral;
    private double _holdPosition;
    private double _quickStopVelocity;
    private double _followingErrorTime;
    private bool _followingErrorActive;
    private bool _torqueLimited;
    private bool _targetReached;
    private double _commandedTorque;
    private readonly double[] _torqueWindow = new double[MaxTorqueAverageSubsteps]; // last substeps' torques (ring)
    private int _torqueWindowHead, _torqueWindowFill, _torqueAverageSubsteps = 1;
    private readonly DriveInputs[] _feedbackDelay = new DriveInputs[MaxFeedbackLatencySubsteps + 1]; // latched feedback per substep (ring)
    private int _feedbackDelayHead, _feedbackLatencySubsteps;

    /// <summary>Not real-time safe. <paramref name="seed"/> seeds the encoder noise (only used when noise is on).</summary>
    public EmulatedServoDrive(JointDriveConfig joint, DriveModelOptions? options = null, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(joint);
        Scaling = new JointScaling(joint);
        JointName = joint.Name;
        _o = (options ?? new DriveModelOptions()).Clone();
        _noise = new NoiseSource(seed);
        _maxTorque = Scaling.RatedJointTorqueNm * _o.MaxTorquePerMille / 1000.0; // magnitude at the joint
        _torqueLimit = _maxTorque;
        _followingWindow = joint.Limits.FollowingErrorRad;
        Tune(_o.EffectiveInertiaKgM2);
        InitHomingSwitches(joint.Limits.PositionMinRad, joint.Limits.PositionMaxRad); // limit switches at the range's ends
    }

    public string JointName { get; }
    public JointScaling Scaling { get; }
    public DriveState State { get; private set; } = DriveState.NotReadyToSwitchOn;

    /// <summary>0x6061: the mode the drive is running.</summary>
    public sbyte ModeDisplay { get; private set; }

    /// <summary>0x603F: code of the active fault, 0 when none.</summary>
    public ushort ErrorCode { get; private set; }

    /// <summary>Torque limit at the joint, N·m (rated · gear · 0x6072 ‰).</summary>
    public double MaxJointTorqueNm => _maxTorque;

    /// <summary>The torque limit at the joint this cycle, N·m: <see cref="MaxJointTorqueNm"/>, or lower when the master's 0x6072 says so.</summary>
    public double TorqueLimitNm => _torqueLimit;

    /// <summary>0x60FE:01 bit 0 as the master last wrote it: the holding brake is released by the bus.</summary>
    public bool BrakeReleasedByBus => (_cmd.DigitalOutputs & DriveDigitalOutputs.BrakeRelease) != 0;

    /// <summary>0x60FE:01 bit 16 as the master last wrote it: close the brake although the power stage is on (the bench drive's brake-test command).</summary>
    public bool BrakeEngagedByBus => (_cmd.DigitalOutputs & DriveDigitalOutputs.BenchBrakeEngage) != 0;

    /// <summary>Joint torque the drive commanded in the last substep, after limiting, before <see cref="TorqueScale"/>.</summary>
    public double CommandedTorqueNm => _commandedTorque;

    /// <summary>Joint angle from the (quantised, possibly faulted) encoder, rad.</summary>
    public double MeasuredPositionRad => _positionRad;

    /// <summary>Filtered joint velocity from encoder differences, rad/s.</summary>
    public double MeasuredVelocityRadS => _velocityRadS;

    /// <summary>Longest averaging window of <see cref="TorqueAverageSubsteps"/>.</summary>
    public const int MaxTorqueAverageSubsteps = 16;

    /// <summary>
    /// How many of the latest drive-loop substeps 0x6077 (torque actual) averages, 1..<see cref="MaxTorqueAverageSubsteps"/>
    /// (default 1: the last substep's torque). The bench sets it to the plant substeps per tick, so the reported torque is
    /// the mean over the tick — what a current measurement filtered over the bus cycle reads, and what the twin's
    /// momentum observer integrates over the tick (a last-substep sample carries the drive loop's intra-tick ripple).
    /// Not real-time safe to change while the drive runs.
    /// </summary>
    public int TorqueAverageSubsteps
    {
        get => _torqueAverageSubsteps;
        set
        {
            if (value is < 1 or > MaxTorqueAverageSubsteps)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"torque averaging window must be 1..{MaxTorqueAverageSubsteps} substeps");
            _torqueAverageSubsteps = value;
        }
    }

    /// <summary>Fault hook: fraction of the commanded torque the motor really produces (1 healthy, 0 lost).</summary>
    public double TorqueScale { get; set; } = 1.0;

    /// <summary>
    /// Domain randomisation: this motor's real torque constant over its nameplate value (1 = nominal). Multiplies the
    /// torque delivered to the plant, like <see cref="TorqueScale"/>, but is a property of the plant, not a fault: the two
    /// multiply. The drive reports the torque it commands (nameplate constant × current), as a real drive does.
    /// Real-time safe.
    /// </summary>
    public double MotorConstantScale { get; set; } = 1.0;

    /// <summary>Longest <see cref="FeedbackLatencySubsteps"/>.</summary>
    public const int MaxFeedbackLatencySubsteps = 8;

    /// <summary>
    /// Domain randomisation: sensor latency. <see cref="Feedback"/>'s position, velocity and torque are those latched
    /// this many plant substeps ago (0 = the latest, today's behaviour); the statusword is always current. The drive's
    /// own loops still use the fresh encoder. Not real-time safe to change while the drive runs (the delay line is
    /// refilled with the latest sample).
    /// </summary>
    public int FeedbackLatencySubsteps
    {
        get => _feedbackLatencySubsteps;
        set
        {
            if (value is < 0 or > MaxFeedbackLatencySubsteps)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"feedback latency must be 0..{MaxFeedbackLatencySubsteps} substeps");
            _feedbackLatencySubsteps = value;
            Array.Fill(_feedbackDelay, _latched);
        }
    }

    /// <summary>Not real-time safe. Restarts the encoder noise stream from <paramref name="seed"/> (a scenario's seed).</summary>
    public void ReseedNoise(ulong seed) => _noise.Reseed(seed);

    /// <summary>
    /// The joint's holding brake, or null (no brake). Controlled by the power stage as CiA 402 drives do: released in
    /// "operation enabled" and "quick stop active", engaged in every other state. Its torque goes to the plant with the
    /// motor's (it is mechanical: <see cref="TorqueScale"/> does not weaken it) and is not in 0x6077. Set before the run.
    /// </summary>
    public HoldingBrake? Brake { get; set; }

    /// <summary>Brake torque on the joint in the last substep, N·m (0 without a brake or while released).</summary>
    public double BrakeTorqueNm { get; private set; }

    /// <summary>Fault hook: the encoder stops updating (position holds, velocity reads zero).</summary>
    public bool EncoderFrozen { get; set; }

    /// <summary>Fault hook: constant offset added to the encoder, counts.</summary>
    public int EncoderOffsetCounts { get; set; }

    /// <summary>Encoder noise, standard deviation in counts (0 = ideal quantiser).</summary>
    public double EncoderNoiseCounts { get; set; }

    /// <summary>Not real-time safe. Re-tunes the loops for a joint-side inertia (kg·m²).</summary>
    public void Tune(double effectiveInertiaKgM2)
    {
        if (!(effectiveInertiaKgM2 > 0)) throw new ArgumentOutOfRangeException(nameof(effectiveInertiaKgM2), effectiveInertiaKgM2, "inertia must be positive");
        _o.EffectiveInertiaKgM2 = effectiveInertiaKgM2;
        _kv = effectiveInertiaKgM2 * 2 * Math.PI * _o.VelocityLoopBandwidthHz;
        _ki = 2 * Math.PI * _o.VelocityIntegralHz;
        _kp = 2 * Math.PI * _o.PositionLoopBandwidthHz;
    }

    /// <summary>Real-time safe. Raises a drive fault (fault reaction: torque off, then "fault") with error code 0x603F.</summary>
    public void InjectFault(ushort errorCode) => EnterFault(errorCode == 0 ? Cia402ErrorCodes.Generic : errorCode);

    /// <summary>
    /// Real-time safe. Takes this cycle's RxPDO: mode of operation, targets, and the controlword transition
    /// (fault reset acts only on a rising edge of bit 7).
    /// </summary>
    public void ApplyCommand(in DriveOutputs command)
    {
        _cmd = command;
        // 0x6072 lowers the limit, never raises it past the drive's own peak; 0 is "not written" (a mapping without it:
        // a real drive would then use its own 0x6072, which is this model's peak).
        _torqueLimit = command.MaxTorque == 0 ? _maxTorque : Math.Min(_maxTorque, Scaling.RatedJointTorqueNm * command.MaxTorque / 1000.0);
        if (command.ModeOfOperation is Cia402Modes.CyclicSyncPosition or Cia402Modes.CyclicSyncVelocity or Cia402Modes.CyclicSyncTorque
            && command.ModeOfOperation != ModeDisplay)
        {
            ModeDisplay = command.ModeOfOperation;
            EnterOperation(); // bumpless: a mode switch restarts the loops from the measured state
        }
        else if (command.ModeOfOperation == Cia402Modes.Homing && ModeDisplay != Cia402Modes.Homing)
        {
            ModeDisplay = Cia402Modes.Homing;
            EnterOperation();
            ResetHoming();
        }

        ushort cw = command.Controlword;
        bool resetEdge = (cw & 0x80) != 0 && (_prevControlword & 0x80) == 0;
        ushort previous = _prevControlword;
        _prevControlword = cw;
        bool disableVoltage = (cw & 0x82) == 0x00;
        bool quickStop = (cw & 0x86) == 0x02;
        bool shutdown = (cw & 0x87) == 0x06;
        bool switchOn = (cw & 0x8F) == 0x07;
        bool enableOperation = (cw & 0x8F) == 0x0F;

        switch (State)
        {
            case DriveState.Fault:
                if (resetEdge)
                {
                    State = DriveState.SwitchOnDisabled;
                    ErrorCode = 0;
                }
                break;
            case DriveState.SwitchOnDisabled:
                if (shutdown) State = DriveState.ReadyToSwitchOn;
                break;
            case DriveState.ReadyToSwitchOn:
                if (disableVoltage || quickStop) State = DriveState.SwitchOnDisabled;
                else if (switchOn) State = DriveState.SwitchedOn;
                else if (enableOperation) Enable(); // transitions 3 and 4 in one cycle, as most drives accept
                break;
            case DriveState.SwitchedOn:
                if (disableVoltage || quickStop) State = DriveState.SwitchOnDisabled;
                else if (shutdown) State = DriveState.ReadyToSwitchOn;
                else if (enableOperation) Enable();
                break;
            case DriveState.OperationEnabled:
                if (disableVoltage) State = DriveState.SwitchOnDisabled;
                else if (quickStop)
                {
                    State = DriveState.QuickStopActive;
                    _quickStopVelocity = _velocityRadS;
                    _holdPosition = _positionRad;
                }
                else if (shutdown) State = DriveState.ReadyToSwitchOn;
                else if (switchOn) State = DriveState.SwitchedOn;
                break;
            case DriveState.QuickStopActive:
                // Quick-stop option code 6 behaviour: ramp down, then hold position in "quick stop active".
                if (disableVoltage) State = DriveState.SwitchOnDisabled;
                else if (enableOperation) Enable();
                break;
        }
        HomingControl(cw, previous);
    }

    /// <summary>
    /// Real-time safe. One drive-loop cycle at the plant substep: samples the encoder at <paramref name="jointPositionRad"/>
    /// (the plant's true angle) and returns the joint torque the motor applies to the plant this substep, N·m.
    /// </summary>
    public double Update(double jointPositionRad, double dt)
    {
        SampleEncoder(jointPositionRad, dt);
        if (State == DriveState.NotReadyToSwitchOn) State = DriveState.SwitchOnDisabled; // power-up self-test done
        else if (State == DriveState.FaultReactionActive) State = DriveState.Fault;     // reaction: torque already off

        double tau = 0;
        _followingErrorActive = false;
        _targetReached = false;
        switch (State)
        {
            case DriveState.OperationEnabled:
                tau = OperationTorque(dt);
                break;
            case DriveState.QuickStopActive:
            {
                double dv = _o.QuickStopDecelerationRadS2 * dt;
                _quickStopVelocity = Math.Abs(_quickStopVelocity) <= dv ? 0 : _quickStopVelocity - Math.Sign(_quickStopVelocity) * dv;
                _holdPosition += _quickStopVelocity * dt;
                tau = VelocityLoop(_kp * (_holdPosition - _positionRad) + _quickStopVelocity, dt);
                _targetReached = _quickStopVelocity == 0;
                break;
            }
            default:
                _integral = 0;
                break;
        }

        if (State is DriveState.OperationEnabled or DriveState.QuickStopActive)
        {
            _torqueLimited = Math.Abs(tau) > _torqueLimit;
            tau = Math.Clamp(tau, -_torqueLimit, _torqueLimit);
        }
        else
        {
            tau = 0;
            _torqueLimited = false;
        }
        _commandedTorque = tau;
        _torqueWindowHead = (_torqueWindowHead + 1) % MaxTorqueAverageSubsteps;
        _torqueWindow[_torqueWindowHead] = tau;
        if (_torqueWindowFill < MaxTorqueAverageSubsteps) _torqueWindowFill++;
        Latch();
        BrakeTorqueNm = Brake is { } brake
            ? brake.Update((State is DriveState.OperationEnabled or DriveState.QuickStopActive && !BrakeEngagedByBus) || BrakeReleasedByBus, jointPositionRad, dt)
            : 0;
        return tau * TorqueScale * MotorConstantScale + BrakeTorqueNm;
    }

    /// <summary>Real-time safe. The TxPDO as of the last substep, with the statusword of the current state.</summary>
    public DriveInputs Feedback
    {
        get
        {
            var fb = _feedbackLatencySubsteps == 0
                ? _latched
                : _feedbackDelay[(_feedbackDelayHead - _feedbackLatencySubsteps + _feedbackDelay.Length) % _feedbackDelay.Length];
            fb.Statusword = Statusword();
            fb.ModeDisplay = ModeDisplay;
            fb.ErrorCode = ErrorCode;
            return fb;
        }
    }

    /// <summary>Real-time safe. 0x6041 for the current state.</summary>
    public ushort Statusword()
    {
        ushort sw = State switch
        {
            DriveState.NotReadyToSwitchOn => 0x0000,
            DriveState.SwitchOnDisabled => 0x0040,
            DriveState.ReadyToSwitchOn => 0x0021,
            DriveState.SwitchedOn => 0x0023,
            DriveState.OperationEnabled => 0x0027,
            DriveState.QuickStopActive => 0x0007,
            DriveState.FaultReactionActive => 0x000F,
            _ => 0x0008,
        };
        if (State == DriveState.NotReadyToSwitchOn) return sw;
        sw |= SwVoltageEnabled | SwRemote; // DC bus powered on the bench; the drive accepts PDO commands
        if (_torqueLimited) sw |= SwWarning;
        if (_targetReached) sw |= SwTargetReached;
        if (State == DriveState.OperationEnabled && ModeDisplay == Cia402Modes.Homing)
        {
            sw |= HomingStatusBits(); // bits 10/12/13 mean homing's progress in mode 6
        }
        else if (State == DriveState.OperationEnabled)
        {
            sw |= SwFollowing;
            if (_followingErrorActive) sw |= SwFollowingError;
        }
        return sw;
    }

    private double OperationTorque(double dt)
    {
        double torqueOffset = Scaling.PerMilleToTorque(_cmd.TorqueOffset);
        switch (ModeDisplay)
        {
            case Cia402Modes.CyclicSyncPosition:
            {
                double target = Scaling.CountsToPosition(_cmd.TargetPosition);
                double error = target - _positionRad;
                _targetReached = Math.Abs(error) <= _o.TargetReachedWindowRad;
                if (_followingWindow > 0 && Math.Abs(error) > _followingWindow)
                {
                    _followingErrorActive = true;
                    _followingErrorTime += dt;
                    if (_followingErrorTime > _o.FollowingErrorTimeoutS)
                    {
                        EnterFault(Cia402ErrorCodes.FollowingError);
                        return 0;
                    }
                }
                else _followingErrorTime = 0;
                double velocityCmd = _kp * error + Scaling.CountsToVelocity(_cmd.VelocityOffset);
                return VelocityLoop(velocityCmd, dt) + torqueOffset;
            }
            case Cia402Modes.CyclicSyncVelocity:
            {
                double velocityCmd = Scaling.CountsToVelocity(_cmd.TargetVelocity) + Scaling.CountsToVelocity(_cmd.VelocityOffset);
                _targetReached = Math.Abs(velocityCmd - _velocityRadS) <= _o.TargetReachedVelocityRadS;
                return VelocityLoop(velocityCmd, dt) + torqueOffset;
            }
            case Cia402Modes.Homing:
                return HomingTorque(dt);
            case Cia402Modes.CyclicSyncTorque:
                _integral = 0;
                _targetReached = true;
                return Scaling.PerMilleToTorque(_cmd.TargetTorque) + torqueOffset;
            default:
                // No cyclic mode selected yet: hold where operation was enabled.
                return VelocityLoop(_kp * (_holdPosition - _positionRad), dt);
        }
    }

    private double VelocityLoop(double velocityCmd, double dt)
    {
        double e = velocityCmd - _velocityRadS;
        double p = _kv * e;
        double candidate = _integral + _kv * _ki * e * dt;
        // Conditional integration (anti-windup): stop integrating while the output would exceed the torque limit.
        if (Math.Abs(p + candidate) <= _torqueLimit || Math.Sign(e) != Math.Sign(_integral)) _integral = candidate;
        return p + _integral;
    }

    private void SampleEncoder(double jointPositionRad, double dt)
    {
        int counts;
        if (EncoderFrozen && _encoderInitialised) counts = _counts;
        else
        {
            double delta = jointPositionRad * Scaling.CountsPerRadian + EncoderOffsetCounts;
            if (EncoderNoiseCounts > 0) delta += EncoderNoiseCounts * _noise.NextGaussian();
            _rawCounts = unchecked(Scaling.ZeroOffsetCounts + SaturateToInt(delta));
            counts = unchecked(_rawCounts + _homeShiftCounts); // an incremental encoder's position is where homing put it
        }
        if (!_encoderInitialised)
        {
            _counts = counts;
            _encoderInitialised = true;
            _holdPosition = Scaling.CountsToPosition(counts);
        }
        int step = unchecked(counts - _counts);
        _counts = counts;
        double raw = dt > 0 ? step / dt : 0;
        double alpha = dt > 0 ? 1 - Math.Exp(-2 * Math.PI * _o.VelocityFilterHz * dt) : 0;
        _velocityCounts += alpha * (raw - _velocityCounts);
        _positionRad = Scaling.CountsToPosition(counts);
        _velocityRadS = Scaling.CountsToVelocity(_velocityCounts);
    }

    private void Enable()
    {
        State = DriveState.OperationEnabled;
        EnterOperation();
        if (ModeDisplay == Cia402Modes.Homing) ResetHoming();
    }

    private void EnterOperation()
    {
        _integral = 0;
        _holdPosition = _positionRad;
        _followingErrorTime = 0;
    }

    private void EnterFault(ushort code)
    {
        if (State is DriveState.Fault or DriveState.FaultReactionActive) return;
        State = DriveState.FaultReactionActive;
        ErrorCode = code;
        _integral = 0;
    }

    private void Latch()
    {
        _latched.PositionActual = _counts;
        _latched.VelocityActual = SaturateToInt(_velocityCounts);
        _latched.TorqueActual = Scaling.TorqueToPerMille(ReportedTorque());
        _latched.DigitalInputs = (NegativeLimitSwitch ? 1u : 0) | (PositiveLimitSwitch ? 2u : 0);
        if (_feedbackLatencySubsteps > 0)
        {
            _feedbackDelayHead = (_feedbackDelayHead + 1) % _feedbackDelay.Length;
            _feedbackDelay[_feedbackDelayHead] = _latched;
        }
    }

    /// <summary>0x6077's value: the mean commanded torque over the last <see cref="TorqueAverageSubsteps"/> substeps.</summary>
    private double ReportedTorque()
    {
        int n = Math.Min(_torqueAverageSubsteps, _torqueWindowFill);
        if (n <= 1) return _commandedTorque;
        double sum = 0;
        for (int k = 0; k < n; k++) sum += _torqueWindow[(_torqueWindowHead - k + MaxTorqueAverageSubsteps) % MaxTorqueAverageSubsteps];
        return sum / n;
    }

    private static int SaturateToInt(double v)
    {
        double r = Math.Round(v);
        if (r >= int.MaxValue) return int.MaxValue;
        if (r <= int.MinValue) return int.MinValue;
        return double.IsNaN(r) ? 0 : (int)r;
    }
}
