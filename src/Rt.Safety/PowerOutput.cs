using Rt.Core.Hardware;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// The enable output: turns the safety state into the drives' power request and targets for this tick, and drives the
/// hardware enable line (written only when its level changes). Powered states follow the controller (Operational),
/// hold the measured pose (Enabling), or keep the stop's ramp/hold targets (Stopping, Holding); every other state is
/// STO with targets following the measured pose so nothing jumps when torque returns. Real-time safe.
/// </summary>
internal sealed class PowerOutput(int joints, IDigitalOutput? enableOutput)
{
    private bool _written, _level;

    /// <param name="manual">The manual mode (jog) powers the drives this tick and has written every target.</param>
    /// <param name="collisionHold">The stop in progress is a collision's compliant hold: the drives get the hold's torque limit.</param>
    public void Write(TickState s, SafetyState state, bool manual = false, bool collisionHold = false)
    {
        s.CollisionHold = collisionHold && state is SafetyState.Stopping or SafetyState.Holding;
        if (state is not (SafetyState.Stopping or SafetyState.Holding)) Array.Clear(s.BrakeEngage); // the drives' own brake logic again
        switch (state)
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
                s.TargetsOverridden = true; // ramp / hold targets written by the stop monitor
                break;
            default:
                if (manual)
                {
                    s.PowerRequest = DrivePowerRequest.Operate; // recovery by hand, supervised (Jog.JogMode)
                    s.TargetsOverridden = true;
                    break;
                }
                s.PowerRequest = DrivePowerRequest.Off;
                HoldMeasured(s);
                break;
        }
        s.SafetyState = state;
        bool enable = s.PowerRequest != DrivePowerRequest.Off;
        if (enableOutput is not null && (!_written || enable != _level))
        {
            enableOutput.Write(enable);
            _written = true;
            _level = enable;
        }
    }

    private void HoldMeasured(TickState s)
    {
        for (int j = 0; j < joints; j++)
        {
            double p = s.Position[j];
            s.TargetPosition[j] = double.IsFinite(p) ? p : 0;
            s.TargetVelocity[j] = 0;
            s.FeedforwardTorque[j] = 0;
        }
        s.TargetsOverridden = true;
    }
}
