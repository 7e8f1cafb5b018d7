namespace Rt.Core.Config;

/// <summary>
/// Plausible ranges for the safety- and resource-relevant numbers of the host config outside the <c>safety:</c>
/// section (docs/CONFIG.md, "Bounds"). A value outside is refused with the file, key, value and range: a typo such as
/// <c>hip_pitch_rad: 1e308</c> or <c>plant_substeps: 100000000</c> must stop the host, not move the robot or exhaust memory.
/// Generous for real humanoids; tighten per robot in the URDF and the joint limits.
/// </summary>
public static class ConfigBounds
{
    /// <summary>Loop and IMU sample rates, Hz (the loop also needs at least <see cref="MinLoopRateHz"/>).</summary>
    public const double MaxRateHz = 10_000;
    public const double MinLoopRateHz = 1;
    public const int MaxOverrunFaultAfter = 1000;
    public const int MaxCpu = 1023;

    /// <summary>Plant substeps per tick: each substep is a MuJoCo step and a row of per-substep buffers.</summary>
    public const int MaxPlantSubsteps = 1000;

    public const int MaxJoints = 256;
    public const int MaxImus = 64;

    /// <summary>Highest bus position of a drive, IMU or expected slave (buffers are sized by it).</summary>
    public const int MaxBusPosition = 1023;

    public const double MaxGearRatio = 10_000;
    public const long MinCountsPerRev = 4;
    public const long MaxCountsPerRev = 1L << 31;
    public const double MaxRatedTorqueNm = 1000;

    /// <summary>Joint position limits, rad (m for a prismatic joint): two turns either way.</summary>
    public const double MaxJointPositionRad = 4 * Math.PI;
    public const double MaxJointVelocityRadS = 100;
    public const double MaxJointAccelerationRadS2 = 10_000;
    public const double MaxJointTorqueNm = 10_000;
    public const double MaxFollowingErrorRad = Math.PI;

    public const double MaxMountOffsetM = 10;
    public const double MaxAccelRangeMs2 = 2000;
    public const double MaxGyroRangeRadS = 100;

    /// <summary>Motion amplitudes (sine sweep, march hip and knee), rad: half a turn.</summary>
    public const double MaxMotionAmplitudeRad = Math.PI;
    public const double MaxMotionFrequencyHz = 100;
    public const double MaxMotionTimeS = 60;

    public const int MaxFrameLossBudget = 1000;
    public const double MaxFalseAlarmEveryHours = 1e7;
    public const double MaxShiftSigma = 100;
    public const double MaxObserverGain = 10_000;

    /// <summary>Telemetry decimation (ticks) and records per message (the batch buffer is sized by it).</summary>
    public const int MaxDecimation = 100_000;
    public const int MaxBatchSize = 10_000;

    /// <summary>Telemetry topic rates, Hz (summary, ROS topics), and the protobuf threshold repeat interval, s.</summary>
    public const double MaxSummaryHz = 100;
    public const double MaxRosHz = 1000;
    public const double MinThresholdRepeatS = 0.1, MaxThresholdRepeatS = 60;

    /// <summary>loop.no_gc_region_mb: at most 16 GiB (what .NET 10's GC accepted on a 24 GB machine; under mlockall all of it is resident).</summary>
    public const int MaxNoGcRegionMb = 16384;
}
