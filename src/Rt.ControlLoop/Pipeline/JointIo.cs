using Rt.Core.Config;
using Rt.Core.Tick;
using Rt.Drivers.Cia402;

namespace Rt.ControlLoop.Pipeline;

/// <summary>
/// Converts between the drives' process image (counts, per-mille) and the joint-side SI values the rest of the tick
/// uses, and runs each axis's CiA 402 state machine. Constructed once (not real-time safe); the two per-tick methods are.
/// </summary>
public sealed class JointIo
{
    private readonly JointScaling[] _scaling;
    private readonly Cia402Axis[] _axes;
    private readonly double[] _minPosition, _maxPosition;

    public JointIo(RtConfig config)
    {
        int n = config.Joints.Count;
        _scaling = new JointScaling[n];
        _axes = new Cia402Axis[n];
        _minPosition = new double[n];
        _maxPosition = new double[n];
        for (int i = 0; i < n; i++)
        {
            _scaling[i] = new JointScaling(config.Joints[i]);
            _minPosition[i] = config.Joints[i].Limits.PositionMinRad;
            _maxPosition[i] = config.Joints[i].Limits.PositionMaxRad;
        }
    }

    public DriveState AxisState(int joint) => _axes[joint].State;

    /// <summary>Real-time safe. Image inputs → state.Position/Velocity/Torque and the drives' operational flags.</summary>
    public void ReadInputs(TickState s)
    {
        var inputs = s.Image.Inputs;
        bool all = true;
        for (int i = 0; i < inputs.Length; i++)
        {
            ref readonly var input = ref inputs[i];
            var scaling = _scaling[i];
            s.Position[i] = scaling.CountsToPosition(input.PositionActual);
            s.Velocity[i] = scaling.CountsToVelocity(input.VelocityActual);
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
            output.ModeOfOperation = (sbyte)OperationMode.CyclicSynchronousPosition;
            if (_axes[i].IsOperational && request == AxisRequest.Operate)
            {
                // The controller's targets are kept inside the limits; a supervisor's stop ramp is sent as decided
                // (it starts from where the joint is, which after a limit trip is already outside the limit).
                double q = s.TargetsOverridden ? s.TargetPosition[i] : Math.Clamp(s.TargetPosition[i], _minPosition[i], _maxPosition[i]);
                output.TargetPosition = scaling.PositionToCounts(q);
                output.VelocityOffset = scaling.VelocityToCounts(s.TargetVelocity[i]);
                output.TorqueOffset = (short)scaling.TorqueToPerMille(s.FeedforwardTorque[i]);
            }
            else
            {
                output.TargetPosition = inputs[i].PositionActual;
                output.VelocityOffset = 0;
                output.TorqueOffset = 0;
            }
            output.TargetVelocity = 0;
            output.TargetTorque = 0;
        }
    }
}
