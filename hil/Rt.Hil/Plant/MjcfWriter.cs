using System.Globalization;
using System.Text;
using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Errors;

namespace Rt.Hil.Plant;

/// <summary>
/// Writes the bench's MuJoCo model (MJCF) from the robot description, so the URDF stays the single source of truth.
/// Not real-time safe.
/// <para>Derivation:</para>
/// <list type="bullet">
/// <item>Each URDF link becomes a &lt;body&gt; nested under its parent link's body. The URDF joint origin places the
/// child link frame in the parent link frame, which is exactly an MJCF body's pos/quat; the rpy is converted to
/// MuJoCo's (w, x, y, z) with q = qz(yaw)·qy(pitch)·qx(roll) (URDF: R = Rz·Ry·Rx, fixed axes).</item>
/// <item>The URDF joint axis is expressed in the child (joint) frame, so the MJCF joint sits at pos 0 of the child
/// body with the same axis: revolute → hinge with range, continuous → unlimited hinge, prismatic → slide,
/// fixed → no joint (the child body is welded to its parent). URDF damping → damping, friction → frictionloss;
/// optional reflected rotor inertia (<see cref="PlantOptions.ArmatureKgM2"/>) → armature.</item>
/// <item>&lt;inertial&gt; copies origin xyz and mass; the full URDF tensor is rotated into the link frame (R I Rᵀ) and
/// diagonalised here in double precision (diaginertia + quat of the principal axes), because MuJoCo 2.2.2's own
/// fullinertia diagonalisation stops near 1e-7 relative error;
/// inertiafromgeom is off, so geoms add no mass and the plant's inertia equals the URDF's. A movable link without
/// inertial gets 1 g and 1e-6 kg·m² because MuJoCo refuses massless moving bodies (stated, not hidden).</item>
/// <item>Geoms are the URDF &lt;collision&gt; primitives (box size → half sizes; cylinder along z → size r, half length;
/// sphere); meshes are skipped (the bench uses primitives only). A link without collisions does not collide, as in
/// the URDF. Only if the whole description has no collision shapes does each link get stand-in capsules from its
/// origin to each child joint origin (a leaf link: a sphere).</item>
/// <item>Test stand: the root link is welded to the world (no free joint), raised so that the lowest geom point with
/// all joints at zero is <see cref="PlantOptions.FootClearanceM"/> above the floor plane at z = 0.</item>
/// <item>Collision filtering by bit masks: robot geoms contype 2 / conaffinity 1 (3 with self-collision), floor and
/// obstacles contype 1 / conaffinity 2; so robot–floor and robot–obstacle collide, and robot–robot only with
/// self-collision on, and then never between links up to two joints apart (explicit &lt;exclude&gt;).</item>
/// <item>IMUs become sites at their mounts (link frame xyz/rpy) carrying an &lt;accelerometer&gt; (specific force, site
/// frame: +9.81 up at rest) and a &lt;gyro&gt; (site frame).</item>
/// <item>Joint torques are written to qfrc_applied by the bench (no &lt;actuator&gt;): the emulated drives already limit
/// torque, so a second clamp in MuJoCo would hide drive behaviour.</item>
/// <item>Integrator: MuJoCo's semi-implicit Euler, which integrates joint damping implicitly. The drive loops update
/// the torque once per substep (zero-order hold), so RK4's higher order buys nothing against that first-order
/// coupling while costing four force evaluations per step; a small step (tick/substeps) keeps Euler accurate.</item>
/// </list>
/// </summary>
public static class MjcfWriter
{
    /// <summary>Prefixes used for generated names, so sites/sensors can be looked up by IMU name.</summary>
    public const string ImuSitePrefix = "imu_", AccelSuffix = "_accel", GyroSuffix = "_gyro", ObstaclePrefix = "obstacle";

    /// <summary>Site and touch sensor on each obstacle (<c>obstacle0_touch</c>): the normal contact force on the box.</summary>
    public const string TouchSuffix = "_touch";

