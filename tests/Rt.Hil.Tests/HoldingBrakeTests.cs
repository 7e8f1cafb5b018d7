using Rt.Core.Config;
using Rt.Core.ProcessData;
using Rt.Drivers.Cia402;
using Rt.Hil.Drives;

namespace Rt.Hil.Tests;

/// <summary>
/// The emulated holding brake (issue 13) on one drive, against a one-joint plant integrated here (inertia J under a
/// constant load torque, as gravity on a leg on the stand): the drive engages its brake when its power stage goes off
/// (STO), after the engage time; the brake holds below its holding torque and slips above it; it lets go on enable.
/// </summary>
public class HoldingBrakeTests
{
    private const double Dt = 0.0005, J = 0.1;

    private static JointDriveConfig Knee() => new()
    {
        Name = "knee", Drive = 0, GearRatio = 100, EncoderCountsPerRev = 131072, TorqueConstantNmPerA = 0.1, RatedTorqueNm = 0.5,
        Limits = new JointLimitConfig { PositionMinRad = -3, PositionMaxRad = 3, VelocityRadS = 8, AccelerationRadS2 = 60, TorqueNm = 140, FollowingErrorRad = 0.1 },
    };

    /// <summary>Enabled in CSP holding 0, then STO (disable voltage); returns the joint angle over time after the STO.</summary>
    private static (double At20Ms, double At500Ms, double At1000Ms) StoUnderLoad(double loadNm, BrakeConfig? brake)
    {
        var d = new EmulatedServoDrive(Knee(), new DriveModelOptions { EffectiveInertiaKgM2 = J });
        if (brake is not null) d.Brake = new HoldingBrake(brake, J);
        double q = 0, qd = 0;
        void Step()
        {
            double tau = d.Update(q, Dt) + loadNm;
            qd += tau / J * Dt;
            q += qd * Dt;
        }
        Step();
        foreach (ushort cw in new ushort[] { 0x06, 0x07, 0x0F })
            d.ApplyCommand(BenchFixtures.Command(cw, Cia402Modes.CyclicSyncPosition, d.Feedback.PositionActual));
        Assert.Equal(DriveState.OperationEnabled, d.State);
        for (int i = 0; i < 2000; i++) Step(); // 1 s holding against the load with the motor
        Assert.False(d.Brake?.Holds ?? false); // released while operation is enabled
        double q0 = q;
        d.ApplyCommand(BenchFixtures.Command(0x00)); // STO: disable voltage
        double a20 = 0, a500 = 0;
        for (int i = 1; i <= 2000; i++)
        {
            Step();
            if (i == 40) a20 = q - q0;
            if (i == 1000) a500 = q - q0;
        }
        Assert.Equal(DriveState.SwitchOnDisabled, d.State);
        return (a20, a500, q - q0);
    }

    [Fact]
    public void Sto_engages_the_brake_after_its_engage_time_and_the_loaded_joint_stays()
    {
        var brake = new BrakeConfig { Joint = "knee", HoldingTorqueNm = 140, EngageTimeS = 0.02 };
        var (at20, at500, at1000) = StoUnderLoad(-20, brake);
        // Free for 20 ms under 200 rad/s² (½·a·t² = 0.04 rad), then held.
        Assert.InRange(Math.Abs(at20), 0.01, 0.06);
        Assert.True(Math.Abs(at1000) < 0.08, $"travel {at1000} rad");
        Assert.True(Math.Abs(at1000 - at500) < 1e-3, $"still moving after 0.5 s: {at500} → {at1000} rad");

        var (_, _, unbraked) = StoUnderLoad(-20, null);
        Assert.True(Math.Abs(unbraked) > 10 * Math.Abs(at1000), $"without a brake the joint fell {unbraked} rad"); // the comparison that shows the brake acts
    }

