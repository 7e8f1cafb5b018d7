using Rt.Core.Config;
using Rt.TestSupport;

namespace Rt.Core.Tests.Config;

public sealed class Biped12ConfigTests
{
    private readonly RtConfig _config = ConfigLoader.Load(RepoPaths.Biped12Config);

    [Fact]
    public void Biped12_config_loads_with_its_urdf()
    {
        Assert.Equal(RepoPaths.Biped12Config, _config.SourcePath);
        Assert.NotNull(_config.Description);
        Assert.Equal("pelvis", _config.Description!.RootLink);
        Assert.Equal(RepoPaths.Biped12Urdf, _config.Description.SourcePath);
        Assert.Equal(1000, _config.Loop.RateHz);
        Assert.Equal(BusKind.EtherCat, _config.Bus.Kind); // the bench runs over the emulated EtherCAT bus
        Assert.Equal(MotionKind.March, _config.Motion.Kind);
        Assert.False(_config.Telemetry.Enabled);
        // The twin is calibrated on the bench: its triggers keep their defaults (no warning-only overrides); only the
        // IMU stale detection is tightened for IMUs that sample at the loop rate.
        Assert.Equal("biped12.twin.yaml", _config.Twin.Parameters);
        Assert.Equal(["imu_fault"], _config.Safety.Triggers.Keys.ToArray());
        Assert.Equal("cat1", _config.Safety.Triggers["imu_fault"].Reaction);
    }

    [Fact]
    public void Biped12_drives_follow_the_urdf_joint_order()
    {
        Assert.Equal(12, _config.Joints.Count);
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(i, _config.Joints[i].Drive);
            Assert.Equal(_config.Description!.MovableJoints[i].Name, _config.Joints[i].Name);
        }
        var knee = _config.Joints.Single(j => j.Name == "l_knee");
        Assert.Equal(100, knee.GearRatio);
        Assert.Equal(131072, knee.EncoderCountsPerRev);
        Assert.Equal(2.3, knee.Limits.PositionMaxRad);
        Assert.Equal(-1, _config.Joints.Single(j => j.Name == "r_hip_roll").Direction);
    }

    [Fact]
    public void Biped12_motors_are_sized_to_the_urdf_effort()
    {
        foreach (var joint in _config.Joints)
        {
            double peak = joint.GearRatio * joint.RatedTorqueNm * 3;
            double effort = _config.Description!.FindJoint(joint.Name)!.Limits!.Effort;
            Assert.InRange(peak / effort, 0.9, 1.1);
            Assert.True(joint.Limits.TorqueNm <= effort);
        }
    }

    [Fact]
    public void Biped12_has_three_imus_after_the_drives()
    {
        Assert.Equal(["pelvis_imu", "l_foot_imu", "r_foot_imu"], _config.Imus.Select(i => i.Name).ToArray());
        Assert.Equal(["pelvis", "l_foot", "r_foot"], _config.Imus.Select(i => i.Link).ToArray());
        Assert.Equal([12, 13, 14], _config.Imus.Select(i => i.Device).ToArray());
        Assert.Equal([0.03, 0.0, -0.03], _config.Imus[1].Xyz);
    }
}
