using Rt.Core.Faults;
using Rt.Core.ProcessData;
using Rt.Core.Tick;
using Rt.Safety;
using Xunit.Abstractions;

namespace Rt.Safety.Tests;

/// <summary>
/// Every trigger → its default reaction, in lockstep: the condition is set from tick t0 on; the supervisor must decide
/// the stop in tick t0 + discrepancy − 1 (so the stop command is in the frame of tick t0 + discrepancy, within the
/// bound discrepancy + 1 tick) and not one tick earlier.
/// </summary>
public sealed class TriggerReactionTests(ITestOutputHelper output)
{
    public static TheoryData<string> Triggers()
    {
        var d = new TheoryData<string>();
        foreach (var n in SafetyTriggers.Names) if (n != "telemetry_loss") d.Add(n);
        return d;
    }

    private static Action<TickState> ConditionFor(string trigger, Rig rig) => trigger switch
    {
        "twin_divergence" => s => { s.Divergence.OverThreshold[5] = true; s.Divergence.Detector[5] = 12; },
        "collision" => s => s.Divergence.ExternalTorque[0] = 20, // threshold 0.3 × 50 N·m
        "position_limit" => s => s.Position[1] = 2.5,
        "velocity_limit" => s => s.Velocity[0] = 6, // limit 5 × 1.1
        "torque_limit" => s => s.Torque[1] = -60, // limit 50 × 1.1
        "following_error" => s => s.TargetPosition[0] += 0.2, // limit 0.1 rad
        "loop_overrun" => s => Rig.AddFault(s, FaultCode.LoopOverrun, 0, 3),
        "bus_frame_loss" => s => s.Faults.Add(Fault.Of(FaultCode.BusWorkingCounter, 0, s.Tick, expected: 9, received: 6)),
        "bus_slave_left_op" => s => Rig.AddFault(s, FaultCode.BusSlaveLeftOp, 1),
        "bus_link_down" => s => Rig.AddFault(s, FaultCode.BusLinkDown),
        "drive_fault" => s => { s.Image.Inputs[1].Statusword |= 0x0008; s.Image.Inputs[1].ErrorCode = 0x7121; },
        "imu_fault" => s => s.Image.Imus[0].Status = (ushort)ImuStatus.GyroSaturated,
        "estop" => _ => rig.EStop.Set(true),
        _ => throw new ArgumentOutOfRangeException(nameof(trigger)),
    };

    private static FaultCode ExpectedCode(string trigger) => trigger == "bus_frame_loss" ? FaultCode.BusFrameLost
        : SafetyTriggers.Code((SafetyTrigger)SafetyTriggers.Names.ToList().IndexOf(trigger));

    [Theory]
    [MemberData(nameof(Triggers))]
    public void Trigger_stops_in_the_tick_it_is_confirmed(string trigger)
    {
        var rig = new Rig().Operational();
        var t = (SafetyTrigger)SafetyTriggers.Names.ToList().IndexOf(trigger);
        var policy = rig.Sup.Policy[t];
        int disc = policy.DiscrepancyTicks;
        double v0 = rig.S.Velocity[0];
        rig.Condition = ConditionFor(trigger, rig);
        long t0 = rig.Tick;
        long decided = -1;
        for (int k = 0; k < disc + 5 && decided < 0; k++)
        {
            rig.Step();
            if (rig.State != SafetyState.Operational) decided = rig.Tick - 1;
        }
        output.WriteLine($"{trigger}: reaction {policy.Reaction}, discrepancy {disc}, condition from tick {t0}, decided in tick {decided}");
        Assert.Equal(t0 + disc - 1, decided); // the stop command is in the frame of tick t0 + disc ≤ t0 + disc + 1

        var trip = Assert.Single(rig.Log, e => e.From == SafetyState.Operational && e.Reaction != StopCategory.None);
        // Reaction by class (ReactionPolicy): the collision trigger, and a twin divergence with contact evidence (here
        // one joint velocity channel at 1.2 × its threshold, nothing implausible), get the compliant hold, logged Cat 2.
        bool compliant = trigger is "collision" or "twin_divergence";
        var expected = compliant ? StopCategory.Cat2 : policy.Reaction;
        Assert.Equal(expected, trip.Reaction);
        Assert.Equal(ExpectedCode(trigger), trip.Trigger);
        Assert.Equal(decided, trip.Tick);
        if (trigger is "bus_slave_left_op" or "drive_fault" or "position_limit" or "torque_limit") Assert.Equal(1, trip.Channel);
        if (trigger == "twin_divergence") Assert.Equal(5, trip.Channel);
        if (trigger == "drive_fault") Assert.Equal(0x7121, trip.Value);
        switch (expected)
        {
            case StopCategory.Cat0:
                Assert.Equal(SafetyState.Faulted, rig.State);
                Assert.Equal(DrivePowerRequest.Off, rig.S.PowerRequest);
                Assert.False(rig.Enable.Level);
                break;
            case StopCategory.Cat1:
            case StopCategory.Cat2:
                Assert.Equal(SafetyState.Stopping, rig.State);
                Assert.Equal(DrivePowerRequest.Operate, rig.S.PowerRequest);
                Assert.True(rig.S.TargetsOverridden);
                Assert.Equal(expected, rig.Sup.StopInProgress);
                double vTrip = rig.S.Velocity[0];
                if (compliant)
                {
                    // The hold: every joint's target is where it was measured at the trip, moved back along the way it
                    // came by |v|·10 ms (at most 30 mrad), velocity 0.
                    Assert.Equal(rig.S.Position[0] - Math.Sign(vTrip) * Math.Min(Math.Abs(vTrip) * 0.010, 0.03), rig.S.TargetPosition[0], 9);
                    Assert.Equal(0, rig.S.TargetVelocity[0]);
                    Assert.NotEqual(0, v0);
                }
                // First ramp step: one tick of deceleration below the measured velocity at the trip.
                else if (trigger != "velocity_limit") Assert.Equal(Math.Abs(v0) - 20 * 1e-3, Math.Abs(rig.S.TargetVelocity[0]), 6);
                else Assert.True(Math.Abs(rig.S.TargetVelocity[0]) < Math.Abs(vTrip));
                break;
            default:
                Assert.Fail($"unexpected default reaction {policy.Reaction}");
                break;
        }
    }

