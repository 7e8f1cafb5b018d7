using Rt.Core.Description;
using Rt.TestSupport;

namespace Rt.Core.Tests.Description;

public sealed class Biped12UrdfTests
{
    private static readonly string[] ExpectedJoints =
    [
        "l_hip_yaw", "l_hip_roll", "l_hip_pitch", "l_knee", "l_ankle_pitch", "l_ankle_roll",
        "r_hip_yaw", "r_hip_roll", "r_hip_pitch", "r_knee", "r_ankle_pitch", "r_ankle_roll",
    ];

    private readonly RobotDescription _robot = UrdfParser.Load(RepoPaths.Biped12Urdf);

    [Fact]
    public void Biped12_has_twelve_movable_joints_in_tree_order_under_the_pelvis()
    {
        Assert.Equal("biped12", _robot.Name);
        Assert.Equal("pelvis", _robot.RootLink);
        Assert.Equal(ExpectedJoints, _robot.MovableJoints.Select(j => j.Name).ToArray());
        Assert.All(_robot.MovableJoints, j => Assert.Equal(JointType.Revolute, j.Type));
        Assert.Equal(13, _robot.Links.Count);
        Assert.Equal(RepoPaths.Biped12Urdf, _robot.SourcePath);
    }

    [Fact]
    public void Biped12_weighs_about_thirty_kilograms_with_physical_inertias()
    {
        double total = _robot.Links.Sum(l => l.Inertial!.Mass);
        Assert.Equal(30.2, total, 6);
        Assert.Equal(8.0, _robot.GetLink("pelvis").Inertial!.Mass);
        foreach (var link in _robot.Links)
        {
            var i = link.Inertial!;
            Assert.Null(InertiaCheck.Problem(i.Ixx, i.Ixy, i.Ixz, i.Iyy, i.Iyz, i.Izz));
            Assert.NotEqual(Vec3.Zero, i.Origin.Xyz); // CoM is off the joint axis, so gravity loads every joint
        }
    }

    [Fact]
    public void Biped12_legs_mirror_each_other_with_realistic_limits()
    {
        var hip = _robot.FindJoint("l_hip_yaw")!;
        Assert.Equal(new Vec3(0, 0.1, -0.05), hip.Origin.Xyz);
        Assert.Equal(new Vec3(0, -0.1, -0.05), _robot.FindJoint("r_hip_yaw")!.Origin.Xyz);
        Assert.Equal(new Vec3(0, 0, -0.4), _robot.FindJoint("l_knee")!.Origin.Xyz);
        Assert.Equal(new Vec3(0, 1, 0), _robot.FindJoint("l_knee")!.Axis);
        var knee = _robot.FindJoint("r_knee")!.Limits!;
        Assert.Equal(-0.1, knee.Lower); // a little hyperextension room so a straight hanging knee is not on its stop
        Assert.Equal(2.4, knee.Upper);
        Assert.Equal(120, _robot.FindJoint("l_hip_pitch")!.Limits!.Effort);
        Assert.All(_robot.MovableJoints, j => Assert.True(j.Dynamics is { Damping: > 0, Friction: > 0 }));
    }

    [Fact]
    public void Biped12_feet_and_shins_have_collision_shapes()
    {
        foreach (var name in new[] { "l_foot", "r_foot", "l_shin", "r_shin" })
        {
            var link = _robot.GetLink(name);
            Assert.NotEmpty(link.Collisions);
            Assert.NotEmpty(link.Visuals);
        }
        var foot = Assert.IsType<BoxGeometry>(_robot.GetLink("l_foot").Collisions[0].Shape);
        Assert.Equal(new Vec3(0.22, 0.1, 0.04), foot.Size);
        var shin = Assert.IsType<CylinderGeometry>(_robot.GetLink("l_shin").Collisions[0].Shape);
        Assert.Equal(0.4, shin.Length);
        Assert.Equal(new Vec3(0, 0, -0.2), _robot.GetLink("l_shin").Collisions[0].Origin.Xyz);
    }
}
