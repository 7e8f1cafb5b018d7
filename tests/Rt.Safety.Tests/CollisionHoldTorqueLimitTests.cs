using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.ProcessData;
using Rt.Core.Tick;
using Rt.Safety.Jog;

namespace Rt.Safety.Tests;

/// <summary>
/// The collision hold's drive-side torque limit (issue 13 item 2): from the trip tick on, while the compliant hold and
/// its standstill last, <see cref="TickState.CollisionHold"/> tells the drive layer to write the hold's 0x6072; a ramp
/// (a sensor fault's Cat 1) keeps the normal limit. And brakes released through the drives' 0x60FE:01 bit 0.
/// </summary>
public sealed class CollisionHoldTorqueLimitTests
{
    [Fact]
    public void A_collision_sets_the_hold_limit_in_its_trip_tick_and_keeps_it_through_the_standstill()
    {
        var rig = new Rig().Operational();
        Assert.False(rig.S.CollisionHold);
        rig.Condition = s => s.Divergence.ExternalTorque[0] = 20; // over 0.3 × 50 N·m, discrepancy 2
        for (int t = 0; rig.State == SafetyState.Operational; t++)
        {
            Assert.False(rig.S.CollisionHold);
            rig.Step();
            Assert.True(t < 20);
        }
        Assert.Equal(SafetyState.Stopping, rig.State);
        Assert.True(rig.S.CollisionHold); // the trip tick's own frame already carries the hold limit
        Assert.Equal(CollisionHoldLimits.DefaultFraction, rig.S.HoldTorqueFraction[0]);
        Assert.Equal(CollisionHoldLimits.DefaultFraction, rig.S.HoldTorqueFraction[1]);
        rig.Condition = null;
        rig.RunUntil(r => r.State != SafetyState.Stopping, 600);
        Assert.Equal(SafetyState.Holding, rig.State);
        Assert.True(rig.S.CollisionHold);
    }

