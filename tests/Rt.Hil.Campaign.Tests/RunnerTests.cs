using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Tick;
using Rt.Hil.Campaign;
using Rt.Safety;
using Rt.TestSupport;
using Xunit.Abstractions;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The biped12 bench with its twin switched off, in a temp folder: the runner's verdicts and figures are checked on
/// faults the supervisor catches without the twin (bus frame loss), so they do not depend on the twin's calibration.
/// </summary>
public sealed class TwinlessRobot : IDisposable
{
    public TwinlessRobot()
    {
        Dir = Directory.CreateTempSubdirectory("rt-runner-robot-").FullName;
        RepoPaths.CopyBiped12To(Dir);
        string yaml = File.ReadAllText(Path.Combine(Dir, "biped12.yaml"));
        const string twinOn = "twin:\n  enabled: true";
        Assert.Contains(twinOn, yaml);
        File.WriteAllText(Path.Combine(Dir, "biped12.yaml"), yaml.Replace(twinOn, "twin:\n  enabled: false", StringComparison.Ordinal));
        Config = ConfigLoader.Load(Path.Combine(Dir, "biped12.yaml"));
    }

    public string Dir { get; }
    public string ConfigPath => Path.Combine(Dir, "biped12.yaml");
    public RtConfig Config { get; }

    /// <summary>A scenario file next to the robot (robot: biped12.yaml), parsed by the real loader.</summary>
    public Scenario Scenario(string name, string body) =>
        ScenarioLoader.Parse($"name: {name}\nrobot: biped12.yaml\n{body}", Path.Combine(Dir, name + ".yaml"));

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { } // best effort
    }
}

public sealed class RunnerTests(TwinlessRobot robot, ITestOutputHelper output) : IClassFixture<TwinlessRobot>, IDisposable
{
    private readonly string _stateRoot = Directory.CreateTempSubdirectory("rt-runner-state-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_stateRoot, recursive: true); }
        catch (IOException) { } // best effort
    }

    private CampaignOptions Options => new() { Jobs = 1, StateRoot = _stateRoot };

    private ScenarioResult Run(Scenario s)
    {
        var r = ScenarioRunner.Run(s, Options);
        output.WriteLine($"{r.Name} seed {r.Seed}: {r.Verdict}: {r.Reason}");
        output.WriteLine($"  detection {r.DetectionLatencyMs} ms, stop cmd {r.StopCommandLatencyMs} ms, stop time {r.StopTimeMs} ms, stop distance {r.StopDistanceRad} rad ({r.StopDistanceJoint}), events {r.SafetyEventsRaised}/{r.SafetyEventsLogged}, wall {r.WallS:0.00} s");
        return r;
    }

    private Scenario FrameLoss(string name, int frames, string expect) => robot.Scenario(name, $$"""
        duration_s: 2.5
        seed: 5
        randomisation: { mass_fraction: 0.05, encoder_noise_counts: [0, 1.5] }
        injections:
          - { at_s: 1.5, kind: frame_loss, frames: {{frames}} }
        expect: {{expect}}
        """);

    [Fact]
    public void Two_seconds_of_the_march_without_a_fault_pass_with_no_trip_no_warning_and_every_event_logged()
    {
        var s = robot.Scenario("nominal-short", """
            motion: march
            duration_s: 2
            seed: 3
            randomisation: { mass_fraction: 0.05, friction_fraction: 0.1, encoder_noise_counts: [0, 2] }
            expect: { outcome: no_trip }
            """);
        var r = Run(s);
        Assert.True(r.Verdict == Verdict.Pass, r.Reason);
        Assert.Equal(2000, r.Ticks);
        Assert.Null(r.TripTick);
        Assert.Equal(0, r.FalseTrips);
        Assert.Equal(0, r.Warnings);
        // Enabling and operational are events too: the counters see them, and nothing was lost on the way to the log.
        Assert.True(r.SafetyEventsRaised >= 2, $"raised {r.SafetyEventsRaised}");
        Assert.Equal(r.SafetyEventsRaised, r.SafetyEventsLogged);
        Assert.Contains(r.Timeline, c => c.To == SafetyState.Operational);
        Assert.NotEmpty(r.Drawn);
        Assert.NotNull(r.Series);
        Assert.Equal(200, r.Series!.TimeS.Length); // 10 ms windows
        Assert.Equal(SafetyState.Operational, r.Series.States[^1]);
        Assert.Empty(Directory.GetFileSystemEntries(_stateRoot)); // a passing run leaves nothing behind
    }

