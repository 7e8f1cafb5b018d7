using Rt.Core.Config;
using Rt.Drivers.Cia402;
using Rt.Hil.Drives;

namespace Rt.Hil.Tests;

/// <summary>
/// The emulated drive's CiA 402 homing mode (6): statusword bits 13/12/10 against the homing table, methods 35/37 (the
/// current position is home) and 17 (negative limit switch, home at its falling edge), the home offset applied to
/// position actual, errors and interruption. The joint is a plain inertia integrated at the drive's substep.
/// </summary>
public sealed class DriveHomingTests
{
    private const double Dt = 0.00025, Inertia = 0.05;
    private const ushort Bit10 = 0x0400, Bit12 = 0x1000, Bit13 = 0x2000, HomingBits = Bit10 | Bit12 | Bit13;

    private static JointDriveConfig Joint() => new()
    {
        Name = "test_knee",
        Drive = 0,
        GearRatio = 100,
        Direction = 1,
        EncoderCountsPerRev = 131072,
        TorqueConstantNmPerA = 0.1,
        RatedTorqueNm = 0.5,
        ZeroOffsetCounts = 1000,
        Limits = new JointLimitConfig { PositionMinRad = -1, PositionMaxRad = 2, VelocityRadS = 8, AccelerationRadS2 = 60, TorqueNm = 140, FollowingErrorRad = 0.1 },
    };

    /// <summary>A drive on a free inertia at <paramref name="q0"/>, enabled in homing mode.</summary>
    private sealed class Rig
    {
        public readonly EmulatedServoDrive Drive;
        public double Q, Qd;
        public ushort Controlword = 0x0F;

        public Rig(double q0, HomingParameters p, DriveModelOptions? options = null)
        {
            Q = q0;
            Drive = new EmulatedServoDrive(Joint(), options ?? new DriveModelOptions { EffectiveInertiaKgM2 = Inertia }) { Homing = p };
            Drive.Update(Q, Dt);
            foreach (ushort cw in new ushort[] { 0x06, 0x07, 0x0F }) Drive.ApplyCommand(BenchFixtures.Command(cw, Cia402Modes.Homing));
            Assert.Equal(DriveState.OperationEnabled, Drive.State);
            Step(4);
        }

        public ushort Status => Drive.Feedback.Statusword;

        /// <summary>One bus cycle of 1 ms: the command, then four drive substeps moving the inertia.</summary>
        public void Step(int cycles = 1)
        {
            for (int c = 0; c < cycles; c++)
            {
                Drive.ApplyCommand(BenchFixtures.Command(Controlword, Cia402Modes.Homing));
                for (int k = 0; k < 4; k++)
                {
                    double tau = Drive.Update(Q, Dt);
                    Qd += tau / Inertia * Dt;
                    Q += Qd * Dt;
                }
            }
        }

        public double PositionActualRad => Drive.Scaling.CountsToPosition(Drive.Feedback.PositionActual);
    }

    private static uint Speed(double radS) => (uint)Math.Round(radS * 131072 * 100 / (2 * Math.PI));

    [Theory]
    [InlineData(35)]
    [InlineData(37)]
    public void Methods_35_and_37_take_the_current_position_as_home_and_apply_the_offset_without_moving(sbyte method)
    {
        var home = new HomingParameters { Method = method, SwitchSpeed = 1000, ZeroSpeed = 100, Acceleration = 1000, HomeOffset = 50_000 };
        var r = new Rig(0.4, home);
        Assert.Equal(Cia402Modes.Homing, r.Drive.Feedback.ModeDisplay);
        Assert.Equal(Bit10, r.Status & HomingBits); // not started
        double before = r.PositionActualRad;
        Assert.InRange(before, 0.39, 0.41);
        r.Controlword = 0x1F; // bit 4: homing operation start
        r.Step();
        Assert.Equal(Bit12 | Bit10, r.Status & HomingBits); // attained and target reached
        Assert.Equal(50_000, r.Drive.Feedback.PositionActual);
        Assert.InRange(r.Q, 0.399, 0.401); // nothing moved
        r.Step(100);
        Assert.InRange(r.Q, 0.399, 0.401);
        Assert.InRange(r.Drive.Feedback.PositionActual, 50_000 - 200, 50_000 + 200);
    }

