using System.CommandLine;
using System.Diagnostics;
using Rt.Core.Errors;
using Rt.Session;
using Rt.Twin.Health;
using Rt.Twin.Recording;

namespace Rt.Host.Commands;

/// <summary>
/// <c>rt health [--db f] [--html f] [--json]</c>: the per-joint health history, trends and forecasts (docs/TWIN.md,
/// "Health"); <c>rt health add &lt;recording&gt; --config c</c> adds a run to it. Bad input (a missing, corrupt or
/// foreign database, a recording that does not match) is one line and exit 2; nothing is written then. Not real-time
/// safe (offline tool).
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var db = DbOption();
        var html = new Option<FileInfo?>("--html") { Description = "Also write a self-contained HTML report with plots (inline SVG) to this file" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON instead of the table" };
        var cmd = new Command("health", "Per-joint health history: trends, and forecasts of when a parameter crosses its limit") { db, html, json, Add() };
        cmd.SetAction(r => Guard(() =>
        {
            var sw = Stopwatch.StartNew();
            string path = r.GetValue(db)!.FullName;
            IReadOnlyList<HealthEntry> history;
            using (var database = HealthDatabase.OpenRead(path)) history = database.ReadAll();
            var report = new HealthReport(path, history);
            Console.Write(r.GetValue(json) ? report.ToJson() + Environment.NewLine : report.ToText());
            if (r.GetValue(html) is { } h)
            {
                File.WriteAllText(h.FullName, report.ToHtml());
                if (!r.GetValue(json)) Console.WriteLine($"wrote {h.FullName}");
            }
            if (!r.GetValue(json)) Console.WriteLine(FormattableString.Invariant($"rt_health_time: {sw.Elapsed.TotalMilliseconds:F0} ms"));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Option<FileInfo> DbOption() => new("--db")
    {
        Description = $"Health database (SQLite; default {HealthHistory.DefaultPath} in the working directory)",
        DefaultValueFactory = _ => new FileInfo(HealthHistory.DefaultPath),
    };

    private static Command Add()
    {
        var recording = new Argument<FileInfo>("recording") { Description = "A run's recording (rt run --record, rt hil run --record)" };
        var config = CommandOptions.ConfigOption();
        var db = DbOption();
        var parameters = new Option<FileInfo?>("--params", "-p") { Description = "Twin-parameter file the limits come from (default: the config's twin.parameters, else nominal)" };
        var day = new Option<double?>("--day") { Description = "The entry's day on the history's time axis (default: now, in Unix days)" };
        var source = new Option<string>("--source") { Description = "What produced the recording: run, hil or calibrate", DefaultValueFactory = _ => "run" };
        var cmd = new Command("add", "Estimate each joint's health from a recording and add it to the history") { recording, config, db, parameters, day, source };
        cmd.SetAction(r => Guard(() =>
        {
            string src = r.GetValue(source)!;
            if (src is not ("run" or "hil" or "calibrate")) throw new InputError("command line", "--source", $"'{src}'; expected run, hil or calibrate");
            if (r.GetValue(day) is { } d && !(double.IsFinite(d) && Math.Abs(d) < 1e7)) throw new InputError("command line", "--day", $"{d}; expected a finite day within ±1e7");
            var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
            string path = r.GetValue(db)!.FullName;
            // Refuse a bad database before the (longer) read of the recording; it is created only with the entry.
            HealthAfterRun.Check(path);
            var rec = TickRecording.Open(r.GetValue(recording)!.FullName);
            var (id, joints) = HealthHistory.Add(path, rec, cfg, HealthHistory.ConfigParameters(cfg, r.GetValue(parameters)?.FullName), src, r.GetValue(day));
            Console.WriteLine($"health: entry {id} in {path}: {joints.Count} joints from {rec.Path} ({rec.Count} ticks)");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>Bad input is one line (no "refusing to enable motion": nothing here moves); everything else as every command.</summary>
    internal static int Guard(Func<int> body) => CommandRunner.Guard(() =>
    {
        try
        {
            return body();
        }
        catch (InputError e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
    });
}

/// <summary>
/// <c>--health-db f</c> on <c>rt run</c>, <c>rt hil run</c> and <c>rt calibrate</c> (all through <see cref="TryAdd"/>): after
/// the command's own work (never from the tick) its recording is estimated into the health history, as <c>rt health add</c> does (docs/TWIN.md,
/// "Health"). The database is checked before anything runs and created only with its first entry; a failure after
/// the run is one <c>error: health:</c> line and never replaces the command's own exit code. Not real-time safe.
/// </summary>
public static class HealthAfterRun
{
    /// <summary>
    /// Refuses a corrupt, foreign, empty, read-only or locked database, a directory or a missing folder
    /// (<see cref="InputError"/>) before anything moves; creates and writes nothing.
    /// </summary>
    public static void Check(string databasePath) => HealthDatabase.CheckWritable(databasePath);

    /// <summary>
    /// Longest run whose health entry may come from a temporary recording (no <c>--record</c>): the temporary file is
    /// bounded by the run's length, and a longer run (or <c>--until-stopped</c>) names its recording with <c>--record</c>.
    /// </summary>
    public const double MaxTemporaryRecordingS = 600;

    /// <summary>
    /// <see cref="Add"/>, with a failure reported as one <c>error: health: …</c> line on <paramref name="error"/> (a bug
    /// said to be one) and false: the caller keeps its own exit code.
    /// </summary>
    /// <param name="tripped">Whether the run tripped; null where the question does not apply (a calibration's recording).</param>
    /// <param name="parametersPath">The twin parameters to estimate with (rt calibrate: the file it has just written); null: the config's twin.parameters, else nominal.</param>
    public static bool TryAdd(string databasePath, string recordingPath, Func<Rt.Core.Config.RtConfig> config, string source, bool? tripped, TextWriter output, TextWriter error,
        string? parametersPath = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            Add(databasePath, recordingPath, config(), source, tripped, output, parametersPath);
            return true;
        }
        catch (Exception e) when (e is InputError or IOException or InvalidDataException or UnauthorizedAccessException
                                      or Microsoft.Data.Sqlite.SqliteException or DllNotFoundException)
        {
            error.WriteLine($"error: health: the entry for {recordingPath} was not added to {databasePath}: {e.Message}");
        }
        catch (Exception e)
        {
            error.WriteLine($"error: health: unexpected {e.GetType().Name}: {e.Message} (a bug: please report); the entry for {recordingPath} was not added to {databasePath}");
        }
        return false;
    }

    /// <summary>A temporary recording path for a run that keeps no recording of its own.</summary>
    public static string TemporaryRecording() => Path.Combine(Path.GetTempPath(), $"rt-health-{Environment.ProcessId}-{Guid.NewGuid():N}.mcap");

    /// <summary>Adds one finished run's recording to <paramref name="databasePath"/> and prints one line.</summary>
    public static void Add(string databasePath, string recordingPath, Rt.Core.Config.RtConfig config, string source, bool? tripped, TextWriter output, string? parametersPath = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(output);
        var rec = TickRecording.Open(recordingPath);
        var (id, joints) = HealthHistory.Add(databasePath, rec, config, HealthHistory.ConfigParameters(config, parametersPath), source, tripped: tripped);
        output.WriteLine($"health: entry {id} in {databasePath}: {joints.Count} joints from {rec.Path} ({rec.Count} ticks{(tripped == true ? ", tripped" : "")})");
    }
}
