using Rt.Hil.Campaign;
using Rt.Hil.Campaign.Realtime;
using Rt.TestSupport;
using Xunit;
using Xunit.Abstractions;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests.Realtime;

/// <summary>
/// The real-time scenario runner end to end. These assert what the runner decides (a judged result, ticks observed,
/// injections landing at ticks), never how fast the machine was: timing figures are the runner's output, not asserts.
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class RealtimeRunnerTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolders _temp = new(); // state folders deleted after the test, passed or not

    public void Dispose() => _temp.Dispose();

    private static Scenario Load(string file) => ScenarioLoader.Load(RepoPaths.Combine("hil", "scenarios", file));

    /// <summary>
    /// A fresh state root for one real-time run. The runner deletes a passed run's state folder and keeps a failed or
    /// erroneous one's in it for the post-mortem (its reason says where); the test deletes the root once its asserts
    /// have passed (<see cref="Passed"/>), so only a failed test leaves it behind.
    /// </summary>
    private static string StateRoot(string prefix = "rt-realtime-state-") => Directory.CreateTempSubdirectory(prefix).FullName;

    private static void Passed(string stateRoot) => TempFolders.Delete(stateRoot);

    [Fact]
    public void The_in_process_runner_returns_a_judged_result_for_a_short_nominal_run()
    {
        var scenario = Load("realtime-nominal-short.yaml");
        string stateRoot = StateRoot();
        var result = RealtimeScenarioRunner.Run(scenario, new CampaignOptions { Realtime = true, StateRoot = stateRoot });
        output.WriteLine($"{result.Verdict}: {result.Reason}; ticks {result.Ticks}, wall {result.WallS:0.00} s");
        Assert.True(result.Verdict is Verdict.Pass or Verdict.Fail, $"{result.Verdict}: {result.Reason}");
        Assert.Equal("realtime", result.Mode);
        Assert.Equal(scenario.Name, result.Name);
        Assert.True(result.Ticks > 0);
        Assert.True(result.SimulatedS > 0);
        Assert.NotEmpty(result.Drawn); // the randomisation reached the in-process bench
        Assert.Equal(result.SafetyEventsRaised, result.SafetyEventsLogged);
        Passed(stateRoot);
    }

    [Fact]
    public void An_injection_lands_at_its_tick_and_a_cpu_hog_off_the_tick()
    {
        var scenario = Load("realtime-nominal-short.yaml") with
        {
            Name = "rt-inject-check",
            Injections =
            [
                new Injection { Kind = InjectionKind.EncoderNoise, AtS = 0.5, DurationS = 0.2, Target = "l_knee", NoiseCounts = 1.0 },
                new Injection { Kind = InjectionKind.CpuHog, AtS = 1.0, DurationS = 0.3 },
            ],
            Expect = new Expectation { Outcome = ExpectedOutcome.NoTrip },
        };
        string stateRoot = StateRoot();
        var result = RealtimeScenarioRunner.Run(scenario, new CampaignOptions { Realtime = true, StateRoot = stateRoot });
        output.WriteLine($"{result.Verdict}: {result.Reason}");
        Assert.True(result.Verdict is Verdict.Pass or Verdict.Fail, $"{result.Verdict}: {result.Reason}");
        var noise = Assert.Single(result.Injections, i => i.Kind == InjectionKind.EncoderNoise);
        // Tick-side: applied between ticks at round(at_s · rate) = 500 — or at the first tick that ran after it, when
        // the scheduler skipped a missed period there; the end stays on its planned tick.
        Assert.InRange(noise.Tick, 500, 699);
        Assert.Equal(700, noise.EndTick);
        var hog = Assert.Single(result.Injections, i => i.Kind == InjectionKind.CpuHog);
        Assert.True(hog.Tick >= 1000, $"hog started at tick {hog.Tick}"); // off-tick: when the tick had reached 1000
        Assert.True(hog.EndTick > hog.Tick);
        Passed(stateRoot);
    }

    [Fact]
    public void The_tick_side_wrapper_with_the_observer_allocates_nothing_between_injection_edges()
    {
        // The same wrapper the real-time runner advances on the tick thread, driven in lockstep on this thread so the
        // allocation count is exact: 2000 ticks after warm-up, an injection pending further ahead, must allocate 0 bytes.
        var scenario = Load("realtime-nominal-short.yaml") with
        {
            Injections = [new Injection { Kind = InjectionKind.EncoderFreeze, AtS = 10, Target = "l_knee" }],
        };
        var config = Rt.Core.Config.ConfigLoader.Load(scenario.ConfigPath);
        string stateDirectory = _temp.New("rt-rt-alloc-");
        using var session = BenchSession.Create(config, new Rt.Session.SessionOptions
        {
            Bench = true, Lockstep = true, StateDirectory = stateDirectory,
        });
        using var injector = new FaultInjector(session, scenario, realtime: true);
        var observer = new ScenarioObserver(session, scenario, 3000);
        var world = new InjectingWorld(session.World, session.State, observer, injector);
        var scheduler = new Rt.ControlLoop.Scheduling.LockstepScheduler(session.PeriodNs, session.Pipeline, world);
        scheduler.Run(500, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        scheduler.Run(2000, 500);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(2499, world.LastTick);
        Assert.Equal(2500, observer.TicksSeen);
        Assert.Equal(0, allocated);
        Assert.Empty(injector.Applied);
    }

    [Fact]
    public void A_real_time_run_that_trips_allocates_nothing_on_the_tick_thread_after_warm_up()
    {
        // The demo in short, on the real-time scheduler (not lockstep): the obstacle's start edge and the host's whole
        // trip path (reaction, stop ramp, isolator, safety event ring) run on the tick thread. The fault injector once
        // allocated a 64-byte record there at the injection's start; the lockstep tests never saw it. Not about speed:
        // missed periods are skipped, the trip happens all the same, and the byte count does not depend on timing.
        var scenario = Load("demo-collision.yaml") with
        {
            Name = "rt-trip-alloc",
            DurationS = 2.5,
            Injections = [new Injection { Kind = InjectionKind.CollisionObstacle, AtS = 1.2, Target = "l_shin" }],
        };
        Rt.ControlLoop.Scheduling.RealtimeScheduler? scheduler = null;
        string stateRoot = StateRoot();
        var result = RealtimeScenarioRunner.Run(scenario, new CampaignOptions { Realtime = true, StateRoot = stateRoot },
            progress: null, finished: s => scheduler = s);
        output.WriteLine($"{result.Verdict}: {result.Reason}; ticks {result.Ticks}; trip at {result.TripTick}");
        Assert.True(result.Verdict is Verdict.Pass or Verdict.Fail, $"{result.Verdict}: {result.Reason}");
        Assert.NotNull(scheduler);
        output.WriteLine($"overruns {scheduler.Timing.Overruns}, missed periods {scheduler.Timing.MissedPeriods}, " +
                         $"allocated on the tick thread {scheduler.AllocatedBytesOnTickThread} bytes, after warm-up {scheduler.AllocatedBytesAfterWarmup}");
        Assert.NotNull(result.TripTick);
        Assert.True(result.TripTick > Rt.ControlLoop.Scheduling.RealtimeScheduler.WarmupTicks, $"trip at tick {result.TripTick}");
        Assert.True(scheduler.AllocatedBytesAfterWarmup == 0,
            $"{scheduler.AllocatedBytesAfterWarmup} bytes after warm-up; first at tick {scheduler.FirstAllocatingTick}: " +
            $"{scheduler.FirstAllocationInBody} in the pipeline, {scheduler.FirstAllocationInWorld} in the world");
        Assert.Equal(-1, scheduler.FirstAllocatingTick);
        Passed(stateRoot);
    }

    [Fact]
    public void An_interface_not_named_like_a_bench_pair_is_bad_input_naming_the_option()
    {
        var result = RealtimeScenarioRunner.Run(Load("realtime-nominal-short.yaml"), new CampaignOptions { Realtime = true, Interface = "eth0" });
        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.StartsWith(ScenarioRunner.BadInputPrefix, result.Reason);
        Assert.Contains("--iface", result.Reason);
        Assert.Contains("NAME-m", result.Reason);
    }

    [SkippableFact]
    public void The_veth_variant_runs_the_emulator_in_its_own_process_and_injects_over_its_control_socket()
    {
        const string iface = "rtdv-m";
        string? unavailable = VethBench.Unavailable(iface);
        Skip.If(unavailable is not null, unavailable);
        var scenario = Load("realtime-veth-encoder-freeze.yaml");
        bool existedBefore = Directory.Exists($"/sys/class/net/{iface}");
        // A short name: the serve process's control socket goes in the run's state folder, and a Unix socket path is at most 107 bytes.
        string stateRoot = StateRoot("rtv-");
        var result = RealtimeScenarioRunner.Run(scenario, new CampaignOptions { Realtime = true, Interface = iface, StateRoot = stateRoot });
        output.WriteLine($"{result.Verdict}: {result.Reason}; ticks {result.Ticks}; detection {result.DetectionLatencyMs} ms");
        Assert.True(result.Verdict is Verdict.Pass or Verdict.Fail, $"{result.Verdict}: {result.Reason}");
        Assert.True(result.Ticks > 0);
        var freeze = Assert.Single(result.Injections);
        Assert.Equal(InjectionKind.EncoderFreeze, freeze.Kind);
        Assert.True(freeze.Tick >= 2000, $"sent at tick {freeze.Tick}");
        Assert.Empty(result.Drawn);
        if (!existedBefore) Assert.False(Directory.Exists($"/sys/class/net/{iface}"), "the run removes the pair it created");
        Passed(stateRoot);
    }
}

/// <summary>Real-time runs own the machine's cores: never two at once.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealtimeCollection
{
    public const string Name = "realtime";
}