    /// <summary>How far the touch zone reaches beyond the obstacle's faces, m (contact points lie within the overlap).</summary>
    public const double TouchMarginM = 0.005;

    private const int RobotContype = 2, RobotConaffinity = 1, WorldContype = 1, WorldConaffinity = 2;

    /// <summary>Not real-time safe. Builds the MJCF text; throws <see cref="InputError"/> for an IMU on an unknown link.</summary>
    public static MjcfModel Write(RobotDescription robot, PlantOptions options)
    {
        ArgumentNullException.ThrowIfNull(robot);
        ArgumentNullException.ThrowIfNull(options);
        var childrenOf = new Dictionary<string, List<Joint>>(StringComparer.Ordinal);
        foreach (var j in robot.Joints)
        {
            if (!childrenOf.TryGetValue(j.Parent, out var list)) childrenOf[j.Parent] = list = [];
            list.Add(j);
        }
        var linkNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var l in robot.Links) linkNames.Add(l.Name);
        var imusByLink = new Dictionary<string, List<ImuConfig>>(StringComparer.Ordinal);
        foreach (var imu in options.Imus)
        {
            if (!linkNames.Contains(imu.Link))
                throw new InputError(robot.SourcePath, $"imus[{imu.Name}].link", $"IMU '{imu.Name}' is mounted on link '{imu.Link}', which the robot '{robot.Name}' does not have");
            if (!imusByLink.TryGetValue(imu.Link, out var list)) imusByLink[imu.Link] = list = [];
            list.Add(imu);
        }

        double rootHeight = options.FootClearanceM - LowestPointAtZero(robot, childrenOf, options);

