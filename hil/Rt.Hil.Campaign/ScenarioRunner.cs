using System.Diagnostics;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign;

/// <summary>How a campaign runs: parallelism, mode, seed override, tag selection, where run state goes.</summary>
public sealed record CampaignOptions
{
    /// <summary>Scenarios run at once (each on its own thread, each with its own MuJoCo plant).</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;

    /// <summary>Real time instead of lockstep (<see cref="Realtime.RealtimeScenarioRunner"/>): the in-process bench on the real-time scheduler, or with <see cref="Interface"/> the emulator in its own process over a veth pair.</summary>
    public bool Realtime { get; init; }

    /// <summary>Real time: the host's end of the veth pair.</summary>
    public string? Interface { get; init; }

    /// <summary>Replaces every scenario file's seed.</summary>
    public ulong? SeedOverride { get; init; }

    /// <summary>Run only scenarios carrying at least one of these tags (empty: all).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Where each run's state folder (safety log, flight records) goes; null: the system temp folder.</summary>
    public string? StateRoot { get; init; }

    /// <summary>Telemetry to this broker (mqtt://host:port) for every run (the demo streams to its private mosquitto); null: the config's. A scenario with a broker outage uses its own private broker instead.</summary>
    public string? Broker { get; init; }

    /// <summary>Lockstep: record every run as MCAP into this folder (<c>&lt;scenario&gt;-seed&lt;N&gt;.mcap</c>, <see cref="RecordingPath"/>); null: no recording.</summary>
    public string? RecordDirectory { get; init; }

    /// <summary>Turns the twin's guarded adaptation (twin.adapt.enabled) on or off for every run, over the scenario's twin_adapt; null: the scenario's, else the robot config's.</summary>
    public bool? TwinAdapt { get; init; }

    /// <summary>Real time: draw the live dashboard (<see cref="Realtime.RealtimeDashboard"/>) on the console while each scenario runs (the demo).</summary>
    public bool Live { get; init; }
}

/// <summary>Progress of one scenario: its share done, and the result once it has finished.</summary>
public sealed record ScenarioProgress(string Scenario, double FractionDone, ScenarioResult? Finished);

/// <summary>
/// Runs scenarios on the emulated bench: lockstep by default (deterministic, several at once), or real time.
/// A scenario that fails or cannot run gives a result with <see cref="Verdict.Fail"/>/<see cref="Verdict.Error"/> and
/// the reason; nothing a scenario does is thrown to the caller. Not real-time safe (the tick runs inside).
/// </summary>
public static class ScenarioRunner
{
    /// <summary>Prefix of the reason of an <see cref="Verdict.Error"/> caused by bad input (a scenario or config error).</summary>
    public const string BadInputPrefix = "bad input: ";

    /// <summary>Start of the reason of a run skipped because the campaign was cancelled.</summary>
    public const string CancelledPrefix = "cancelled";

    public static ScenarioResult Run(Scenario scenario, CampaignOptions options, CancellationToken ct = default) =>
        Run(scenario, options, null, ct);

