using Rt.Core.Tick;
using Rt.Hil.Campaign;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>Hand-made campaign results for the report tests (no bench: the reports only read the data contract).</summary>
internal static class ReportSamples
{
    public const string HostileName = "encoder freeze <script>alert('x')</script> & co";
    public const string HostileReason = "stop came 9.00 ms after the injection, expected ≤ 5 ms <b>late</b> & \"quoted\"";

    public static readonly DateTimeOffset Started = new(2026, 11, 22, 3, 0, 0, TimeSpan.Zero);

    /// <summary>A 1 kHz run of <paramref name="ticks"/> ticks with series decimated by 10 ticks.</summary>
    public static ScenarioSeries Series(long ticks, long tripTick = -1, bool withNaN = false)
    {
        int n = (int)(ticks / 10);
        var t = new double[n];
        var torque = new double[n];
        var imu = new double[n];
        var states = new SafetyState[n];
        for (int i = 0; i < n; i++)
        {
            long tick = (i + 1) * 10L;
            t[i] = tick / 1000.0;
            bool tripped = tripTick >= 0 && tick >= tripTick;
            torque[i] = tripped ? 25.0 : 0.05 + 0.02 * Math.Sin(i * 0.1);
            imu[i] = 0.2;
            states[i] = tripTick >= 0 && tick >= tripTick + 50 ? SafetyState.Stopped : tripped ? SafetyState.Stopping : SafetyState.Operational;
        }
        if (withNaN) imu[n / 2] = double.NaN;
        return new ScenarioSeries
        {
            DecimationTicks = 10,
            TimeS = t,
            Ratios = new Dictionary<string, double[]> { ["joint torque"] = torque, ["IMU"] = imu },
            States = states,
        };
    }

    public static ScenarioResult Collision(ulong seed = 11, double detection = 4.0, double stop = 5.0) => new()
    {
        Name = "collision obstacle l_shank",
        SourcePath = "/repo/hil/scenarios/collision-obstacle.yaml",
        Seed = seed,
        Verdict = Verdict.Pass,
        Reason = "stop cat 1 by collision 5.00 ms after the injection (≤ 10 ms)",
        Mode = "lockstep",
        SimulatedS = 2.0,
        WallS = 1.25,
        Ticks = 2000,
        Injections = [new AppliedInjection(InjectionKind.CollisionObstacle, "l_shank", 1000, 1.0, null)],
        Timeline =
        [
            new StateChange(1004, 1.004, SafetyState.Operational, SafetyState.Stopping, "collision", "l_knee external torque", 3.2, 1.0),
            new StateChange(1054, 1.054, SafetyState.Stopping, SafetyState.Stopped, "", "", 0, 0),
        ],
        TripTick = 1004,
        TripTrigger = "collision",
        TripCategory = StopCategory.Cat1,
        DetectionLatencyMs = detection,
        StopCommandLatencyMs = stop,
        StopTimeMs = 50,
        StopDistanceRad = 0.0123,
        StopDistanceJoint = "l_knee",
        SafetyEventsRaised = 1,
        SafetyEventsLogged = 1,
        MaxDivergence = [new ChannelMaximum("l_knee external torque", 25, 40.5, 1004), new ChannelMaximum("imu0 gyro x", 0.2, 0.001, 10)],
        Series = Series(2000, 1004),
        Drawn = new Dictionary<string, double> { ["l_thigh.mass_kg"] = 2.13, ["l_knee.encoder_noise_counts"] = 1.4 },
        Expect = new Expectation { Outcome = ExpectedOutcome.Stop, Category = StopCategory.Cat1, Triggers = ["collision"], WithinMs = 10 },
    };

    public static ScenarioResult LateEncoderFreeze() => new()
    {
        Name = HostileName,
        SourcePath = "/repo/hil/scenarios/encoder-freeze.yaml",
        Seed = 7,
        Verdict = Verdict.Fail,
        Reason = HostileReason,
        Mode = "lockstep",
        SimulatedS = 1.5,
        WallS = 0.8,
        Ticks = 1500,
        Injections = [new AppliedInjection(InjectionKind.EncoderFreeze, "l_knee", 500, 0.5, 700)],
        Timeline = [new StateChange(509, 0.509, SafetyState.Operational, SafetyState.Stopping, "twin_divergence", "l_knee position", 2.5, 1.0)],
        TripTick = 509,
        TripTrigger = "twin_divergence",
        TripCategory = StopCategory.Cat1,
        DetectionLatencyMs = 9.0,
        StopCommandLatencyMs = 10.0,
        SafetyEventsRaised = 1,
        SafetyEventsLogged = 1,
        Series = Series(1500, 509, withNaN: true),
        Expect = new Expectation { Outcome = ExpectedOutcome.Stop, WithinMs = 5 },
    };

    public static ScenarioResult Nominal(string name, ulong seed, int falseTrips) => new()
    {
        Name = name,
        SourcePath = "/repo/hil/scenarios/nominal-march.yaml",
        Seed = seed,
        Verdict = falseTrips == 0 ? Verdict.Pass : Verdict.Fail,
        Reason = falseTrips == 0 ? "no trip, no warning" : $"{falseTrips} unexpected trip(s)",
        Mode = "lockstep",
        SimulatedS = 1800,
        WallS = 200,
        Ticks = 1_800_000,
        FalseTrips = falseTrips,
        Series = Series(3000),
        Expect = new Expectation { Outcome = ExpectedOutcome.NoTrip },
    };

    public static ScenarioResult Skipped() => new()
    {
        Name = "cpu hog",
        SourcePath = "/repo/hil/scenarios/cpu-hog.yaml",
        Seed = 3,
        Verdict = Verdict.Skipped,
        Reason = "real-time only (cpu_hog); this run is lockstep",
        Mode = "lockstep",
        SimulatedS = 0,
        WallS = 0,
        Expect = new Expectation { Outcome = ExpectedOutcome.NoTrip },
    };

    public static ScenarioResult Error() => new()
    {
        Name = "broken config",
        SourcePath = "/repo/hil/scenarios/broken.yaml",
        Seed = 5,
        Verdict = Verdict.Error,
        Reason = "bench: libmujoco.so not found\u0001",
        Mode = "lockstep",
        SimulatedS = 0,
        WallS = 0.01,
        Expect = new Expectation { Outcome = ExpectedOutcome.Stop },
    };

    /// <summary>2 pass, 2 fail, 1 error, 1 skipped.</summary>
    public static CampaignResult Campaign() => new()
    {
        StartedUtc = Started,
        Host = "bench-host",
        Mode = "lockstep",
        WallS = 402.5,
        Scenarios = [Collision(), LateEncoderFreeze(), Nominal("nominal march", 1, 0), Nominal("nominal march", 2, 1), Skipped(), Error()],
    };
}
