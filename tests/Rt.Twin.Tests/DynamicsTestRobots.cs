using Rt.Core.Description;
using Rt.TestSupport;

namespace Rt.Twin.Tests;

/// <summary>Robots for the dynamics tests: the sample biped and a small awkward tree built in code.</summary>
internal static class DynamicsTestRobots
{
    private static readonly Lazy<RobotDescription> Biped = new(() => UrdfParser.Load(RepoPaths.Biped12Urdf));

    public static RobotDescription Biped12() => Biped.Value;

    private static readonly Lazy<RobotDescription> BipedPrincipal = new(() =>
    {
        var d = Biped.Value;
        var links = d.Links
            .Select(l => l.Inertial is { } i ? l with { Inertial = i with { Origin = i.Origin with { Rpy = Vec3.Zero }, Ixy = 0, Ixz = 0, Iyz = 0 } } : l)
            .ToList();
        return new RobotDescription(d.Name, d.SourcePath + " (link inertias without products of inertia)", links, d.Joints, d.RootLink);
    });

    /// <summary>
    /// biped12 with every link's inertia tensor reduced to its diagonal in the link frame (same kinematics, masses and
    /// centres of mass). MuJoCo 2.2.2 stores a full tensor through its principal axes with ~1e-7 relative error, a
    /// diagonal one exactly, so this is the robot on which the algorithms can be compared with MuJoCo at 1e-9.
    /// </summary>
    public static RobotDescription Biped12DiagonalInertia() => BipedPrincipal.Value;

    /// <summary>
    /// A branching tree that exercises everything the biped does not: tilted joint origins (rpy), a skew axis, a prismatic
    /// joint, a continuous joint, fixed joints with inertia to merge (one with a rotated inertial frame), and a branch.
    /// </summary>
    public static RobotDescription Branchy()
    {
        var links = new List<Link>
        {
            new("base", Inertia(5, 0.02, -0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.2, 0.1)),
            new("a", Inertia(1.5, 0.1, 0.02, -0.05, 0.3, 0.1, 0.2, 0.02, 0.03, 0.025)),
            new("a_tool", Inertia(0.4, 0.0, 0.05, 0.1, 0.7, -0.3, 0.1, 0.004, 0.006, 0.005)),
            new("b", Inertia(0.8, -0.03, 0.0, 0.12, 0.0, 0.0, 0.0, 0.01, 0.012, 0.008)),
            new("c", Inertia(2.0, 0.0, 0.1, -0.2, 0.0, 0.2, 0.0, 0.05, 0.04, 0.03)),
            new("d", Inertia(1.2, 0.05, -0.02, -0.15, -0.2, 0.0, 0.4, 0.03, 0.02, 0.035)),
            new("e", Inertia(0.3, 0.02, 0.02, 0.02, 0.0, 0.0, 0.0, 0.001, 0.002, 0.0015)),
            new("marker", null),
            new("f", Inertia(0.6, 0.04, 0.03, 0.1, 0.1, 0.2, 0.3, 0.006, 0.004, 0.005)),
        };
        var joints = new List<Joint>
        {
            new("j1", JointType.Revolute, "base", "a", new Pose(new Vec3(0.1, -0.05, 0.2), new Vec3(0.3, -0.2, 0.5)), new Vec3(1, 2, 3), Limits(), null),
            new("f1", JointType.Fixed, "a", "a_tool", new Pose(new Vec3(0.0, 0.2, -0.1), new Vec3(-0.4, 0.1, 0.9)), new Vec3(1, 0, 0), null, null),
            new("j2", JointType.Prismatic, "a_tool", "b", new Pose(new Vec3(0.05, 0.0, 0.3), new Vec3(0.0, 0.6, 0.0)), new Vec3(0, 0, 1), Limits(), null),
            new("j5", JointType.Revolute, "b", "f", new Pose(new Vec3(0.0, 0.1, 0.2), new Vec3(0.1, 0.2, 0.3)), new Vec3(0, 1, 1), Limits(), null),
            new("j3", JointType.Continuous, "base", "c", new Pose(new Vec3(-0.2, 0.1, 0.0), new Vec3(0.0, 0.0, 0.0)), new Vec3(0, 1, 0), null, null),
            new("j4", JointType.Revolute, "c", "d", new Pose(new Vec3(0.1, 0.05, -0.4), new Vec3(0.2, 0.1, 0.0)), new Vec3(1, 0.5, 0.2), Limits(), null),
            new("f2", JointType.Fixed, "d", "e", new Pose(new Vec3(0.1, 0.1, -0.3), new Vec3(0.0, 0.0, 0.0)), new Vec3(1, 0, 0), null, null),
            new("f3", JointType.Fixed, "e", "marker", new Pose(new Vec3(0.0, 0.0, -0.05), new Vec3(0.0, 1.0, 0.0)), new Vec3(1, 0, 0), null, null),
        };
        return new RobotDescription("branchy", "branchy.urdf (in code)", links, joints, "base");
    }

    private static JointLimits Limits() => new(-3, 3, 100, 10);

    /// <summary>An inertial with origin (x,y,z,r,p,y) and a positive-definite tensor R·diag(d)·Rᵀ from principal moments.</summary>
    private static Inertial Inertia(double m, double x, double y, double z, double r, double p, double yw, double d1, double d2, double d3)
    {
        // Rotate the principal tensor by a fixed tilt so it has products of inertia.
        double a = 0.3, c = Math.Cos(a), s = Math.Sin(a);
        // R = Rz(a): I = R diag Rᵀ.
        double ixx = c * c * d1 + s * s * d2, iyy = s * s * d1 + c * c * d2, ixy = c * s * (d1 - d2);
        return new Inertial(new Pose(new Vec3(x, y, z), new Vec3(r, p, yw)), m, ixx, ixy, 0, iyy, 0, d3);
    }

    /// <summary>A seeded random joint state: q in [−1, 1], q̇ in [−3, 3], q̈ in [−10, 10].</summary>
    public static void RandomState(Random rng, Span<double> q, Span<double> qd, Span<double> qdd)
    {
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = rng.NextDouble() * 2 - 1;
            qd[i] = (rng.NextDouble() * 2 - 1) * 3;
            qdd[i] = (rng.NextDouble() * 2 - 1) * 10;
        }
    }

    /// <summary>max_i |a_i − b_i| / max(‖b‖∞, 1): norm-relative error with an absolute floor of 1 (N·m or kg·m²).</summary>
    public static double RelativeError(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double scale = 1, err = 0;
        for (int i = 0; i < b.Length; i++) scale = Math.Max(scale, Math.Abs(b[i]));
        for (int i = 0; i < b.Length; i++) err = Math.Max(err, Math.Abs(a[i] - b[i]));
        return err / scale;
    }
}
