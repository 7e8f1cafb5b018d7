namespace Rt.Core.Description;

/// <summary>A 3-vector in SI units (metres, radians). Immutable; used only outside the tick or copied into flat arrays.</summary>
public readonly record struct Vec3(double X, double Y, double Z)
{
    public static readonly Vec3 Zero = new(0, 0, 0);
}

/// <summary>URDF &lt;origin xyz rpy&gt;: translation then fixed-axis roll-pitch-yaw (R = Rz(y) Ry(p) Rx(r)).</summary>
public readonly record struct Pose(Vec3 Xyz, Vec3 Rpy)
{
    public static readonly Pose Identity = new(Vec3.Zero, Vec3.Zero);
}

/// <summary>URDF &lt;inertial&gt;: mass (kg) and the inertia tensor (kg·m²) about the centre of mass, in the inertial frame.</summary>
public sealed record Inertial(Pose Origin, double Mass, double Ixx, double Ixy, double Ixz, double Iyy, double Iyz, double Izz);

public enum JointType
{
    Revolute,
    Continuous,
    Prismatic,
    Fixed,
}

/// <summary>URDF &lt;limit&gt;: position bounds (rad or m), effort (N·m or N), velocity (rad/s or m/s).</summary>
public sealed record JointLimits(double Lower, double Upper, double Effort, double Velocity);

/// <summary>URDF &lt;dynamics&gt;: viscous damping and Coulomb friction.</summary>
public sealed record JointDynamics(double Damping, double Friction);

public sealed record Link(string Name, Inertial? Inertial)
{
    /// <summary>&lt;visual&gt; shapes, in file order; empty when the URDF has none.</summary>
    public IReadOnlyList<LinkGeometry> Visuals { get; init; } = [];

    /// <summary>&lt;collision&gt; shapes, in file order; empty when the URDF has none. The bench plant collides these.</summary>
    public IReadOnlyList<LinkGeometry> Collisions { get; init; } = [];
}

public sealed record Joint(
    string Name,
    JointType Type,
    string Parent,
    string Child,
    Pose Origin,
    Vec3 Axis,
    JointLimits? Limits,
    JointDynamics? Dynamics)
{
    public bool IsMovable => Type != JointType.Fixed;
}

/// <summary>
/// A parsed, validated robot description: a kinematic tree of links joined by joints.
/// The URDF file is the single source of truth for geometry and inertia; everything else
/// (the twin's dynamics, the bench's MJCF) is derived from this object.
/// Not real-time safe (lists, strings); real-time code copies what it needs into flat arrays at prepare time.
/// </summary>
public sealed class RobotDescription
{
    public RobotDescription(string name, string sourcePath, IReadOnlyList<Link> links, IReadOnlyList<Joint> joints, string rootLink)
    {
        Name = name;
        SourcePath = sourcePath;
        Links = links;
        Joints = joints;
        RootLink = rootLink;
        var movable = new List<Joint>();
        // Depth-first tree order from the root: parents before children, so recursive algorithms can sweep by index.
        var byParent = joints.GroupBy(j => j.Parent).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var order = new List<Joint>();
        void Walk(string link)
        {
            if (!byParent.TryGetValue(link, out var children)) return;
            foreach (var j in children)
            {
                order.Add(j);
                Walk(j.Child);
            }
        }
        Walk(rootLink);
        JointsInTreeOrder = order;
        foreach (var j in order) if (j.IsMovable) movable.Add(j);
        MovableJoints = movable;
    }

    public string Name { get; }

    /// <summary>Path of the URDF this was read from (for messages).</summary>
    public string SourcePath { get; }

    public IReadOnlyList<Link> Links { get; }

    public IReadOnlyList<Joint> Joints { get; }

    /// <summary>All joints, depth-first from the root (parent before child).</summary>
    public IReadOnlyList<Joint> JointsInTreeOrder { get; }

    /// <summary>Non-fixed joints in tree order; this is the order of the robot's joint-space vectors (q, q̇, τ).</summary>
    public IReadOnlyList<Joint> MovableJoints { get; }

    public string RootLink { get; }

    public Link GetLink(string name)
    {
        foreach (var l in Links) if (l.Name == name) return l;
        throw new KeyNotFoundException($"robot '{Name}' has no link '{name}'");
    }

    public Joint? FindJoint(string name)
    {
        foreach (var j in Joints) if (j.Name == name) return j;
        return null;
    }

    /// <summary>Index of a movable joint in joint-space order, or -1.</summary>
    public int MovableIndexOf(string jointName)
    {
        for (int i = 0; i < MovableJoints.Count; i++) if (MovableJoints[i].Name == jointName) return i;
        return -1;
    }

    /// <summary>The joint whose child is <paramref name="link"/>, or null for the root.</summary>
    public Joint? ParentJointOf(string link)
    {
        foreach (var j in Joints) if (j.Child == link) return j;
        return null;
    }
}
