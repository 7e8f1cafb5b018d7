using System.Globalization;
using System.Text;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Reports;

/// <summary>Distribution of one latency over the runs that produced it, ms. Null figures when no run produced one.</summary>
public sealed record LatencyDistribution
{
    /// <summary>How many runs produced a value.</summary>
    public required int N { get; init; }
    public double? MedianMs { get; init; }
    public double? P95Ms { get; init; }
    public double? MaxMs { get; init; }
    public double? MinMs { get; init; }

    public static LatencyDistribution Empty { get; } = new() { N = 0 };
}

/// <summary>Nominal runs (expected: no trip): how often the supervisor tripped when nothing was wrong.</summary>
public sealed record NominalSweep
{
    /// <summary>Nominal runs counted (skipped runs are not).</summary>
    public required int Runs { get; init; }
    public required double SimulatedHours { get; init; }
    public required int FalseTrips { get; init; }
    /// <summary>False trips per simulated hour; null when no simulated time was run.</summary>
    public double? FalseTripsPerHour { get; init; }
    public required int Warnings { get; init; }
    /// <summary>Runs that ended in an error (the harness, not the host, failed).</summary>
    public required int Errors { get; init; }
    /// <summary>Safety events produced minus events logged, summed (must be 0: no event lost).</summary>
    public required long SafetyEventsLost { get; init; }
}

/// <summary>Fault runs grouped by the kind of their first injection: how reliably and how fast the host caught it.</summary>
public sealed record FaultKindSweep
{
    public required InjectionKind Kind { get; init; }
    /// <summary>Runs counted (skipped runs are not).</summary>
    public required int Runs { get; init; }
    /// <summary>Runs where the host reacted after the injection (a trip, or a warning where a warning was expected).</summary>
    public required int Detected { get; init; }
    /// <summary>Runs (not errors) without that reaction.</summary>
    public required int Missed { get; init; }
    public required int Errors { get; init; }
    public required int Passed { get; init; }
    /// <summary>Passed / Runs; null when no run was counted.</summary>
    public double? PassRate { get; init; }
    /// <summary>Trips before the injection in these runs.</summary>
    public required int FalseTrips { get; init; }
    /// <summary>Injection → trip decision.</summary>
    public required LatencyDistribution DetectionLatency { get; init; }
    /// <summary>Injection → first bus frame carrying the stop command.</summary>
    public required LatencyDistribution StopCommandLatency { get; init; }
    /// <summary>The seeds of the missed runs, so each can be repeated.</summary>
    public IReadOnlyList<ulong> MissedSeeds { get; init; } = [];
}

/// <summary>What <c>rt hil sweep</c> reports: false trips per hour of nominal motion and detection latency per fault kind.</summary>
public sealed record SweepSummary
{
    public required int Scenarios { get; init; }
    public required int Skipped { get; init; }
    public required NominalSweep Nominal { get; init; }
    /// <summary>One entry per injection kind seen, in <see cref="InjectionKind"/> order.</summary>
    public required IReadOnlyList<FaultKindSweep> Faults { get; init; }
    /// <summary>Runs whose first injection is a collision, and how many met issue 13's collision numbers (<see cref="CollisionNumbers"/>).</summary>
    public int CollisionRuns { get; init; }
    public int CollisionRunsMet { get; init; }
}

