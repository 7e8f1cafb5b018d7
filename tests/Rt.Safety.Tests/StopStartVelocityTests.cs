using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety.Tests;

/// <summary>
/// Where a ramp starts (issue 13, held-out set of session 11): from the measured velocity, unless it is faster than
/// the joint's speed a tick before by more than the ramp monitor's slack. A failed encoder's jump
/// reads as a velocity spike, and a ramp from it drove a standing hip yaw into its drive's following-error fault.
/// </summary>
public class StopStartVelocityTests
{
    [Fact]
    public void A_velocity_spike_on_a_standing_joint_does_not_become_the_ramps_start()
    {
        var rig = new Rig().Operational();
        // Joint 1 stands (commanded 0); on the trip tick its encoder jumps: −11.9 rad/s for one tick.
        rig.Condition = s =>
        {
            s.Velocity[1] = -11.9;
            Rig.AddFault(s, FaultCode.ImuSaturated); // imu_fault: Cat 1
        };
        rig.Step();
        rig.Condition = null;
        Assert.Equal(SafetyState.Stopping, rig.State);
        double worst1 = Math.Abs(rig.S.TargetVelocity[1]), first0 = rig.S.TargetVelocity[0];
        rig.RunUntil(r => r.State != SafetyState.Stopping, 1000);
        // The moving joint still ramps from its speed (1 rad/s, first step 0.98); the standing one is not driven.
        Assert.InRange(first0, 0.97, 1.0);
        Assert.Equal(0, worst1, 9);
        Assert.Equal(SafetyState.Stopped, rig.State);
        Assert.DoesNotContain(rig.Log, e => e.Trigger == FaultCode.StopMonitor);
    }

    [Theory]
    // measured, last tick's, slack → start
    [InlineData(1.0, 1.0, 1.05, 1.0)]       // steady
    [InlineData(0.2, 4.9, 1.05, 0.2)]       // slowed by something (an obstacle): the measured, slower speed
    [InlineData(-4.8, 4.9, 1.05, -4.8)]     // reversed as fast (a rebound): the measured
    [InlineData(-11.9, 0.0, 1.05, 0.0)]     // a spike on a standing joint: last tick's
    [InlineData(9.0, 4.0, 1.05, 4.0)]       // a spike on a moving joint: last tick's
    [InlineData(5.0, 4.0, 1.05, 5.0)]       // faster, within the slack: the measured
    [InlineData(double.NaN, 2.0, 1.05, 0.0)] // no measurement: 0, as before
    public void The_ramp_starts_from_the_measured_speed_unless_it_is_implausible(double measured, double last, double slack, double expected)
    {
        Assert.Equal(expected, StopRamp.StartVelocity(measured, last, slack), 12);
    }
}
