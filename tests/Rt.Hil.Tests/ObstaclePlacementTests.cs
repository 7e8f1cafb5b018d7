using Rt.Core.Description;
using Rt.Hil.Plant;

namespace Rt.Hil.Tests;

/// <summary>
/// Where the bench puts its obstacle (issue 13): against the link's real collision shape, touching it at the point it
/// leads with along the motion, 3 mm deep, never buried in it (the right foot's box used to start ~1 cm inside the
/// foot plate and MuJoCo expelled it with kilonewtons).
/// </summary>
public class ObstaclePlacementTests
{
    private const double H = 0.05, Overlap = 0.003;

    private static Vec3 Unit(double x, double y, double z)
    {
        double n = Math.Sqrt(x * x + y * y + z * z);
        return new Vec3(x / n, y / n, z / n);
    }

    private static double Dot(Vec3 a, Vec3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;

    /// <summary>A foot-like plate (0.22 × 0.1 × 0.04 m) pitched by 0.4 rad about y, centred away from the origin.</summary>
    private static CollisionShape Plate()
    {
        double c = Math.Cos(0.4), s = Math.Sin(0.4);
        return new CollisionShape(CollisionShapeKind.Box, new Vec3(0.3, -0.1, 0.5),
            new Vec3(c, 0, -s), new Vec3(0, 1, 0), new Vec3(s, 0, c), new Vec3(0.11, 0.05, 0.02));
    }

    private static IEnumerable<Vec3> Corners(CollisionShape b)
    {
        foreach (int i in new[] { -1, 1 })
            foreach (int j in new[] { -1, 1 })
                foreach (int k in new[] { -1, 1 })
                    yield return new Vec3(
                        b.Centre.X + i * b.Size.X * b.AxisX.X + j * b.Size.Y * b.AxisY.X + k * b.Size.Z * b.AxisZ.X,
                        b.Centre.Y + i * b.Size.X * b.AxisX.Y + j * b.Size.Y * b.AxisY.Y + k * b.Size.Z * b.AxisZ.Y,
                        b.Centre.Z + i * b.Size.X * b.AxisX.Z + j * b.Size.Y * b.AxisY.Z + k * b.Size.Z * b.AxisZ.Z);
    }

    public static TheoryData<double, double, double> Directions => new()
    {
        { 1, 0, 0 }, { 0, 0, -1 }, { 0.7, 0.1, -0.7 }, { -1, 0.3, 0.2 }, { 0, 1, 0 }, { 0.93, 0, 0.37 },
    };

    [Theory]
    [MemberData(nameof(Directions))]
    [InlineData(-1, 0, 0)]
    public void The_obstacle_faces_along_the_strike_its_depth_axis_onto_d(double x, double y, double z)
    {
        var d = Unit(x, y, z);
        var q = ObstaclePlacement.FacingAlong(d);
        Assert.Equal(1, q.W * q.W + q.X * q.X + q.Y * q.Y + q.Z * q.Z, 9);
        var ex = q.Rotate(new Vec3(1, 0, 0));
        Assert.Equal(d.X, ex.X, 9);
        Assert.Equal(d.Y, ex.Y, 9);
        Assert.Equal(d.Z, ex.Z, 9);
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void The_box_face_sits_on_the_plates_support_plane_less_the_overlap_and_covers_its_lead_point(double x, double y, double z)
    {
        var plate = Plate();
        var d = Unit(x, y, z);
        // Support distance, brute force over the corners, equals the closed form.
        double brute = Corners(plate).Max(p => Dot(d, new Vec3(p.X - plate.Centre.X, p.Y - plate.Centre.Y, p.Z - plate.Centre.Z)));
        Assert.Equal(brute, ObstaclePlacement.Support(plate, d), 9);

        var o = ObstaclePlacement.ObstacleCentre(plate, d, H, Overlap);
        // The obstacle's near face (normal −d) is `overlap` behind the plate's foremost point along d: the plate
        // reaches into the box by exactly the overlap, no deeper.
        double face = Dot(d, o) - H;
        double front = Corners(plate).Max(p => Dot(d, p));
        Assert.Equal(Overlap, front - face, 9);

        // The lead point is on the plate's support plane and within the box face (not beside the box).
        var lead = ObstaclePlacement.LeadPoint(plate, d);
        Assert.True(Dot(d, lead) <= front + 1e-12, "lead point beyond the plate");
        var off = new Vec3(lead.X - o.X, lead.Y - o.Y, lead.Z - o.Z);
        double along = Dot(off, d);
        double lateral = Math.Sqrt(Math.Max(0, Dot(off, off) - along * along));
        Assert.True(lateral <= H, $"lead point {lateral:F3} m beside the box face's middle (half-size {H})");
    }

    [Fact]
    public void A_cylinder_struck_sideways_is_touched_on_its_mantle_and_a_sphere_on_its_surface()
    {
        var shin = new CollisionShape(CollisionShapeKind.Cylinder, new Vec3(0, 0, 0.4), new Vec3(1, 0, 0), new Vec3(0, 1, 0),
            new Vec3(0, 0, 1), new Vec3(0.045, 0.2, 0));
        var d = new Vec3(1, 0, 0);
        Assert.Equal(0.045, ObstaclePlacement.Support(shin, d), 12);
        var o = ObstaclePlacement.ObstacleCentre(shin, d, H, Overlap);
        Assert.Equal(0.045 + H - Overlap, o.X, 12);
        Assert.Equal(0.4, o.Z, 12); // the middle of the mantle, not an end
        var tilted = Unit(1, 0, 1);
        Assert.Equal(0.045 * Math.Sqrt(0.5) + 0.2 * Math.Sqrt(0.5), ObstaclePlacement.Support(shin, tilted), 12);

        var ball = new CollisionShape(CollisionShapeKind.Sphere, new Vec3(1, 2, 3), new Vec3(1, 0, 0), new Vec3(0, 1, 0), new Vec3(0, 0, 1),
            new Vec3(0.1, 0, 0));
        var ob = ObstaclePlacement.ObstacleCentre(ball, new Vec3(0, 0, -1), H, Overlap);
        Assert.Equal(1, ob.X, 12);
        Assert.Equal(2, ob.Y, 12);
        Assert.Equal(3 - (0.1 + H - Overlap), ob.Z, 12);
    }

    [Fact]
    public void Of_several_shapes_the_one_in_front_along_the_motion_is_struck()
    {
        var back = new CollisionShape(CollisionShapeKind.Sphere, new Vec3(0, 0, 0), default, default, default, new Vec3(0.05, 0, 0));
        var front = back with { Centre = new Vec3(0.2, 0, 0) };
        var other = back with { Kind = CollisionShapeKind.Other, Centre = new Vec3(1, 0, 0) };
        Assert.Equal(1, ObstaclePlacement.Leading([back, front, other], new Vec3(1, 0, 0)));
        Assert.Equal(0, ObstaclePlacement.Leading([back, front, other], new Vec3(-1, 0, 0)));
        Assert.Equal(-1, ObstaclePlacement.Leading([other], new Vec3(1, 0, 0)));
    }

    [Fact]
    public void The_right_foots_plate_is_read_from_mujoco_below_the_ankle_and_a_placed_box_touches_it_without_burying_it()
    {
        using var plant = MujocoPlant.Load(BenchFixtures.Robot, new PlantOptions
        {
            JointOrder = BenchFixtures.Config.Joints.Select(j => j.Name).ToArray(),
            Imus = BenchFixtures.Config.Imus,
        });
        Assert.True(plant.Step(1), plant.LastError); // kinematics
        int foot = plant.LinkIndex("r_foot");
        var shapes = new CollisionShape[plant.LinkShapeCount(foot)];
        Assert.Single(shapes);
        Assert.Equal(1, plant.LinkShapes(foot, shapes));
        var plate = shapes[0];
        var ankle = plant.LinkWorldPosition(foot);
        // biped12.urdf: <collision> origin (0.03, 0, −0.06), box 0.22 × 0.1 × 0.04: the plate hangs 6 cm below the ankle.
        Assert.Equal(CollisionShapeKind.Box, plate.Kind);
        Assert.Equal(0.11, plate.Size.X, 9);
        Assert.Equal(0.02, plate.Size.Z, 9);
        Assert.Equal(ankle.X + 0.03, plate.Centre.X, 6);
        Assert.Equal(ankle.Z - 0.06, plate.Centre.Z, 6);

        // Struck from the front (+x, the march's swing) and from below (−z): the first contact is a touch of the
        // shins' order (the old placement around the ankle's origin started at 3.3 kN), not an expulsion.
        foreach (var d in new[] { new Vec3(1, 0, 0), new Vec3(0, 0, -1) })
        {
            using var p = MujocoPlant.Load(BenchFixtures.Robot, new PlantOptions
            {
                JointOrder = BenchFixtures.Config.Joints.Select(j => j.Name).ToArray(),
                Imus = BenchFixtures.Config.Imus,
            });
            Assert.True(p.Step(1), p.LastError);
            var s = new CollisionShape[1];
            p.LinkShapes(foot, s);
            p.MoveObstacle(0, ObstaclePlacement.ObstacleCentre(s[0], d, p.ObstacleHalfDepthM, Overlap), ObstaclePlacement.FacingAlong(d));
            Assert.True(p.Step(1), p.LastError);
            double f = p.ObstacleContactForceN(0);
            Assert.True(f > 0, $"from {d}: no contact");
            Assert.True(f < 500, $"from {d}: {f:F0} N at the first step: the box started buried in the plate");
        }
    }
}
