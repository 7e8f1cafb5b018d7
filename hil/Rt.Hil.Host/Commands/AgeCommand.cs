using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Rt.Core.Errors;
using Rt.Hil.Campaign.Ageing;
using Rt.Host.Commands;
using Rt.Session;
using Rt.Twin.Health;

namespace Rt.Hil.Host.Commands;

/// <summary>
/// <c>rt hil age &lt;scenario&gt; [--joint j|none] [--days 60] [--seeds k]</c>: the ageing campaign (docs/TWIN.md, "Health"):
/// one short session per simulated day with a slowly wearing joint, each estimated into a health database, and the
/// forecast's first warning against the supervisor's first trip. Prints one line per day and `name: value unit`
/// figures. Not real-time safe (offline).
/// </summary>
internal static class AgeCommand
{
    public static Command Create()
    {
        var scenario = new Argument<FileInfo>("scenario") { Description = "Base scenario: robot, motion, seed and randomisation of every day's session (e.g. hil/scenarios/nominal-march-short.yaml)" };
        var joint = new Option<string>("--joint") { Description = "The joint that wears, or 'none' for a healthy robot", DefaultValueFactory = _ => "l_knee" };
        var days = new Option<int>("--days") { Description = "Simulated days", DefaultValueFactory = _ => 60 };
        var step = new Option<double>("--step-days") { Description = "Days between sessions", DefaultValueFactory = _ => 1 };
        var session = new Option<double>("--session-s") { Description = "Each session's length, simulated s", DefaultValueFactory = _ => 2 };
        var friction = new Option<double>("--friction-per-day") { Description = "Friction growth per day, fraction of the URDF value", DefaultValueFactory = _ => 0.02 };
        var kt = new Option<double>("--motor-constant-loss-per-day") { Description = "Motor-constant loss per day, fraction of nameplate", DefaultValueFactory = _ => 0.005 };
        var seed = new Option<ulong?>("--seed") { Description = "First seed (default: the scenario's)" };
        var seeds = new Option<int>("--seeds") { Description = "How many seeds (first, first+1, …), each its own robot and database", DefaultValueFactory = _ => 1 };
        var jobs = new Option<int>("--jobs") { Description = "Seeds run in parallel", DefaultValueFactory = _ => 1 };
        var db = new Option<FileInfo>("--db") { Description = "Health database (with several seeds: <name>-seed<N>.db beside it)", DefaultValueFactory = _ => new FileInfo("ageing-health.db") };
        var work = new Option<DirectoryInfo?>("--work") { Description = "Folder for the day's recordings and the state folder of a day whose run tripped (default: a temporary folder, deleted after unless --keep-recordings)" };
        var keep = new Option<bool>("--keep-recordings") { Description = "Keep each day's MCAP recording" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the results as JSON to this file" };
        var cmd = new Command("age", "Ageing campaign: a joint wears a little each simulated day; does the health forecast warn before the supervisor trips?")
            { scenario, joint, days, step, session, friction, kt, seed, seeds, jobs, db, work, keep, json };
        cmd.SetAction(r => HealthGuard(() =>
        {
            int n = r.GetValue(seeds);
            if (n is < 1 or > 1000) throw new InputError("command line", "--seeds", $"{n}; expected 1..1000");
            int j = r.GetValue(jobs);
            if (j is < 1 or > 64) throw new InputError("command line", "--jobs", $"{j}; expected 1..64");
            string? target = r.GetValue(joint) is "none" or "" ? null : r.GetValue(joint);
            string basePath = r.GetValue(scenario)!.FullName;
            ulong first = r.GetValue(seed) ?? Rt.Hil.Campaign.Scenarios.ScenarioLoader.Load(basePath).Seed;
            string dbPath = r.GetValue(db)!.FullName;
            string workDir = r.GetValue(work)?.FullName ?? Path.Combine(Path.GetTempPath(), $"rt-age-{Environment.ProcessId}");
            // The folders are created by every seed at once: a path that cannot be one is refused here, once.
            for (string? up = workDir; !string.IsNullOrEmpty(up); up = Path.GetDirectoryName(up))
                if (File.Exists(up)) throw new InputError("command line", "--work", $"{workDir}: {up} is a file; expected a folder for the day's recordings");
            var results = new AgeingResult[n];
            var gate = new object();
            try
            {
                Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = j }, i =>
                {
                    ulong s = first + (ulong)i;
                    string path = n == 1 ? dbPath : Path.Combine(Path.GetDirectoryName(dbPath)!, $"{Path.GetFileNameWithoutExtension(dbPath)}-seed{s}{Path.GetExtension(dbPath)}");
                    var options = new AgeingOptions
                    {
                        BaseScenarioPath = basePath, Joint = target, Days = r.GetValue(days), StepDays = r.GetValue(step), SessionS = r.GetValue(session),
                        FrictionPerDay = r.GetValue(friction), MotorConstantLossPerDay = r.GetValue(kt), Seed = s, Database = path,
                        WorkDirectory = Path.Combine(workDir, $"seed{s}"), KeepRecordings = r.GetValue(keep),
                    };
                    results[i] = AgeingCampaign.Run(options, d =>
                    {
                        lock (gate) Console.WriteLine(Line(s, d));
                    });
                });
            }
            catch (AggregateException e)
            {
                // Parallel.For wraps what a seed threw: the first input error (exit 2) if any seed had one, else the first
                // failure as itself, so every kind keeps its own line and exit code instead of "unexpected AggregateException".
                var inner = e.Flatten().InnerExceptions;
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner.FirstOrDefault(x => x is InputError) ?? inner[0]);
            }
            finally
            {
                // The default temporary folder goes whether the day ran or failed (a failed run left it behind).
                if (r.GetValue(work) is null && !r.GetValue(keep)) TryDelete(workDir);
            }
            foreach (var res in results) Console.WriteLine(Summary(res));
            var inv = CultureInfo.InvariantCulture;
            if (target is not null)
            {
                var leads = results.Where(x => x.LeadDays is not null).Select(x => x.LeadDays!.Value).Order().ToList();
                if (leads.Count > 0) Console.WriteLine(string.Create(inv, $"ageing_lead_days: {leads[leads.Count / 2]:F1} days (median of {leads.Count}; min {leads[0]:F1})"));
                Console.WriteLine($"ageing_runs_without_trip: {results.Count(x => x.TripDay is null)}");
                Console.WriteLine($"ageing_runs_without_warning: {results.Count(x => x.FirstWarningDay is null)}");
            }
            Console.WriteLine($"ageing_false_warnings: {results.Sum(x => x.FalseWarnings.Count)} (over {n} seed(s); healthy joints)");
            var worst = results.Where(x => !double.IsNaN(x.WorstHealthyReach)).MaxBy(x => x.WorstHealthyReach);
            if (worst is not null)
                Console.WriteLine(string.Create(inv, $"ageing_worst_healthy_band_reach: {worst.WorstHealthyReach:F3} (of the way to the limit in {HealthForecastOptions.Default.WarningHorizonDays:F0} days; 1 = warning; seed {worst.Seed} {worst.WorstHealthyAt})"));
            if (r.GetValue(json) is { } jf) File.WriteAllText(jf.FullName, Json(results));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static string Line(ulong seed, AgeingDay d)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"seed {seed} day {d.Day,5:F1}: friction +{d.FrictionAddedNm:F3} N·m, motor constant ×{d.MotorConstantFactor:F3}, {(d.Tripped ? $"TRIP ({d.TripTrigger})" : "no trip")}");
        foreach (var w in d.Warnings) s.Append("; ").Append(HealthReport.Sentence(w).Replace("warning: ", "", StringComparison.Ordinal));
        return s.ToString();
    }