    [Fact]
    public void A_push_that_keeps_moving_the_joint_stiffens_the_hold_to_the_full_limit_before_the_travel_monitor_trips()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => s.Divergence.ExternalTorque[0] = 20;
        rig.RunUntil(r => r.State != SafetyState.Operational, 10);
        rig.Condition = null;
        double p0 = rig.S.Position[0], v0 = rig.S.Velocity[0];
        double allowance = v0 * v0 / (2 * rig.Config.Safety.StopDecelerationRadS2) + StopRamp.HoldTravelAllowanceRad;
        rig.VelocityOverride = (j, v) => j == 0 ? 0.2 : v; // still moving: the hold has not reached standstill
        double at = p0;
        double Fraction(double share)
        {
            // The push moves the joint 2 mrad per tick (a jump would be a following error, another trigger).
            double goal = p0 + share * allowance;
            while (at < goal - 1e-12)
            {
                at = Math.Min(goal, at + 0.002);
                double x = at;
                rig.Condition = s => s.Position[0] = x;
                rig.Step();
                Assert.Equal(SafetyState.Stopping, rig.State);
            }
            return rig.S.HoldTorqueFraction[0];
        }
        const double f = CollisionHoldLimits.DefaultFraction;
        Assert.Equal(f, Fraction(StopRamp.StiffenFromShare / 2), 9);
        Assert.Equal(f, Fraction(StopRamp.StiffenFromShare), 9);
        Assert.Equal(f + (1 - f) * 0.5, Fraction((StopRamp.StiffenFromShare + StopRamp.StiffenFullShare) / 2), 9);
        Assert.Equal(1.0, Fraction(StopRamp.StiffenFullShare), 9);
        Assert.Equal(1.0, Fraction(0.9), 9);
        Assert.Equal(SafetyState.Stopping, rig.State); // still within the allowance: no stop_monitor
    }

    [Fact]
    public void A_ramp_keeps_the_normal_limit_and_power_off_clears_the_hold_limit()
    {
        var rig = new Rig().Operational();
        rig.S.MotionRequested = false; // the operator's own stop: a ramp, not the compliant hold
        rig.Step();
        Assert.Equal(SafetyState.Stopping, rig.State);
        Assert.False(rig.S.CollisionHold);

        var hold = new Rig().Operational();
        hold.Condition = s => s.Divergence.ExternalTorque[0] = 20;
        hold.RunUntil(r => r.State != SafetyState.Operational, 10);
        Assert.True(hold.S.CollisionHold);
        hold.Condition = s => Rig.AddFault(s, FaultCode.BusLinkDown); // Cat 0 during the hold: STO, no hold limit any more
        hold.Step();
        Assert.Equal(DrivePowerRequest.Off, hold.S.PowerRequest);
        Assert.False(hold.S.CollisionHold);
    }

    [Fact]
    public void Collision_hold_torque_limit_is_bounded_with_one_line_naming_the_key()
    {
        foreach (double bad in new[] { 0.0, 0.05, 1.5, double.NaN })
        {
            var lines = new List<string>();
            CollisionHoldLimits.Check(bad, (k, m) => lines.Add($"{k}: {m}"));
            string line = Assert.Single(lines);
            Assert.StartsWith("safety.collision_hold_torque_limit: is ", line);
            Assert.Contains("from 0.1 to 1", line);
        }
        foreach (double good in new[] { 0.1, CollisionHoldLimits.DefaultFraction, 1.0 })
            CollisionHoldLimits.Check(good, (_, m) => Assert.Fail(m));
    }

    [Fact]
    public void Drive_brake_outputs_set_and_clear_bit_0_of_0x60FE_only_for_drive_released_brakes()
    {
        var image = new ProcessImage(3, 0);
        image.Outputs[1].DigitalOutputs = 0x10000; // a manufacturer bit the brake leaves alone
        var brakes = new DriveBrakeOutputs(image, [false, true, false]);
        Assert.False(brakes.CanRelease(0));
        Assert.True(brakes.CanRelease(1));
        Assert.False(brakes.CanRelease(3));
        brakes.SetReleased(1, true);
        brakes.SetReleased(0, true); // no drive-released brake there: no stray bit
        Assert.Equal(0x10001u, image.Outputs[1].DigitalOutputs);
        Assert.Equal(0u, image.Outputs[0].DigitalOutputs);
        Assert.True(brakes.IsReleased(1));
        brakes.SetReleased(1, false);
        Assert.Equal(0x10000u, image.Outputs[1].DigitalOutputs);
        Assert.False(brakes.IsReleased(1));
    }

    [Fact]
    public void A_hold_to_run_release_through_the_drive_sets_the_bit_in_the_tick_and_clears_it_past_the_timeout()
    {
        var rig = new Rig();
        rig.S.MotionRequested = false; // the supervisor stays Disabled
        var homing = new HomingMode(rig.Config, rig.Sup, new JogMode(rig.Config, rig.Sup));
        var flags = new bool[rig.Config.Joints.Count];
        flags[1] = true;
        var hold = new BrakeHold(new DriveBrakeOutputs(rig.S.Image, flags), rig.Sup, TimeSpan.FromMilliseconds(100));
        homing.Brakes = hold;
        rig.Run(5);
        Assert.Equal(SafetyState.Disabled, rig.State);

        hold.Submit(BrakeCommandKind.Release, JogSource.LocalResetSocket, 1);
        rig.Step();
        Assert.Equal(DriveDigitalOutputs.BrakeRelease, rig.S.Image.Outputs[1].DigitalOutputs & DriveDigitalOutputs.BrakeRelease);
        hold.Submit(BrakeCommandKind.Release, JogSource.LocalResetSocket, 0); // joint 0's brake has no drive release
        rig.Step();
        Assert.Equal(0u, rig.S.Image.Outputs[0].DigitalOutputs);
        int t = 0;
        while ((rig.S.Image.Outputs[1].DigitalOutputs & DriveDigitalOutputs.BrakeRelease) != 0 && t < 1000) { rig.Step(); t++; }
        Assert.InRange(t, 98, 101); // re-engaged on the tick's clock, 100 ms after the release
    }

    [Fact]
    public void Brake_hold_through_the_drives_allocates_nothing_per_tick()
    {
        var rig = new Rig();
        rig.S.MotionRequested = false;
        var homing = new HomingMode(rig.Config, rig.Sup, new JogMode(rig.Config, rig.Sup));
        var hold = new BrakeHold(new DriveBrakeOutputs(rig.S.Image, [false, true]), rig.Sup, TimeSpan.FromMilliseconds(100));
        homing.Brakes = hold;
        rig.DrainEvents = false;
        var s = rig.S;
        void Tick()
        {
            s.Tick++;
            s.TimeNs += Rig.PeriodNs;
            rig.Sup.Evaluate(s);
            while (rig.Events.TryPop(out _)) { }
        }
        hold.Submit(BrakeCommandKind.Release, JogSource.LocalResetSocket, 1); // warm up: release, time out, engage
        for (int i = 0; i < 300; i++) Tick();
        hold.Submit(BrakeCommandKind.Release, JogSource.LocalResetSocket, 1); // measured: the release, renewals' absence, the engage
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) Tick();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
