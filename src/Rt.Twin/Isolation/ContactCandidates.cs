using Rt.Core.Description;
using Rt.Twin.Dynamics;

namespace Rt.Twin.Isolation;

/// <summary>How a candidate contact constrains the force it may carry.</summary>
internal enum ContactConstraint : byte
{
    /// <summary>Any force: a point inside a link without collision geometry (the bench's pushes land anywhere), or a sphere's centre.</summary>
    Free,
    /// <summary>A point on a flat face: the force pushes into the face, within the friction cone around the inward normal.</summary>
    Face,
    /// <summary>
    /// A point on a cylinder's axis standing for its side: a normal force on the side passes through the axis, so any force
    /// at least the friction cone's half-angle away from the axis (|f·a| ≤ μ·|f⊥|) is a contact somewhere on that ring.
    /// </summary>
    Side,
    /// <summary>Any force, at a free point inside a link that has a surface: a push the geometry cannot carry (the bench's wrench at a centre of mass), priced by <see cref="ContactCandidates.InteriorPenalty"/>.</summary>
    Interior,
}

/// <summary>
/// The contact points the evidence window tries (issue 13): a collision touches a link's surface and pushes on it, so a
/// link with collision geometry in the URDF is tried at points on that geometry, each with the forces a frictional contact
/// there can carry (Manuelli and Tedrake's contact particle filter restricts contacts the same way); a link without it keeps
/// free points (origin, centre of mass, child joints and midpoints). A force the geometry cannot carry (one pulling on a
/// face, or running along a shin) then no longer makes a link farther down the leg the better fit. Built once, not
/// real-time safe; the arrays are read in the tick.
/// </summary>
internal sealed class ContactCandidates
{
    /// <summary>The friction coefficient the cones allow: 1 (45°), generous, so no real contact is excluded (rubber and plastics are 0.5–1).</summary>
    public const double Friction = 1.0;

    /// <summary>
    /// A free fit inside a link that has a surface costs this factor more: a push the geometry cannot carry is the bench's
    /// (a wrench at a centre of mass), not a robot's, and wins only where no surface contact comes near it.
    /// </summary>
    public const double InteriorPenalty = 1.15;

    public int[] Body { get; }
    public V3[] Point { get; }              // body frame
    public V3[] Direction { get; }          // body frame: the inward normal (Face), the axis (Side), unused (Free)
    public ContactConstraint[] Constraint { get; }

    private ContactCandidates(List<int> body, List<V3> point, List<V3> direction, List<ContactConstraint> constraint)
    {
        Body = [.. body];
        Point = [.. point];
        Direction = [.. direction];
        Constraint = [.. constraint];
    }

    /// <summary>
    /// Candidates per body (model order): the surface of the link's collision shapes when it has any primitive shapes,
    /// else <paramref name="freeBody"/>/<paramref name="freePoint"/>'s points for that body.
    /// </summary>
    public static ContactCandidates For(RigidBodyModel model, RobotDescription? description, IReadOnlyList<int> freeBody, IReadOnlyList<V3> freePoint)
    {
        var body = new List<int>();
        var point = new List<V3>();
        var direction = new List<V3>();
        var constraint = new List<ContactConstraint>();
        var names = model.BodyNames;
        for (int b = 0; b < names.Count; b++)
        {
            int before = body.Count;
            if (description is not null && TryLink(description, names[b], out var link))
                foreach (var shape in link.Collisions) AddShape(b, shape);
            var kind = body.Count > before ? ContactConstraint.Interior : ContactConstraint.Free;
                        for (int c = 0; c < freeBody.Count; c++)
                if (freeBody[c] == b) Add(b, freePoint[c], V3.Zero, kind);
        }
        return new ContactCandidates(body, point, direction, constraint);

        void Add(int b, V3 p, V3 d, ContactConstraint k)
        {
            body.Add(b);
            point.Add(p);
            direction.Add(d);
            constraint.Add(k);
        }

        void AddShape(int b, LinkGeometry g)
        {
            var r = M3.FromRpy(g.Origin.Rpy.X, g.Origin.Rpy.Y, g.Origin.Rpy.Z);
            var o = new V3(g.Origin.Xyz.X, g.Origin.Xyz.Y, g.Origin.Xyz.Z);
            switch (g.Shape)
            {
                case BoxGeometry box:
                    // Each face: a 3×3 grid reaching 80 % of the way to its edges, force pushing inwards.
                    double[] half = [box.Size.X / 2, box.Size.Y / 2, box.Size.Z / 2];
                    for (int axis = 0; axis < 3; axis++)
                        for (int side = -1; side <= 1; side += 2)
                        {
                            int u = (axis + 1) % 3, v = (axis + 2) % 3;
                            for (int iu = -1; iu <= 1; iu++)
                                for (int iv = -1; iv <= 1; iv++)
                                {
                                    var local = new double[3];
                                    local[axis] = side * half[axis];
                                    local[u] = 0.8 * iu * half[u];
                                    local[v] = 0.8 * iv * half[v];
                                    var inward = new double[3];
                                    inward[axis] = -side;
                                    Add(b, o + r.Mul(new V3(local[0], local[1], local[2])), r.Mul(new V3(inward[0], inward[1], inward[2])), ContactConstraint.Face);
                                }
                        }
                    break;
                case CylinderGeometry cyl:
                    // The side: nine points along the axis; the caps: their centres (a radius of a few cm moves no torque much).
                    var a = r.Mul(new V3(0, 0, 1));
                    for (int k = -4; k <= 4; k++) Add(b, o + a * (k * cyl.Length / 8), a, ContactConstraint.Side);
                    Add(b, o + a * (cyl.Length / 2), -a, ContactConstraint.Face);
                    Add(b, o - a * (cyl.Length / 2), a, ContactConstraint.Face);
                    break;
                case SphereGeometry:
                    // A normal force on a sphere passes through its centre, from any side.
                    Add(b, o, V3.Zero, ContactConstraint.Free);
                    break;
            }
        }
    }

    private static bool TryLink(RobotDescription description, string name, out Link link)
    {
        foreach (var l in description.Links)
            if (l.Name == name)
            {
                link = l;
                return true;
            }
        link = null!;
        return false;
    }
}
