using Rt.Hil.Drives;

namespace Rt.Hil;

/// <summary>How <see cref="Bench.Create"/> builds the in-process bench. Not real-time safe (read once).</summary>
public sealed class BenchOptions
{
    /// <summary>Seeds every noise source (IMUs, encoders). Same seed and same commands → bit-identical run.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Initial joint angles by joint name, rad; joints not listed start at 0. The robot starts at rest.</summary>
    public IReadOnlyDictionary<string, double>? InitialPose { get; set; }

    /// <summary>Template for every drive; its inertia is replaced per joint by the plant's M(q₀) diagonal.</summary>
    public DriveModelOptions Drive { get; set; } = new();

    /// <summary>Encoder noise per drive, counts (standard deviation); 0 = quantisation only.</summary>
    public double EncoderNoiseCounts { get; set; }

    /// <summary>IMU white noise (standard deviation per sample); null keeps <see cref="EmulatedImu"/>'s defaults.</summary>
    public double? ImuAccelNoiseMs2 { get; set; }

    public double? ImuGyroNoiseRadS { get; set; }

    /// <summary>Where to find librtmujoco.so; null: <c>RT_MUJOCO_SHIM</c>, else next to the assembly.</summary>
    public string? ShimPath { get; set; }

    /// <summary>Mocap obstacle boxes to place in the world (parked out of reach).</summary>
    public int ObstacleCount { get; set; } = 1;

    /// <summary>Ground clearance of the hanging robot, metres.</summary>
    public double FootClearanceM { get; set; } = 0.15;

    /// <summary>Keep the generated MJCF at this path for inspection.</summary>
    public string? MjcfPath { get; set; }
}