    [Fact]
    public void Method_17_searches_the_negative_limit_switch_then_homes_on_its_falling_edge()
    {
        var home = new HomingParameters { Method = 17, SwitchSpeed = Speed(0.5), ZeroSpeed = Speed(0.05), Acceleration = Speed(5), HomeOffset = 0 };
        var r = new Rig(0.2, home);
        r.Controlword = 0x1F;
        r.Step(100);
        Assert.Equal(0, r.Status & HomingBits); // in progress
        Assert.InRange(r.Qd, -0.55, -0.45);     // at the switch speed toward the negative switch
        bool sawSwitch = false;
        int cycles = 0;
        while ((r.Status & Bit12) == 0 && cycles++ < 10_000)
        {
            r.Step();
            sawSwitch |= (r.Drive.Feedback.DigitalInputs & 1) != 0;
            Assert.Equal(0, r.Status & Bit13);
        }
        Assert.True(sawSwitch, "0x60FD bit 0 showed the negative limit switch");
        Assert.InRange(cycles, 2000, 5000); // 1.2 rad at 0.5 rad/s, then back off at 0.05 rad/s
        Assert.InRange(r.Q, -1.02, -0.98);  // home is the switch's edge at the joint's -1 rad
        for (int k = 0; k < 1000 && (r.Status & Bit10) == 0; k++) r.Step();
        Assert.Equal(Bit12 | Bit10, r.Status & HomingBits);
        // Position actual is now the home offset at the switch's edge: the encoder's frame moved by ~1 rad.
        Assert.InRange(r.PositionActualRad - (r.Q - (-1.0)), -0.01, 0.01);
        Assert.InRange(r.Drive.HomeShiftCounts, (int)(0.98 * 131072 * 100 / (2 * Math.PI)), (int)(1.02 * 131072 * 100 / (2 * Math.PI)));
        double q = r.Q;
        r.Step(500);
        Assert.InRange(r.Q - q, -0.002, 0.002); // at standstill, held
    }

    [Fact]
    public void No_switch_within_the_travel_bound_or_a_method_the_drive_lacks_is_a_homing_error_bit_13()
    {
        var home = new HomingParameters { Method = 17, SwitchSpeed = Speed(0.5), ZeroSpeed = Speed(0.05), Acceleration = Speed(5), HomeOffset = 0 };
        var r = new Rig(0.2, home, new DriveModelOptions { EffectiveInertiaKgM2 = Inertia, MaxHomingTravelRad = 0.3 });
        r.Controlword = 0x1F;
        int cycles = 0;
        while ((r.Status & Bit13) == 0 && cycles++ < 5000) r.Step();
        Assert.InRange(cycles, 500, 1500);
        Assert.Equal(0, r.Status & Bit12);
        for (int k = 0; k < 1000 && (r.Status & Bit10) == 0; k++) r.Step();
        Assert.Equal(Bit13 | Bit10, r.Status & HomingBits); // error, at standstill

        var lacks = new Rig(0.2, home with { Method = 1 });
        lacks.Controlword = 0x1F;
        lacks.Step();
        Assert.Equal(Bit13 | Bit10, lacks.Status & HomingBits);
        Assert.False(EmulatedServoDrive.SupportsHomingMethod(1));
    }

    [Fact]
    public void Clearing_bit_4_interrupts_the_search_the_joint_stops_and_bit_10_returns_without_12()
    {
        var home = new HomingParameters { Method = 17, SwitchSpeed = Speed(0.5), ZeroSpeed = Speed(0.05), Acceleration = Speed(5), HomeOffset = 0 };
        var r = new Rig(0.2, home);
        r.Controlword = 0x1F;
        r.Step(200);
        r.Controlword = 0x0F;
        for (int k = 0; k < 1000 && (r.Status & Bit10) == 0; k++) r.Step();
        Assert.Equal(Bit10, r.Status & HomingBits);
        Assert.Equal(0, r.Drive.HomeShiftCounts);
        double q = r.Q;
        r.Step(300);
        Assert.InRange(r.Q - q, -0.005, 0.005);
    }
}
