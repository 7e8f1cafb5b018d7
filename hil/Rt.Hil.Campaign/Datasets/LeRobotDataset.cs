using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;
using Rt.Core.Errors;
using Rt.Twin.Recording;

namespace Rt.Hil.Campaign.Datasets;

/// <summary>
/// What a run is labelled with for learning: the injected fault (kind, target, tick and time of the first injection,
/// the windows it was active), its class (the outcome the scenario expects), and the trip (tick, trigger) the host
/// made. <see cref="None"/> for a run without a campaign report.
/// </summary>
public sealed record EpisodeLabels
{
    public string Task { get; init; } = "rt run";
    public string? Scenario { get; init; }
    public ulong? Seed { get; init; }
    public string Fault { get; init; } = "none";
    public string? FaultTarget { get; init; }
    public string FaultClass { get; init; } = "unknown";
    public long? InjectionTick { get; init; }
    public IReadOnlyList<(long From, long? To)> FaultWindows { get; init; } = [];
    public long? TripTick { get; init; }
    public string? TripTrigger { get; init; }
    public string? Verdict { get; init; }

    public static EpisodeLabels None { get; } = new();

    /// <summary>The labels a campaign result gives its run.</summary>
    public static EpisodeLabels From(ScenarioResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var first = r.Injections.OrderBy(i => i.Tick).FirstOrDefault();
        return new EpisodeLabels
        {
            Task = r.Motion ?? "rt run",
            Scenario = r.Name,
            Seed = r.Seed,
            Fault = first is null ? "none" : Snake(first.Kind.ToString()),
            FaultTarget = first?.Target,
            FaultClass = r.Expect is { } e ? Snake(e.Outcome.ToString()) : (first is null ? "no_trip" : "unknown"),
            InjectionTick = first?.Tick,
            FaultWindows = [.. r.Injections.Select(i => (i.Tick, i.EndTick))],
            TripTick = r.TripTick,
            TripTrigger = r.TripTrigger,
            Verdict = r.Verdict.ToString(),
        };
    }

    internal static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}

/// <summary>One episode to export: a recording (tick log or MCAP) and its labels.</summary>
public sealed record DatasetEpisode(string Recording, EpisodeLabels Labels);

/// <summary>What an export wrote: episodes, frames, bytes, wall time.</summary>
public sealed record DatasetSummary(string Directory, int Episodes, long Frames, long Bytes, double WallS);

/// <summary>
/// Writes episodes in the LeRobot dataset layout (codebase v2.1): <c>meta/info.json</c> (features with dtype, shape
/// and names; fps; paths), <c>meta/episodes.jsonl</c> (index, tasks, length, and Rt's labels), <c>meta/tasks.jsonl</c>,
/// <c>meta/episodes_stats.jsonl</c>, and one Parquet file per episode under <c>data/chunk-NNN/episode_NNNNNN.parquet</c>
/// with observation.state (joint positions, velocities, torques, then per IMU angular rate and specific force),
/// action (joint position targets), timestamp, frame_index, episode_index, index, task_index, and the per-frame labels
/// label.fault_active and label.tripped. Every tick of every recording is a frame (fps = the tick rate): no row is
/// dropped. Not real-time safe (offline).
/// </summary>
public static class LeRobotDataset
{
    public const string CodebaseVersion = "v2.1";
    public const int ChunkSize = 1000;

    public static DatasetSummary Export(IReadOnlyList<DatasetEpisode> episodes, string outDir, string? robotType = null)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        if (episodes.Count == 0) throw new InputError("command line", "recordings", "no recording to export");
        var wall = System.Diagnostics.Stopwatch.StartNew();
        string root = Path.GetFullPath(outDir);
        if (Directory.Exists(Path.Combine(root, "meta")) || Directory.Exists(Path.Combine(root, "data")))
            throw new InputError(root, "", "already holds a dataset (meta/ or data/); choose an empty folder");
        Directory.CreateDirectory(Path.Combine(root, "meta"));

