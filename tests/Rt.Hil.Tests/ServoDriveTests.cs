using Rt.Core.Config;
using Rt.Core.ProcessData;
using Rt.Hil.Drives;
using Rt.Drivers.Cia402;

namespace Rt.Hil.Tests;

public class ServoDriveTests
{
    private const double Dt = 0.00025;

    private static JointDriveConfig Joint(int direction = 1, double followingError = 0.1) => new()
    {
        Name = "test_knee",
        Drive = 0,
        GearRatio = 100,
        Direction = direction,
        EncoderCountsPerRev = 131072,
        TorqueConstantNmPerA = 0.1,
        RatedTorqueNm = 0.5,
        ZeroOffsetCounts = 1000,
        Limits = new JointLimitConfig { PositionMinRad = -1, PositionMaxRad = 2, VelocityRadS = 8, AccelerationRadS2 = 60, TorqueNm = 140, FollowingErrorRad = followingError },
    };

    private static EmulatedServoDrive PoweredUp(JointDriveConfig? joint = null, DriveModelOptions? options = null)
    {
        var d = new EmulatedServoDrive(joint ?? Joint(), options);
        d.Update(0, Dt);
        return d;
    }

    private static void Enable(EmulatedServoDrive d, sbyte mode = Cia402Modes.CyclicSyncPosition)
    {
        d.ApplyCommand(BenchFixtures.Command(0x06, mode, d.Feedback.PositionActual));
        d.ApplyCommand(BenchFixtures.Command(0x07, mode, d.Feedback.PositionActual));
        d.ApplyCommand(BenchFixtures.Command(0x0F, mode, d.Feedback.PositionActual));
        Assert.Equal(DriveState.OperationEnabled, d.State);
    }

    [Fact]
    public void Powers_up_through_not_ready_to_switch_on_disabled()
    {
        var d = new EmulatedServoDrive(Joint());
        Assert.Equal(0, d.Feedback.Statusword & 0x4F);
        d.Update(0, Dt);
        Assert.Equal(0x40, d.Feedback.Statusword & 0x4F);
        Assert.Equal(0x0250, d.Feedback.Statusword);
    }

    [Fact]
    public void Enable_sequence_0x06_0x07_0x0F_walks_the_cia402_states()
    {
        var d = PoweredUp();
        d.ApplyCommand(BenchFixtures.Command(0x06));
        d.Update(0, Dt);
        Assert.Equal(0x21, d.Feedback.Statusword & 0x6F);
        Assert.Equal(0x0231, d.Feedback.Statusword & 0x02FF);
        d.ApplyCommand(BenchFixtures.Command(0x07));
        d.Update(0, Dt);
        Assert.Equal(0x23, d.Feedback.Statusword & 0x6F);
        Assert.Equal(0x0233, d.Feedback.Statusword & 0x02FF);
        d.ApplyCommand(BenchFixtures.Command(0x0F, target: d.Feedback.PositionActual));
        d.Update(0, Dt);
        Assert.Equal(0x27, d.Feedback.Statusword & 0x6F);
        Assert.Equal(0x0237, d.Feedback.Statusword & 0x02FF);
        Assert.Equal(Cia402Modes.CyclicSyncPosition, d.Feedback.ModeDisplay);
        Assert.NotEqual(0, d.Feedback.Statusword & 0x1000); // CSP: drive follows the command value
    }

    [Fact]
    public void Disable_voltage_and_quick_stop_leave_operation()
    {
        var d = PoweredUp();
        Enable(d);
        d.ApplyCommand(BenchFixtures.Command(0x0B)); // quick stop: bits 2:1 = 01
        Assert.Equal(DriveState.QuickStopActive, d.State);
        Assert.Equal(0x07, d.Feedback.Statusword & 0x6F);
        d.ApplyCommand(BenchFixtures.Command(0x0F));
        Assert.Equal(DriveState.OperationEnabled, d.State);
        d.ApplyCommand(BenchFixtures.Command(0x00)); // disable voltage
        Assert.Equal(0x40, d.Feedback.Statusword & 0x4F);
        Assert.Equal(0, d.Update(0, Dt));
    }

