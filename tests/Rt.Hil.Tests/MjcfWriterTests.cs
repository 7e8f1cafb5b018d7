using System.Globalization;
using System.Xml.Linq;
using Rt.Core.Description;
using Rt.Hil.Plant;

namespace Rt.Hil.Tests;

public class MjcfWriterTests
{
    private static XDocument Generate(PlantOptions? options = null)
    {
        var model = MjcfWriter.Write(BenchFixtures.Robot, options ?? new PlantOptions { Imus = BenchFixtures.Config.Imus });
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "biped12.generated.xml"), model.Xml); // for inspection
        return XDocument.Parse(model.Xml);
    }

    private static double[] Numbers(string? text) =>
        (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void Bodies_nest_along_the_urdf_tree_with_joint_origins_axes_ranges_and_dynamics()
    {
        var doc = Generate();
        var robot = BenchFixtures.Robot;
        foreach (var joint in robot.MovableJoints)
        {
            var body = doc.Descendants("body").Single(b => (string?)b.Attribute("name") == joint.Child);
            Assert.Equal(joint.Parent, (string?)body.Parent!.Attribute("name"));
            Assert.Equal(new[] { joint.Origin.Xyz.X, joint.Origin.Xyz.Y, joint.Origin.Xyz.Z }, Numbers((string?)body.Attribute("pos")));
            var q = Rotation.QuatFromRpy(joint.Origin.Rpy);
            Assert.Equal(new[] { q.W, q.X, q.Y, q.Z }, Numbers((string?)body.Attribute("quat")));
            var j = body.Elements("joint").Single();
            Assert.Equal(joint.Name, (string?)j.Attribute("name"));
            Assert.Equal("hinge", (string?)j.Attribute("type"));
            Assert.Equal(new[] { joint.Axis.X, joint.Axis.Y, joint.Axis.Z }, Numbers((string?)j.Attribute("axis")));
            Assert.Equal(new[] { joint.Limits!.Lower, joint.Limits.Upper }, Numbers((string?)j.Attribute("range")));
            Assert.Equal(joint.Dynamics!.Damping, Numbers((string?)j.Attribute("damping"))[0]);
            Assert.Equal(joint.Dynamics.Friction, Numbers((string?)j.Attribute("frictionloss"))[0]);
            var link = robot.GetLink(joint.Child);
            var inertial = body.Element("inertial")!;
            Assert.Equal(link.Inertial!.Mass, Numbers((string?)inertial.Attribute("mass"))[0]);
        }
    }

    [Fact]
    public void The_root_is_welded_to_the_world_above_a_floor_and_imus_carry_both_sensors()
    {
        var doc = Generate();
        var world = doc.Root!.Element("worldbody")!;
        Assert.Contains(world.Elements("geom"), g => (string?)g.Attribute("type") == "plane");
        var pelvis = world.Elements("body").Single(b => (string?)b.Attribute("name") == BenchFixtures.Robot.RootLink);
        Assert.Empty(pelvis.Elements("joint"));
        Assert.Empty(pelvis.Elements("freejoint"));
        Assert.True(Numbers((string?)pelvis.Attribute("pos"))[2] > 0.5);
        var obstacle = world.Elements("body").Single(b => (string?)b.Attribute("name") == "obstacle0");
        Assert.Equal("true", (string?)obstacle.Attribute("mocap"));
        var touch = doc.Root!.Element("sensor")!.Elements("touch").Single();
        Assert.Equal("obstacle0_touch", (string?)touch.Attribute("site"));
        Assert.Equal(obstacle, doc.Descendants("site").Single(s => (string?)s.Attribute("name") == "obstacle0_touch").Parent);
        // A slab, 4 cm deep along its x (the way it is struck) and 10 × 10 cm across: a 10 cm cube put in the way of a
        // thigh swinging inwards reached into the other thigh.
        Assert.Equal([0.02, 0.05, 0.05], Numbers((string?)obstacle.Element("geom")!.Attribute("size")));
        foreach (var imu in BenchFixtures.Config.Imus)
        {
            var site = doc.Descendants("site").Single(s => (string?)s.Attribute("name") == "imu_" + imu.Name);
            Assert.Equal(imu.Link, (string?)site.Parent!.Attribute("name"));
            Assert.Equal(imu.Xyz, Numbers((string?)site.Attribute("pos")));
            var sensors = doc.Root!.Element("sensor")!.Elements().Where(e => (string?)e.Attribute("site") == "imu_" + imu.Name).Select(e => e.Name.LocalName).ToArray();
            Assert.Equal(["accelerometer", "gyro"], sensors);
        }
        var option = doc.Root!.Element("option")!;
        Assert.Equal("0 0 -9.81", (string?)option.Attribute("gravity"));
        Assert.Equal("Euler", (string?)option.Attribute("integrator"));
    }

    [Fact]
    public void Lowest_point_of_the_hanging_robot_is_the_configured_clearance_above_the_floor()
    {
        using var plant = MujocoPlant.Load(BenchFixtures.Robot, new PlantOptions { FootClearanceM = 0.15 });
        using var lower = MujocoPlant.Load(BenchFixtures.Robot, new PlantOptions { FootClearanceM = 0.05 });
        Assert.Equal(0.10, plant.RootHeightM - lower.RootHeightM, 1e-12);
        // Feet: URDF foot box bottom. Walk the chain at q = 0: pelvis → ankle is a pure z offset in biped12.
        var robot = BenchFixtures.Robot;
        double z = 0;
        string link = "l_foot";
        for (var j = robot.ParentJointOf(link); j is not null; j = robot.ParentJointOf(j.Parent)) z += j.Origin.Xyz.Z;
        var foot = robot.GetLink("l_foot").Collisions.Single();
        var box = (BoxGeometry)foot.Shape;
        double footBottom = z + foot.Origin.Xyz.Z - box.Size.Z / 2;
        Assert.Equal(0.15, plant.RootHeightM + footBottom, 1e-9);
    }

    [Fact]
    public void A_rotated_inertial_frame_is_folded_into_the_tensor()
    {
        // A slender rod along x in its inertial frame, yawed 90°: along y in the link frame.
        var inertial = new Inertial(new Pose(Vec3.Zero, new Vec3(0, 0, Math.PI / 2)), 1, 0.001, 0, 0, 0.1, 0, 0.1);
        var t = MjcfWriter.InertiaInLinkFrame(inertial);
        Assert.Equal(0.1, t[0, 0], 12);
        Assert.Equal(0.001, t[1, 1], 12);
        Assert.Equal(0.1, t[2, 2], 12);
        Assert.Equal(0, t[0, 1], 12);
    }

    [Fact]
    public void Principal_decomposition_reproduces_every_urdf_tensor_to_machine_precision()
    {
        foreach (var link in BenchFixtures.Robot.Links)
        {
            if (link.Inertial is not { } inertial) continue;
            var t = MjcfWriter.InertiaInLinkFrame(inertial);
            var (moments, axes) = PrincipalInertia.Decompose(t);
            // Rebuild R diag Rᵀ from the quaternion, as MuJoCo will.
            var d = new[] { moments.X, moments.Y, moments.Z };
            var cols = new[] { axes.Rotate(new Vec3(1, 0, 0)), axes.Rotate(new Vec3(0, 1, 0)), axes.Rotate(new Vec3(0, 0, 1)) };
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++)
                {
                    double sum = 0;
                    for (int k = 0; k < 3; k++) sum += Comp(cols[k], a) * d[k] * Comp(cols[k], b);
                    Assert.True(Math.Abs(sum - t[a, b]) <= 1e-15 + 1e-13 * Math.Abs(t[a, a]), $"{link.Name}[{a},{b}]: {sum} vs {t[a, b]}");
                }
        }

        static double Comp(Vec3 v, int i) => i == 0 ? v.X : i == 1 ? v.Y : v.Z;
    }

    [Fact]
    public void Self_collision_model_loads_and_excludes_adjacent_links()
    {
        var doc = Generate(new PlantOptions { SelfCollision = true });
        var excludes = doc.Root!.Element("contact")!.Elements("exclude").ToArray();
        Assert.Contains(excludes, e => (string?)e.Attribute("body1") == "l_thigh" && (string?)e.Attribute("body2") == "l_shin");
        Assert.Contains(excludes, e => (string?)e.Attribute("body1") == "l_shin" && (string?)e.Attribute("body2") == "l_foot");
        using var plant = MujocoPlant.Load(BenchFixtures.Robot, new PlantOptions { SelfCollision = true });
        Assert.True(plant.Step(100));
        Assert.Equal(0, plant.WarningCount);
    }
}