    [Fact]
    public void A_load_above_the_holding_torque_slips_the_brake()
    {
        var brake = new BrakeConfig { Joint = "knee", HoldingTorqueNm = 10, EngageTimeS = 0.02 };
        var (_, at500, at1000) = StoUnderLoad(-20, brake);
        Assert.True(Math.Abs(at1000 - at500) > 0.5, $"slipping at (20 − 10) / J = 100 rad/s²: {at500} → {at1000} rad");
    }

    [Fact]
    public void The_brake_is_validated_with_bounds_and_names_its_joint()
    {
        var config = new RtConfig();
        config.Joints.Add(Knee());
        config.Brakes.Add(new BrakeConfig { Joint = "knee", HoldingTorqueNm = 5000, EngageTimeS = -1 });
        config.Brakes.Add(new BrakeConfig { Joint = "elbow", HoldingTorqueNm = 1 });
        var problems = new List<string>();
        BrakeConfig.Check(config, (k, m) => problems.Add($"{k}: {m}"));
        Assert.Contains(problems, p => p.StartsWith("brakes[0].holding_torque_nm: is 5000; expected more than 0 and at most 1400 N·m", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("brakes[0].engage_time_s: is -1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("brakes[1].joint: 'elbow' is not a configured joint; expected one of knee", StringComparison.Ordinal));
        Assert.Equal(3, problems.Count);
    }

    [Theory]
    [InlineData(15)] // bit 15 is not the manufacturer's
    [InlineData(32)]
    public void An_engage_bit_outside_0x60FE_01s_manufacturer_range_is_refused_with_one_line(int bit)
    {
        var config = new RtConfig();
        config.Joints.Add(Knee());
        config.Brakes.Add(new BrakeConfig { Joint = "knee", HoldingTorqueNm = 100, EngageBit = bit });
        var problems = new List<string>();
        BrakeConfig.Check(config, (k, m) => problems.Add($"{k}: {m}"));
        Assert.Equal($"brakes[0].engage_bit: is {bit}; expected a bit of 0x60FE:01's manufacturer-specific range, 16 to 31", Assert.Single(problems));
        config.Brakes[0].EngageBit = 16;
        problems.Clear();
        BrakeConfig.Check(config, (k, m) => problems.Add($"{k}: {m}"));
        Assert.Empty(problems);
    }

    [Fact]
    public void A_brake_released_by_hand_lets_the_unpowered_joint_sag_and_holds_it_again_once_re_engaged()
    {
        var d = new EmulatedServoDrive(Knee(), new DriveModelOptions { EffectiveInertiaKgM2 = J })
        {
            Brake = new HoldingBrake(new BrakeConfig { Joint = "knee", HoldingTorqueNm = 140, EngageTimeS = 0.02 }, J),
        };
        double q = 0, qd = 0;
        void Run(int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                double tau = d.Update(q, Dt) - 5; // gravity on an unpowered joint (the drive stays switch-on disabled)
                qd += tau / J * Dt;
                q += qd * Dt;
            }
        }
        Run(200);
        Assert.InRange(q, -0.001, 0.001); // engaged: held
        d.Brake.ManualRelease = true;
        Run(200); // 0.1 s free under 50 rad/s²: ½·a·t² = 0.25 rad
        double sag = q;
        Assert.InRange(sag, -0.3, -0.2);
        d.Brake.ManualRelease = false;
        Run(40); // the engage time (20 ms) and the spring catching it
        double caught = q;
        Run(1000);
        Assert.InRange(q - caught, -0.01, 0.01); // held again
        Assert.Equal(DriveState.SwitchOnDisabled, d.State);
    }

    [Fact]
    public void A_brake_released_through_0x60FE_bit_0_lets_the_unpowered_joint_sag_and_clearing_it_holds_again()
    {
        var d = new EmulatedServoDrive(Knee(), new DriveModelOptions { EffectiveInertiaKgM2 = J })
        {
            Brake = new HoldingBrake(new BrakeConfig { Joint = "knee", HoldingTorqueNm = 140, EngageTimeS = 0.02 }, J),
        };
        double q = 0, qd = 0;
        void Run(int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                double tau = d.Update(q, Dt) - 5; // gravity on an unpowered joint
                qd += tau / J * Dt;
                q += qd * Dt;
            }
        }
        Run(200);
        Assert.InRange(q, -0.001, 0.001);
        d.ApplyCommand(new DriveOutputs { DigitalOutputs = DriveDigitalOutputs.BrakeRelease }); // the master releases it by the bus
        Assert.True(d.BrakeReleasedByBus);
        Run(200);
        Assert.InRange(q, -0.3, -0.2); // 0.1 s free, as by the GPIO line
        Assert.False(d.Brake.ManualRelease);
        d.ApplyCommand(default); // bit 0 cleared (or outputs invalid: the bench hands over zeros)
        Run(40);
        double caught = q;
        Run(1000);
        Assert.InRange(q - caught, -0.01, 0.01);
        Assert.Equal(DriveState.SwitchOnDisabled, d.State);
    }

    /// <summary>
    /// 0x60FE:01 bit 16 (the bench drive's brake-test command): the brake closes while the drive stays in "operation
    /// enabled", and drive and brake together hold a load above the drive's own limit; clearing it lets go again.
    /// </summary>
    [Fact]
    public void Bit_16_closes_the_brake_under_power_and_drive_and_brake_together_hold_what_the_drive_alone_does_not()
    {
        (double Moved, double MovedAfterClear, DriveState State) Run(bool closeUnderPower)
        {
            var d = new EmulatedServoDrive(Knee(), new DriveModelOptions { EffectiveInertiaKgM2 = J })
            {
                Brake = new HoldingBrake(new BrakeConfig { Joint = "knee", HoldingTorqueNm = 140, EngageTimeS = 0.02 }, J),
            };
            double q = 0, qd = 0;
            void Steps(int n)
            {
                for (int i = 0; i < n; i++)
                {
                    double tau = d.Update(q, Dt) - 1.3 * d.MaxJointTorqueNm; // a push beyond the drive's limit (150 N·m), below drive + brake
                    qd += tau / J * Dt;
                    q += qd * Dt;
                }
            }
            Steps(1);
            foreach (ushort cw in new ushort[] { 0x06, 0x07, 0x0F }) d.ApplyCommand(BenchFixtures.Command(cw, Cia402Modes.CyclicSyncPosition, 0));
            Assert.Equal(DriveState.OperationEnabled, d.State);
            var cmd = BenchFixtures.Command(0x0F, Cia402Modes.CyclicSyncPosition, 0);
            if (closeUnderPower) cmd.DigitalOutputs = DriveDigitalOutputs.BenchBrakeEngage;
            d.ApplyCommand(cmd);
            Assert.Equal(closeUnderPower, d.BrakeEngagedByBus);
            Steps(400); // the engage time, the spring catching it, the drive's loop settling against it
            double at = q;
            Steps(1000); // 0.5 s more under the push
            double moved = q - at;
            var state = d.State;
            d.ApplyCommand(BenchFixtures.Command(0x0F, Cia402Modes.CyclicSyncPosition, 0)); // bit cleared: released again
            double before = q;
            Steps(200);
            return (moved, q - before, state);
        }

        var closed = Run(true);
        var open = Run(false);
        Assert.Equal(DriveState.OperationEnabled, closed.State); // power stayed on throughout
        Assert.True(Math.Abs(closed.Moved) < 0.005, $"held: {closed.Moved} rad in 0.5 s");
        Assert.True(Math.Abs(open.Moved) > 0.5, $"the drive alone gave way: {open.Moved} rad in 0.5 s"); // the comparison that shows the brake acts
        Assert.True(Math.Abs(closed.MovedAfterClear) > 0.05, $"released once the bit is cleared: {closed.MovedAfterClear} rad in 0.1 s");
    }
}