    private static string Summary(AgeingResult r) => string.Create(CultureInfo.InvariantCulture,
        $"seed {r.Seed} ({r.Joint ?? "healthy"}): first warning day {Day(r.FirstWarningDay)}, trip day {Day(r.TripDay)}, lead {Day(r.LeadDays)} days, false warnings {r.FalseWarnings.Count}{(r.FalseWarnings.Count > 0 ? " [" + string.Join(", ", r.FalseWarnings) + "]" : "")}, {r.WallS:F0} s wall");

    private static string Day(double? d) => d is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "-";

    private static string Json(IReadOnlyList<AgeingResult> results)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("scenario", r.Scenario);
                w.WriteNumber("seed", r.Seed);
                if (r.Joint is null) w.WriteNull("joint"); else w.WriteString("joint", r.Joint);
                Opt(w, "first_warning_day", r.FirstWarningDay);
                Opt(w, "trip_day", r.TripDay);
                Opt(w, "lead_days", r.LeadDays);
                Opt(w, "worst_healthy_band_reach", double.IsFinite(r.WorstHealthyReach) ? r.WorstHealthyReach : null);
                if (r.WorstHealthyAt is null) w.WriteNull("worst_healthy_at"); else w.WriteString("worst_healthy_at", r.WorstHealthyAt);
                w.WriteStartArray("false_warnings");
                foreach (var f in r.FalseWarnings) w.WriteStringValue(f);
                w.WriteEndArray();
                w.WriteStartArray("days");
                foreach (var d in r.Days)
                {
                    w.WriteStartObject();
                    w.WriteNumber("day", d.Day);
                    w.WriteNumber("friction_added_nm", d.FrictionAddedNm);
                    w.WriteNumber("motor_constant_factor", d.MotorConstantFactor);
                    w.WriteBoolean("tripped", d.Tripped);
                    w.WriteNumber("warnings", d.Warnings.Count);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteNumber("wall_s", r.WallS);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Opt(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x) w.WriteNumber(name, x); else w.WriteNull(name);
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing the campaign for.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    // Bad input is one line and exit 2.
    private static int HealthGuard(Func<int> body) => CommandRunner.Guard(() =>
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