    [Fact]
    public void Fault_reset_acts_on_the_rising_edge_of_bit_7_only()
    {
        var d = PoweredUp();
        Enable(d);
        d.InjectFault(0x2310);
        d.Update(0, Dt); // fault reaction → fault
        Assert.Equal(0x08, d.Feedback.Statusword & 0x4F);
        Assert.Equal(0x2310, d.Feedback.ErrorCode);

        // Bit 7 already high when the fault arrives (held level): no edge, nothing happens.
        var held = PoweredUp();
        Enable(held);
        held.ApplyCommand(BenchFixtures.Command(0x8F));
        held.InjectFault(0x2310);
        held.Update(0, Dt);
        for (int k = 0; k < 5; k++)
        {
            held.ApplyCommand(BenchFixtures.Command(0x80));
            held.Update(0, Dt);
        }
        Assert.Equal(DriveState.Fault, held.State);

        // Falling then rising edge resets.
        held.ApplyCommand(BenchFixtures.Command(0x00));
        Assert.Equal(DriveState.Fault, held.State);
        held.ApplyCommand(BenchFixtures.Command(0x80));
        Assert.Equal(DriveState.SwitchOnDisabled, held.State);
        Assert.Equal(0, held.Feedback.ErrorCode);

        d.ApplyCommand(BenchFixtures.Command(0x80));
        Assert.Equal(0x40, d.Feedback.Statusword & 0x4F);
    }

    [Fact]
    public void Torque_is_zero_in_fault_and_limited_to_rated_times_gear_times_max_per_mille()
    {
        var d = PoweredUp(options: new DriveModelOptions { MaxTorquePerMille = 2000, EffectiveInertiaKgM2 = 0.2 });
        Enable(d);
        Assert.Equal(0.5 * 100 * 2.0, d.MaxJointTorqueNm, 9);
        // A big position error (inside a wide following window) saturates the loops.
        d.ApplyCommand(BenchFixtures.Command(0x0F, target: d.Scaling.PositionToCounts(0.09)));
        double tau = 0;
        for (int k = 0; k < 40; k++) tau = d.Update(0, Dt);
        Assert.Equal(100.0, tau, 9);
        Assert.Equal(2000, d.Feedback.TorqueActual);
        Assert.NotEqual(0, d.Feedback.Statusword & 0x0080); // warning: torque limit active
        d.InjectFault(0x1000);
        Assert.Equal(0, d.Update(0, Dt));
    }

    [Fact]
    public void The_masters_0x6072_lowers_the_torque_limit_never_raises_it_and_0_means_not_written()
    {
        var d = PoweredUp(options: new DriveModelOptions { MaxTorquePerMille = 2000, EffectiveInertiaKgM2 = 0.2 });
        Enable(d);
        int far = d.Scaling.PositionToCounts(0.09); // saturates the loops (inside the following window)
        double Saturated(ushort maxTorque)
        {
            var c = BenchFixtures.Command(0x0F, target: far);
            c.MaxTorque = maxTorque;
            d.ApplyCommand(c);
            double tau = 0;
            for (int k = 0; k < 40; k++) tau = d.Update(0, Dt);
            return tau;
        }
        Assert.Equal(0.5 * 100 * 0.8, Saturated(800), 9); // 800 ‰ of rated · gear
        Assert.Equal(40.0, d.TorqueLimitNm, 9);
        Assert.Equal(800, d.Feedback.TorqueActual);
        Assert.NotEqual(0, d.Feedback.Statusword & 0x0080); // torque limit active
        Assert.Equal(100.0, Saturated(5000), 9); // above the drive's own 2000 ‰: its own limit
        Assert.Equal(100.0, Saturated(0), 9);    // not written (a mapping without 0x6072)
        Assert.Equal(20.0, Saturated(400), 9);   // lowered again at once (the next cycle's command)
    }

    [Fact]
    public void Cst_passes_target_torque_through_with_the_mounting_direction()
    {
        var d = PoweredUp(Joint(direction: -1));
        Enable(d, Cia402Modes.CyclicSyncTorque);
        d.ApplyCommand(new DriveOutputs { Controlword = 0x0F, ModeOfOperation = Cia402Modes.CyclicSyncTorque, TargetTorque = 200, TorqueOffset = 100 });
        double tau = d.Update(0, Dt);
        // 300 ‰ of 0.5 N·m at the motor × gear 100 = 15 N·m, reversed by direction -1.
        Assert.Equal(-15.0, tau, 9);
        Assert.Equal(300, d.Feedback.TorqueActual);
        Assert.Equal(Cia402Modes.CyclicSyncTorque, d.Feedback.ModeDisplay);
    }

