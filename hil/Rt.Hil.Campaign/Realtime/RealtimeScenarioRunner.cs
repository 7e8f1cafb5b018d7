using System.Collections.Concurrent;
using System.Diagnostics;
using Rt.ControlLoop.Scheduling;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Tick;
using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Realtime;

/// <summary>
/// Runs one scenario with the host on the real-time scheduler (wall-clock ticks, SCHED_FIFO where granted), judged by
/// the same <see cref="ScenarioObserver"/> as lockstep. Two variants:
/// <list type="bullet">
/// <item>in-process bench (no <see cref="CampaignOptions.Interface"/>): the plant advances on the tick thread as in
/// <c>rt run --bench</c>; <see cref="InjectingWorld"/> applies bench/bus injections between ticks, in tick terms, as
/// lockstep does;</item>
/// <item>veth (<see cref="CampaignOptions.Interface"/> = NAME-m): the emulator runs in its own process in namespace NAME
/// (<see cref="VethBench"/>); plant/drive/IMU/bus injections go over its control socket, link_down takes the host's
/// veth end down. Needs root, otherwise the scenario is skipped with the reason. Domain randomisation is not applied
/// in this variant (the plant lives in the other process): <see cref="ScenarioResult.Drawn"/> stays empty.</item>
/// </list>
/// CPU hog and broker outage are applied off the tick in both (<see cref="HostSideInjector"/>). A failing scenario is a
/// verdict, never an exception. Not real-time safe itself (it starts the tick thread and draws the dashboard).
/// </summary>
public static class RealtimeScenarioRunner
{
    private const string Mode = "realtime";

    public static ScenarioResult Run(Scenario scenario, CampaignOptions options, CancellationToken ct = default) =>
        Run(scenario, options, null, ct);

    /// <summary>As <see cref="Run(Scenario, CampaignOptions, CancellationToken)"/>, reporting the fraction done now and then.</summary>
    public static ScenarioResult Run(Scenario scenario, CampaignOptions options, Action<double>? progress, CancellationToken ct = default) =>
        Run(scenario, options, progress, null, ct);

