using Rt.Core.Description;

namespace Rt.Hil.Plant;

/// <summary>The kinds of collision shape an obstacle can be placed against (MuJoCo's geom types that have a support distance).</summary>
public enum CollisionShapeKind
{
    /// <summary>Not placeable against (plane, height field, ellipsoid, mesh).</summary>
    Other = 0,
    Sphere = 2,
    Capsule = 3,
    Cylinder = 5,
    Box = 6,
}

/// <summary>
/// One of a link's collision geoms as MuJoCo has it in the world: its centre, its frame's axes (unit, world) and
/// MuJoCo's size (box: half sizes along the axes; cylinder/capsule: radius, half-length along <see cref="AxisZ"/>;
/// sphere: radius). Real-time safe (immutable value).
/// </summary>
public readonly record struct CollisionShape(CollisionShapeKind Kind, Vec3 Centre, Vec3 AxisX, Vec3 AxisY, Vec3 AxisZ, Vec3 Size);
