using System.CommandLine;
using System.Globalization;
using Rt.Core.Errors;
using Rt.Hil.Campaign;
using Rt.Hil.Campaign.Reports;
using Rt.Host.Commands;
using Rt.Session;
using Spectre.Console;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Host.Commands;

/// <summary><c>rt hil run</c> and <c>rt hil sweep</c>: scenario campaigns on the bench, with verdicts, figures and reports.</summary>
internal static class HilCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary><c>rt hil run &lt;scenarios…&gt;</c>: run scenario files (or folders of them) and judge each.</summary>
    public static Command Run()
    {
        var paths = new Argument<string[]>("scenarios") { Description = "Scenario files, or folders (their *.yaml, by name)", Arity = ArgumentArity.OneOrMore };
        var jobs = JobsOption();
        var seed = new Option<ulong?>("--seed") { Description = "Replace every scenario's seed (repeat a run exactly)" };
        var tags = new Option<string[]>("--tag") { Description = "Run only scenarios with one of these tags (e.g. ci)", AllowMultipleArgumentsPerToken = true };
        var junit = new Option<FileInfo?>("--junit") { Description = "Write a JUnit XML report here (for CI)" };
        var html = new Option<FileInfo?>("--html") { Description = "Write a self-contained HTML report here" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the results as JSON here" };
        var realtime = new Option<bool>("--realtime") { Description = "Real time (default: lockstep): the bench in-process on the tick thread, or with --iface in its own process over a veth pair" };
        var iface = new Option<string?>("--iface") { Description = "Real time: the host's end of a veth pair from tools/netns-veth.sh (e.g. rtb-m); the emulator is served on the other end. Without it the bench runs in-process" };
        var live = new Option<bool>("--live") { Description = "Real time: show the live dashboard (tick rate, latency, injections, safety state) while each scenario runs" };
        var broker = new Option<string?>("--broker") { Description = "Send telemetry to this MQTT broker (mqtt://host:port) during every run" };
        var record = new Option<DirectoryInfo?>("--record") { Description = "Lockstep: record every run as MCAP into this folder (<scenario>-seed<N>.mcap; the JSON report names each)" };
        var healthDb = new Option<FileInfo?>("--health-db") { Description = "Lockstep: after the campaign, add each run's per-joint health estimate to this health database (source hil; records to a temporary folder unless --record)" };
        var dataset = new Option<DirectoryInfo?>("--dataset") { Description = "Lockstep: write the runs as a LeRobot dataset here, labelled with fault, class and trip (records to a temporary folder unless --record)" };
        var twinAdapt = new Option<string?>("--twin-adapt") { Description = "on or off: the twin's guarded adaptation (twin.adapt.enabled) for every run, over each scenario's twin_adapt and the robot config" };
        var cmd = new Command("run", "Run HIL scenarios: inject faults into the emulated robot and bus, judge the host's reaction, measure how fast it stops")
        {
            paths, jobs, seed, tags, junit, html, json, realtime, iface, live, broker, record, dataset, healthDb, twinAdapt,
        };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var options = new CampaignOptions
            {
                Jobs = CheckJobs(r.GetValue(jobs)),
                SeedOverride = r.GetValue(seed),
                Tags = r.GetValue(tags) ?? [],
                Realtime = r.GetValue(realtime),
                Interface = r.GetValue(iface),
                Live = r.GetValue(live),
                Broker = r.GetValue(broker),
                RecordDirectory = r.GetValue(record)?.FullName,
                TwinAdapt = r.GetValue(twinAdapt) switch
                {
                    null => null,
                    "on" => true,
                    "off" => false,
                    var v => throw new InputError("command line", "--twin-adapt", $"'{v}'; expected on or off"),
                },
            };
            string? datasetDir = r.GetValue(dataset)?.FullName;
            if ((options.RecordDirectory != null || datasetDir != null) && options.Realtime)
                throw new InputError("command line", options.RecordDirectory != null ? "--record" : "--dataset", "recording campaign runs is lockstep only");
            if (options.Live && !options.Realtime)
                throw new InputError("command line", "--live", "only applies with --realtime (a lockstep run is not watched live)");
            if (options.Interface != null && !options.Realtime)
                throw new InputError("command line", "--iface", "only applies with --realtime (lockstep runs the bench in-process)");
            var scenarios = Load(r.GetValue(paths) ?? []);
            var selected = ScenarioRunner.Select(scenarios, options.Tags);
            if (selected.Count == 0)
                throw new InputError("command line", "--tag", $"no scenario has a tag among {string.Join(", ", options.Tags)} ({scenarios.Count} loaded)");
            string? healthPath = r.GetValue(healthDb)?.FullName;
            if (healthPath != null && options.Realtime) throw new InputError("command line", "--health-db", "adding campaign runs to the health history is lockstep only");
            if (healthPath != null) HealthAfterRun.Check(healthPath); // a bad database is refused before any run
            string? tempRecordings = null;
            if ((datasetDir != null || healthPath != null) && options.RecordDirectory == null)
                options = options with { RecordDirectory = tempRecordings = Directory.CreateTempSubdirectory("rt-dataset-recordings-").FullName };
            if (options.RecordDirectory != null) Directory.CreateDirectory(options.RecordDirectory);
            var result = RunWithProgress(selected, options with { Tags = [] });
            Console.WriteLine();
            CampaignReports.PrintSummary(result, Console.Out);
            WriteReports(result, null, r.GetValue(junit), r.GetValue(html), r.GetValue(json));
            try
            {
                if (datasetDir != null) DatasetCommand.ExportCampaign(result, datasetDir);
                // After the campaign: a run whose entry fails is one `error: health:` line; the campaign's verdicts set the exit code.
                if (healthPath != null)
                    foreach (var run in result.Scenarios.Where(x => x.Recording is { } rec && File.Exists(rec)))
                        HealthAfterRun.TryAdd(healthPath, run.Recording!, () => Rt.Core.Config.ConfigLoader.Load(ScenarioLoader.Load(run.SourcePath).ConfigPath),
                            "hil", run.TripTick is not null, Console.Out, Console.Error);
            }
            finally
            {
                if (tempRecordings != null) Directory.Delete(tempRecordings, recursive: true);
            }
            return ExitCode(result);
        }));
        return cmd;
    }

    /// <summary>
    /// <c>rt hil sweep &lt;dirs…&gt;</c>: the nominal scenarios repeated with seeds B, B+1, … until the simulated time
    /// reaches --hours, and every fault scenario once per seed B..B+--seeds−1, where B is --seed-base (default 1, so a
    /// sweep can run on seeds outside a calibration's); prints false trips per hour and the detection-latency
    /// distribution per fault kind.
    /// </summary>
    public static Command Sweep()
    {
        var paths = new Argument<string[]>("scenarios") { Description = "Scenario folders (or files)", Arity = ArgumentArity.OneOrMore };
        var hours = new Option<double>("--hours") { Description = "Simulated hours of nominal motion (at least)", DefaultValueFactory = _ => 1.0 };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per fault scenario (B..B+N-1, B = --seed-base)", DefaultValueFactory = _ => 20 };
        var seedBase = new Option<ulong>("--seed-base") { Description = "First seed of the sweep (default 1): nominal runs use B, B+1, …; fault runs B..B+seeds-1", DefaultValueFactory = _ => 1UL };
        var jobs = JobsOption();
        var json = new Option<FileInfo?>("--json") { Description = "Write the results and the sweep statistics as JSON here" };
        var html = new Option<FileInfo?>("--html") { Description = "Write a self-contained HTML report (with the sweep statistics) here" };
        var cmd = new Command("sweep", "Detection metrics: false trips per hour of nominal motion, detection latency per fault kind across seeds (lockstep)")
        {
            paths, hours, seeds, seedBase, jobs, json, html,
        };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            double h = r.GetValue(hours);
            int k = r.GetValue(seeds);
            if (!(h >= 0) || double.IsInfinity(h)) throw new InputError("command line", "--hours", $"expected a number of hours ≥ 0, got {h}");
            if (k < 0) throw new InputError("command line", "--seeds", $"expected a number of seeds ≥ 0, got {k}");
            var scenarios = Load(r.GetValue(paths) ?? []);
            ulong b = r.GetValue(seedBase);
            if (b == 0 || b > ulong.MaxValue / 2) throw new InputError("command line", "--seed-base", $"expected a seed from 1 to {ulong.MaxValue / 2}, got {b}");
            var plan = PlanSweep(scenarios, h, k, b);
            if (plan.Runs.Count == 0)
                throw new InputError("command line", "rt hil sweep", $"nothing to run: no nominal scenario (tag 'nominal') and no fault scenario among the {scenarios.Count} loaded");
            Console.WriteLine(string.Create(Inv,
                $"sweep: {plan.NominalRuns} nominal runs ({plan.NominalS / 3600:0.00} h simulated) and {plan.Runs.Count - plan.NominalRuns} fault runs ({k} seeds each, from seed {b}); {plan.Skipped} real-time-only scenario(s) left out"));
            var result = RunWithProgress(plan.Runs, new CampaignOptions { Jobs = CheckJobs(r.GetValue(jobs)) });
            var summary = SweepStatistics.Summarise(result);
            Console.WriteLine();
            var bad = result.Scenarios.Where(s => s.Verdict is Verdict.Fail or Verdict.Error).ToList();
            foreach (var s in bad) Console.WriteLine($"{(s.Verdict == Verdict.Fail ? "FAIL " : "ERROR")} {s.Name} (seed {s.Seed}): {s.Reason}");
            if (bad.Count > 0) Console.WriteLine();
            foreach (var line in SweepStatistics.Figures(summary)) Console.WriteLine(line);
            Console.WriteLine(string.Create(Inv, $"{result.Passed} passed, {result.Failed} failed, {result.Skipped} skipped of {result.Scenarios.Count}; wall {result.WallS:0.0} s"));
            if (CampaignReports.IsolationLine(result) is { } isolation) Console.WriteLine(isolation); // issue 13's isolation, as rt hil run prints it
            if (CampaignReports.CollisionLine(result) is { } collisions) Console.WriteLine(collisions); // issue 13's numbers on every collision run
            WriteReports(result, summary, null, r.GetValue(html), r.GetValue(json));
            return ExitCode(result);
        }));
        return cmd;
    }

    /// <summary>The runs of a sweep, each a scenario with its own seed and a name that says which seed.</summary>
    internal sealed record SweepPlan(IReadOnlyList<Scenario> Runs, int NominalRuns, double NominalS, int Skipped);

    internal static SweepPlan PlanSweep(IReadOnlyList<Scenario> scenarios, double hours, int seeds, ulong seedBase = 1)
    {
        var usable = scenarios.Where(s => !s.RealtimeOnly).ToList();
        var nominal = usable.Where(IsNominal).ToList();
        var faults = usable.Where(s => !IsNominal(s) && s.Injections.Count > 0).ToList();
        var runs = new List<Scenario>();
        double target = hours * 3600, total = 0;
        int nominalRuns = 0;
        if (nominal.Count > 0 && nominal.Sum(s => s.DurationS) > 0)
        {
            for (ulong seed = seedBase; total < target; seed++)
            {
                foreach (var s in nominal)
                {
                    runs.Add(s with { Seed = seed, Name = $"{s.Name}#{seed}" });
                    total += s.DurationS;
                    nominalRuns++;
                }
            }
        }
        for (ulong seed = seedBase; seed < seedBase + (ulong)seeds; seed++)
            foreach (var s in faults) runs.Add(s with { Seed = seed, Name = $"{s.Name}#{seed}" });
        return new SweepPlan(runs, nominalRuns, total, scenarios.Count - usable.Count);
    }

    /// <summary>Nominal: tagged so, or expecting nothing with nothing injected.</summary>
    internal static bool IsNominal(Scenario s) =>
        s.Tags.Contains("nominal", StringComparer.OrdinalIgnoreCase)
        || (s.Injections.Count == 0 && s.Expect.Outcome == ExpectedOutcome.NoTrip);

    private static Option<int?> JobsOption() =>
        new("--jobs", "-j") { Description = $"Scenarios run at once (default: the number of CPUs, {Environment.ProcessorCount})" };

    private static int CheckJobs(int? jobs)
    {
        if (jobs is int j && j < 1) throw new InputError("command line", "--jobs", $"expected at least 1, got {j}");
        return jobs ?? Environment.ProcessorCount;
    }

    private static IReadOnlyList<Scenario> Load(string[] paths)
    {
        return ScenarioLoader.LoadAll(paths);
    }

    /// <summary>
    /// 0: every scenario passed (or was skipped for a stated reason); 2: a scenario had bad input (its field named in the
    /// reason); 1: otherwise, including a campaign cut short by Ctrl+C (its cancelled runs prove nothing).
    /// </summary>
    internal static int ExitCode(CampaignResult result)
    {
        if (result.Scenarios.Any(s => s.Verdict == Verdict.Error && s.Reason.StartsWith(ScenarioRunner.BadInputPrefix, StringComparison.Ordinal)))
            return ExitCodes.BadInput;
        bool interrupted = result.Scenarios.Any(s => s.Verdict == Verdict.Skipped && s.Reason.StartsWith(ScenarioRunner.CancelledPrefix, StringComparison.Ordinal));
        return result.Failed > 0 || interrupted ? 1 : ExitCodes.Ok;
    }

    private static void WriteReports(CampaignResult result, SweepSummary? sweep, FileInfo? junit, FileInfo? html, FileInfo? json)
    {
        var written = new List<string>();
        if (junit != null) { CampaignReports.WriteJunit(result, junit.FullName); written.Add($"JUnit: {junit.FullName}"); }
        if (json != null) { CampaignReports.WriteJson(result, json.FullName, sweep); written.Add($"JSON:  {json.FullName}"); }
        if (html != null) { CampaignReports.WriteHtml(result, html.FullName, sweep); written.Add($"HTML:  {html.FullName}"); }
        if (written.Count == 0) return;
        Console.WriteLine();
        foreach (var w in written) Console.WriteLine($"report {w}");
    }

    /// <summary>
    /// Runs the campaign with a progress bar on an interactive terminal, one line per finished scenario otherwise.
    /// Ctrl+C stops the runs in progress; what finished is still reported.
    /// </summary>
    private static CampaignResult RunWithProgress(IReadOnlyList<Scenario> scenarios, CampaignOptions options)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // stop cleanly: the runs end at their next tick and the partial results are reported
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            // The live dashboard owns the screen: no progress bar over it.
            bool interactive = !options.Live && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            return interactive ? WithBar(scenarios, options, cts.Token) : WithLines(scenarios, options, cts.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            if (cts.IsCancellationRequested) Console.WriteLine("interrupted: the runs in progress were stopped and are reported as skipped");
        }
    }

    private static CampaignResult WithLines(IReadOnlyList<Scenario> scenarios, CampaignOptions options, CancellationToken ct)
    {
        int done = 0;
        var gate = new object();
        var progress = new SyncProgress(p =>
        {
            if (p.Finished is not { } r) return;
            lock (gate)
            {
                done++;
                Console.WriteLine(string.Create(Inv, $"[{done}/{scenarios.Count}] {Word(r.Verdict)} {r.Name} (seed {r.Seed}, {r.SimulatedS:0.0} s simulated in {r.WallS:0.0} s): {r.Reason}"));
            }
        });
        return ScenarioRunner.RunAll(scenarios, options, progress, ct);
    }

    private static CampaignResult WithBar(IReadOnlyList<Scenario> scenarios, CampaignOptions options, CancellationToken ct)
    {
        CampaignResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var overall = ctx.AddTask($"{scenarios.Count} scenario(s)", maxValue: scenarios.Count);
                var running = new Dictionary<string, (ProgressTask Task, double Done)>();
                var gate = new object();
                var progress = new SyncProgress(p =>
                {
                    lock (gate)
                    {
                        if (!running.TryGetValue(p.Scenario, out var entry))
                        {
                            entry = (ctx.AddTask(Markup.Escape(p.Scenario), maxValue: 1.0), 0);
                        }
                        double delta = Math.Max(0, p.FractionDone - entry.Done);
                        entry.Task.Value = p.FractionDone;
                        overall.Increment(delta);
                        entry.Done = p.FractionDone;
                        running[p.Scenario] = entry;
                        if (p.Finished is { } r)
                        {
                            entry.Task.StopTask();
                            running.Remove(p.Scenario);
                            AnsiConsole.MarkupLine($"{Colour(r.Verdict)} {Markup.Escape(r.Name)} [grey](seed {r.Seed})[/] {Markup.Escape(r.Reason)}");
                        }
                    }
                });
                result = ScenarioRunner.RunAll(scenarios, options, progress, ct);
                overall.Value = overall.MaxValue;
            });
        return result!;
    }

    private static string Word(Verdict v) => v switch
    {
        Verdict.Pass => "PASS",
        Verdict.Fail => "FAIL",
        Verdict.Error => "ERROR",
        _ => "SKIP",
    };

    private static string Colour(Verdict v) => v switch
    {
        Verdict.Pass => "[green]PASS[/]",
        Verdict.Fail => "[bold red]FAIL[/]",
        Verdict.Error => "[bold red]ERROR[/]",
        _ => "[grey]SKIP[/]",
    };

    /// <summary>Reports on the calling (worker) thread, in order; <see cref="Progress{T}"/> would post them out of order.</summary>
    private sealed class SyncProgress(Action<ScenarioProgress> report) : IProgress<ScenarioProgress>
    {
        public void Report(ScenarioProgress value) => report(value);
    }
}