    [Fact]
    public void Frame_loss_beyond_the_budget_is_a_cat0_stop_decided_at_budget_plus_one_and_on_the_bus_one_tick_later()
    {
        int budget = robot.Config.Bus.FrameLossBudget;
        int frames = budget + 2;
        var s = FrameLoss("frame-loss", frames, $"{{ outcome: stop, category: cat0, triggers: [bus_frame_loss], within_ms: {budget + 1} }}");
        var r = Run(s);
        Assert.True(r.Verdict == Verdict.Pass, r.Reason);
        var inj = Assert.Single(r.Injections);
        Assert.Equal(1500, inj.Tick);
        Assert.Equal("bus_frame_loss", r.TripTrigger);
        Assert.Equal(StopCategory.Cat0, r.TripCategory);
        // Frames of ticks 1500.. are lost; `budget` lost frames are tolerated and the trigger confirms in the tick of
        // the (budget + 1)-th (SAFETY.md), and the stop goes out in the next tick's frame.
        Assert.Equal(1500 + budget, r.TripTick);
        Assert.Equal(budget, r.DetectionLatencyMs!.Value, 9);
        Assert.Equal(budget + 1.0, r.StopCommandLatencyMs!.Value, 9);
        // That frame and the next are still lost: the slaves get the stop with the first frame that passes, which the
        // observer checked against the emulated slaves' received controlwords.
        Assert.Contains($"reached the slaves at {frames}.0 ms", r.Reason);
        Assert.Equal(frames - (double)budget, r.StopTimeMs!.Value, 9); // STO delivered
        Assert.NotNull(r.StopDistanceJoint);
        Assert.Equal(0, r.FalseTrips);
        Assert.Equal(r.SafetyEventsRaised, r.SafetyEventsLogged);
        Assert.Contains(r.Timeline, c => c.Tick == r.TripTick && c.To == SafetyState.Faulted && c.Trigger == "bus_frame_loss");
    }

    [Fact]
    public void A_wrong_expectation_fails_and_the_reason_names_what_was_expected_and_what_happened()
    {
        var s = FrameLoss("frame-loss-wrong", 5, "{ outcome: stop, category: cat2, triggers: [collision], within_ms: 10 }");
        var r = Run(s);
        Assert.Equal(Verdict.Fail, r.Verdict);
        Assert.Contains("expected a Cat 2 stop by collision within 10 ms", r.Reason);
        Assert.Contains("bus_frame_loss tripped Cat 0", r.Reason);
        // A failed run keeps its safety log and flight record for the post-mortem, and says where.
        var kept = Directory.GetDirectories(_stateRoot);
        Assert.Single(kept);
        Assert.Contains(kept[0], r.Reason);
        Assert.NotEmpty(Directory.GetFiles(kept[0], "flight-*"));

        // Expecting no trip of the same run: the trip is a false trip.
        var quiet = Run(s with { Expect = new Expectation { Outcome = ExpectedOutcome.NoTrip } });
        Assert.Equal(Verdict.Fail, quiet.Verdict);
        Assert.Equal(1, quiet.FalseTrips);
        Assert.StartsWith("expected no trip, but bus_frame_loss tripped Cat 0", quiet.Reason);
    }

    [Fact]
    public void Too_slow_a_stop_fails_with_the_measured_latency_against_the_bound()
    {
        int budget = robot.Config.Bus.FrameLossBudget;
        var r = Run(FrameLoss("frame-loss-tight", budget + 2, $"{{ outcome: stop, category: cat0, within_ms: {budget - 1} }}"));
        Assert.Equal(Verdict.Fail, r.Verdict);
        Assert.Contains($"stop on the bus at {budget + 1}.0 ms > {budget - 1} ms", r.Reason);
    }

    [Fact]
    public void The_same_scenario_and_seed_give_identical_figures_and_another_seed_draws_other_values()
    {
        // The shipped config (twin on), so the divergence figures are not all zero.
        string dir = Directory.CreateTempSubdirectory("rt-runner-det-").FullName;
        string yaml = $$"""
            name: determinism
            robot: {{RepoPaths.Biped12Config}}
            motion: march
            duration_s: 1.6
            seed: 21
            randomisation: { mass_fraction: 0.1, inertia_fraction: 0.1, friction_fraction: 0.2, motor_constant_fraction: 0.05, encoder_noise_counts: [0, 3] }
            injections:
              - { at_s: 1.3, kind: frame_loss, frames: 6 }
            expect: { outcome: stop, category: cat0, within_ms: 20 }
            """;
        var s = ScenarioLoader.Parse(yaml, Path.Combine(dir, "determinism.yaml"));
        var a = Run(s);
        Assert.NotEqual(Verdict.Error, a.Verdict);
        // Again, twice at once on two threads (as rt hil run --jobs 2 does): each run is independent of the other.
        var both = ScenarioRunner.RunAll([s, s with { Name = "determinism-again" }], Options with { Jobs = 2 });
        Assert.Equal(Figures(a), Figures(both.Scenarios[0]));
        Assert.Equal(Figures(a), Figures(both.Scenarios[1]));
        Assert.True(a.MaxDivergence.Any(m => m.MaxRatio > 0), "the twin produced divergence figures");
        var c = ScenarioRunner.Run(s, Options with { SeedOverride = 22 });
        Assert.Equal(22UL, c.Seed);
        Assert.NotEqual(string.Join(",", a.Drawn.Values), string.Join(",", c.Drawn.Values));
        Directory.Delete(dir, true);
    }

