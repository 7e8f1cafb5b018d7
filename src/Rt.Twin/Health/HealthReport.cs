using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using static Rt.Twin.JsonNumbers;

namespace Rt.Twin.Health;

/// <summary>
/// <c>rt health</c>'s output: per joint the latest estimates, their trend and forecast, as a table, JSON, or a
/// self-contained HTML page with inline SVG plots (no script). Not real-time safe.
/// </summary>
public sealed class HealthReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public string Database { get; }
    public IReadOnlyList<HealthEntry> History { get; }
    public IReadOnlyList<ParameterForecast> Forecasts { get; }
    public HealthForecastOptions Options { get; }

    public HealthReport(string database, IReadOnlyList<HealthEntry> history, HealthForecastOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        Database = database;
        History = history;
        Options = options ?? HealthForecastOptions.Default;
        Forecasts = HealthForecaster.ForecastAll(history, Options);
    }

    /// <summary>Forecasts that warn (or are past their limit).</summary>
    public IReadOnlyList<ParameterForecast> Warnings => Forecasts.Where(f => f.Status is ForecastStatus.Warning or ForecastStatus.OverLimit).ToList();

    public string ToText()
    {
        var s = new StringBuilder();
        s.AppendLine(Inv, $"health: {Database} ({History.Count} entries, days {(History.Count > 0 ? $"{History[0].Session.Day:F1}–{History[^1].Session.Day:F1}" : "-")})");
        s.AppendLine(Inv, $"{"joint",-16} {"parameter",-30} {"n",3} {"latest",11} {"slope/day",11} {"limit",11} {"cross day (band)",26} status");
        foreach (var f in Forecasts)
        {
            string cross = f.CrossDay is null && f.EarliestDay is null ? "-"
                : $"{Day(f.CrossDay)} ({Day(f.EarliestDay)}–{Day(f.LatestDay)})";
            s.AppendLine(Inv, $"{f.Joint,-16} {HealthParameters.Name(f.Parameter),-30} {f.Samples,3} {f.Latest,11:G4} {f.SlopePerDay,11:G3} {f.Limit,11:G4} {cross,26} {StatusName(f.Status)}");
        }
        var w = Warnings;
        s.AppendLine(w.Count == 0 ? "no warnings" : $"{w.Count} warning(s):");
        foreach (var f in w) s.AppendLine(Sentence(f));
        return s.ToString();
    }

    /// <summary>One line for a warning, naming joint, parameter, value, limit and when.</summary>
    public static string Sentence(ParameterForecast f) => f.Status == ForecastStatus.OverLimit
        ? string.Create(Inv, $"warning: {f.Joint} {HealthParameters.Name(f.Parameter)} is {f.Latest:G4}, past its limit {f.Limit:G4} (day {f.Now:F1})")
        : string.Create(Inv, $"warning: {f.Joint} {HealthParameters.Name(f.Parameter)} {f.Latest:G4} → limit {f.Limit:G4} from day {f.EarliestDay:F1} (in {f.DaysToEarliest:F1} days; trend crosses at day {Day(f.CrossDay)})");

    private static string Day(double? d) => d is { } v ? v.ToString("F1", Inv) : "never";

    public static string StatusName(ForecastStatus s) => s switch
    {
        ForecastStatus.Insufficient => "insufficient",
        ForecastStatus.NoLimit => "no_limit",
        ForecastStatus.Ok => "ok",
        ForecastStatus.Warning => "warning",
        _ => "over_limit",
    };

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("database", Database);
            w.WriteNumber("schema_version", HealthDatabase.SchemaVersion);
            w.WriteString("method", "OLS on time over the latest window, Student-t prediction interval");
            w.WriteNumber("confidence", Options.Confidence);
            w.WriteNumber("warning_horizon_days", Options.WarningHorizonDays);
            w.WriteNumber("entries", History.Count);
            w.WriteStartArray("forecasts");
            foreach (var f in Forecasts)
            {
                w.WriteStartObject();
                w.WriteString("joint", f.Joint);
                w.WriteString("parameter", HealthParameters.Name(f.Parameter));
                w.WriteString("status", StatusName(f.Status));
                w.WriteNumber("samples", f.Samples);
                Number(w, "day", f.Now);
                Number(w, "latest", f.Latest);
                Number(w, "slope_per_day", f.SlopePerDay);
                Number(w, "limit", f.Limit);
                w.WriteString("limit_kind", f.UpperLimit ? "upper" : "lower");
                Number(w, "cross_day", f.CrossDay ?? double.NaN);
                Number(w, "earliest_day", f.EarliestDay ?? double.NaN);
                Number(w, "latest_day", f.LatestDay ?? double.NaN);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("history");
            foreach (var e in History)
            {
                w.WriteStartObject();
                w.WriteNumber("id", e.Id);
                Number(w, "day", e.Session.Day);
                w.WriteString("time_utc", e.Session.TimeUtc.UtcDateTime.ToString("O", Inv));
                w.WriteString("source", e.Session.Source);
                w.WriteString("recording", e.Session.Recording);
                if (e.Session.Tripped is { } t) w.WriteBoolean("tripped", t); else w.WriteNull("tripped");
                w.WriteStartObject("joints");
                foreach (var j in e.Joints)
                {
                    w.WriteStartObject(j.Joint);
                    foreach (var p in HealthParameters.All) Number(w, HealthParameters.Name(p), HealthParameters.Value(j, p));
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }


    /// <summary>Self-contained HTML: a warnings list, then per joint one SVG plot per parameter with a limit (estimates, trend, band, limit).</summary>
    public string ToHtml()
    {
        var s = new StringBuilder();
        s.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>rt health</title><style>body{font-family:sans-serif;margin:1em}svg{border:1px solid #ccc;margin:4px}.warn{color:#b00}td,th{padding:2px 8px;text-align:right}th{background:#eee}</style></head><body>");
        s.Append(Inv, $"<h1>Joint health</h1><p>{WebUtility.HtmlEncode(Database)}: {History.Count} entries. Trend: least squares on time over the latest {Options.WindowSamples} estimates; band: {Options.Confidence:P0} prediction interval; warning when the band reaches the limit within {Options.WarningHorizonDays:G} days.</p>");
        var warnings = Warnings;
        s.Append(warnings.Count == 0 ? "<p>No warnings.</p>" : "<ul class=\"warn\">");
        foreach (var f in warnings) s.Append("<li>").Append(WebUtility.HtmlEncode(Sentence(f))).Append("</li>");
        if (warnings.Count > 0) s.Append("</ul>");
        foreach (string joint in HealthForecaster.JointNames(History))
        {
            s.Append("<h2>").Append(WebUtility.HtmlEncode(joint)).Append("</h2><div>");
            foreach (var p in HealthParameters.All)
            {
                var points = History.SelectMany(e => e.Joints.Where(j => j.Joint == joint).Select(j => (e.Session.Day, HealthParameters.Value(j, p))))
                    .Where(x => double.IsFinite(x.Item2)).ToList();
                if (points.Count == 0) continue;
                var f = Forecasts.FirstOrDefault(x => x.Joint == joint && x.Parameter == p);
                s.Append(Plot(HealthParameters.Name(p) + " [" + HealthParameters.Unit(p) + "]", points, f));
            }
            s.Append("</div>");
        }
        s.Append("</body></html>");
        return s.ToString();
    }

    private string Plot(string title, List<(double Day, double Value)> points, ParameterForecast? f)
    {
        const double W = 360, H = 200, L = 50, R = 10, T = 20, B = 25;
        double x0 = points.Min(p => p.Day), x1 = points.Max(p => p.Day);
        bool trend = f is not null && f.Status is not (ForecastStatus.Insufficient or ForecastStatus.NoLimit);
        if (trend) x1 = Math.Max(x1, Math.Min(f!.CrossDay ?? f.EarliestDay ?? x1, x1 + Options.WarningHorizonDays * 2));
        if (x1 <= x0) x1 = x0 + 1;
        var ys = points.Select(p => p.Value).ToList();
        if (f is not null && double.IsFinite(f.Limit)) ys.Add(f.Limit);
        double y0 = ys.Min(), y1 = ys.Max();
        if (y1 <= y0) { y0 -= 0.5 * Math.Abs(y0) + 1e-9; y1 += 0.5 * Math.Abs(y1) + 1e-9; }
        double pad = 0.08 * (y1 - y0);
        y0 -= pad; y1 += pad;
        string X(double d) => (L + (d - x0) / (x1 - x0) * (W - L - R)).ToString("F1", Inv);
        string Y(double v) => (H - B - (Math.Clamp(v, y0, y1) - y0) / (y1 - y0) * (H - T - B)).ToString("F1", Inv);
        var s = new StringBuilder();
        s.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\">");
        s.Append(Inv, $"<text x=\"{L}\" y=\"14\" font-size=\"12\">{WebUtility.HtmlEncode(title)}</text>");
        s.Append(Inv, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"#888\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"#888\"/>");
        s.Append(Inv, $"<text x=\"{L}\" y=\"{H - 8}\" font-size=\"10\">day {x0:G4}</text><text x=\"{W - R}\" y=\"{H - 8}\" font-size=\"10\" text-anchor=\"end\">day {x1:G4}</text>");
        s.Append(Inv, $"<text x=\"{L - 3}\" y=\"{T + 8}\" font-size=\"10\" text-anchor=\"end\">{y1:G3}</text><text x=\"{L - 3}\" y=\"{H - B}\" font-size=\"10\" text-anchor=\"end\">{y0:G3}</text>");
        if (trend)
        {
            // Prediction band from the window's first day to the right edge, then the trend line.
            double a = f!.MeanDay - Math.Sqrt(f.SumSqDays / Math.Max(f.Samples, 1)) * Math.Sqrt(3);
            a = Math.Max(x0, Math.Min(a, f.Now));
            var upper = new StringBuilder();
            var lower = new StringBuilder();
            for (int i = 0; i <= 40; i++)
            {
                double d = a + (x1 - a) * i / 40;
                upper.Append(Inv, $"{X(d)},{Y(f.Predict(d) + f.HalfWidth(d))} ");
                lower.Insert(0, string.Create(Inv, $"{X(d)},{Y(f.Predict(d) - f.HalfWidth(d))} "));
            }
            s.Append(Inv, $"<polygon points=\"{upper}{lower}\" fill=\"#fc8\" fill-opacity=\"0.4\" stroke=\"none\"/>");
            s.Append(Inv, $"<line x1=\"{X(a)}\" y1=\"{Y(f.Predict(a))}\" x2=\"{X(x1)}\" y2=\"{Y(f.Predict(x1))}\" stroke=\"#e70\" stroke-dasharray=\"4 3\"/>");
        }
        if (f is not null && double.IsFinite(f.Limit))
            s.Append(Inv, $"<line x1=\"{L}\" y1=\"{Y(f.Limit)}\" x2=\"{W - R}\" y2=\"{Y(f.Limit)}\" stroke=\"#c00\"/><text x=\"{W - R}\" y=\"{Y(f.Limit)}\" dy=\"-2\" font-size=\"10\" fill=\"#c00\" text-anchor=\"end\">limit {f.Limit:G3}</text>");
        s.Append("<polyline fill=\"none\" stroke=\"#06c\" points=\"");
        foreach (var (d, v) in points) s.Append(Inv, $"{X(d)},{Y(v)} ");
        s.Append("\"/>");
        foreach (var (d, v) in points) s.Append(Inv, $"<circle cx=\"{X(d)}\" cy=\"{Y(v)}\" r=\"2\" fill=\"#06c\"/>");
        s.Append("</svg>");
        return s.ToString();
    }
}
