using System.Globalization;
using Rt.Core.Config;
using Rt.Core.ProcessData;
using Rt.Core.Tick;
using Rt.Drivers.Cia402;

namespace Rt.ControlLoop.Pipeline;

/// <summary>
/// Converts between the drives' process image (counts, per-mille) and the joint-side SI values the rest of the tick
/// uses, and runs each axis's CiA 402 state machine. Constructed once (not real-time safe); the two per-tick methods are.
/// Per joint mode (<see cref="JointMode"/>): CSP sends the target position (drive closes the loops); CSV sends
/// q̇_ref + k_p·(q_ref − q), CST sends τ_ff + K·(q_ref − q) + D·(q̇_ref − q̇), both clamped to the joint's limits.
/// A drive without velocity actual (0x606C) gets its velocity from the position difference over one tick.
/// 0x6072 max torque is written every tick: <see cref="MotionTorqueClampShare"/> × the joint's limits.torque_nm in
/// motion, the collision hold's lower limit
/// (<see cref="TickState.HoldTorqueFraction"/> × limits.torque_nm) while <see cref="TickState.CollisionHold"/> (codecs
/// skip it for drives that do not map it). Neither ever exceeds the drive's own commissioned 0x6072, read at bring-up
/// (<c>EtherCatFieldbus.DriveMaxTorque</c>): the host lowers a drive's limit, never raises it.
/// </summary>
public sealed class JointIo
{
    private readonly JointScaling[] _scaling;
    private readonly Cia402Axis[] _axes;
    private readonly double[] _minPosition, _maxPosition;
    private readonly JointMode[] _mode;
    private readonly sbyte[] _modeValue;
    private readonly double[] _kp, _kq, _kd, _velocityLimit, _torqueLimit;
    private readonly double[] _lastPosition;
    private readonly ushort[] _maxTorqueNormal; // 0x6072 in motion, ‰ of rated
    private readonly ushort[] _maxTorqueCeiling; // the drive's own 0x6072, or ushort.MaxValue where not known

    /// <summary>
    /// The drive's clamp in motion, as a share of limits.torque_nm. Above 1 on purpose: limits.torque_nm is what the
    /// supervisor monitors (a drive fighting an external torque past it is a Cat 1 trip), and a clamp at the same value
    /// would hide that from the monitor and turn the fight into a silent velocity or following-error trip later.
    /// </summary>
    public const double MotionTorqueClampShare = 1.25;
    private readonly bool[] _hasLast;
    private readonly uint[] _brakeEngageBit; // per joint: the 0x60FE:01 bit that closes its brake under power (0: none)
    private readonly double _rateHz;

