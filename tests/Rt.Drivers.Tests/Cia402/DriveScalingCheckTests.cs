using Rt.Core.Config;
using Rt.Drivers.Cia402;

namespace Rt.Drivers.Tests.Cia402;

public sealed class DriveScalingCheckTests
{
    private static JointDriveConfig Joint() => new() { Name = "l_knee", GearRatio = 100, EncoderCountsPerRev = 131072, RatedTorqueNm = 0.64, Direction = 1 };

    private static DriveScalingCheck.ObjectReader Od(Dictionary<(int, int), uint> od) =>
        (index, sub) => od.TryGetValue((index, sub), out uint v) ? BitConverter.GetBytes(v) : null;

    [Fact]
    public void A_drive_without_the_objects_is_taken_as_configured()
    {
        var r = DriveScalingCheck.Check(Joint(), "joint l_knee", Od([]));
        Assert.True(r.Ok);
        Assert.Empty(r.Checked);
    }

    [Fact]
    public void Agreeing_objects_are_named_as_checked()
    {
        var r = DriveScalingCheck.Check(Joint(), "joint l_knee", Od(new() { [(0x6076, 0)] = 640, [(0x608F, 1)] = 131072, [(0x608F, 2)] = 1, [(0x6091, 1)] = 100, [(0x6091, 2)] = 1 }));
        Assert.True(r.Ok);
        Assert.Equal(3, r.Checked.Count);
    }

    [Theory]
    [InlineData(0x6076, 0, 700u, "rated_torque_nm is 0.64 N·m, the drive's 0x6076 motor rated torque says 0.7 N·m")]
    [InlineData(0x608F, 1, 65536u, "encoder_counts_per_rev is 131072, the drive's 0x608F encoder resolution says 65536 increments per 1 revolution(s)")]
    [InlineData(0x6091, 1, 50u, "gear_ratio is 100, the drive's 0x6091 gear ratio says 50 motor revolutions per 1 shaft revolution(s)")]
    public void A_mismatch_is_one_clear_line(int index, int sub, uint value, string expected)
    {
        var od = new Dictionary<(int, int), uint> { [(0x608F, 2)] = 1, [(0x6091, 2)] = 1, [(index, sub)] = value };
        var r = DriveScalingCheck.Check(Joint(), "joint l_knee", Od(od));
        Assert.False(r.Ok);
        var line = Assert.Single(r.Mismatches);
        Assert.StartsWith("joint l_knee: ", line);
        Assert.Contains(expected, line);
    }
}