    /// <summary>A failed run names its own (unique) state folder; everything else must repeat.</summary>
    private static string WithoutStatePath(string reason)
    {
        int i = reason.IndexOf(" (safety log and", StringComparison.Ordinal);
        return i < 0 ? reason : reason[..i];
    }

    private static string Figures(ScenarioResult r) => string.Join("\n",
    [
        $"{r.Verdict} {WithoutStatePath(r.Reason)} {r.Ticks} {r.TripTick} {r.TripTrigger} {r.TripCategory}",
        $"{r.DetectionLatencyMs:R} {r.StopCommandLatencyMs:R} {r.StopTimeMs:R} {r.StopDistanceRad:R} {r.StopDistanceJoint}",
        $"{r.FalseTrips} {r.Warnings} {r.SafetyEventsRaised} {r.SafetyEventsLogged}",
        .. r.Timeline.Select(t => t.ToString()),
        .. r.MaxDivergence.Select(m => $"{m.Channel} {m.MaxRatio:R} {m.MaxInnovation:R} {m.AtTick}"),
        .. r.Series!.Ratios.Select(kv => $"{kv.Key} {string.Join(",", kv.Value.Select(v => v.ToString("R")))}"),
        string.Join(",", r.Series.States),
        .. r.Drawn.Select(kv => $"{kv.Key}={kv.Value:R}"),
    ]);

    [Fact]
    public void A_broker_outage_warns_through_telemetry_loss_without_a_trip_and_every_safety_event_reaches_log_and_broker()
    {
        // A real mosquitto (the scenario's private broker), stopped for 2 s of the run and restarted on the same port.
        var s = robot.Scenario("broker-outage", """
            motion: march
            duration_s: 4
            seed: 61
            tags: [telemetry]
            injections:
              - { at_s: 1.5, kind: broker_outage, duration_s: 2.0 }
            expect: { outcome: warning, triggers: [telemetry_loss] }
            """);
        var r = Run(s);
        Assert.True(r.Verdict == Verdict.Pass, r.Reason);
        Assert.Null(r.TripTick);
        Assert.True(r.Warnings >= 1);
        Assert.Contains(r.Timeline, c => c.Trigger == "telemetry_loss" && c.Tick >= 1500);
        Assert.Equal(r.SafetyEventsRaised, r.SafetyEventsLogged);
        Assert.DoesNotContain("not acknowledged", r.Reason);

        // The same run judged as "no trip, no warning" fails on the warning, and says so.
        var strict = Run(s with { Expect = new Expectation { Outcome = ExpectedOutcome.NoTrip } });
        Assert.Equal(Verdict.Fail, strict.Verdict);
        Assert.StartsWith("expected no warning, but", strict.Reason);
        Assert.Contains("telemetry_loss", strict.Reason);
    }

    [Fact]
    public void A_target_the_robot_does_not_have_is_an_error_result_naming_it_not_an_exception()
    {
        var s = robot.Scenario("bad-target", """
            duration_s: 1
            seed: 1
            expect: { outcome: no_trip }
            """) with
        {
            Injections = [new Injection { Kind = InjectionKind.TorqueLoss, AtS = 0.5, Target = "l_elbow", Scale = 0, Line = 7 }],
        };
        var r = Run(s);
        Assert.Equal(Verdict.Error, r.Verdict);
        Assert.StartsWith(ScenarioRunner.BadInputPrefix, r.Reason);
        Assert.Contains("l_elbow", r.Reason);
    }

