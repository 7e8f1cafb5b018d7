using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// SS1/SS2 (and the operator's own stop): from the velocity measured when the stop begins, a ramp at the configured
/// deceleration to standstill, written as targets each tick; the ramp is monitored (the drive must follow it, and be
/// at standstill within the stop time), and SS2's hold (SOS) is monitored against the standstill window.
/// Real-time safe after construction.
/// </summary>
internal sealed class StopRamp
{
    private readonly SupervisorLimits _l;
    private readonly double[] _v0, _p0, _hold, _rampVelocity;
    private long _startTick, _rampTicks;

    public StopRamp(SupervisorLimits limits)
    {
        _l = limits;
        _v0 = new double[limits.Joints];
        _p0 = new double[limits.Joints];
        _hold = new double[limits.Joints];
        _rampVelocity = new double[limits.Joints];
    }

    /// <summary>The category of the stop in progress: Cat1, Cat2, or None for the operator's own stop or no stop.</summary>
    public StopCategory Category { get; set; }

    /// <summary>Starts the ramp from the measured state; its first step goes out in the very next frame.</summary>
    public void Begin(TickState s, long tick)
    {
        _startTick = tick;
        double longest = 0;
        for (int j = 0; j < _l.Joints; j++)
        {
            double v = s.Velocity[j];
            double p = s.Position[j];
            _v0[j] = double.IsFinite(v) ? v : 0;
            _p0[j] = double.IsFinite(p) ? p : 0;
            longest = Math.Max(longest, Math.Abs(_v0[j]) / _l.Decel);
        }
        _rampTicks = (long)Math.Ceiling(longest / _l.Dt - 1e-9);
        Write(s, 0);
    }

    /// <summary>
    /// While Stopping: writes this tick's ramp step and checks the drive follows. Returns StopFailed (with the cause),
    /// the stop's completion input, or None.
    /// </summary>
    public SafetyInput MonitorStop(TickState s, long tick, ref SafetyCause failure)
    {
        long k = tick - _startTick;
        Write(s, k);
        bool still = true, failed = false;
        for (int j = 0; j < _l.Joints; j++)
        {
            // The ramp commanded for this tick's time was sent one frame ago, so compare against the previous step.
            double allowed = Math.Abs(PreviousRampVelocity(j, k)) + _l.RampTolerance;
            double vm = s.Velocity[j];
            if (!(Math.Abs(vm) <= allowed) && !failed)
            {
                failed = true; // the drive is not following the ramp: STO at once
                failure = new SafetyCause(FaultCode.FollowingError, (short)j, vm, allowed);
            }
            if (!(Math.Abs(vm) <= SupervisorLimits.StandstillVelocityRadS)) still = false;
        }
        if (failed) return SafetyInput.StopFailed;
        if (k >= _rampTicks && still)
        {
            return Category switch
            {
                StopCategory.Cat2 => SafetyInput.HoldReached,
                StopCategory.Cat1 => SafetyInput.StopComplete,
                _ => SafetyInput.OperatorStopComplete,
            };
        }
        long limit = Math.Max(_l.StopTimeTicks, _rampTicks) + _l.SettleTicks;
        if (k < limit) return SafetyInput.None;
        failure = new SafetyCause(FaultCode.FollowingError, -1, k * _l.Dt, limit * _l.Dt); // not at standstill in time
        return SafetyInput.StopFailed;
    }

    /// <summary>While Holding (SOS): holds the ramp's end position; leaving the standstill window is StopFailed.</summary>
    public SafetyInput MonitorHold(TickState s, ref SafetyCause failure)
    {
        bool failed = false;
        for (int j = 0; j < _l.Joints; j++)
        {
            s.TargetPosition[j] = _hold[j];
            s.TargetVelocity[j] = 0;
            s.FeedforwardTorque[j] = 0;
            double dev = s.Position[j] - _hold[j];
            if (!(Math.Abs(dev) <= _l.StandstillWindow) && !failed)
            {
                failed = true; // SOS window left: STO
                failure = new SafetyCause(FaultCode.PositionLimit, (short)j, dev, _l.StandstillWindow);
            }
        }
        return failed ? SafetyInput.StopFailed : SafetyInput.None;
    }

    /// <summary>Writes the ramp's targets for ramp step k (the target for time (k+1)·dt, the next frame's time).</summary>
    private void Write(TickState s, long k)
    {
        double t = (k + 1) * _l.Dt;
        double decel = _l.Decel;
        for (int j = 0; j < _l.Joints; j++)
        {
            double v0 = _v0[j];
            double speed0 = Math.Abs(v0);
            double sign = Math.Sign(v0);
            double tc = Math.Min(t, speed0 / decel);
            _rampVelocity[j] = t < speed0 / decel ? sign * (speed0 - decel * t) : 0;
            double pr = _p0[j] + v0 * tc - sign * 0.5 * decel * tc * tc;
            s.TargetPosition[j] = pr;
            s.TargetVelocity[j] = _rampVelocity[j];
            s.FeedforwardTorque[j] = 0;
            _hold[j] = pr;
        }
    }

    private double PreviousRampVelocity(int j, long k)
    {
        double t = k * _l.Dt;
        double speed0 = Math.Abs(_v0[j]);
        return t < speed0 / _l.Decel ? speed0 - _l.Decel * t : 0;
    }
}
