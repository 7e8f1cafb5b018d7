using MathNet.Numerics.Distributions;

namespace Rt.Twin.Health;

/// <summary>What the forecast says about one parameter of one joint.</summary>
public enum ForecastStatus
{
    /// <summary>Too few estimates to fit a trend.</summary>
    Insufficient,
    /// <summary>No limit for this parameter.</summary>
    NoLimit,
    /// <summary>Not expected to cross its limit within the look-ahead.</summary>
    Ok,
    /// <summary>The earliest plausible crossing (the prediction band's edge) is within the warning horizon.</summary>
    Warning,
    /// <summary>The latest estimate is already past the limit.</summary>
    OverLimit,
}

/// <summary>
/// A parameter's trend and when it will cross its limit: <see cref="CrossDay"/> where the fitted line does,
/// <see cref="EarliestDay"/>/<see cref="LatestDay"/> where the edges of the prediction band do (null: not within
/// the look-ahead).
/// </summary>
public sealed record ParameterForecast(
    string Joint, HealthParameter Parameter, ForecastStatus Status, int Samples, double Now, double Latest,
    double Intercept, double SlopePerDay, double ResidualSigma, double TQuantile, double SumSqDays, double MeanDay,
    double Limit, bool UpperLimit, double? CrossDay, double? EarliestDay, double? LatestDay)
{
    /// <summary>The fitted value at <paramref name="day"/>.</summary>
    public double Predict(double day) => Intercept + SlopePerDay * day;

    /// <summary>Half-width of the prediction band at <paramref name="day"/> (a new estimate there, not the line's mean).</summary>
    public double HalfWidth(double day) => Samples < 3 ? double.NaN
        : TQuantile * ResidualSigma * Math.Sqrt(1 + 1.0 / Samples + (day - MeanDay) * (day - MeanDay) / Math.Max(SumSqDays, 1e-300));

    /// <summary>
    /// How far the band's edge <paramref name="horizonDays"/> ahead reaches from the trend's value now toward the limit:
    /// 0 = not at all, 1 = at the limit (a warning at the warning horizon). NaN without a fitted trend and a limit;
    /// +∞ when the trend is already at or past the limit.
    /// </summary>
    public double BandReach(double horizonDays)
    {
        if (Samples < 3 || !double.IsFinite(Limit) || !double.IsFinite(SlopePerDay)) return double.NaN;
        double sign = UpperLimit ? 1 : -1, now = Predict(Now), t = Now + horizonDays;
        double room = sign * (Limit - now);
        if (!(room > 0)) return double.PositiveInfinity;
        return sign * (Predict(t) + sign * HalfWidth(t) - now) / room;
    }

    /// <summary>Days from <see cref="Now"/> to the earliest plausible crossing, or null.</summary>
    public double? DaysToEarliest => EarliestDay is { } d ? d - Now : null;
}

/// <summary>
/// Forecasts when a health parameter crosses its limit (docs/TWIN.md, "Health"): ordinary least squares of the value
/// on time over the latest <see cref="HealthForecastOptions.WindowSamples"/> estimates, and the Student-t prediction
/// interval of a new estimate, ŷ(t) ± t_{1−α/2, n−2}·s·√(1 + 1/n + (t − t̄)²/S_tt). Why this one: wear (friction,
/// a weakening magnet) drifts slowly and, over a few weeks, close to linearly; the band is exact for a linear trend with
/// independent Gaussian estimation noise, widens honestly with few points and with distance into the future, and needs
/// no tuning but α. The earliest plausible crossing (the band's edge meets the limit) drives the warning, so a
/// noisy history warns earlier rather than later. Not real-time safe.
/// </summary>
public static class HealthForecaster
{
    public static ParameterForecast Forecast(string joint, HealthParameter parameter, IReadOnlyList<(double Day, double Value)> history, double limit, bool upper, HealthForecastOptions? options = null)
    {
        options ??= HealthForecastOptions.Default;
        var points = history.Where(p => double.IsFinite(p.Day) && double.IsFinite(p.Value)).OrderBy(p => p.Day).ToList();
        if (points.Count > options.WindowSamples) points = points.GetRange(points.Count - options.WindowSamples, options.WindowSamples);
        int n = points.Count;
        double now = n > 0 ? points[^1].Day : double.NaN;
        double latest = n > 0 ? points[^1].Value : double.NaN;
        if (n < options.MinSamples || points[^1].Day - points[0].Day <= 0)
            return new ParameterForecast(joint, parameter, ForecastStatus.Insufficient, n, now, latest, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, limit, upper, null, null, null);

        double mt = points.Average(p => p.Day), my = points.Average(p => p.Value);
        double stt = 0, sty = 0;
        foreach (var (t, y) in points)
        {
            stt += (t - mt) * (t - mt);
            sty += (t - mt) * (y - my);
        }
        double slope = sty / stt, intercept = my - slope * mt;
        double sse = 0;
        foreach (var (t, y) in points) sse += Math.Pow(y - (intercept + slope * t), 2);
        double s = Math.Sqrt(sse / (n - 2));
        double tq = StudentT.InvCDF(0, 1, n - 2, 1 - (1 - options.Confidence) / 2);
        var f = new ParameterForecast(joint, parameter, ForecastStatus.Ok, n, now, latest, intercept, slope, s, tq, stt, mt, limit, upper, null, null, null);
        if (!double.IsFinite(limit)) return f with { Status = ForecastStatus.NoLimit };

        double sign = upper ? 1 : -1;
        // Past the limit: the latest estimate, or the fitted line now, is beyond it.
        if (sign * (latest - limit) >= 0 && sign * (f.Predict(now) - limit) >= 0) return f with { Status = ForecastStatus.OverLimit, CrossDay = now, EarliestDay = now, LatestDay = now };

        double? cross = null, earliest = null, latestDay = null;
        double step = options.LookAheadDays / 2000;
        for (double t = now; t <= now + options.LookAheadDays; t += step)
        {
            double y = f.Predict(t), h = f.HalfWidth(t);
            earliest ??= sign * (y + sign * h - limit) >= 0 ? t : null;
            cross ??= sign * (y - limit) >= 0 ? t : null;
            latestDay ??= sign * (y - sign * h - limit) >= 0 ? t : null;
            if (latestDay is not null) break;
        }
        var status = earliest is { } e && e - now <= options.WarningHorizonDays ? ForecastStatus.Warning : ForecastStatus.Ok;
        return f with { Status = status, CrossDay = cross, EarliestDay = earliest, LatestDay = latestDay };
    }