    [Fact]
    public void A_missing_scenario_path_is_bad_input_naming_the_path()
    {
        string missing = Path.Combine(_stateRoot, "no-such-scenario.yaml");
        var e = Assert.Throws<InputError>(() => ScenarioLoader.LoadAll([missing]));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void RunAll_keeps_the_order_applies_the_seed_override_and_skips_real_time_only_scenarios_in_lockstep()
    {
        var quick = robot.Scenario("hold-quick", """
            motion: hold
            duration_s: 0.5
            seed: 9
            tags: [ci]
            expect: { outcome: no_trip }
            """);
        var rtOnly = quick with { Name = "rt-only", RealtimeOnly = true };
        var untagged = quick with { Name = "untagged", Tags = [] };
        var seen = new List<ScenarioProgress>();
        var progress = new Sync(p => { lock (seen) seen.Add(p); });
        var result = ScenarioRunner.RunAll([rtOnly, quick, untagged], Options with { Jobs = 2, SeedOverride = 42, Tags = ["ci"] }, progress);
        Assert.Equal(["rt-only", "hold-quick"], result.Scenarios.Select(s => s.Name));
        Assert.All(result.Scenarios, s => Assert.Equal(42UL, s.Seed));
        Assert.Equal(Verdict.Skipped, result.Scenarios[0].Verdict);
        Assert.Contains("real-time", result.Scenarios[0].Reason);
        Assert.True(result.Scenarios[1].Verdict == Verdict.Pass, result.Scenarios[1].Reason);
        Assert.Equal(2, seen.Count(p => p.Finished != null));
        Assert.Contains(seen, p => p.Scenario == "hold-quick" && p.Finished == null && p.FractionDone < 1);

        // Cancelled before anything ran: every scenario comes back, skipped, with the reason.
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var cancelled = ScenarioRunner.RunAll([quick, untagged], Options, null, cts.Token);
        Assert.Equal(2, cancelled.Scenarios.Count);
        Assert.All(cancelled.Scenarios, s => Assert.Equal(Verdict.Skipped, s.Verdict));
        Assert.All(cancelled.Scenarios, s => Assert.Contains("cancelled", s.Reason));
    }

    private sealed class Sync(Action<ScenarioProgress> a) : IProgress<ScenarioProgress>
    {
        public void Report(ScenarioProgress value) => a(value);
    }

    [Fact]
    public void The_observer_allocates_nothing_per_tick_before_or_after_a_trip()
    {
        // The real-time runner calls AfterTick on the tick thread: it must be as allocation-free as the tick.
        var config = ConfigLoader.Load(RepoPaths.Biped12Config); // twin on: the divergence path runs too…
        foreach (var twinTrigger in new[] { "twin_divergence", "collision" }) // …but only warns, so the trip is ours
            config.Safety.Triggers[twinTrigger] = new TriggerConfig { Reaction = "warn", DiscrepancyTicks = 1 };
        using var session = BenchSession.Create(config, new Rt.Session.SessionOptions
        {
            Bench = true, Lockstep = true, Seed = 1, EnableMotion = true, StateDirectory = Path.Combine(_stateRoot, "alloc"),
        });
        var s = robot.Scenario("alloc", "duration_s: 3\nseed: 1\nexpect: { outcome: no_trip }");
        var observer = new ScenarioObserver(session, s, 3000);
        var scheduler = session.CreateLockstep();
        long allocated = 0;
        for (long t = 0; t < 3000; t++)
        {
            if (t == 1500) session.BenchBridge!.Segment.DropNextFrames = 10; // a Cat 0 trip: the stop is observed too
            scheduler.Run(1, t);
            long before = GC.GetAllocatedBytesForCurrentThread();
            observer.AfterTick(t);
            if (t >= 100) allocated += GC.GetAllocatedBytesForCurrentThread() - before; // after the first calls (JIT)
        }
        Assert.True(observer.TripTick >= 1500, $"trip tick {observer.TripTick}");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Trip_events_are_stop_decisions_out_of_a_running_state_not_escalations_or_warnings()
    {
        static SafetyEvent E(SafetyState from, SafetyState to, Rt.Core.Faults.FaultCode code, StopCategory r) => new(1, 10, 0, from, to, code, 0, r, 0, 0);
        Assert.True(ScenarioObserver.IsTripEvent(E(SafetyState.Operational, SafetyState.Stopping, Rt.Core.Faults.FaultCode.Collision, StopCategory.Cat2)));
        Assert.True(ScenarioObserver.IsTripEvent(E(SafetyState.Enabling, SafetyState.Faulted, Rt.Core.Faults.FaultCode.DriveFault, StopCategory.Cat0)));
        Assert.False(ScenarioObserver.IsTripEvent(E(SafetyState.Stopping, SafetyState.Faulted, Rt.Core.Faults.FaultCode.FollowingError, StopCategory.Cat0)));
        Assert.False(ScenarioObserver.IsTripEvent(E(SafetyState.Operational, SafetyState.Operational, Rt.Core.Faults.FaultCode.TwinDivergence, StopCategory.Warning)));
        Assert.False(ScenarioObserver.IsTripEvent(E(SafetyState.Stopping, SafetyState.Stopped, Rt.Core.Faults.FaultCode.None, StopCategory.Cat1)));
        Assert.Equal("bus_frame_loss", ScenarioObserver.TriggerName(Rt.Core.Faults.FaultCode.BusWorkingCounter));
    }
}
