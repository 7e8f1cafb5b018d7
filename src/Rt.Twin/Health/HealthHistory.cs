using Rt.Core.Config;
using Rt.Twin.Parameters;
using Rt.Twin.Recording;

namespace Rt.Twin.Health;

/// <summary>
/// Adds one run or calibration to a health database: estimates every joint from the recording
/// (<see cref="HealthEstimator"/>) and appends them. Called after the run, off the tick. Not real-time safe.
/// </summary>
public static class HealthHistory
{
    /// <summary>Default database file name (in the working directory) when no <c>--db</c> is given.</summary>
    public const string DefaultPath = "rt-health.db";

    /// <summary>Unix days now: a robot's history's time axis.</summary>
    public static double UnixDays(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).TotalDays;

    /// <summary>
    /// Estimates from <paramref name="recording"/> and appends to <paramref name="databasePath"/> (created when missing,
    /// after the estimate; refused with <see cref="Rt.Core.Errors.InputError"/> when corrupt, of another schema,
    /// read-only or locked, before anything is written).
    /// <paramref name="day"/>: the entry's day (null: now, in Unix days).
    /// </summary>
    public static (long Id, IReadOnlyList<JointHealth> Joints) Add(string databasePath, TickRecording recording, RtConfig config, TwinParameters? parameters,
        string source, double? day = null, bool? tripped = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        // Check the database first (a bad file is refused before the estimation's cost); create it only once there is an
        // entry to add, so a recording the estimator refuses leaves nothing on disk.
        HealthDatabase.CheckWritable(databasePath);
        var estimated = HealthEstimator.Estimate(recording, config, parameters);
        // Each row carries the limits in force for this run (where it would have tripped): no baseline needed.
        var joints = estimated;
        var time = now ?? DateTimeOffset.UtcNow;
        using var db = HealthDatabase.OpenWrite(databasePath);
        long id = db.Append(new HealthSession(day ?? UnixDays(time), time, source, recording.Robot, recording.Path, recording.Count, tripped), joints);
        return (id, joints);
    }

    /// <summary>The parameter file a config names (twin.parameters), or null for nominal.</summary>
    public static TwinParameters? ConfigParameters(RtConfig config, string? parametersPath = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        string? path = !string.IsNullOrWhiteSpace(parametersPath) ? parametersPath
            : !string.IsNullOrWhiteSpace(config.Twin.Parameters) ? config.Resolve(config.Twin.Parameters) : null;
        return path is null ? null : TwinParameterFile.Load(path, config, config.Description);
    }
}
