using Rt.Core.Config;

namespace Rt.Hil.Plant;

/// <summary>How to build the MuJoCo plant from a robot description. Not real-time safe (read at load only).</summary>
public sealed class PlantOptions
{
    /// <summary>Integrator time step = tick period / substeps, seconds (default 1 kHz tick, 4 substeps).</summary>
    public double TimestepS { get; set; } = 0.00025;

    /// <summary>
    /// Joint order of every joint-space vector the plant takes or returns (torques, q, q̇, M, c).
    /// Null: the description's movable joints in tree order.
    /// </summary>
    public IReadOnlyList<string>? JointOrder { get; set; }

    /// <summary>IMU mounts: each gets a MuJoCo site with an accelerometer and a gyro.</summary>
    public IReadOnlyList<ImuConfig> Imus { get; set; } = [];

    /// <summary>Gap between the lowest point of the hanging robot (all joints at zero) and the floor, metres.</summary>
    public double FootClearanceM { get; set; } = 0.15;

    /// <summary>Radius of the capsules that stand in for link geometry (the description carries no collision shapes).</summary>
    public double LinkRadiusM { get; set; } = 0.03;

    /// <summary>Mocap boxes (<c>obstacle0</c>, …) parked out of reach; move one into a leg's path to inject a collision.</summary>
    public int ObstacleCount { get; set; } = 1;

    /// <summary>Half-size of each obstacle box across the way it is struck (its local y and z), metres.</summary>
    public double ObstacleHalfSizeM { get; set; } = 0.05;

    /// <summary>
    /// Half its depth along the way it is struck (local x, the placement's direction), metres. A slab, not a cube: a
    /// 10 cm cube put in the way of a thigh swinging inwards reached into the other thigh (gap a few cm) and MuJoCo expelled
    /// it with kilonewtons; a 4 cm deep slab has the same 10 × 10 cm face.
    /// </summary>
    public double ObstacleHalfDepthM { get; set; } = 0.02;

    /// <summary>Whether robot links collide with each other (adjacent links never do). Default off: a hanging test stand.</summary>
    public bool SelfCollision { get; set; }

    /// <summary>
    /// Reflected rotor inertia per joint name (kg·m² at the joint: rotor inertia × gear²), MJCF <c>armature</c>.
    /// Absent joints get none. It adds to M(q)'s diagonal, so a twin built from the URDF alone will not see it.
    /// </summary>
    public IReadOnlyDictionary<string, double>? ArmatureKgM2 { get; set; }

    /// <summary>Where to find librtmujoco.so; null: <c>RT_MUJOCO_SHIM</c>, else next to the assembly.</summary>
    public string? ShimPath { get; set; }

    /// <summary>Keep the generated MJCF at this path (for inspection); null: a temp file deleted after loading.</summary>
    public string? MjcfPath { get; set; }
}
