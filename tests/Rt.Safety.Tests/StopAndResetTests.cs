using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

public sealed class StopAndResetTests
{
    private static Rig EscalationRig() => new(c =>
    {
        c.Safety.Triggers["collision"] = new() { Reaction = "cat2", DiscrepancyTicks = 1 };
        c.Safety.Triggers["imu_fault"] = new() { Reaction = "cat1", DiscrepancyTicks = 1 };
        c.Safety.Triggers["torque_limit"] = new() { Reaction = "cat2", DiscrepancyTicks = 1 }; // an SS2 ramp that is not a collision's hold
    });

    [Fact]
    public void Cat1_ramps_down_on_the_configured_deceleration_then_removes_power()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => Rig.AddFault(s, FaultCode.ImuSaturated); // imu_fault: Cat 1
        var velocities = new List<double>();
        long start = rig.Tick;
        while (rig.State is SafetyState.Operational or SafetyState.Stopping && rig.Tick - start < 1000)
        {
            rig.Step();
            if (rig.State == SafetyState.Stopping) velocities.Add(rig.S.TargetVelocity[0]);
        }
        Assert.Equal(SafetyState.Stopped, rig.State);
        Assert.Equal(DrivePowerRequest.Off, rig.S.PowerRequest);
        Assert.False(rig.Enable.Level);
        // Ramp: 1 rad/s at 20 rad/s² → 50 ms; each step 0.02 rad/s lower, monotone, ends at 0.
        for (int i = 1; i < velocities.Count; i++)
            Assert.True(velocities[i] <= velocities[i - 1] + 1e-12 && velocities[i] >= velocities[i - 1] - 0.02 - 1e-9);
        Assert.Equal(0, velocities[^1], 9);
        long stoppedAfter = rig.Log.Single(e => e.To == SafetyState.Stopped).Tick - rig.Log.Single(e => e.To == SafetyState.Stopping).Tick;
        Assert.InRange(stoppedAfter, 50, 55); // ramp time + the tick to see standstill
        Assert.Equal(StopCategory.Cat1, rig.Log.Single(e => e.To == SafetyState.Stopped).Reaction);
    }

    [Fact]
    public void Cat2_ramps_down_then_holds_with_power_and_monitors_standstill()
    {
        var rig = EscalationRig().Operational();
        rig.Condition = s => s.Divergence.ExternalTorque[0] = 30;
        rig.Step();
        rig.Condition = null;
        rig.RunUntil(r => r.State == SafetyState.Holding, 200);
        double hold = rig.S.TargetPosition[0];
        rig.Run(100);
        Assert.Equal(SafetyState.Holding, rig.State);
        Assert.Equal(DrivePowerRequest.Operate, rig.S.PowerRequest);
        Assert.True(rig.Enable.Level);
        Assert.Equal(hold, rig.S.TargetPosition[0]);
        Assert.Equal(0, rig.S.TargetVelocity[0]);
        // Pushed out of the standstill window (a collision's: the configured window + the hold's yield): STO at once.
        rig.Condition = s => s.Position[0] = hold + rig.Config.Safety.StandstillWindowRad + StopRamp.YieldMaxRad + 0.01;
        rig.Step();
        Assert.Equal(SafetyState.Faulted, rig.State);
        Assert.Equal(DrivePowerRequest.Off, rig.S.PowerRequest);
    }

    [Fact]
    public void Fault_during_stopping_escalates_cat2_to_cat1_to_cat0()
    {
        var rig = EscalationRig().Operational();
        rig.CommandVelocity = 4; // 200 ms ramp: room to escalate
        rig.Run(5);
        rig.Condition = s => s.Torque[0] = 60; // torque_limit, configured Cat 2 (a collision would get the hold instead)
        rig.Step();
        rig.Condition = null;
        Assert.Equal(StopCategory.Cat2, rig.Sup.StopInProgress);
        rig.Run(10);
        Assert.Equal(SafetyState.Stopping, rig.State);

        rig.Condition = s => Rig.AddFault(s, FaultCode.ImuStale); // Cat 1 during the Cat 2 stop
        rig.Step();
        rig.Condition = null;
        Assert.Equal(SafetyState.Stopping, rig.State);
        Assert.Equal(StopCategory.Cat1, rig.Sup.StopInProgress);
        double v = Math.Abs(rig.S.TargetVelocity[0]);
        Assert.InRange(v, 3.0, 3.8); // the same ramp continues, not restarted

        // A weaker trip does not weaken the stop.
        rig.Condition = s => s.Divergence.ExternalTorque[1] = 30;
        rig.Step();
        rig.Condition = null;
        Assert.Equal(StopCategory.Cat1, rig.Sup.StopInProgress);

        rig.Condition = s => Rig.AddFault(s, FaultCode.BusLinkDown); // Cat 0 during the Cat 1 stop
        rig.Step();
        Assert.Equal(SafetyState.Faulted, rig.State);
        Assert.Equal(DrivePowerRequest.Off, rig.S.PowerRequest);
        var seq = rig.Log.Where(e => e.Reaction is StopCategory.Cat0 or StopCategory.Cat1 or StopCategory.Cat2).Select(e => e.Reaction).ToArray();
        Assert.Equal([StopCategory.Cat2, StopCategory.Cat1, StopCategory.Cat2, StopCategory.Cat0], seq);
    }

    [Fact]
    public void Ramp_not_followed_forces_sto_at_once()
    {
        var rig = new Rig { CommandVelocity = 4 }.Operational();
        rig.Condition = s => Rig.AddFault(s, FaultCode.ImuSaturated);
        rig.Run(3);
        Assert.Equal(SafetyState.Stopping, rig.State);
        rig.Condition = null;
        rig.VelocityOverride = (j, v) => j == 0 ? 4.0 : v; // the drive keeps going at 4 rad/s
        rig.RunUntil(r => r.State != SafetyState.Stopping, 200);
        Assert.Equal(SafetyState.Faulted, rig.State);
        var fail = rig.Log.Last();
        Assert.Equal(SafetyState.Stopping, fail.From);
        Assert.Equal(StopCategory.Cat0, fail.Reaction);
        Assert.Equal(FaultCode.StopMonitor, fail.Trigger); // the stop monitor's own trigger, not following_error
        Assert.Equal(0, fail.Channel);
        // Allowed: |ramp| + 20 rad/s² × 50 ms + 0.05 rad/s = |ramp| + 1.05; 4 rad/s leaves that band after ~53 ms.
        long took = rig.Tick - 1 - rig.Log.Single(e => e.To == SafetyState.Stopping).Tick;
        Assert.InRange(took, 50, 56);
    }

    [Fact]
    public void Stop_time_is_monitored_even_when_the_drive_crawls_inside_the_envelope()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => Rig.AddFault(s, FaultCode.ImuSaturated);
        rig.Run(3);
        rig.Condition = null;
        rig.VelocityOverride = (j, v) => j == 0 ? 0.5 : v; // inside the ramp's tolerance band, never at standstill
        rig.RunUntil(r => r.State != SafetyState.Stopping, 2000);
        Assert.Equal(SafetyState.Faulted, rig.State);
        long took = rig.Tick - rig.Log.Single(e => e.To == SafetyState.Stopping).Tick;
        Assert.True(took <= 600, $"took {took} ticks"); // stop_time_s 0.5 s + 50 ms settle
    }

    [Fact]
    public void Reset_is_refused_while_the_cause_persists_with_the_reason()
    {
        var rig = new Rig().Operational();
        rig.EStop.Set(true);
        rig.Run(3);
        Assert.Equal(SafetyState.Faulted, rig.State);
        rig.Reset.Set(false);
        rig.Step();
        rig.Reset.Set(true); // rising edge while the e-stop is still pressed
        rig.Step();
        Assert.Equal(SafetyState.Faulted, rig.State);
        var o = rig.Sup.LastResetOutcome;
        Assert.False(o.Accepted);
        Assert.Equal(FaultCode.EStop, o.Cause);
        Assert.StartsWith("refused: cause persists: EStop", LocalResetSocket.Describe(o), StringComparison.Ordinal);
        var refusal = rig.Log.Last();
        Assert.Equal(SafetyState.Faulted, refusal.From);
        Assert.Equal(SafetyState.Faulted, refusal.To);
        Assert.Equal(FaultCode.EStop, refusal.Trigger);
        Assert.Equal(StopCategory.None, refusal.Reaction);
    }

    [Fact]
    public void Reset_held_high_does_nothing_and_a_fresh_edge_resets()
    {
        var rig = new Rig().Operational();
        rig.Reset.Set(true); // pressed (and held) while nothing is latched: ignored
        rig.Run(5);
        var ignored = rig.Sup.LastResetOutcome;
        Assert.False(ignored.Accepted);
        rig.EStop.Set(true);
        rig.Run(3);
        rig.EStop.Set(false);
        rig.Run(500); // cause gone, reset level still high: no reset
        Assert.Equal(SafetyState.Faulted, rig.State);
        Assert.Equal(ignored, rig.Sup.LastResetOutcome);

        rig.Reset.Set(false);
        rig.Step();
        rig.Reset.Set(true);
        rig.Step();
        Assert.Equal(SafetyState.Resetting, rig.State);
        Assert.True(rig.Sup.LastResetOutcome.Accepted);
        rig.Step();
        Assert.Equal(SafetyState.Disabled, rig.State);

        // Reset does not restart: the operator's enable must be given again.
        rig.Run(50);
        Assert.Equal(SafetyState.Disabled, rig.State);
        rig.S.MotionRequested = false;
        rig.Step();
        rig.S.MotionRequested = true;
        rig.RunUntil(r => r.State == SafetyState.Operational, 10);
    }

    [Fact]
    public void Local_reset_request_is_an_edge_consumed_once()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => Rig.AddFault(s, FaultCode.BusLinkDown);
        rig.Step();
        rig.Condition = null;
        Assert.Equal(SafetyState.Faulted, rig.State);
        rig.Sup.RequestReset();
        rig.Step();
        Assert.Equal(SafetyState.Resetting, rig.State);
        rig.Run(10);
        Assert.Equal(SafetyState.Disabled, rig.State);
        // Not latched: a further request is answered "nothing to reset".
        rig.Sup.RequestReset();
        rig.Step();
        Assert.Equal("ignored: nothing to reset (state Disabled)", LocalResetSocket.Describe(rig.Sup.LastResetOutcome));
    }

    [Fact]
    public void Reset_in_the_same_tick_as_a_new_trip_is_refused_with_that_trip()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => Rig.AddFault(s, FaultCode.BusLinkDown);
        rig.Step();
        rig.Condition = null;
        rig.Step();
        rig.Condition = s => Rig.AddFault(s, FaultCode.BusSlaveLeftOp, 3);
        rig.Sup.RequestReset();
        rig.Step();
        Assert.Equal(SafetyState.Faulted, rig.State);
        var o = rig.Sup.LastResetOutcome;
        Assert.False(o.Accepted);
        Assert.Equal(FaultCode.BusSlaveLeftOp, o.Cause);
        Assert.Equal(3, o.Channel);
    }

    [Fact]
    public void Drive_fault_is_cleared_by_the_reset_or_the_reset_fails_with_the_code()
    {
        var rig = new Rig().Operational();
        bool faulty = true;
        rig.Condition = s => { if (faulty) { s.Image.Inputs[1].Statusword |= 0x0008; s.Image.Inputs[1].ErrorCode = 0x4310; } };
        rig.Step();
        Assert.Equal(SafetyState.Faulted, rig.State);
        rig.Sup.RequestReset();
        rig.Step();
        Assert.Equal(SafetyState.Resetting, rig.State); // the drive needs the reset to clear its fault
        rig.Run(20);
        faulty = false; // the axis logic's fault reset worked
        rig.Run(2);
        Assert.Equal(SafetyState.Disabled, rig.State);

        faulty = true;
        rig.Step();
        rig.Sup.RequestReset();
        rig.RunUntil(r => r.State == SafetyState.Faulted && r.Log.Last().From == SafetyState.Resetting, 1500);
        var e = rig.Log.Last();
        Assert.Equal(FaultCode.DriveFault, e.Trigger);
        Assert.Equal(0x4310, (int)e.Value);
    }

    [Fact]
    public void Nominal_lockstep_sine_motion_never_trips()
    {
        var rig = new Rig { Sine = true };
        rig.Operational(0);
        rig.Run(20_000); // 20 s at 1 kHz
        Assert.Equal(SafetyState.Operational, rig.State);
        Assert.All(rig.Log, e => Assert.Equal(FaultCode.None, e.Trigger));
        Assert.Equal(2, rig.Log.Count); // disabled → enabling → operational
    }
}

public sealed class EnablingTests
{
    [Fact]
    public void Drives_that_never_become_operational_trip_a_drive_fault_after_one_second()
    {
        var rig = new Rig { DrivesBecomeReady = false };
        rig.Step();
        Assert.Equal(SafetyState.Enabling, rig.State);
        long since = rig.Tick - 1;
        rig.RunUntil(r => r.State != SafetyState.Enabling, 1100);
        Assert.Equal(SafetyState.Faulted, rig.State);
        var trip = rig.Log.Last();
        Assert.Equal(Rt.Core.Faults.FaultCode.DriveFault, trip.Trigger);
        Assert.Equal(since + 1000, trip.Tick);
        Assert.Equal(0x0250, (int)trip.Value); // the statusword it was stuck in
    }

    [Fact]
    public void A_drive_dropping_out_of_operation_enabled_while_operational_is_a_drive_fault()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => { s.DriveOperational[1] = false; s.AllDrivesOperational = false; };
        rig.Step();
        Assert.Equal(SafetyState.Faulted, rig.State);
        Assert.Equal(1, rig.Log.Last().Channel);
    }
}
