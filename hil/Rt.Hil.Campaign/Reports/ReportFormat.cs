using System.Globalization;
using Rt.Core.Tick;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Reports;

/// <summary>Number and label formatting shared by the JUnit, HTML and console reports: invariant culture, units always shown, "–" for no value.</summary>
public static class ReportFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Shown where a figure does not apply (no trip, no injection).</summary>
    public const string None = "–";

    public static string Ms(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.00", Inv) + " ms" : None;

    public static string Seconds(double v) =>
        !double.IsFinite(v) ? None :
        Math.Abs(v) >= 100 ? v.ToString("0.0", Inv) + " s" :
        v.ToString("0.00#", Inv) + " s";

    /// <summary>Wall time: seconds below a minute, else m:ss.</summary>
    public static string Wall(double s)
    {
        if (!double.IsFinite(s)) return None;
        if (s < 60) return s.ToString("0.0", Inv) + " s";
        var t = TimeSpan.FromSeconds(s);
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00} h" : $"{t.Minutes}:{t.Seconds:00} min";
    }

    /// <summary>Joint travel in mrad (stop distances are small).</summary>
    /// <summary>The obstacle's contact force around the stop, short: "120→3 N falling" (at the command → end of the 50 ms window), or "-".</summary>
    public static string ContactTrend(ContactForceFigures? c) =>
        c is null || c.Trend == "no contact" ? None
        : c.Trend is "falling" or "rising" or "released"
            ? c.AtStopN.ToString("0", Inv) + "→" + c.EndOfWindowN.ToString("0", Inv) + " N " + c.Trend
            : c.Trend;

    /// <summary>The contact force in full: at the command, peak and end of the 50 ms window, trend, contact → stop.</summary>
    public static string ContactDetail(ContactForceFigures? c)
    {
        if (c is null) return None;
        if (c.Trend == "no contact") return "no contact";
        string lead = c.ContactToStopMs is double ms ? $"stop command {ms.ToString("0", Inv)} ms after contact; " : "";
        return lead + string.Create(Inv, $"{c.AtStopN:0.0} N at the command, peak {c.PeakAfterStopN:0.0} N in the 50 ms after, {c.EndOfWindowN:0.0} N at 40–50 ms ({c.Trend}); run peak {c.PeakN:0.0} N");
    }

    public static string Mrad(double? rad) => rad is { } x && double.IsFinite(x) ? (x * 1e3).ToString("0.0", Inv) + " mrad" : None;

    /// <summary>Dimensionless ratio (detector/threshold); 3 significant figures, scientific beyond 1e4.</summary>
    public static string Ratio(double? v)
    {
        if (v is not { } x) return None;
        if (double.IsNaN(x)) return "NaN";
        if (double.IsPositiveInfinity(x)) return "∞";
        double a = Math.Abs(x);
        if (a == 0) return "0";
        if (a >= 1e4 || a < 1e-3) return x.ToString("0.00e0", Inv);
        if (a >= 100) return x.ToString("0", Inv);
        if (a >= 10) return x.ToString("0.0", Inv);
        return x.ToString("0.00", Inv);
    }

    /// <summary>Any plain number, up to 4 significant decimals.</summary>
    public static string Number(double v)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsInfinity(v)) return v > 0 ? "∞" : "-∞";
        double a = Math.Abs(v);
        if (a != 0 && (a >= 1e6 || a < 1e-3)) return v.ToString("0.###e0", Inv);
        return v.ToString("0.####", Inv);
    }

    public static string Int(long v) => v.ToString(Inv);

    /// <summary>HTML-encodes text from a scenario file or a run; control characters (which HTML cannot show) become U+FFFD.</summary>
    public static string Html(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        bool clean = true;
        foreach (char c in text) if (char.IsControl(c) && c != '\n' && c != '\t') { clean = false; break; }
        if (!clean)
        {
            var chars = text.ToCharArray();
            for (int i = 0; i < chars.Length; i++) if (char.IsControl(chars[i]) && chars[i] != '\n' && chars[i] != '\t') chars[i] = '\uFFFD';
            text = new string(chars);
        }
        return System.Net.WebUtility.HtmlEncode(text);
    }

    public static string Seed(ulong seed) => seed.ToString(Inv);

    /// <summary>Stop category as the standard writes it.</summary>
    public static string Category(StopCategory? c) => c switch
    {
        null or StopCategory.None => None,
        StopCategory.Warning => "warning",
        StopCategory.Cat0 => "cat 0",
        StopCategory.Cat1 => "cat 1",
        StopCategory.Cat2 => "cat 2",
        _ => c.Value.ToString(),
    };

    /// <summary>What the scenario expected, one phrase: "stop cat 1 by collision ≤ 10 ms".</summary>
    public static string Expectation(Expectation? e)
    {
        if (e == null) return None;
        string triggers = e.Triggers.Count > 0 ? " by " + string.Join("/", e.Triggers) : "";
        return e.Outcome switch
        {
            ExpectedOutcome.NoTrip => "no trip",
            ExpectedOutcome.Warning => "warning" + triggers,
            _ => "stop" + (e.Category is { } c ? " " + Category(c) : "") + triggers +
                 (e.WithinMs is { } w ? " ≤ " + w.ToString("0.##", Inv) + " ms" : ""),
        };
    }

    /// <summary>Largest per-channel ratio of the run, or null without divergence data.</summary>
    public static double? MaxRatio(ScenarioResult s)
    {
        ArgumentNullException.ThrowIfNull(s);
        double? max = null;
        foreach (var c in s.MaxDivergence)
            if (!double.IsNaN(c.MaxRatio) && (max == null || c.MaxRatio > max)) max = c.MaxRatio;
        return max;
    }

    /// <summary>Time of a tick in the run: the run's own tick period (simulated time / ticks).</summary>
    public static double? TickTime(ScenarioResult s, long tick)
    {
        ArgumentNullException.ThrowIfNull(s);
        foreach (var c in s.Timeline) if (c.Tick == tick) return c.TimeS;
        foreach (var i in s.Injections) if (i.Tick == tick) return i.TimeS;
        return s.Ticks > 0 ? tick * s.SimulatedS / s.Ticks : null;
    }

    /// <summary>Unit of a drawn randomisation value from its name's suffix ("l_thigh.mass_kg" → "kg").</summary>
    public static string DrawnUnit(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = name.ToLowerInvariant();
        if (n.EndsWith("_kg", StringComparison.Ordinal)) return "kg";
        if (n.EndsWith("_kgm2", StringComparison.Ordinal)) return "kg·m²";
        if (n.EndsWith("_nms", StringComparison.Ordinal)) return "N·m·s/rad";
        if (n.EndsWith("_nm", StringComparison.Ordinal)) return "N·m";
        if (n.EndsWith("_ms2", StringComparison.Ordinal)) return "m/s²";
        if (n.EndsWith("_rad_s", StringComparison.Ordinal)) return "rad/s";
        if (n.EndsWith("_rad", StringComparison.Ordinal)) return "rad";
        if (n.EndsWith("_counts", StringComparison.Ordinal)) return "counts";
        if (n.EndsWith("_substeps", StringComparison.Ordinal)) return "substeps";
        if (n.EndsWith("_ms", StringComparison.Ordinal)) return "ms";
        if (n.EndsWith("_s", StringComparison.Ordinal)) return "s";
        return "";
    }
}
