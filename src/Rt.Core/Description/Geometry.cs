namespace Rt.Core.Description;

/// <summary>
/// A URDF shape (&lt;box&gt;, &lt;cylinder&gt;, &lt;sphere&gt;, &lt;mesh&gt;), in metres, centred on its origin.
/// URDF cylinders run along their local z axis. Not real-time safe (reference type); used to build the bench plant.
/// </summary>
public abstract record Geometry;

/// <summary>URDF &lt;box size="x y z"&gt;: full edge lengths, metres.</summary>
public sealed record BoxGeometry(Vec3 Size) : Geometry;

/// <summary>URDF &lt;cylinder radius length&gt;: along local z, metres.</summary>
public sealed record CylinderGeometry(double Radius, double Length) : Geometry;

/// <summary>URDF &lt;sphere radius&gt;, metres.</summary>
public sealed record SphereGeometry(double Radius) : Geometry;

/// <summary>URDF &lt;mesh filename scale&gt;: kept for completeness; the bench plant uses only primitive shapes.</summary>
public sealed record MeshGeometry(string Filename, Vec3 Scale) : Geometry;

/// <summary>One &lt;visual&gt; or &lt;collision&gt; element of a link: a shape placed at a pose in the link frame.</summary>
public sealed record LinkGeometry(string Name, Pose Origin, Geometry Shape);