    [Fact]
    public void Torque_actual_is_the_mean_over_the_configured_number_of_substeps()
    {
        var d = PoweredUp();
        d.TorqueAverageSubsteps = 2;
        Enable(d, Cia402Modes.CyclicSyncTorque);
        d.ApplyCommand(new DriveOutputs { Controlword = 0x0F, ModeOfOperation = Cia402Modes.CyclicSyncTorque, TargetTorque = 200 });
        d.Update(0, Dt);
        d.ApplyCommand(new DriveOutputs { Controlword = 0x0F, ModeOfOperation = Cia402Modes.CyclicSyncTorque, TargetTorque = 400 });
        Assert.Equal(20.0, d.Update(0, Dt), 9); // the plant gets this substep's torque…
        Assert.Equal(300, d.Feedback.TorqueActual); // …0x6077 the mean of the last two substeps (200 ‰ and 400 ‰)
        d.Update(0, Dt);
        Assert.Equal(400, d.Feedback.TorqueActual);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.TorqueAverageSubsteps = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.TorqueAverageSubsteps = EmulatedServoDrive.MaxTorqueAverageSubsteps + 1);
    }

    [Fact]
    public void Torque_scale_fault_weakens_the_motor_but_not_the_reported_torque()
    {
        var d = PoweredUp();
        Enable(d, Cia402Modes.CyclicSyncTorque);
        d.TorqueScale = 0.5;
        d.ApplyCommand(new DriveOutputs { Controlword = 0x0F, ModeOfOperation = Cia402Modes.CyclicSyncTorque, TargetTorque = 200 });
        Assert.Equal(5.0, d.Update(0, Dt), 9);
        Assert.Equal(200, d.Feedback.TorqueActual);
    }

    [Fact]
    public void Encoder_quantises_to_counts_with_gear_direction_and_zero_offset()
    {
        var d = new EmulatedServoDrive(Joint(direction: -1));
        double countsPerRad = 100 * 131072 / (2 * Math.PI);
        d.Update(0.1, Dt);
        Assert.Equal(1000 - (int)Math.Round(0.1 * countsPerRad), d.Feedback.PositionActual);
        // A motion smaller than half a count is invisible.
        d.Update(0.1 + 0.4 / countsPerRad, Dt);
        Assert.Equal(1000 - (int)Math.Round(0.1 * countsPerRad), d.Feedback.PositionActual);
        Assert.Equal(0.1, d.MeasuredPositionRad, 1e-6);
        d.EncoderOffsetCounts = 50;
        d.Update(0.1, Dt);
        Assert.Equal(1000 - (int)Math.Round(0.1 * countsPerRad) + 50, d.Feedback.PositionActual);
        d.EncoderFrozen = true;
        int frozen = d.Feedback.PositionActual;
        d.Update(0.5, Dt);
        Assert.Equal(frozen, d.Feedback.PositionActual);
    }

    [Fact]
    public void Velocity_is_estimated_from_encoder_differences()
    {
        var d = new EmulatedServoDrive(Joint());
        double v = 1.5, q = 0;
        for (int k = 0; k < 400; k++)
        {
            q += v * Dt;
            d.Update(q, Dt);
        }
        Assert.Equal(v, d.MeasuredVelocityRadS, 0.01);
        Assert.Equal(v, d.Scaling.CountsToVelocity(d.Feedback.VelocityActual), 0.01);
    }

    [Fact]
    public void Following_error_beyond_the_window_for_longer_than_the_timeout_faults_with_0x8611()
    {
        var d = PoweredUp(Joint(followingError: 0.05), new DriveModelOptions { FollowingErrorTimeoutS = 0.002 });
        Enable(d);
        d.TorqueScale = 0; // motor produces nothing: the error cannot be closed
        d.ApplyCommand(BenchFixtures.Command(0x0F, target: d.Scaling.PositionToCounts(0.2)));
        d.Update(0, Dt);
        Assert.NotEqual(0, d.Feedback.Statusword & 0x2000); // following error bit while within the timeout
        Assert.Equal(DriveState.OperationEnabled, d.State);
        for (int k = 0; k < 10; k++) d.Update(0, Dt);
        Assert.Equal(DriveState.Fault, d.State);
        Assert.Equal(Cia402ErrorCodes.FollowingError, d.Feedback.ErrorCode);
        Assert.Equal(0x08, d.Feedback.Statusword & 0x4F);
    }

    [Fact]
    public void Drive_cycle_allocates_nothing()
    {
        var d = PoweredUp();
        Enable(d);
        var cmd = BenchFixtures.Command(0x0F, target: 500);
        for (int k = 0; k < 100; k++) Cycle(d, cmd);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10000; k++) Cycle(d, cmd);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static void Cycle(EmulatedServoDrive d, DriveOutputs cmd)
        {
            d.ApplyCommand(cmd);
            d.Update(0.001, Dt);
            _ = d.Feedback;
        }
    }
}