        var tasks = new List<string>();
        var episodeLines = new List<string>();
        var statsLines = new List<string>();
        string[]? stateNames = null, actionNames = null;
        long periodNs = 0, index = 0, bytes = 0;
        string robot = robotType ?? "";
        for (int e = 0; e < episodes.Count; e++)
        {
            var ep = episodes[e];
            var rec = TickRecording.Open(ep.Recording);
            var names = StateNames(rec);
            if (stateNames == null)
            {
                stateNames = names;
                actionNames = [.. rec.JointNames.Select(j => j + ".target_position")];
                periodNs = rec.PeriodNs;
                if (robot.Length == 0) robot = rec.Robot;
            }
            else if (!names.SequenceEqual(stateNames) || rec.PeriodNs != periodNs)
                throw new InputError(ep.Recording, "", $"a different robot layout or tick period than the first recording ({episodes[0].Recording}): one dataset holds one robot at one rate");
            int task = tasks.IndexOf(ep.Labels.Task);
            if (task < 0)
            {
                task = tasks.Count;
                tasks.Add(ep.Labels.Task);
            }
            string rel = DataPath(e);
            string file = Path.Combine(root, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var stats = WriteEpisode(rec, ep.Labels, e, index, task, file);
            bytes += new FileInfo(file).Length;
            episodeLines.Add(EpisodeLine(e, ep, rec, task: ep.Labels.Task));
            statsLines.Add(new JsonObject { ["episode_index"] = e, ["stats"] = stats }.ToJsonString());
            index += rec.Count;
        }

        double fps = 1e9 / periodNs;
        var features = new JsonObject
        {
            ["observation.state"] = Feature("float32", stateNames!.Length, stateNames),
            ["action"] = Feature("float32", actionNames!.Length, actionNames),
            ["timestamp"] = Feature("float32", 1, null),
            ["frame_index"] = Feature("int64", 1, null),
            ["episode_index"] = Feature("int64", 1, null),
            ["index"] = Feature("int64", 1, null),
            ["task_index"] = Feature("int64", 1, null),
            ["label.fault_active"] = Feature("bool", 1, null),
            ["label.tripped"] = Feature("bool", 1, null),
        };
        var info = new JsonObject
        {
            ["codebase_version"] = CodebaseVersion,
            ["robot_type"] = robot,
            ["total_episodes"] = episodes.Count,
            ["total_frames"] = index,
            ["total_tasks"] = tasks.Count,
            ["total_videos"] = 0,
            ["total_chunks"] = (episodes.Count + ChunkSize - 1) / ChunkSize,
            ["chunks_size"] = ChunkSize,
            ["fps"] = Math.Abs(fps - Math.Round(fps)) < 1e-9 ? (JsonNode)(long)Math.Round(fps) : fps,
            ["splits"] = new JsonObject { ["train"] = $"0:{episodes.Count}" },
            ["data_path"] = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet",
            ["video_path"] = null,
            ["features"] = features,
        };
        var json = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(root, "meta", "info.json"), info.ToJsonString(json) + "\n");
        File.WriteAllLines(Path.Combine(root, "meta", "episodes.jsonl"), episodeLines);
        File.WriteAllLines(Path.Combine(root, "meta", "tasks.jsonl"), tasks.Select((t, i) => new JsonObject { ["task_index"] = i, ["task"] = t }.ToJsonString()));
        File.WriteAllLines(Path.Combine(root, "meta", "episodes_stats.jsonl"), statsLines);
        foreach (var f in Directory.EnumerateFiles(Path.Combine(root, "meta"))) bytes += new FileInfo(f).Length;
        return new DatasetSummary(root, episodes.Count, index, bytes, wall.Elapsed.TotalSeconds);
    }

    public static string DataPath(int episode) =>
        string.Create(CultureInfo.InvariantCulture, $"data/chunk-{episode / ChunkSize:000}/episode_{episode:000000}.parquet");

    /// <summary>observation.state's element names: per joint position, velocity, torque; per IMU angular rate and specific force.</summary>
    public static string[] StateNames(TickRecording rec)
    {
        ArgumentNullException.ThrowIfNull(rec);
        var n = new List<string>();
        foreach (var f in new[] { "position", "velocity", "torque" }) n.AddRange(rec.JointNames.Select(j => $"{j}.{f}"));
        foreach (var i in rec.ImuNames)
            foreach (var f in new[] { "angular_rate.x", "angular_rate.y", "angular_rate.z", "specific_force.x", "specific_force.y", "specific_force.z" })
                n.Add($"{i}.{f}");
        return [.. n];
    }

    private static JsonObject Feature(string dtype, int size, string[]? names) => new()
    {
        ["dtype"] = dtype,
        ["shape"] = new JsonArray(size),
        ["names"] = names is null ? null : new JsonArray([.. names.Select(x => (JsonNode)x)]),
    };

    private static string EpisodeLine(int e, DatasetEpisode ep, TickRecording rec, string task)
    {
        var l = ep.Labels;
        double S(long tick) => (tick - rec.Tick(0)) * rec.PeriodNs / 1e9;
        var o = new JsonObject
        {
            ["episode_index"] = e,
            ["tasks"] = new JsonArray(task),
            ["length"] = rec.Count,
            ["recording"] = Path.GetFileName(ep.Recording),
            ["scenario"] = l.Scenario,
            ["seed"] = l.Seed,
            ["fault"] = l.Fault,
            ["fault_target"] = l.FaultTarget,
            ["fault_class"] = l.FaultClass,
            ["injection_tick"] = l.InjectionTick,
            ["injection_time_s"] = l.InjectionTick is long it ? S(it) : null,
            ["trip"] = l.TripTick.HasValue,
            ["trip_tick"] = l.TripTick,
            ["trip_time_s"] = l.TripTick is long tt ? S(tt) : null,
            ["trip_trigger"] = l.TripTrigger,
            ["verdict"] = l.Verdict,
        };
        return o.ToJsonString();
    }

    private static JsonObject WriteEpisode(TickRecording rec, EpisodeLabels labels, int episode, long firstIndex, int task, string file)
    {
        int n = rec.Count, joints = rec.JointNames.Count, imus = rec.ImuNames.Count;
        int width = 3 * joints + 6 * imus;
        var L = rec.Layout;
        var state = new float[n * width];
        var action = new float[n * joints];
        var timestamp = new float[n];
        var frame = new long[n];
        var episodeIndex = new long[n];
        var index = new long[n];
        var taskIndex = new long[n];
        var faultActive = new bool[n];
        var tripped = new bool[n];
        double t0 = rec.Get(0, RecordLayout.TimeOffset);
        for (int r = 0; r < n; r++)
        {
            var row = rec.Record(r);
            var s = state.AsSpan(r * width, width);
            for (int j = 0; j < joints; j++)
            {
                s[j] = (float)row[L.Joint(j, JointField.Position)];
                s[joints + j] = (float)row[L.Joint(j, JointField.Velocity)];
                s[2 * joints + j] = (float)row[L.Joint(j, JointField.Torque)];
                action[r * joints + j] = (float)row[L.Joint(j, JointField.TargetPosition)];
            }
            for (int i = 0; i < imus; i++)
            {
                int b = 3 * joints + 6 * i;
                s[b] = (float)row[L.Imu(i, ImuField.AngularRateX)];
                s[b + 1] = (float)row[L.Imu(i, ImuField.AngularRateY)];
                s[b + 2] = (float)row[L.Imu(i, ImuField.AngularRateZ)];
                s[b + 3] = (float)row[L.Imu(i, ImuField.SpecificForceX)];
                s[b + 4] = (float)row[L.Imu(i, ImuField.SpecificForceY)];
                s[b + 5] = (float)row[L.Imu(i, ImuField.SpecificForceZ)];
            }
            long tick = rec.Tick(r);
            timestamp[r] = (float)((row[RecordLayout.TimeOffset] - t0) / 1e9);
            frame[r] = r;
            episodeIndex[r] = episode;
            index[r] = firstIndex + r;
            taskIndex[r] = task;
            foreach (var (from, to) in labels.FaultWindows)
                if (tick >= from && (to is null || tick < to)) faultActive[r] = true;
            tripped[r] = labels.TripTick is long trip && tick >= trip;
        }

        var stateField = new ListField("observation.state", new DataField<float>("element"));
        var actionField = new ListField("action", new DataField<float>("element"));
        var fields = new Field[]
        {
            stateField, actionField,
            new DataField<float>("timestamp"), new DataField<long>("frame_index"), new DataField<long>("episode_index"),
            new DataField<long>("index"), new DataField<long>("task_index"),
            new DataField<bool>("label.fault_active"), new DataField<bool>("label.tripped"),
        };
        var schema = new ParquetSchema(fields);
        using (var stream = File.Create(file))
        {
            Task.Run(async () =>
            {
                var writer = await ParquetWriter.CreateAsync(schema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }).ConfigureAwait(false);
                await using var _ = writer.ConfigureAwait(false);
                using var group = writer.CreateRowGroup();
                await WriteList(group, (DataField)stateField.Item, state, n, width).ConfigureAwait(false);
                await WriteList(group, (DataField)actionField.Item, action, n, joints).ConfigureAwait(false);
                await group.WriteAsync<float>((DataField)fields[2], timestamp).ConfigureAwait(false);
                await group.WriteAsync<long>((DataField)fields[3], frame).ConfigureAwait(false);
                await group.WriteAsync<long>((DataField)fields[4], episodeIndex).ConfigureAwait(false);
                await group.WriteAsync<long>((DataField)fields[5], index).ConfigureAwait(false);
                await group.WriteAsync<long>((DataField)fields[6], taskIndex).ConfigureAwait(false);
                await group.WriteAsync<bool>((DataField)fields[7], faultActive).ConfigureAwait(false);
                await group.WriteAsync<bool>((DataField)fields[8], tripped).ConfigureAwait(false);
            }).GetAwaiter().GetResult();
        }

        return new JsonObject
        {
            ["observation.state"] = Stats(state, width, n),
            ["action"] = Stats(action, joints, n),
            ["timestamp"] = Stats(timestamp, 1, n),
        };
    }

    /// <summary>
    /// A list column of fixed length per row: every element present (definition level at its maximum), repetition
    /// level 0 starting a row's list and 1 continuing it.
    /// </summary>
    private static Task WriteList(ParquetRowGroupWriter group, DataField item, float[] values, int rows, int width)
    {
        var definition = new int[rows * width];
        Array.Fill(definition, item.MaxDefinitionLevel);
        return group.WriteAllPartsAsync<float>(item, values, definition, Repetition(rows, width), CancellationToken.None);
    }

    /// <summary>Repetition levels of a list column of fixed length: 0 starts a row's list, 1 continues it.</summary>
    private static int[] Repetition(int rows, int width)
    {
        var r = new int[rows * width];
        for (int i = 0; i < r.Length; i++) r[i] = i % width == 0 ? 0 : 1;
        return r;
    }

    /// <summary>Per element min, max, mean, std and count, as LeRobot's episodes_stats.jsonl holds them.</summary>
    private static JsonObject Stats(float[] values, int width, int rows)
    {
        var min = new JsonArray(); var max = new JsonArray(); var mean = new JsonArray(); var std = new JsonArray();
        for (int k = 0; k < width; k++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity, sum = 0, sq = 0;
            for (int r = 0; r < rows; r++)
            {
                double v = values[r * width + k];
                lo = Math.Min(lo, v); hi = Math.Max(hi, v); sum += v; sq += v * v;
            }
            double m = rows > 0 ? sum / rows : 0;
            min.Add(rows > 0 ? lo : 0); max.Add(rows > 0 ? hi : 0); mean.Add(m);
            std.Add(rows > 0 ? Math.Sqrt(Math.Max(0, sq / rows - m * m)) : 0);
        }
        return new JsonObject { ["min"] = min, ["max"] = max, ["mean"] = mean, ["std"] = std, ["count"] = new JsonArray(rows) };
    }
}
