using System.Globalization;
using System.Text;
using Rt.Core.Tick;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Reports;

/// <summary>
/// The per-scenario figure of the HTML report as one inline SVG: divergence ratios per channel group on a log axis
/// (threshold at 1), injections as labelled vertical lines (their duration shaded), the trip as a red line, and the
/// safety state as a coloured band under the time axis. Hover titles give exact values; no script.
/// </summary>
public static class SvgPlot
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The y axis spans these decades; ratios outside are clamped to the edge (ratios span 1e-2..1e3 in practice).</summary>
    public const double MinRatio = 1e-2, MaxRatio = 1e3;

    /// <summary>At most this many points per series (about one per pixel of the plot's width); longer series are reduced by the max over each bucket (peaks are kept).</summary>
    public const int MaxPoints = 900;

    private const int Width = 960;
    private const double X0 = 70, X1 = Width - 20, Y0 = 46, Y1 = 296;
    private const double BandTop = Y1 + 8, BandHeight = 16;
    private const double TickLabelY = BandTop + BandHeight + 16, AxisTitleY = TickLabelY + 20, StateLegendY = AxisTitleY + 22;
    private const int Height = (int)StateLegendY + 14;

    /// <summary>Series colours (colour-blind-friendly Tableau order without the red and purple kept for trip and injections).</summary>
    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac", "#1f3b5a", "#8cd17d"];
    /// <summary>Text styles inside each figure, so a figure cut out of the page still renders the same.</summary>
    private const string SvgStyle =
        "<style>.plot text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}" +
        ".plot .tick{font-size:11px;fill:#5f6368}.plot .axis{font-size:12px;fill:#3c4043}.plot .legend{font-size:12px;fill:#1f2328}" +
        ".plot .note{font-size:11px}.plot .marker{font-size:11px;font-weight:600;stroke:#fff;stroke-width:3px;paint-order:stroke}</style>";

    private const string InjectionColour = "#6a3d9a", TripColour = "#c0392b", ThresholdColour = "#b3261e";

    /// <summary>Colour of a safety state in the band and the tables.</summary>
    public static string StateColour(SafetyState s) => s switch
    {
        SafetyState.Operational => "#2e9e44",
        SafetyState.Stopping => "#f0a202",
        SafetyState.Stopped or SafetyState.Holding => "#e8672a",
        SafetyState.Faulted => "#d62728",
        SafetyState.Resetting => "#6b8fb3",
        _ => "#9e9e9e", // Disabled, Enabling
    };

    /// <summary>The figure for a scenario with a series; null when the run recorded none (skipped, or failed before the first tick).</summary>
    public static string? Build(ScenarioResult s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var series = s.Series;
        if (series == null || series.TimeS.Length == 0) return null;

        double tEnd = Math.Max(s.SimulatedS, series.TimeS[^1]);
        if (!(tEnd > 0)) tEnd = 1;
        double Xt(double t) => X0 + Math.Clamp(t / tEnd, 0, 1) * (X1 - X0);

        var b = new StringBuilder(64 * 1024);
        b.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{H(s.Name)}: divergence ratio and safety state over time\">");
        b.Append(SvgStyle);
        b.Append("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");

        // Grid and y axis (log decades, minor ticks at 2..9).
        double lo = Math.Log10(MinRatio), hi = Math.Log10(MaxRatio);
        for (int d = (int)lo; d <= (int)hi; d++)
        {
            double y = Yr(Math.Pow(10, d));
            b.Append(Inv, $"<line x1=\"{X0}\" y1=\"{F(y)}\" x2=\"{X1}\" y2=\"{F(y)}\" stroke=\"#e3e6ea\"/>");
            b.Append(Inv, $"<text x=\"{X0 - 8}\" y=\"{F(y + 4)}\" text-anchor=\"end\" class=\"tick\">{DecadeLabel(d)}</text>");
            if (d < (int)hi)
                for (int m = 2; m <= 9; m++)
                {
                    double ym = Yr(m * Math.Pow(10, d));
                    b.Append(Inv, $"<line x1=\"{X0 - 3}\" y1=\"{F(ym)}\" x2=\"{X0}\" y2=\"{F(ym)}\" stroke=\"#9aa0a6\"/>");
                }
        }
        b.Append(Inv, $"<text transform=\"translate(16 {F((Y0 + Y1) / 2)}) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">detector / threshold</text>");

        // Time axis: nice ticks through plot and band.
        double step = NiceStep(tEnd, 10);
        for (int i = 0; i * step <= tEnd * (1 + 1e-9); i++)
        {
            double t = i * step;
            double x = Xt(t);
            b.Append(Inv, $"<line x1=\"{F(x)}\" y1=\"{Y0}\" x2=\"{F(x)}\" y2=\"{Y1}\" stroke=\"#eef0f2\"/>");
            b.Append(Inv, $"<line x1=\"{F(x)}\" y1=\"{BandTop + BandHeight}\" x2=\"{F(x)}\" y2=\"{BandTop + BandHeight + 4}\" stroke=\"#5f6368\"/>");
            b.Append(Inv, $"<text x=\"{F(x)}\" y=\"{TickLabelY}\" text-anchor=\"middle\" class=\"tick\">{TimeLabel(t, step)}</text>");
        }
        b.Append(Inv, $"<text x=\"{F((X0 + X1) / 2)}\" y=\"{AxisTitleY}\" text-anchor=\"middle\" class=\"axis\">simulated time (s)</text>");
        b.Append(Inv, $"<rect x=\"{X0}\" y=\"{Y0}\" width=\"{X1 - X0}\" height=\"{Y1 - Y0}\" fill=\"none\" stroke=\"#9aa0a6\"/>");

        // Injection windows (shaded) under the data.
        foreach (var inj in s.Injections)
        {
            if (inj.EndTick is not { } end) continue;
            double te = ReportFormat.TickTime(s, end) ?? tEnd;
            double xa = Xt(inj.TimeS), xb = Xt(te);
            if (xb > xa) b.Append(Inv, $"<rect x=\"{F(xa)}\" y=\"{Y0}\" width=\"{F(xb - xa)}\" height=\"{Y1 - Y0}\" fill=\"{InjectionColour}\" fill-opacity=\"0.07\"/>");
        }

        // Threshold.
        b.Append(Inv, $"<line x1=\"{X0}\" y1=\"{F(Yr(1))}\" x2=\"{X1}\" y2=\"{F(Yr(1))}\" stroke=\"{ThresholdColour}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>");
        b.Append(Inv, $"<text x=\"{X1 - 4}\" y=\"{F(Yr(1) - 5)}\" text-anchor=\"end\" class=\"note\" fill=\"{ThresholdColour}\">threshold</text>");

        // Series.
        int k = 0;
        var legend = new List<(string Name, string Colour, double Max)>();
        foreach (var (name, ratios) in series.Ratios)
        {
            string colour = Palette[k++ % Palette.Length];
            double max = double.NaN;
            foreach (var r in ratios) if (!double.IsNaN(r) && (double.IsNaN(max) || r > max)) max = r;
            legend.Add((name, colour, max));
            b.Append(Inv, $"<path fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\" stroke-linejoin=\"round\" d=\"{PathData(series.TimeS, ratios, Xt)}\">");
            b.Append(Inv, $"<title>{H(name)}: max {H(ReportFormat.Ratio(double.IsNaN(max) ? null : max))}</title></path>");
        }
        if (series.Ratios.Count == 0)
            b.Append(Inv, $"<text x=\"{F((X0 + X1) / 2)}\" y=\"{F((Y0 + Y1) / 2)}\" text-anchor=\"middle\" class=\"note\">no divergence channels in this run</text>");

        // Injection and trip markers: all lines first, then all labels (staggered in three rows) so no line crosses a label.
        var markers = new List<(double X, string Label, string Title, string Colour, bool Trip)>();
        for (int i = 0; i < s.Injections.Count; i++)
        {
            var inj = s.Injections[i];
            string label = $"{i + 1}. {SweepStatistics.Key(inj.Kind)}{(inj.Target != null ? " " + inj.Target : "")}";
            markers.Add((Xt(inj.TimeS), label, $"{label} at {ReportFormat.Seconds(inj.TimeS)} (tick {inj.Tick})", InjectionColour, false));
        }
        if (s.TripTick is { } trip)
        {
            double tt = ReportFormat.TickTime(s, trip) ?? 0;
            string label = $"trip: {s.TripTrigger ?? "?"} ({ReportFormat.Category(s.TripCategory)})";
            markers.Add((Xt(tt), label, $"{label} at {ReportFormat.Seconds(tt)} (tick {trip})", TripColour, true));
        }
        foreach (var m in markers)
        {
            b.Append(Inv, $"<line x1=\"{F(m.X)}\" y1=\"{Y0}\" x2=\"{F(m.X)}\" y2=\"{BandTop + BandHeight}\" stroke=\"{m.Colour}\" ");
            b.Append(m.Trip ? "stroke-width=\"2\">" : "stroke-width=\"1.5\" stroke-dasharray=\"4 3\">");
            b.Append("<title>").Append(H(m.Title)).Append("</title></line>");
        }
        for (int i = 0; i < markers.Count; i++)
            b.Append(MarkerLabel(markers[i].X, Y0 + 13 + 13 * (i % 3), markers[i].Label, markers[i].Colour));

        // Legend above the plot: two rows fit; past that the rest is counted (the tables list every channel).
        double lx = X0, ly = 16;
        for (int i = 0; i < legend.Count; i++)
        {
            var (name, colour, max) = legend[i];
            string text = $"{name} (max {ReportFormat.Ratio(double.IsNaN(max) ? null : max)})";
            double w = 23 + TextWidth(text, 12) + 18;
            if (lx + w > X1 && lx > X0)
            {
                if (ly > 16)
                {
                    b.Append(Inv, $"<text x=\"{F(lx)}\" y=\"{F(ly + 4)}\" class=\"legend\">+{legend.Count - i} more</text>");
                    break;
                }
                lx = X0;
                ly += 16;
            }
            b.Append(Inv, $"<line x1=\"{F(lx)}\" y1=\"{F(ly)}\" x2=\"{F(lx + 18)}\" y2=\"{F(ly)}\" stroke=\"{colour}\" stroke-width=\"3\"/>");
            b.Append(Inv, $"<text x=\"{F(lx + 23)}\" y=\"{F(ly + 4)}\" class=\"legend\">{H(text)}</text>");
            lx += w;
        }

        // Safety state band.
        var states = new List<SafetyState>();
        b.Append(Inv, $"<text x=\"{X0 - 8}\" y=\"{F(BandTop + BandHeight - 4)}\" text-anchor=\"end\" class=\"tick\">state</text>");
        foreach (var (from, to, state) in StateRuns(s, tEnd))
        {
            if (!states.Contains(state)) states.Add(state);
            double xa = Xt(from), xb = Xt(to);
            b.Append(Inv, $"<rect x=\"{F(xa)}\" y=\"{BandTop}\" width=\"{F(Math.Max(xb - xa, 0.8))}\" height=\"{BandHeight}\" fill=\"{StateColour(state)}\">");
            b.Append(Inv, $"<title>{state}: {H(ReportFormat.Seconds(from))} – {H(ReportFormat.Seconds(to))}</title></rect>");
        }
        lx = X0;
        foreach (var st in states)
        {
            b.Append(Inv, $"<rect x=\"{F(lx)}\" y=\"{StateLegendY - 9}\" width=\"12\" height=\"10\" fill=\"{StateColour(st)}\"/>");
            b.Append(Inv, $"<text x=\"{F(lx + 16)}\" y=\"{StateLegendY}\" class=\"legend\">{st}</text>");
            lx += 16 + TextWidth(st.ToString(), 12) + 16;
        }
        b.Append("</svg>");
        return b.ToString();
    }

    /// <summary>(from, to, state) runs for the band: the exact state changes when the run recorded them, else the sampled states.</summary>
    public static IReadOnlyList<(double From, double To, SafetyState State)> StateRuns(ScenarioResult s, double tEnd)
    {
        ArgumentNullException.ThrowIfNull(s);
        var runs = new List<(double, double, SafetyState)>();
        if (s.Timeline.Count > 0)
        {
            double t = 0;
            SafetyState cur = s.Timeline[0].From;
            foreach (var c in s.Timeline)
            {
                if (c.TimeS > t) runs.Add((t, Math.Min(c.TimeS, tEnd), cur));
                t = Math.Max(t, c.TimeS);
                cur = c.To;
            }
            if (tEnd > t) runs.Add((t, tEnd, cur));
            return runs;
        }
        var series = s.Series;
        if (series == null || series.States.Length == 0) return runs;
        // Sample i is the state at the end of window (TimeS[i-1], TimeS[i]].
        double start = 0;
        SafetyState state = series.States[0];
        for (int i = 1; i < series.States.Length && i < series.TimeS.Length; i++)
        {
            if (series.States[i] == state) continue;
            double at = series.TimeS[i - 1];
            runs.Add((start, at, state));
            start = at;
            state = series.States[i];
        }
        runs.Add((start, tEnd, state));
        return runs;
    }

    private static string MarkerLabel(double x, double y, string label, string colour)
    {
        bool right = x > X1 - TextWidth(label, 11) - 10;
        double tx = right ? x - 4 : x + 4;
        return string.Create(Inv, $"<text x=\"{F(tx)}\" y=\"{F(y)}\" text-anchor=\"{(right ? "end" : "start")}\" class=\"marker\" fill=\"{colour}\">{H(label)}</text>");
    }

    /// <summary>Path through the samples, broken at NaN, reduced to <see cref="MaxPoints"/> by the max per bucket.</summary>
    private static string PathData(double[] time, double[] ratios, Func<double, double> xt)
    {
        int n = Math.Min(time.Length, ratios.Length);
        var d = new StringBuilder(Math.Min(n, MaxPoints) * 14);
        int bucket = Math.Max(1, (n + MaxPoints - 1) / MaxPoints);
        bool pen = false;
        for (int i = 0; i < n; i += bucket)
        {
            int last = Math.Min(n, i + bucket);
            double v = double.NaN;
            for (int j = i; j < last; j++)
                if (!double.IsNaN(ratios[j]) && (double.IsNaN(v) || ratios[j] > v)) v = ratios[j];
            if (double.IsNaN(v)) { pen = false; continue; }
            d.Append(pen ? " L" : (d.Length > 0 ? " M" : "M"));
            d.Append(F(xt(time[last - 1]))).Append(',').Append(F(Yr(v)));
            pen = true;
        }
        return d.ToString();
    }

    private static double Yr(double ratio)
    {
        double r = double.IsNaN(ratio) ? MinRatio : Math.Clamp(ratio, MinRatio, MaxRatio);
        double lo = Math.Log10(MinRatio), hi = Math.Log10(MaxRatio);
        return Y1 - (Math.Log10(r) - lo) / (hi - lo) * (Y1 - Y0);
    }

    private static string DecadeLabel(int d) => d switch
    {
        < 0 => Math.Pow(10, d).ToString("0.####", Inv),
        _ => Math.Pow(10, d).ToString("0", Inv),
    };

    /// <summary>1, 2 or 5 × 10^k so that the range gets at most <paramref name="maxTicks"/> intervals.</summary>
    public static double NiceStep(double range, int maxTicks)
    {
        if (!(range > 0)) return 1;
        double raw = range / maxTicks;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (double m in new[] { 1.0, 2.0, 5.0, 10.0 })
            if (m * mag >= raw) return m * mag;
        return 10 * mag;
    }

    private static string TimeLabel(double t, double step)
    {
        int decimals = step >= 1 ? 0 : (int)Math.Ceiling(-Math.Log10(step) - 1e-9);
        return t.ToString("F" + decimals.ToString(Inv), Inv);
    }

    /// <summary>Rough width of sans-serif text, px (for laying out legends without measuring).</summary>
    private static double TextWidth(string text, double fontPx) => text.Length * fontPx * 0.56;

    private static string F(double v) => v.ToString("0.#", Inv);

    private static string H(string? text) => ReportFormat.Html(text);
}