    /// <param name="config">The robot config (joints' modes, gains, limits, scaling).</param>
    /// <param name="driveMaxTorque">Per joint: the drive's own 0x6072 max torque read at bring-up (‰ of rated), 0 where
    /// not known; null: none known (the in-process image). The 0x6072 written is never above it.</param>
    public JointIo(RtConfig config, IReadOnlyList<ushort>? driveMaxTorque = null)
    {
        int n = config.Joints.Count;
        _scaling = new JointScaling[n];
        _axes = new Cia402Axis[n];
        _minPosition = new double[n];
        _maxPosition = new double[n];
        _mode = new JointMode[n];
        _modeValue = new sbyte[n];
        _kp = new double[n];
        _kq = new double[n];
        _kd = new double[n];
        _velocityLimit = new double[n];
        _torqueLimit = new double[n];
        _lastPosition = new double[n];
        _hasLast = new bool[n];
        _maxTorqueNormal = new ushort[n];
        _maxTorqueCeiling = new ushort[n];
        _brakeEngageBit = new uint[n];
        foreach (var b in config.Brakes)
        {
            int k = config.Joints.FindIndex(j => j.Name == b.Joint);
            if (k >= 0 && b.EngageBit is int bit) _brakeEngageBit[k] = DriveDigitalOutputs.BrakeEngage(bit);
        }
        _rateHz = config.Loop.RateHz;
        var lowered = new List<string>();
        for (int i = 0; i < n; i++)
        {
            var j = config.Joints[i];
            _mode[i] = j.Mode;
            _modeValue[i] = JointModeRules.Cia402Value(j.Mode);
            _kp[i] = j.HostLoop.PositionGainPerS;
            _kq[i] = j.HostLoop.StiffnessNmPerRad;
            _kd[i] = j.HostLoop.DampingNmSPerRad;
            _velocityLimit[i] = j.Limits.VelocityRadS;
            _torqueLimit[i] = j.Limits.TorqueNm;
            _scaling[i] = new JointScaling(config.Joints[i]);
            _maxTorqueCeiling[i] = driveMaxTorque is not null && i < driveMaxTorque.Count && driveMaxTorque[i] > 0 ? driveMaxTorque[i] : ushort.MaxValue;
            ushort configured = _scaling[i].TorqueLimitToPerMille(MotionTorqueClampShare * j.Limits.TorqueNm);
            _maxTorqueNormal[i] = Math.Min(_maxTorqueCeiling[i], configured);
            if (_maxTorqueNormal[i] < configured)
                lowered.Add(string.Create(CultureInfo.InvariantCulture, $"{j.Name} {_maxTorqueNormal[i]} < {configured} ‰"));
            _minPosition[i] = config.Joints[i].Limits.PositionMinRad;
            _maxPosition[i] = config.Joints[i].Limits.PositionMaxRad;
        }
        if (lowered.Count > 0)
            _notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"bus: 0x6072: the drive's own max torque is below the configured clamp ({MotionTorqueClampShare} × limits.torque_nm) on {lowered.Count} joint(s), the host writes the drive's: {string.Join(", ", lowered)}"));
    }

    public DriveState AxisState(int joint) => _axes[joint].State;

    /// <summary>One start-up line naming each joint whose drive's own 0x6072 is below the configured motion clamp (none when no joint). Read-only after construction.</summary>
    public IReadOnlyList<string> Notes => _notes;

    private readonly List<string> _notes = [];

    /// <summary>The 0x6072 written to <paramref name="joint"/>'s drive in motion, ‰ of rated torque. Real-time safe.</summary>
    public ushort MotionMaxTorque(int joint) => _maxTorqueNormal[joint];

    /// <summary>Real-time safe. Image inputs → state.Position/Velocity/Torque and the drives' operational flags.</summary>
    public void ReadInputs(TickState s)
    {
        var inputs = s.Image.Inputs;
        bool all = true;
        for (int i = 0; i < inputs.Length; i++)
        {
            ref readonly var input = ref inputs[i];
            var scaling = _scaling[i];
            double q = scaling.CountsToPosition(input.PositionActual);
            s.Position[i] = q;
            if ((s.Image.Feedback[i] & DriveFeedback.Velocity) != 0) s.Velocity[i] = scaling.CountsToVelocity(input.VelocityActual);
            else if (s.InputsFresh)
            {
                // No 0x606C: the position difference over one tick stands in (held over a lost frame).
                s.Velocity[i] = _hasLast[i] ? (q - _lastPosition[i]) * _rateHz : 0;
                _lastPosition[i] = q;
                _hasLast[i] = true;
            }
            s.Torque[i] = scaling.PerMilleToTorque(input.TorqueActual);
            bool op = Statusword.Decode(input.Statusword) == DriveState.OperationEnabled;
            s.DriveOperational[i] = op;
            all &= op;
        }
        s.AllDrivesOperational = all && inputs.Length > 0;
    }

    /// <summary>
    /// Real-time safe. The safety gate's power request → controlwords; targets → counts. A drive that is not yet
    /// operating is given its own actual position as target, so enabling never makes it jump.
    /// </summary>
    public void WriteOutputs(TickState s)
    {
        var outputs = s.Image.Outputs;
        var inputs = s.Image.Inputs;
        var request = s.PowerRequest switch
        {
            DrivePowerRequest.Operate => AxisRequest.Operate,
            DrivePowerRequest.QuickStop => AxisRequest.QuickStop,
            // While the supervisor is resetting (an accepted local reset edge), drive faults are acknowledged too.
            _ => s.DriveFaultReset || s.SafetyState == SafetyState.Resetting ? AxisRequest.ResetFault : AxisRequest.Off,
        };
        for (int i = 0; i < outputs.Length; i++)
        {
            ref var output = ref outputs[i];
            var scaling = _scaling[i];
            output.Controlword = _axes[i].Next(inputs[i].Statusword, request);
            if (request == AxisRequest.Operate) output.Controlword |= s.ControlwordBits[i]; // homing start (manual mode)
            output.ModeOfOperation = s.ModeOverride[i] != 0 ? s.ModeOverride[i] : _modeValue[i];
            // The collision hold's brake under power (brakes[i].engage_bit): set while it asks, cleared otherwise.
            if (s.BrakeEngage[i]) output.DigitalOutputs |= _brakeEngageBit[i];
            else output.DigitalOutputs &= ~_brakeEngageBit[i];
            output.TargetVelocity = 0;
            output.TargetTorque = 0;
            output.MaxTorque = s.CollisionHold
                ? Math.Min(_maxTorqueCeiling[i], scaling.TorqueLimitToPerMille(Math.Clamp(s.HoldTorqueFraction[i], 0, 1) * _torqueLimit[i]))
                : _maxTorqueNormal[i];
            if (_axes[i].IsOperational && request == AxisRequest.Operate)
            {
                // The controller's targets are kept inside the limits; a supervisor's stop ramp is sent as decided
                // (it starts from where the joint is, which after a limit trip is already outside the limit).
                double q = s.TargetsOverridden ? s.TargetPosition[i] : Math.Clamp(s.TargetPosition[i], _minPosition[i], _maxPosition[i]);
                output.TargetPosition = scaling.PositionToCounts(q);
                output.VelocityOffset = scaling.VelocityToCounts(s.TargetVelocity[i]);
                output.TorqueOffset = (short)scaling.TorqueToPerMille(s.FeedforwardTorque[i]);
                if (_mode[i] == JointMode.Csv)
                {
                    double v = s.TargetVelocity[i] + _kp[i] * (q - s.Position[i]);
                    output.TargetVelocity = scaling.VelocityToCounts(Math.Clamp(v, -_velocityLimit[i], _velocityLimit[i]));
                    output.VelocityOffset = 0;
                }
                else if (_mode[i] == JointMode.Cst)
                {
                    double tau = s.FeedforwardTorque[i] + _kq[i] * (q - s.Position[i]) + _kd[i] * (s.TargetVelocity[i] - s.Velocity[i]);
                    output.TargetTorque = scaling.TorqueToPerMille(Math.Clamp(tau, -_torqueLimit[i], _torqueLimit[i]));
                    output.VelocityOffset = 0;
                    output.TorqueOffset = 0;
                }
            }
            else
            {
                output.TargetPosition = inputs[i].PositionActual;
                output.VelocityOffset = 0;
                output.TorqueOffset = 0;
            }
        }
    }
}