    /// <summary>Forecasts every tracked parameter with a limit of every joint in the history (as of its latest entry), joint by joint.</summary>
    public static IReadOnlyList<ParameterForecast> ForecastAll(IReadOnlyList<HealthEntry> history, HealthForecastOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var result = new List<ParameterForecast>();
        foreach (string joint in JointNames(history))
        {
            var rows = history.SelectMany(e => e.Joints.Where(j => j.Joint == joint).Select(j => (e.Session.Day, j))).ToList();
            var limits = rows[^1].j.Limits;
            foreach (var p in HealthParameters.All)
            {
                var (limit, upper) = HealthParameters.Limit(limits, p);
                if (!double.IsFinite(limit)) continue;
                // Each estimate is judged against its own run's limit (where that run would have tripped, the joint's
                // other parameters as they were then), so what is extrapolated is the distance to the trip: the value
                // moved by (latest limit − its run's limit). While the others wear too, the limit closes in; a fixed
                // limit would see that only run by run and warn late.
                var series = new List<(double Day, double Value)>(rows.Count);
                if (p == HealthParameter.InnovationVariance)
                {
                    // The noise limit (how much louder this run's innovation could be before it trips) is itself as noisy
                    // as one run's extremes: judged against the median of the latest runs' limits, value by value.
                    limit = MedianLimit(rows.Select(r => r.j), p, RecentLimits);
                    foreach (var (day, j) in rows) series.Add((day, HealthParameters.Value(j, p)));
                }
                else
                    foreach (var (day, j) in rows)
                    {
                        double own = HealthParameters.Limit(j.Limits, p).Limit;
                        if (double.IsFinite(own)) series.Add((day, HealthParameters.Value(j, p) + (limit - own)));
                    }
                result.Add(Forecast(joint, p, series, limit, upper, options));
            }
        }
        return result;
    }

    /// <summary>How many of the latest runs' noise limits the innovation-variance forecast takes the median of.</summary>
    public const int RecentLimits = 5;

    private static double MedianLimit(IEnumerable<JointHealth> rows, HealthParameter p, int latest)
    {
        var v = rows.Select(j => HealthParameters.Limit(j.Limits, p).Limit).Where(double.IsFinite).TakeLast(latest).Order().ToList();
        return v.Count == 0 ? double.NaN : v.Count % 2 == 1 ? v[v.Count / 2] : 0.5 * (v[v.Count / 2 - 1] + v[v.Count / 2]);
    }

    /// <summary>Joint names in order of first appearance.</summary>
    public static IReadOnlyList<string> JointNames(IReadOnlyList<HealthEntry> history)
    {
        var names = new List<string>();
        foreach (var e in history)
            foreach (var j in e.Joints)
                if (!names.Contains(j.Joint)) names.Add(j.Joint);
        return names;
    }
}

/// <summary>Forecast settings (defaults in docs/TWIN.md, "Health").</summary>
public sealed record HealthForecastOptions
{
    public static HealthForecastOptions Default { get; } = new();

    /// <summary>Fewest estimates a trend is fitted to.</summary>
    public int MinSamples { get; init; } = 5;

    /// <summary>The trend uses the latest this many estimates (wear is linear only locally).</summary>
    public int WindowSamples { get; init; } = 20;

    /// <summary>Two-sided confidence of the prediction band (0.90: each edge is a 95 % one-sided bound).</summary>
    public double Confidence { get; init; } = 0.90;

    /// <summary>Warn when the band's edge reaches the limit within this many days.</summary>
    public double WarningHorizonDays { get; init; } = 14;

    /// <summary>How far ahead crossings are looked for, days.</summary>
    public double LookAheadDays { get; init; } = 365;
}