    /// <summary>As <see cref="Run(Scenario, CampaignOptions, CancellationToken)"/>, reporting the fraction done now and then.</summary>
    public static ScenarioResult Run(Scenario scenario, CampaignOptions options, Action<double>? progress, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SeedOverride is ulong seed) scenario = scenario with { Seed = seed };
        string mode = options.Realtime ? "realtime" : "lockstep";
        if (options.Realtime)
        {
            return Realtime.RealtimeScenarioRunner.Run(scenario, options, progress, ct);
        }
        if (scenario.RealtimeOnly)
            return Skipped(scenario, mode, "needs the real-time mode (run with --realtime)");
        var wall = Stopwatch.StartNew();
        try
        {
            return RunLockstep(scenario, options, progress, wall, ct);
        }
        catch (InputError e)
        {
            return Failed(scenario, mode, wall, BadInputPrefix + e.Message);
        }
        catch (HostUnavailableException e)
        {
            return Failed(scenario, mode, wall, $"unavailable: {e.Message}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug in the host or the bench: reported with its type so it is not mistaken for a verdict.
            return Failed(scenario, mode, wall, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static ScenarioResult RunLockstep(Scenario scenario, CampaignOptions options, Action<double>? progress, Stopwatch wall, CancellationToken ct)
    {
        var config = ConfigLoader.Load(scenario.ConfigPath);
        if (scenario.Motion is { } motion)
        {
            if (!Enum.TryParse<MotionKind>(motion, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
                throw new InputError(scenario.SourcePath, "motion", $"expected hold, sine or march, got '{motion}'");
            config.Motion.Kind = kind;
        }
        if ((options.TwinAdapt ?? scenario.TwinAdapt) is { } adapt) config.Twin.Adapt.Enabled = adapt;

        bool needsBroker = scenario.Injections.Any(i => i.Kind == InjectionKind.BrokerOutage);
        string stateDir = CreateStateDirectory(options, scenario);
        bool keepState = false;
        var log = new List<string>();
        PrivateBroker? broker = null;
        HostSession? session = null;
        try
        {
            broker = needsBroker ? PrivateBroker.Start() : null;
            session = BenchSession.Create(config, new SessionOptions
            {
                Bench = true,
                Lockstep = true,
                DurationS = scenario.DurationS,
                Seed = unchecked((int)scenario.Seed),
                EnableMotion = true,
                StateDirectory = stateDir,
                Broker = broker?.Uri ?? options.Broker,
                RecordPath = options.RecordDirectory is { } recordDir ? RecordingPath(recordDir, scenario) : null,
            });
            // Parallel runs must not print over each other: the session's messages stay with the run.
            session.Log = m => { lock (log) log.Add(m); };

            // Simulated time waits for the publisher: the first tick runs once the broker connection is up, so a run with
            // telemetry judges like one without (the loop would otherwise outrun the connect and warn of telemetry loss).
            if (session.Telemetry is { } telemetryLink && !telemetryLink.WaitConnected(TimeSpan.FromSeconds(BrokerGraceS)))
                lock (log) log.Add($"telemetry: no broker connection within {BrokerGraceS} s of the start; running without it");
            var drawn = DomainRandomiser.Apply(session, scenario); // before tick 0
            using var injector = new FaultInjector(session, scenario, broker);
            long total = session.TicksFor(scenario.DurationS);
            long[] outageTicks = [.. scenario.Injections.Where(i => i.Kind == InjectionKind.BrokerOutage).Select(i => (long)Math.Round(i.AtS * session.Config.Loop.RateHz))];
            var observer = new ScenarioObserver(session, scenario, total);
            session.SafetyEventForwarded += observer.OnSafetyEvent;
            var scheduler = session.CreateLockstep();
            // The adaptation's log thread drains its ring while the run goes (the tick never logs); lines stay with the run.
            var adaptation = (session.Twin as Rt.Twin.DigitalTwin)?.Adaptation;
            var adaptLines = new StringWriter();
            var frictionAdapt = (session.Twin as Rt.Twin.DigitalTwin)?.FrictionAdaptation; // twin.adapt.friction: same log thread
            using var adaptLog = adaptation is null && frictionAdapt is null ? null : new Rt.Twin.Adaptation.PayloadAdaptationLog(adaptation, TextWriter.Synchronized(adaptLines), session.PeriodNs * 1e-9, friction: frictionAdapt);
            long every = Math.Max(1, total / 50);
            long tick = 0;
            for (; tick < total; tick++)
            {
                if (ct.IsCancellationRequested) break;
                if (tick >= injector.NextEventTick)
                {
                    injector.ApplyDue(tick);
                    // A broker stopped now is noticed before the next tick (simulated time waits, as for the publisher).
                    if (Array.IndexOf(outageTicks, tick) >= 0 && session.Telemetry is { } t && !t.WaitLinkDown(TimeSpan.FromSeconds(BrokerGraceS)))
                        lock (log) log.Add($"telemetry: the link did not notice the broker outage within {BrokerGraceS} s");
                }
                session.Telemetry?.WaitForPublisher(TimeSpan.FromSeconds(BrokerGraceS)); // simulated time waits for the publisher: no ring drops
                scheduler.Run(1, tick);
                observer.AfterTick(tick);
                if (progress != null && tick % every == 0) progress((double)tick / total);
            }
            // With telemetry (a broker scenario): every safety event must have reached the broker once it is back.
            int unacknowledged = tick < total || session.Telemetry is null ? 0 : WaitForBroker(session, BrokerGraceS);
            session.Dispose(); // drains and fsyncs the safety log: every event is counted below
            if (tick < total)
                return Skipped(scenario, "lockstep", $"{CancelledPrefix} at {tick * session.PeriodNs / 1e9:0.000} s of {scenario.DurationS:0.###} s");

            wall.Stop();
            var result = observer.Finish("lockstep", wall.Elapsed.TotalSeconds, injector.Applied, drawn, injector.FirstInjectionTick);
            result = result with { Motion = config.Motion.Kind.ToString().ToLowerInvariant() };
            if (session.Recorder is { } recorder) result = result with { Recording = recorder.Path, RecordingDropped = recorder.Dropped };
            if (adaptLog is not null)
            {
                adaptLog.Dispose(); // after the last tick: drains the ring, writes the final estimates
                lock (log) log.AddRange(adaptLines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                if (adaptation is not null) result = WithAdaptation(result, scenario, adaptation, adaptLog.Lines, session.Layout);
            }
            if (unacknowledged > 0 && result.Verdict != Verdict.Error)
                result = result with
                {
                    Verdict = Verdict.Fail,
                    Reason = $"{result.Reason}; but {unacknowledged} safety event(s) were still not acknowledged by the broker {BrokerGraceS:0} s after the run",
                };
            if (result.Verdict is Verdict.Fail or Verdict.Error)
            {
                keepState = true;
                // What the session said while it ran (set-up notes, telemetry link changes) goes with the post-mortem.
                lock (log) File.WriteAllLines(Path.Combine(stateDir, "session.txt"), [.. session.Notes, .. log]);
                var flights = session.SafetyLog?.FlightRecordings ?? [];
                result = result with { Reason = $"{result.Reason} (safety log and {flights.Count} flight record(s) kept in {stateDir})" };
            }
            progress?.Invoke(1.0);
            return result;
        }
        catch
        {
            keepState = true;
            throw;
        }
        finally
        {
            session?.Dispose();
            broker?.Dispose();
            if (!keepState) TryDelete(stateDir);
        }
    }

    /// <summary>
    /// Adds the adaptation's final estimates to <paramref name="result"/> and judges expect.payload_kg: the estimate at
    /// the first payload injection's link within ± <see cref="Expectation.PayloadToleranceFraction"/> of it.
    /// </summary>
    private static ScenarioResult WithAdaptation(ScenarioResult result, Scenario scenario, Rt.Twin.Adaptation.PayloadAdaptation adaptation, long changes, Rt.Core.Divergence.ChannelLayout layout)
    {
        var estimates = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int l = 0; l < adaptation.EndLinkNames.Count; l++) estimates[adaptation.EndLinkNames[l]] = adaptation.PayloadKg[l];
        var causes = adaptation.FreezeCauses.ToArray();
        var top = Enumerable.Range(0, Math.Min(causes.Length, layout.Count)).Where(c => causes[c] > 0).OrderByDescending(c => causes[c]).Take(3)
            .Select(c => $"{layout.Channels[c].Name} {causes[c]}").ToList();
        string frozen = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"adaptation frozen {100.0 * adaptation.FrozenTicks / Math.Max(1, adaptation.ArmedTicks):0.#} % of {adaptation.ArmedTicks} armed ticks{(top.Count > 0 ? $" (detectors above the freeze fraction, ticks: {string.Join(", ", top)})" : "")}");
        result = result with { AdaptedPayloadKg = estimates, AdaptationChanges = changes, AdaptationBlocked = adaptation.Blocked, AdaptationFrozen = frozen };
        if (scenario.Expect.PayloadKg is not { } want) return result;
        string link = scenario.Injections.First(i => i.Kind == InjectionKind.Payload).Target!;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (!estimates.TryGetValue(link, out double got))
            return result with { Verdict = Verdict.Fail, Reason = $"{result.Reason}; but the twin adapts no payload at '{link}' (its end links: {string.Join(", ", estimates.Keys)})" };
        double tol = Expectation.PayloadToleranceFraction * want;
        string text = string.Create(inv, $"adapted payload at {link} {got:0.000} kg, expected {want:0.###} kg ± {tol:0.###}");
        if (Math.Abs(got - want) <= tol) return result with { Reason = $"{result.Reason}; {text}" };
        return result.Verdict is Verdict.Error ? result : result with { Verdict = Verdict.Fail, Reason = $"{result.Reason}; but {text}" };
    }

    /// <summary>Where a recorded run goes: the scenario's name (a sweep's '#seed' suffix made file-safe) and seed.</summary>
    public static string RecordingPath(string directory, Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var name = new string([.. scenario.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]);
        return Path.Combine(Path.GetFullPath(directory), string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}-seed{scenario.Seed}.mcap"));
    }

    /// <summary>Wall seconds a broker scenario waits, after its last tick, for the broker to acknowledge every safety event.</summary>
    public const double BrokerGraceS = 5;

    /// <summary>
    /// After the last tick of a session with telemetry: waits (at most <paramref name="graceS"/> wall seconds) until the
    /// safety log has drained the supervisor's ring and the telemetry outbox is empty (every safety event acknowledged
    /// by the broker). Returns the events still unacknowledged. Draining first also keeps the log thread from
    /// forwarding into telemetry that the session's disposal has already stopped.
    /// </summary>
    private static int WaitForBroker(HostSession session, double graceS)
    {
        var telemetry = session.Telemetry!;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed.TotalSeconds < graceS)
        {
            if (session.SafetyEvents.Count == 0 && telemetry.Stats.OutboxPending == 0) return 0;
            Thread.Sleep(10); // polling a condition with a deadline: the broker and the log run on their own threads
        }
        return Math.Max(telemetry.Stats.OutboxPending, session.SafetyEvents.Count);
    }

    /// <summary>
    /// Runs the scenarios (those carrying one of <see cref="CampaignOptions.Tags"/>, if any), up to
    /// <see cref="CampaignOptions.Jobs"/> at once. Cancelling stops the runs in progress cleanly: they come back as
    /// skipped, the finished ones keep their results.
    /// </summary>
    public static CampaignResult RunAll(IReadOnlyList<Scenario> scenarios, CampaignOptions options, IProgress<ScenarioProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        ArgumentNullException.ThrowIfNull(options);
        var started = DateTimeOffset.UtcNow;
        var wall = Stopwatch.StartNew();
        var selected = Select(scenarios, options.Tags);
        var results = new ScenarioResult?[selected.Count];
        int next = -1;
        void Worker()
        {
            while (true)
            {
                int i = Interlocked.Increment(ref next);
                if (i >= selected.Count) return;
                var s = selected[i];
                ScenarioResult r = ct.IsCancellationRequested
                    ? Skipped(options.SeedOverride is ulong seed ? s with { Seed = seed } : s, options.Realtime ? "realtime" : "lockstep", $"{CancelledPrefix} before it started")
                    : Run(s, options, f => progress?.Report(new ScenarioProgress(s.Name, f, null)), ct);
                results[i] = r;
                progress?.Report(new ScenarioProgress(s.Name, 1.0, r));
            }
        }

        // Real time owns the machine's real-time core: one scenario at a time.
        int jobs = options.Realtime ? 1 : Math.Clamp(options.Jobs, 1, Math.Max(1, selected.Count));
        if (jobs == 1)
        {
            Worker();
        }
        else
        {
            var threads = new Thread[jobs];
            for (int t = 0; t < jobs; t++)
            {
                threads[t] = new Thread(Worker) { Name = $"rt-campaign-{t}", IsBackground = true };
                threads[t].Start();
            }
            foreach (var th in threads) th.Join();
        }
        wall.Stop();
        return new CampaignResult
        {
            StartedUtc = started,
            Host = Environment.MachineName,
            Mode = options.Realtime ? "realtime" : "lockstep",
            Scenarios = [.. results.Select(r => r!)],
            WallS = wall.Elapsed.TotalSeconds,
        };
    }

    /// <summary>The scenarios carrying at least one of <paramref name="tags"/> (all of them when no tag is given).</summary>
    public static IReadOnlyList<Scenario> Select(IReadOnlyList<Scenario> scenarios, IReadOnlyList<string> tags)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        if (tags is null || tags.Count == 0) return scenarios;
        return [.. scenarios.Where(s => s.Tags.Any(t => tags.Contains(t, StringComparer.OrdinalIgnoreCase)))];
    }

    /// <summary>A fresh state folder for one run of <paramref name="scenario"/> (<paramref name="tag"/> tells modes apart).</summary>
    internal static string CreateStateDirectory(CampaignOptions options, Scenario scenario, string tag = "")
    {
        string root = options.StateRoot ?? Path.Combine(Path.GetTempPath(), "rt-hil");
        Directory.CreateDirectory(root);
        string safe = string.Concat(scenario.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        // Unique per run: the same scenario may run with the same seed in parallel (sweeps, repeated CLI calls).
        var dir = Path.Combine(root, $"{safe}-seed{scenario.Seed}-{tag}{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    internal static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { } // best effort: a temp folder left behind is harmless
        catch (UnauthorizedAccessException) { }
    }

    internal static ScenarioResult Skipped(Scenario s, string mode, string reason) => new()
    {
        Name = s.Name,
        SourcePath = s.SourcePath,
        Seed = s.Seed,
        Expect = s.Expect,
        Verdict = Verdict.Skipped,
        Reason = reason,
        Mode = mode,
        SimulatedS = 0,
        WallS = 0,
    };

    internal static ScenarioResult Failed(Scenario s, string mode, Stopwatch wall, string reason) => new()
    {
        Name = s.Name,
        SourcePath = s.SourcePath,
        Seed = s.Seed,
        Expect = s.Expect,
        Verdict = Verdict.Error,
        Reason = reason,
        Mode = mode,
        SimulatedS = 0,
        WallS = wall.Elapsed.TotalSeconds,
    };
}