    /// <summary>
    /// As <see cref="Run(Scenario, CampaignOptions, Action{double}, CancellationToken)"/>; <paramref name="finished"/>
    /// gets the scheduler once the tick thread has ended (its timing, overruns and tick-thread allocation figures).
    /// </summary>
    public static ScenarioResult Run(Scenario scenario, CampaignOptions options, Action<double>? progress, Action<RealtimeScheduler>? finished, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SeedOverride is ulong seed) scenario = scenario with { Seed = seed };
        var wall = Stopwatch.StartNew();
        if (options.Interface is { } iface)
        {
            if (VethBench.CheckName(iface) is { } expected)
                return Failed(scenario, wall, ScenarioRunner.BadInputPrefix + new InputError("command line", "--iface", expected).Message);
            if (VethBench.Unavailable(iface) is { } why)
                return ScenarioRunner.Skipped(scenario, Mode, why);
        }
        try
        {
            return RunCore(scenario, options, progress, finished, wall, ct);
        }
        catch (InputError e)
        {
            return Failed(scenario, wall, ScenarioRunner.BadInputPrefix + e.Message);
        }
        catch (HostUnavailableException e)
        {
            return Failed(scenario, wall, $"unavailable: {e.Message}");
        }
        catch (RealtimeUnavailableException e)
        {
            return ScenarioRunner.Skipped(scenario, Mode, $"real-time privileges refused: {e.Message}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Failed(scenario, wall, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static ScenarioResult RunCore(Scenario scenario, CampaignOptions options, Action<double>? progress, Action<RealtimeScheduler>? finished,
        Stopwatch wall, CancellationToken ct)
    {
        var config = ConfigLoader.Load(scenario.ConfigPath);
        if (scenario.Motion is { } motion)
        {
            if (!Enum.TryParse<MotionKind>(motion, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
                throw new InputError(scenario.SourcePath, "motion", $"expected hold, sine or march, got '{motion}'");
            config.Motion.Kind = kind;
        }
        if ((options.TwinAdapt ?? scenario.TwinAdapt) is { } adapt) config.Twin.Adapt.Enabled = adapt;
        bool veth = options.Interface != null;
        // Off the tick: what is a thread or a process (and, with the bench elsewhere, everything that is not the link's own).
        bool HostSide(Injection i) => i.Kind is InjectionKind.CpuHog or InjectionKind.BrokerOutage || veth;
        var hostSide = scenario.Injections.Where(HostSide).ToList();
        var tickSide = scenario with { Injections = [.. scenario.Injections.Where(i => !HostSide(i))] };

        string stateDir = CreateStateDirectory(options, scenario);
        bool keepState = false;
        var log = new List<string>();
        PrivateBroker? broker = null;
        VethBench? remote = null;
        HostSession? session = null;
        FaultInjector? injector = null;
        HostSideInjector? offTick = null;
        try
        {
            broker = scenario.Injections.Any(i => i.Kind == InjectionKind.BrokerOutage) ? PrivateBroker.Start() : null;
            if (veth) remote = VethBench.Start(options.Interface!, scenario.ConfigPath, scenario.Seed, stateDir, TimeSpan.FromSeconds(60));
            session = BenchSession.Create(config, new SessionOptions
            {
                Bench = true,
                Lockstep = false,
                DurationS = scenario.DurationS,
                Seed = unchecked((int)scenario.Seed),
                EnableMotion = true,
                StateDirectory = stateDir,
                Interface = options.Interface,
                Broker = broker?.Uri ?? options.Broker,
            });
            session.Log = m => { lock (log) log.Add(m); };

            IReadOnlyDictionary<string, double> drawn = veth ? new Dictionary<string, double>() : DomainRandomiser.Apply(session, scenario);
            injector = veth ? null : new FaultInjector(session, tickSide, broker: null, realtime: true);
            long total = session.TicksFor(scenario.DurationS);
            var observer = new ScenarioObserver(session, scenario, total);
            var events = new List<SafetyEvent>();
            session.SafetyEventForwarded += observer.OnSafetyEvent;
            session.SafetyEventForwarded += e => { lock (events) events.Add(e); };
            var world = new InjectingWorld(session.World, session.State, observer, injector);
            offTick = new HostSideInjector(hostSide, config.Loop.RateHz, () => world.LastTick, broker, remote?.Control,
                veth ? options.Interface : null, config.Loop.Cpu);
            var scheduler = session.CreateRealtime(world);

            JitWarmup.Prepare(JitWarmup.BenchSide); // rare tick-thread paths compiled now, not at the injection
            JitWarmup.Prepare(JitWarmup.HostTripPath()); // and the host's trip path, not at the trip
            world.BeforeFirstTick();
            Exception? failure = null;
            var tickThread = new Thread(() =>
            {
                try { scheduler.Run(total); }
                catch (Exception e) { failure = e; }
            }) { Name = "rt-hil-realtime", IsBackground = true };
            tickThread.Start();
            // The dashboard's rates are per second of the loop, from when the tick thread had its privileges (mlockall and the
            // no-GC region take a few hundred ms), not of the set-up.
            while (scheduler.Report == null && tickThread.IsAlive) Thread.Sleep(5);
            var running = Stopwatch.StartNew();
            offTick.Start();
            var dashboard = options.Live ? RealtimeDashboard.ForConsole() : null;
            bool cancelled = false;
            while (tickThread.IsAlive)
            {
                tickThread.Join(options.Live ? 200 : 100);
                if (ct.IsCancellationRequested && !cancelled)
                {
                    cancelled = true;
                    scheduler.Stop();
                }
                progress?.Invoke(total > 0 ? Math.Min(1, (double)(world.LastTick + 1) / total) : 1);
                if (dashboard != null)
                {
                    List<SafetyEvent> seen;
                    lock (events) seen = [.. events];
                    dashboard.Draw(session, scheduler.Timing, running.Elapsed.TotalSeconds, scenario, Applied(injector, offTick), seen);
                }
            }
            running.Stop();
            offTick.Stop();
            var applied = Applied(injector, offTick);
            // Detection latency counts from the first injection as it landed (tick-side: its planned tick; off-tick: the tick it reached).
            long first = Math.Min(injector?.FirstInjectionTick ?? long.MaxValue, offTick.Applied.Select(a => a.Tick).DefaultIfEmpty(long.MaxValue).Min());
            if (failure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
            finished?.Invoke(scheduler);
            var rt = scheduler.Report;
            string realtimeNote = RealtimeNote(scheduler, rt);
            session.Dispose(); // drains and fsyncs the safety log: every event is counted below
            if (cancelled)
                return ScenarioRunner.Skipped(scenario, Mode, $"cancelled at {(world.LastTick + 1) * session.PeriodNs / 1e9:0.000} s of {scenario.DurationS:0.###} s");
            wall.Stop();
            var result = observer.Finish(Mode, wall.Elapsed.TotalSeconds, applied, drawn, first);
            if (dashboard != null)
            {
                List<SafetyEvent> seen;
                lock (events) seen = [.. events];
                dashboard.Draw(session, scheduler.Timing, running.Elapsed.TotalSeconds, scenario, applied, seen);
                Console.WriteLine(realtimeNote);
            }
            var notes = new List<string>();
            if (offTick.Failure is { } f) notes.Add($"host-side injection failed: {f}");
            if (rt is { FifoGranted: false } && scenario.Injections.Any(i => i.Kind == InjectionKind.CpuHog))
                notes.Add($"the tick thread ran SCHED_OTHER ({rt.FifoError}), so the CPU hog competed with it on equal terms");
            if (offTick.Failure != null && result.Verdict == Verdict.Pass)
                result = result with { Verdict = Verdict.Error };
            if (result.Verdict is Verdict.Fail or Verdict.Error)
            {
                keepState = true;
                notes.Add($"{realtimeNote}; state kept in {stateDir}");
            }
            if (notes.Count > 0) result = result with { Reason = $"{result.Reason} ({string.Join("; ", notes)})" };
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
            offTick?.Dispose();
            injector?.Dispose();
            session?.Dispose();
            remote?.Dispose();
            if (remote != null && keepState) File.WriteAllText(Path.Combine(stateDir, "hil-serve.log"), remote.Output);
            broker?.Dispose();
            if (!keepState) TryDelete(stateDir);
        }
    }

    private static string RealtimeNote(RealtimeScheduler s, RealtimeReport? report)
    {
        var t = s.Timing;
        return $"real time: {report?.ToString() ?? "no report"}; wake latency p99 {t.WakeLatency.Percentile(0.99) / 1000.0:0.0} µs, max {t.WakeLatency.Max / 1000.0:0.0} µs; " +
               $"overruns {t.Overruns}, missed periods {t.MissedPeriods}; tick thread allocated {s.AllocatedBytesAfterWarmup} bytes after warm-up" +
               (s.FirstAllocatingTick < 0 ? "" : $" (first at tick {s.FirstAllocatingTick}: {s.FirstAllocationInBody} in the pipeline, {s.FirstAllocationInWorld} in the bench's advance)");
    }

    private static List<AppliedInjection> Applied(FaultInjector? injector, HostSideInjector offTick)
    {
        var all = new List<AppliedInjection>();
        if (injector != null) all.AddRange(injector.Applied); // a snapshot: the tick thread publishes each start whole
        all.AddRange(offTick.Applied);
        all.Sort((a, b) => a.Tick.CompareTo(b.Tick));
        return all;
    }

    private static string CreateStateDirectory(CampaignOptions options, Scenario scenario) => ScenarioRunner.CreateStateDirectory(options, scenario, "rt-");

    private static void TryDelete(string dir) => ScenarioRunner.TryDelete(dir);

    private static ScenarioResult Failed(Scenario s, Stopwatch wall, string reason) => ScenarioRunner.Failed(s, Mode, wall, reason);
}
