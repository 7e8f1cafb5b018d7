using Rt.Core.Description;

namespace Rt.Hil.Plant;

/// <summary>
/// Where to put the bench's obstacle box so that one face is square to the way a link moves (<c>d</c>, unit, world)
/// and touches the link's collision shape at the point it leads with, overlapping it by a given depth: the shape lies
/// entirely behind the face's plane but for that depth, so the first contact is a touch, never a box already buried in
/// the link (which MuJoCo expels with kilonewtons). Pure functions, real-time safe (no allocation).
/// </summary>
public static class ObstaclePlacement
{
    /// <summary>
    /// |d · axis| below this counts as square to that axis: the lead point sits in the middle of that face or side
    /// instead of flipping to an edge on a rounding error (≈ 3°).
    /// </summary>
    public const double SquareTolerance = 0.05;

    /// <summary>The support distance of <paramref name="s"/> along unit <paramref name="d"/>: max over its points of d·(x − centre), m.</summary>
    public static double Support(in CollisionShape s, Vec3 d)
    {
        switch (s.Kind)
        {
            case CollisionShapeKind.Box:
                return Math.Abs(Dot(d, s.AxisX)) * s.Size.X + Math.Abs(Dot(d, s.AxisY)) * s.Size.Y + Math.Abs(Dot(d, s.AxisZ)) * s.Size.Z;
            case CollisionShapeKind.Cylinder:
            {
                double a = Dot(d, s.AxisZ);
                return s.Size.X * Math.Sqrt(Math.Max(0, 1 - a * a)) + s.Size.Y * Math.Abs(a);
            }
            case CollisionShapeKind.Capsule:
                return s.Size.X + s.Size.Y * Math.Abs(Dot(d, s.AxisZ));
            case CollisionShapeKind.Sphere:
                return s.Size.X;
            default:
                return 0;
        }
    }

    /// <summary>
    /// The point of <paramref name="s"/> that leads along <paramref name="d"/> (on the support plane; the middle of a
    /// face or side that is square to <paramref name="d"/> within <see cref="SquareTolerance"/>), world m.
    /// </summary>
    public static Vec3 LeadPoint(in CollisionShape s, Vec3 d)
    {
        var c = s.Centre;
        switch (s.Kind)
        {
            case CollisionShapeKind.Box:
                c = Add(c, Scale(s.AxisX, Side(Dot(d, s.AxisX)) * s.Size.X));
                c = Add(c, Scale(s.AxisY, Side(Dot(d, s.AxisY)) * s.Size.Y));
                return Add(c, Scale(s.AxisZ, Side(Dot(d, s.AxisZ)) * s.Size.Z));
            case CollisionShapeKind.Cylinder or CollisionShapeKind.Capsule:
            {
                double a = Dot(d, s.AxisZ);
                c = Add(c, Scale(s.AxisZ, Side(a) * s.Size.Y));
                var radial = Sub(d, Scale(s.AxisZ, a));
                double n = Norm(radial);
                if (s.Kind == CollisionShapeKind.Capsule) return Add(c, Scale(d, s.Size.X)); // the end sphere's lead point
                return n > 1e-9 ? Add(c, Scale(radial, s.Size.X / n)) : c;
            }
            case CollisionShapeKind.Sphere:
                return Add(c, Scale(d, s.Size.X));
            default:
                return c;
        }
    }

    /// <summary>
    /// Centre of an obstacle box <paramref name="halfDepth"/> deep (half, along <paramref name="d"/>) with a face square to
    /// <paramref name="d"/>, centred on the shape's lead point, its face <paramref name="overlap"/> m inside the shape's support plane.
    /// </summary>
    public static Vec3 ObstacleCentre(in CollisionShape s, Vec3 d, double halfDepth, double overlap)
    {
        var lead = LeadPoint(s, d);
        // The lead point lies on the support plane (d·(lead − centre) = Support) except for a face square to d within the
        // tolerance, where it is the face's middle: put the face at the support plane either way.
        double behind = Support(s, d) - Dot(d, Sub(lead, s.Centre));
        return Add(lead, Scale(d, behind + halfDepth - overlap));
    }

    /// <summary>
    /// The obstacle's orientation for a strike along unit <paramref name="d"/>: the rotation taking the box's x axis (its
    /// depth, <see cref="PlantOptions.ObstacleHalfDepthM"/>) onto <paramref name="d"/>.
    /// </summary>
    public static Quat FacingAlong(Vec3 d)
    {
        double c = d.X; // x · d
        if (c < -1 + 1e-9) return new Quat(0, 0, 0, 1); // half turn about z
        // q = (1 + c, x × d) normalised; x × d = (0, −d.z, d.y).
        double w = 1 + c, y = -d.Z, z = d.Y;
        double n = Math.Sqrt(w * w + y * y + z * z);
        return new Quat(w / n, 0, y / n, z / n);
    }

    /// <summary>
    /// Of a link's shapes, the one that leads along <paramref name="d"/> (its support plane furthest along d: what an
    /// obstacle coming from there meets first); -1 if none is placeable.
    /// </summary>
    public static int Leading(ReadOnlySpan<CollisionShape> shapes, Vec3 d)
    {
        int best = -1;
        double far = double.NegativeInfinity;
        for (int i = 0; i < shapes.Length; i++)
        {
            if (shapes[i].Kind == CollisionShapeKind.Other) continue;
            double f = Dot(d, shapes[i].Centre) + Support(shapes[i], d);
            if (f > far) { far = f; best = i; }
        }
        return best;
    }

    private static double Side(double dot) => Math.Abs(dot) < SquareTolerance ? 0 : Math.Sign(dot);

    internal static Vec3 Add(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    internal static Vec3 Sub(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    internal static Vec3 Scale(Vec3 a, double k) => new(a.X * k, a.Y * k, a.Z * k);
    internal static double Dot(Vec3 a, Vec3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
    internal static double Norm(Vec3 a) => Math.Sqrt(Dot(a, a));
}
