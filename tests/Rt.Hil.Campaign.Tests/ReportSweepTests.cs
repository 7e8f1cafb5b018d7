using Rt.Hil.Campaign;
using Rt.Hil.Campaign.Reports;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>Sweep statistics on a hand-made campaign whose figures are worked out by hand.</summary>
public class ReportSweepTests
{
    private static ScenarioResult Fault(InjectionKind kind, ulong seed, double? detection, double? stop)
    {
        var r = ReportSamples.Collision(seed);
        return r with
        {
            Name = $"{kind} seed {seed}",
            Injections = [new AppliedInjection(kind, "l_knee", 1000, 1.0, null)],
            Verdict = detection != null ? Verdict.Pass : Verdict.Fail,
            DetectionLatencyMs = detection,
            StopCommandLatencyMs = stop,
            TripTick = detection != null ? 1000 + (long)detection.Value : null,
        };
    }

    private static CampaignResult Sweep() => new()
    {
        StartedUtc = ReportSamples.Started,
        Host = "h",
        Mode = "lockstep",
        Scenarios =
        [
            ReportSamples.Nominal("nominal a", 1, 0),
            ReportSamples.Nominal("nominal b", 2, 1),
            // Collision: detection 8,4,6,5,7 ms → sorted 4,5,6,7,8: median 6, p95 = 7 + 0.8·(8−7) = 7.8, max 8.
            Fault(InjectionKind.CollisionObstacle, 10, 8, 9),
            Fault(InjectionKind.CollisionObstacle, 11, 4, 5),
            Fault(InjectionKind.CollisionObstacle, 12, 6, 7),
            Fault(InjectionKind.CollisionObstacle, 13, 5, 6),
            Fault(InjectionKind.CollisionObstacle, 14, 7, 8),
            Fault(InjectionKind.CollisionObstacle, 99, null, null),   // missed
            Fault(InjectionKind.TorqueLoss, 20, 10, 12),
            Fault(InjectionKind.TorqueLoss, 21, 20, 22),               // median 15, p95 = 10 + 0.95·10 = 19.5
            ReportSamples.Skipped(),
            ReportSamples.Error(),                                      // a Stop expectation with nothing injected: not counted
        ],
    };

    [Fact]
    public void Nominal_runs_give_false_trips_per_simulated_hour()
    {
        var s = SweepStatistics.Summarise(Sweep());
        Assert.Equal(12, s.Scenarios);
        Assert.Equal(1, s.Skipped);
        Assert.Equal(2, s.Nominal.Runs);
        Assert.Equal(1.0, s.Nominal.SimulatedHours, 12);
        Assert.Equal(1, s.Nominal.FalseTrips);
        Assert.Equal(1.0, s.Nominal.FalseTripsPerHour!.Value, 12);
        Assert.Equal(0, s.Nominal.SafetyEventsLost);
    }

    [Fact]
    public void Fault_runs_give_latency_distributions_per_kind()
    {
        var s = SweepStatistics.Summarise(Sweep());
        Assert.Equal([InjectionKind.CollisionObstacle, InjectionKind.TorqueLoss], s.Faults.Select(f => f.Kind));

        var c = s.Faults[0];
        Assert.Equal(6, c.Runs);
        Assert.Equal(5, c.Detected);
        Assert.Equal(1, c.Missed);
        Assert.Equal([99UL], c.MissedSeeds);
        Assert.Equal(5.0 / 6.0, c.PassRate!.Value, 12);
        Assert.Equal(5, c.DetectionLatency.N);
        Assert.Equal(6.0, c.DetectionLatency.MedianMs!.Value, 12);
        Assert.Equal(7.8, c.DetectionLatency.P95Ms!.Value, 12);
        Assert.Equal(8.0, c.DetectionLatency.MaxMs!.Value, 12);
        Assert.Equal(7.0, c.StopCommandLatency.MedianMs!.Value, 12);
        Assert.Equal(8.8, c.StopCommandLatency.P95Ms!.Value, 12);
        Assert.Equal(9.0, c.StopCommandLatency.MaxMs!.Value, 12);

        var t = s.Faults[1];
        Assert.Equal(2, t.Runs);
        Assert.Equal(0, t.Missed);
        Assert.Equal(15.0, t.DetectionLatency.MedianMs!.Value, 12);
        Assert.Equal(19.5, t.DetectionLatency.P95Ms!.Value, 12);
        Assert.Equal(20.0, t.DetectionLatency.MaxMs!.Value, 12);
    }

    [Fact]
    public void Figures_are_printed_in_the_benchmark_format()
    {
        var lines = SweepStatistics.Figures(SweepStatistics.Summarise(Sweep())).ToList();
        Assert.Contains("sweep.false_trips_per_hour: 1 1/h", lines);
        Assert.Contains("sweep.nominal.simulated_h: 1 h", lines);
        Assert.Contains("sweep.collision_obstacle.detection_latency_ms.median: 6.0 ms", lines);
        Assert.Contains("sweep.collision_obstacle.detection_latency_ms.p95: 7.8 ms", lines);
        Assert.Contains("sweep.collision_obstacle.stop_latency_ms.p95: 8.8 ms", lines);
        Assert.Contains("sweep.collision_obstacle.missed: 1 runs", lines);
        Assert.Contains("sweep.collision_obstacle.pass_rate: 83.3 %", lines);
        Assert.Contains("sweep.torque_loss.detection_latency_ms.p95: 19.5 ms", lines);
        Assert.All(lines, l => Assert.Matches(@"^[a-z0-9_.]+: \S+ \S+$", l));
    }

    [Fact]
    public void No_nominal_time_gives_no_rate_rather_than_zero()
    {
        var s = SweepStatistics.Summarise(new CampaignResult { StartedUtc = ReportSamples.Started, Host = "h", Mode = "lockstep", Scenarios = [] });
        Assert.Null(s.Nominal.FalseTripsPerHour);
        Assert.Contains("sweep.false_trips_per_hour: n/a 1/h", SweepStatistics.Figures(s));
    }

    [Fact]
    public void Without_an_expectation_a_run_with_no_injection_counts_as_nominal()
    {
        var legacy = ReportSamples.Nominal("old", 1, 0) with { Expect = null };
        var fault = ReportSamples.Collision() with { Expect = null };
        Assert.True(SweepStatistics.IsNominal(legacy));
        Assert.False(SweepStatistics.IsNominal(fault));
    }

    [Theory]
    [InlineData(new[] { 3.0 }, 0.5, 3.0)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0 }, 0.5, 2.5)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0 }, 1.0, 4.0)]
    [InlineData(new[] { 0.0, 10.0 }, 0.95, 9.5)]
    public void Percentiles_interpolate_between_closest_ranks(double[] sorted, double q, double expected) =>
        Assert.Equal(expected, SweepStatistics.Percentile(sorted, q), 12);
}