/// <summary>
/// Statistics of a sweep (many seeds, long nominal runs). Not real-time code.
/// Percentiles are linearly interpolated between closest ranks (the "type 7" rule numpy and spreadsheets use), so the
/// median of an even count is the mean of the middle two and p95 of 20 values lies between the 19th and 20th.
/// </summary>
public static class SweepStatistics
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Nominal runs are those expected not to trip (<see cref="ExpectedOutcome.NoTrip"/>; without an expectation, runs
    /// with no injection). Fault runs are the others with at least one injection, grouped by the first injection's kind.
    /// Skipped runs are left out of every figure.
    /// </summary>
    public static SweepSummary Summarise(CampaignResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var nominal = new List<ScenarioResult>();
        var byKind = new SortedDictionary<InjectionKind, List<ScenarioResult>>();
        int skipped = 0;
        foreach (var s in result.Scenarios)
        {
            if (s.Verdict == Verdict.Skipped) { skipped++; continue; }
            if (IsNominal(s)) { nominal.Add(s); continue; }
            var first = FirstInjection(s);
            if (first == null) continue; // a fault expectation with nothing injected: nothing to measure
            if (!byKind.TryGetValue(first.Kind, out var list)) byKind[first.Kind] = list = [];
            list.Add(s);
        }

        double hours = 0;
        int falseTrips = 0, warnings = 0, errors = 0;
        long lost = 0;
        foreach (var s in nominal)
        {
            hours += s.SimulatedS / 3600.0;
            falseTrips += s.FalseTrips;
            warnings += s.Warnings;
            if (s.Verdict == Verdict.Error) errors++;
            lost += Math.Max(0, s.SafetyEventsRaised - s.SafetyEventsLogged);
        }

        var faults = new List<FaultKindSweep>();
        foreach (var (kind, runs) in byKind)
        {
            int detected = 0, missed = 0, errs = 0, passed = 0, ft = 0;
            var det = new List<double>();
            var stop = new List<double>();
            var missedSeeds = new List<ulong>();
            foreach (var s in runs)
            {
                if (s.Verdict == Verdict.Pass) passed++;
                ft += s.FalseTrips;
                if (s.DetectionLatencyMs is { } d && double.IsFinite(d)) det.Add(d);
                if (s.StopCommandLatencyMs is { } c && double.IsFinite(c)) stop.Add(c);
                if (s.Verdict == Verdict.Error) { errs++; continue; }
                if (WasDetected(s)) detected++;
                else { missed++; missedSeeds.Add(s.Seed); }
            }
            faults.Add(new FaultKindSweep
            {
                Kind = kind,
                Runs = runs.Count,
                Detected = detected,
                Missed = missed,
                Errors = errs,
                Passed = passed,
                PassRate = runs.Count > 0 ? (double)passed / runs.Count : null,
                FalseTrips = ft,
                DetectionLatency = Distribution(det),
                StopCommandLatency = Distribution(stop),
                MissedSeeds = missedSeeds,
            });
        }

        return new SweepSummary
        {
            Scenarios = result.Scenarios.Count,
            Skipped = skipped,
            Nominal = new NominalSweep
            {
                Runs = nominal.Count,
                SimulatedHours = hours,
                FalseTrips = falseTrips,
                FalseTripsPerHour = hours > 0 ? falseTrips / hours : null,
                Warnings = warnings,
                Errors = errors,
                SafetyEventsLost = lost,
            },
            Faults = faults,
            CollisionRuns = result.CollisionRuns,
            CollisionRunsMet = result.CollisionRunsMet,
        };
    }

    /// <summary>Expected no trip; or, when the expectation is unknown, nothing was injected.</summary>
    public static bool IsNominal(ScenarioResult s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Expect is { } e ? e.Outcome == ExpectedOutcome.NoTrip : s.Injections.Count == 0;
    }

    private static AppliedInjection? FirstInjection(ScenarioResult s)
    {
        AppliedInjection? first = null;
        foreach (var i in s.Injections)
            if (first == null || i.Tick < first.Tick) first = i;
        return first;
    }

    private static bool WasDetected(ScenarioResult s)
    {
        if (s.Expect?.Outcome == ExpectedOutcome.Warning) return s.Warnings > 0 || s.TripTick != null;
        if (s.DetectionLatencyMs != null) return true;
        // A trip at or after the first injection counts even when the runner could not time it.
        var first = FirstInjection(s);
        return s.TripTick is { } t && first != null && t >= first.Tick;
    }

    /// <summary>Median, p95, min and max of the values (type-7 percentiles).</summary>
    public static LatencyDistribution Distribution(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return LatencyDistribution.Empty;
        var sorted = new double[values.Count];
        for (int i = 0; i < sorted.Length; i++) sorted[i] = values[i];
        Array.Sort(sorted);
        return new LatencyDistribution
        {
            N = sorted.Length,
            MedianMs = Percentile(sorted, 0.5),
            P95Ms = Percentile(sorted, 0.95),
            MaxMs = sorted[^1],
            MinMs = sorted[0],
        };
    }

    /// <summary>Percentile q (0..1) of sorted values, linear between closest ranks.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) throw new ArgumentException("no values", nameof(sorted));
        double h = (sorted.Count - 1) * Math.Clamp(q, 0, 1);
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>Snake-case key of a kind for figure names: CollisionObstacle → collision_obstacle.</summary>
    public static string Key(InjectionKind kind)
    {
        var name = kind.ToString();
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The figures as <c>name: value unit</c> lines (the benchmark format), e.g. <c>sweep.false_trips_per_hour: 0 1/h</c>.</summary>
    public static IEnumerable<string> Figures(SweepSummary sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var n = sweep.Nominal;
        yield return $"sweep.scenarios: {sweep.Scenarios} runs";
        yield return $"sweep.skipped: {sweep.Skipped} runs";
        yield return $"sweep.nominal.runs: {n.Runs} runs";
        yield return $"sweep.nominal.simulated_h: {Num(n.SimulatedHours, "0.###")} h";
        yield return $"sweep.false_trips: {n.FalseTrips} trips";
        yield return $"sweep.false_trips_per_hour: {(n.FalseTripsPerHour is { } f ? Num(f, "0.###") : "n/a")} 1/h";
        yield return $"sweep.nominal.warnings: {n.Warnings} warnings";
        yield return $"sweep.nominal.errors: {n.Errors} runs";
        yield return $"sweep.safety_events_lost: {n.SafetyEventsLost} events";
        yield return $"sweep.collision_numbers.runs: {sweep.CollisionRuns} runs";
        yield return $"sweep.collision_numbers.met: {sweep.CollisionRunsMet} runs";
        foreach (var k in sweep.Faults)
        {
            string p = "sweep." + Key(k.Kind);
            yield return $"{p}.runs: {k.Runs} runs";
            yield return $"{p}.detected: {k.Detected} runs";
            yield return $"{p}.missed: {k.Missed} runs";
            yield return $"{p}.errors: {k.Errors} runs";
            yield return $"{p}.false_trips: {k.FalseTrips} trips";
            yield return $"{p}.pass_rate: {(k.PassRate is { } r ? Num(r * 100, "0.#") : "n/a")} %";
            foreach (var line in Latency($"{p}.detection_latency_ms", k.DetectionLatency)) yield return line;
            foreach (var line in Latency($"{p}.stop_latency_ms", k.StopCommandLatency)) yield return line;
        }
    }

    private static IEnumerable<string> Latency(string prefix, LatencyDistribution d)
    {
        yield return $"{prefix}.n: {d.N} runs";
        if (d.N == 0) yield break;
        yield return $"{prefix}.median: {Num(d.MedianMs!.Value, "0.0##")} ms";
        yield return $"{prefix}.p95: {Num(d.P95Ms!.Value, "0.0##")} ms";
        yield return $"{prefix}.max: {Num(d.MaxMs!.Value, "0.0##")} ms";
    }

    private static string Num(double v, string format) => v.ToString(format, Inv);
}