        var sb = new StringBuilder();
        sb.Append("<mujoco model=\"").Append(Esc(robot.Name)).Append("\">\n");
        sb.Append("  <!-- Generated by Rt.Hil MjcfWriter from ").Append(Esc(robot.SourcePath)).Append("; do not edit. -->\n");
        sb.Append("  <compiler angle=\"radian\" inertiafromgeom=\"false\"/>\n");
        sb.Append("  <option timestep=\"").Append(F(options.TimestepS)).Append("\" gravity=\"0 0 -9.81\" integrator=\"Euler\"/>\n");
        sb.Append("  <worldbody>\n");
        sb.Append("    <geom name=\"floor\" type=\"plane\" size=\"5 5 0.1\" contype=\"").Append(WorldContype)
            .Append("\" conaffinity=\"").Append(WorldConaffinity).Append("\"/>\n");
        for (int i = 0; i < options.ObstacleCount; i++)
        {
            // Parked well away from the robot (and from each other) until a test moves one into a leg's path.
            double h = options.ObstacleHalfSizeM, depth = options.ObstacleHalfDepthM;
            sb.Append("    <body name=\"").Append(ObstaclePrefix).Append(i).Append("\" mocap=\"true\" pos=\"")
                .Append(F(5 + i)).Append(" 5 ").Append(F(h)).Append("\">\n");
            sb.Append("      <geom type=\"box\" size=\"").Append(F(depth)).Append(' ').Append(F(h)).Append(' ').Append(F(h))
                .Append("\" contype=\"").Append(WorldContype).Append("\" conaffinity=\"").Append(WorldConaffinity).Append("\"/>\n");
            // The touch sensor's zone (issue 13's contact force): the box plus a margin that holds every contact point on its faces.
            double z = h + TouchMarginM;
            sb.Append("      <site name=\"").Append(ObstaclePrefix).Append(i).Append(TouchSuffix).Append("\" type=\"box\" size=\"")
                .Append(F(depth + TouchMarginM)).Append(' ').Append(F(z)).Append(' ').Append(F(z)).Append("\" rgba=\"0 0 0 0\"/>\n");
            sb.Append("    </body>\n");
        }
        var excludes = new List<(string, string)>();
        WriteBody(sb, robot, robot.RootLink, null, new Pose(new Vec3(0, 0, rootHeight), Vec3.Zero), childrenOf, imusByLink, options, excludes, 2);
        sb.Append("  </worldbody>\n");
        if (options.SelfCollision && excludes.Count > 0)
        {
            sb.Append("  <contact>\n");
            foreach (var (a, b) in excludes)
                sb.Append("    <exclude body1=\"").Append(Esc(a)).Append("\" body2=\"").Append(Esc(b)).Append("\"/>\n");
            sb.Append("  </contact>\n");
        }
        if (options.Imus.Count > 0 || options.ObstacleCount > 0)
        {
            sb.Append("  <sensor>\n");
            for (int i = 0; i < options.ObstacleCount; i++)
                sb.Append("    <touch name=\"").Append(ObstaclePrefix).Append(i).Append(TouchSuffix).Append("\" site=\"")
                    .Append(ObstaclePrefix).Append(i).Append(TouchSuffix).Append("\"/>\n");
            foreach (var imu in options.Imus)
            {
                string site = ImuSitePrefix + imu.Name;
                sb.Append("    <accelerometer name=\"").Append(Esc(imu.Name + AccelSuffix)).Append("\" site=\"").Append(Esc(site)).Append("\"/>\n");
                sb.Append("    <gyro name=\"").Append(Esc(imu.Name + GyroSuffix)).Append("\" site=\"").Append(Esc(site)).Append("\"/>\n");
            }
            sb.Append("  </sensor>\n");
        }
        sb.Append("</mujoco>\n");
        return new MjcfModel(sb.ToString(), rootHeight);
    }

    private static void WriteBody(StringBuilder sb, RobotDescription robot, string linkName, Joint? joint, Pose pose,
        Dictionary<string, List<Joint>> childrenOf, Dictionary<string, List<ImuConfig>> imusByLink, PlantOptions options,
        List<(string, string)> excludes, int indent)
    {
        string pad = new(' ', indent * 2);
        var link = robot.GetLink(linkName);
        var q = Rotation.QuatFromRpy(pose.Rpy);
        sb.Append(pad).Append("<body name=\"").Append(Esc(linkName)).Append("\" pos=\"").Append(V(pose.Xyz))
            .Append("\" quat=\"").Append(Q(q)).Append("\">\n");
        string inner = pad + "  ";
        if (link.Inertial is { } inertial)
        {
            // The tensor goes in pre-diagonalised in double precision (diaginertia + quat): MuJoCo's own fullinertia
            // diagonalisation stops near 1e-7. A rotated URDF inertial frame is folded in first (R I Rᵀ).
            var (moments, axes) = PrincipalInertia.Decompose(InertiaInLinkFrame(inertial));
            sb.Append(inner).Append("<inertial pos=\"").Append(V(inertial.Origin.Xyz)).Append("\" quat=\"").Append(Q(axes))
                .Append("\" mass=\"").Append(F(inertial.Mass)).Append("\" diaginertia=\"").Append(V(moments)).Append("\"/>\n");
        }
        else if (joint is { IsMovable: true })
        {
            sb.Append(inner).Append("<inertial pos=\"0 0 0\" mass=\"0.001\" diaginertia=\"1e-6 1e-6 1e-6\"/>\n");
        }
        if (joint is { IsMovable: true })
        {
            string type = joint.Type == JointType.Prismatic ? "slide" : "hinge";
            sb.Append(inner).Append("<joint name=\"").Append(Esc(joint.Name)).Append("\" type=\"").Append(type)
                .Append("\" pos=\"0 0 0\" axis=\"").Append(V(joint.Axis)).Append('"');
            if (joint.Type != JointType.Continuous && joint.Limits is { } lim && lim.Upper > lim.Lower)
                sb.Append(" limited=\"true\" range=\"").Append(F(lim.Lower)).Append(' ').Append(F(lim.Upper)).Append('"');
            else
                sb.Append(" limited=\"false\"");
            if (joint.Dynamics is { } dyn)
                sb.Append(" damping=\"").Append(F(dyn.Damping)).Append("\" frictionloss=\"").Append(F(dyn.Friction)).Append('"');
            if (options.ArmatureKgM2 is { } armature && armature.TryGetValue(joint.Name, out double a))
                sb.Append(" armature=\"").Append(F(a)).Append('"');
            sb.Append("/>\n");
        }
        int conaffinity = RobotConaffinity | (options.SelfCollision ? RobotContype : 0);
        childrenOf.TryGetValue(linkName, out var children);
        foreach (var g in GeomsOf(robot, linkName, childrenOf, options))
        {
            sb.Append(inner).Append("<geom type=\"").Append(g.Type).Append('"');
            if (g.Type == "capsule")
                sb.Append(" fromto=\"0 0 0 ").Append(V(g.To)).Append("\" size=\"").Append(F(g.Size.X)).Append('"');
            else
                sb.Append(" pos=\"").Append(V(g.Pos)).Append("\" quat=\"").Append(Q(g.Rot)).Append("\" size=\"").Append(V(g.Size)).Append('"');
            sb.Append(" contype=\"").Append(RobotContype).Append("\" conaffinity=\"").Append(conaffinity).Append("\"/>\n");
        }
        if (imusByLink.TryGetValue(linkName, out var imus))
        {
            foreach (var imu in imus)
            {
                var xyz = new Vec3(At(imu.Xyz, 0), At(imu.Xyz, 1), At(imu.Xyz, 2));
                var rpy = new Vec3(At(imu.Rpy, 0), At(imu.Rpy, 1), At(imu.Rpy, 2));
                sb.Append(inner).Append("<site name=\"").Append(Esc(ImuSitePrefix + imu.Name)).Append("\" pos=\"").Append(V(xyz))
                    .Append("\" quat=\"").Append(Q(Rotation.QuatFromRpy(rpy))).Append("\" size=\"0.01\"/>\n");
            }
        }
        foreach (var child in children ?? [])
        {
            excludes.Add((linkName, child.Child));
            // Also skip grandparent–grandchild pairs: through a short intermediate link (an ankle or hip cross) they
            // touch at every pose, which is a modelling artefact, not a collision.
            if (joint is not null) excludes.Add((joint.Parent, child.Child));
            WriteBody(sb, robot, child.Child, child, child.Origin, childrenOf, imusByLink, options, excludes, indent + 1);
        }
        sb.Append(pad).Append("</body>\n");
    }

    /// <summary>One generated geom in its link frame. Size is MuJoCo's (half sizes; r/half-length; r). A capsule runs 0 → To.</summary>
    private sealed record GeomSpec(string Type, Vec3 Pos, Quat Rot, Vec3 Size, Vec3 To);

    private static bool HasCollisions(RobotDescription robot)
    {
        foreach (var l in robot.Links)
            foreach (var c in l.Collisions)
                if (c.Shape is not MeshGeometry) return true;
        return false;
    }

    private static List<GeomSpec> GeomsOf(RobotDescription robot, string linkName, Dictionary<string, List<Joint>> childrenOf, PlantOptions options)
    {
        var result = new List<GeomSpec>();
        var link = robot.GetLink(linkName);
        if (HasCollisions(robot))
        {
            foreach (var c in link.Collisions)
            {
                var rot = Rotation.QuatFromRpy(c.Origin.Rpy);
                switch (c.Shape)
                {
                    case BoxGeometry b:
                        result.Add(new GeomSpec("box", c.Origin.Xyz, rot, new Vec3(b.Size.X / 2, b.Size.Y / 2, b.Size.Z / 2), Vec3.Zero));
                        break;
                    case CylinderGeometry cy:
                        result.Add(new GeomSpec("cylinder", c.Origin.Xyz, rot, new Vec3(cy.Radius, cy.Length / 2, 0), Vec3.Zero));
                        break;
                    case SphereGeometry sp:
                        result.Add(new GeomSpec("sphere", c.Origin.Xyz, rot, new Vec3(sp.Radius, 0, 0), Vec3.Zero));
                        break;
                }
            }
            return result;
        }
        childrenOf.TryGetValue(linkName, out var children);
        foreach (var child in children ?? [])
        {
            if (Length(child.Origin.Xyz) < 1e-4) continue;
            result.Add(new GeomSpec("capsule", Vec3.Zero, Quat.Identity, new Vec3(options.LinkRadiusM, 0, 0), child.Origin.Xyz));
        }
        if (result.Count == 0)
            result.Add(new GeomSpec("sphere", link.Inertial?.Origin.Xyz ?? Vec3.Zero, Quat.Identity, new Vec3(Math.Max(options.LinkRadiusM, 0.04), 0, 0), Vec3.Zero));
        return result;
    }

    /// <summary>Lowest z of any generated geom with all joints at zero, relative to the root link frame.</summary>
    private static double LowestPointAtZero(RobotDescription robot, Dictionary<string, List<Joint>> childrenOf, PlantOptions options)
    {
        double lowest = double.PositiveInfinity;
        void Visit(string link, Vec3 p, Quat r)
        {
            foreach (var g in GeomsOf(robot, link, childrenOf, options))
            {
                var centre = Add(p, r.Rotate(g.Pos));
                var rot = r * g.Rot;
                switch (g.Type)
                {
                    case "sphere":
                        lowest = Math.Min(lowest, centre.Z - g.Size.X);
                        break;
                    case "capsule":
                        lowest = Math.Min(lowest, Math.Min(centre.Z, Add(p, r.Rotate(g.To)).Z) - g.Size.X);
                        break;
                    default:
                    {
                        // Box corners; a cylinder is bounded by its box (r, r, half length): conservative.
                        var h = g.Type == "box" ? g.Size : new Vec3(g.Size.X, g.Size.X, g.Size.Y);
                        for (int sx = -1; sx <= 1; sx += 2)
                            for (int sy = -1; sy <= 1; sy += 2)
                                for (int sz = -1; sz <= 1; sz += 2)
                                    lowest = Math.Min(lowest, Add(centre, rot.Rotate(new Vec3(sx * h.X, sy * h.Y, sz * h.Z))).Z);
                        break;
                    }
                }
            }
            childrenOf.TryGetValue(link, out var children);
            foreach (var c in children ?? [])
                Visit(c.Child, Add(p, r.Rotate(c.Origin.Xyz)), r * Rotation.QuatFromRpy(c.Origin.Rpy));
        }
        Visit(robot.RootLink, Vec3.Zero, Quat.Identity);
        return double.IsFinite(lowest) ? lowest : 0;
    }

    /// <summary>The URDF inertia tensor (given in the inertial frame) expressed in the link frame: R I Rᵀ.</summary>
    public static double[,] InertiaInLinkFrame(Inertial inertial)
    {
        ArgumentNullException.ThrowIfNull(inertial);
        var i = new[,]
        {
            { inertial.Ixx, inertial.Ixy, inertial.Ixz },
            { inertial.Ixy, inertial.Iyy, inertial.Iyz },
            { inertial.Ixz, inertial.Iyz, inertial.Izz },
        };
        var r = Rotation.MatrixFromRpy(inertial.Origin.Rpy);
        var result = new double[3, 3];
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
            {
                double sum = 0;
                for (int k = 0; k < 3; k++)
                    for (int l = 0; l < 3; l++)
                        sum += r[a, k] * i[k, l] * r[b, l];
                result[a, b] = sum;
            }
        return result;
    }

    private static double At(double[] a, int i) => a.Length > i ? a[i] : 0;
    private static Vec3 Add(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    private static double Length(Vec3 v) => Math.Sqrt(v.X * v.X + v.Y * v.Y + v.Z * v.Z);
    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string V(Vec3 v) => $"{F(v.X)} {F(v.Y)} {F(v.Z)}";
    private static string Q(Quat q) => $"{F(q.W)} {F(q.X)} {F(q.Y)} {F(q.Z)}";
    private static string Esc(string s) => System.Security.SecurityElement.Escape(s) ?? s;
}

/// <summary>A generated MJCF document and what the writer decided (root height above the floor, metres).</summary>
public sealed record MjcfModel(string Xml, double RootHeightM);
