using Rt.Core.Config;
using Rt.Drivers.Cia402;

namespace Rt.Drivers.Tests.Cia402;

public class JointScalingTests
{
    private static JointDriveConfig Config(int direction, long zero = 0) => new()
    {
        Name = "j",
        GearRatio = 100,
        Direction = direction,
        EncoderCountsPerRev = 131072,
        RatedTorqueNm = 0.5,
        TorqueConstantNmPerA = 0.1,
        ZeroOffsetCounts = zero,
    };

    [Fact]
    public void One_joint_turn_is_gear_times_counts_per_rev()
    {
        var s = new JointScaling(Config(1));
        Assert.Equal(100 * 131072, s.PositionToCounts(2 * Math.PI));
        Assert.Equal(2 * Math.PI, s.CountsToPosition(100 * 131072), 1e-12);
    }

    [Fact]
    public void Direction_and_zero_offset_apply_to_position_velocity_and_torque()
    {
        var s = new JointScaling(Config(-1, zero: 5000));
        Assert.Equal(5000, s.PositionToCounts(0));
        Assert.True(s.PositionToCounts(0.1) < 5000);
        Assert.Equal(0.1, s.CountsToPosition(s.PositionToCounts(0.1)), 1e-6);
        Assert.True(s.VelocityToCounts(1) < 0);
        Assert.Equal(1.0, s.CountsToVelocity(s.VelocityToCounts(1)), 1e-6);
        // 50 N·m at the joint = 0.5 N·m at the motor = 1000 ‰, sign flipped by the mounting.
        Assert.Equal(-1000, s.TorqueToPerMille(50));
        Assert.Equal(50, s.PerMilleToTorque(-1000), 1e-12);
    }

    [Fact]
    public void Positions_survive_a_32_bit_counter_wrap_near_the_zero_offset()
    {
        var s = new JointScaling(Config(1, zero: int.MaxValue - 10));
        int counts = s.PositionToCounts(0.01); // wraps past int.MaxValue
        Assert.True(counts < 0);
        Assert.Equal(0.01, s.CountsToPosition(counts), 1e-6);
    }

    [Fact]
    public void Torque_saturates_at_the_i16_range_and_nan_gives_zero()
    {
        var s = new JointScaling(Config(1));
        Assert.Equal(short.MaxValue, s.TorqueToPerMille(1e9));
        Assert.Equal(short.MinValue, s.TorqueToPerMille(-1e9));
        Assert.Equal(0, s.TorqueToPerMille(double.NaN));
    }

    [Fact]
    public void Unusable_config_is_refused_with_the_joint_name()
    {
        var bad = Config(1);
        bad.GearRatio = 0;
        var e = Assert.Throws<ArgumentException>(() => new JointScaling(bad));
        Assert.Contains("'j'", e.Message);
    }

    [Fact]
    public void Conversions_allocate_nothing()
    {
        var s = new JointScaling(Config(-1, 77));
        double acc = 0;
        for (int k = 0; k < 100; k++) acc += Round(s, k);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 100000; k++) acc += Round(s, k);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(double.IsFinite(acc));

        static double Round(JointScaling s, int k) =>
            s.CountsToPosition(s.PositionToCounts(k * 1e-4)) + s.CountsToVelocity(s.VelocityToCounts(k * 1e-3)) + s.PerMilleToTorque(s.TorqueToPerMille(k * 0.01));
    }
}