    [Fact]
    public void Drive_fault_reports_the_error_code_by_number_even_when_unknown()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => { s.Image.Inputs[0].Statusword |= 0x0008; s.Image.Inputs[0].ErrorCode = 0xBEEF; };
        rig.Step();
        var trip = Assert.Single(rig.Log, e => e.Trigger == FaultCode.DriveFault);
        Assert.Equal(0xBEEF, (int)trip.Value);
        Assert.Equal(0, trip.Channel);
        Assert.False(DriveErrorCodes.IsKnown(0xBEEF));
        Assert.Contains("0xBEEF", DriveErrorCodes.Describe(0xBEEF), StringComparison.Ordinal);
        Assert.Contains("unknown", DriveErrorCodes.Describe(0xBEEF), StringComparison.Ordinal);
        Assert.Equal("0x7121 motor blocked", DriveErrorCodes.Describe(0x7121));
    }

    [Fact]
    public void Imu_stale_counter_trips_after_the_stale_window_plus_discrepancy()
    {
        var rig = new Rig().Operational();
        ushort frozen = 0;
        rig.Condition = s => { if (frozen == 0) frozen = s.Image.Imus[0].SampleCounter; s.Image.Imus[0].SampleCounter = frozen; };
        long t0 = rig.Tick;
        rig.RunUntil(r => r.State != SafetyState.Operational, 50);
        // Counter repeats from t0+1; stale after 3 repeats (3 × loop/IMU rate) → condition true at t0+3; + discrepancy 3.
        long decided = rig.Tick - 1;
        Assert.Equal(t0 + 3 + 3 - 1, decided);
        Assert.Equal(FaultCode.ImuStale, rig.Log.Single(e => e.From == SafetyState.Operational).Trigger);
    }

    [Fact]
    public void Imu_non_finite_sample_trips()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => s.Image.Imus[0].AngularRateY = float.NaN;
        rig.Run(3);
        Assert.Equal(SafetyState.Stopping, rig.State);
    }

    [Fact]
    public void Non_finite_position_trips_the_position_limit()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => s.Position[0] = double.NaN;
        rig.Step();
        Assert.Equal(FaultCode.PositionLimit, rig.Log.Single(e => e.From == SafetyState.Operational).Trigger);
    }

    [Fact]
    public void Telemetry_loss_is_a_warning_and_never_stops_motion()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => Rig.AddFault(s, FaultCode.TelemetryDropped, 0, 17);
        rig.Run(200);
        Assert.Equal(SafetyState.Operational, rig.State);
        Assert.Equal(DrivePowerRequest.Operate, rig.S.PowerRequest);
        var w = Assert.Single(rig.Log, e => e.Trigger == FaultCode.TelemetryDropped);
        Assert.Equal(StopCategory.Warning, w.Reaction);
        Assert.Equal(w.From, w.To);
    }

    [Fact]
    public void Discrepancy_count_filters_a_condition_shorter_than_it()
    {
        var rig = new Rig().Operational();
        // Torque limit needs 3 consecutive ticks: 2 on, 1 off, 2 on never trips.
        for (int rep = 0; rep < 20; rep++)
        {
            rig.Condition = s => s.Torque[0] = 70;
            rig.Run(2);
            rig.Condition = null;
            rig.Step();
        }
        Assert.Equal(SafetyState.Operational, rig.State);
    }

    [Fact]
    public void Configured_discrepancy_and_reaction_are_used()
    {
        var rig = new Rig(c => c.Safety.Triggers["collision"] = new() { Reaction = "cat0", DiscrepancyTicks = 7 }).Operational();
        rig.Condition = s => s.Divergence.ExternalTorque[1] = -40;
        long t0 = rig.Tick;
        rig.RunUntil(r => r.State != SafetyState.Operational, 20);
        Assert.Equal(t0 + 7 - 1, rig.Tick - 1);
        Assert.Equal(SafetyState.Faulted, rig.State);
    }
}
