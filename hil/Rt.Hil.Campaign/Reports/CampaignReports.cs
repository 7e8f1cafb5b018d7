using System.Globalization;
using System.Text;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Reports;

/// <summary>
/// The campaign's outputs: JUnit XML for CI, a self-contained HTML report for people, JSON for machines and a
/// fixed-width table for the terminal. Run after the campaign, never in the tick.
/// </summary>
public static class CampaignReports
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void WriteJunit(CampaignResult result, string path) => JunitReport.Write(result, Full(path));

    /// <summary>One HTML file, inline CSS and SVG only; includes the sweep statistics when given.</summary>
    public static void WriteHtml(CampaignResult result, string path, SweepSummary? sweep = null) => HtmlReport.Write(result, Full(path), sweep);

    /// <summary>The whole result, series included (see <see cref="JsonReport"/>); includes the sweep statistics when given.</summary>
    public static void WriteJson(CampaignResult result, string path, SweepSummary? sweep = null) => JsonReport.Write(result, Full(path), sweep);

    /// <summary>
    /// Fixed-width table, one line per scenario, then the totals (and the sweep figures when given). Plain text; the
    /// verdict is coloured only when writing to a terminal that is not redirected and NO_COLOR is unset.
    /// </summary>
    public static void PrintSummary(CampaignResult result, TextWriter output, SweepSummary? sweep = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        bool colour = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected &&
                      string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

        var rows = new List<string[]>(result.Scenarios.Count);
        foreach (var s in result.Scenarios)
            rows.Add([
                s.Name, Verdict(s.Verdict), ReportFormat.Ms(s.DetectionLatencyMs), ReportFormat.Ms(s.StopCommandLatencyMs),
                ReportFormat.Ms(s.StopTimeMs), ReportFormat.Mrad(s.StopDistanceRad), ReportFormat.Mrad(s.UnpoweredTravelRad),
                ReportFormat.ContactTrend(s.Contact), s.FalseTrips.ToString(Inv),
                ReportFormat.Ratio(ReportFormat.MaxRatio(s)), Isolated(s), Truth(s), ReportFormat.Seed(s.Seed), OneLine(s.Reason + TouchNote(s)),
            ]);
        string[] head = ["scenario", "verdict", "detection", "stop cmd", "stop time", "stop dist", "unpowered", "contact force", "false trips", "max ratio", "isolated", "injected", "seed", "reason"];
        bool[] right = [false, false, true, true, true, true, true, false, true, true, false, false, true, false];
        var width = new int[head.Length];
        for (int c = 0; c < head.Length; c++)
        {
            width[c] = head[c].Length;
            foreach (var r in rows) width[c] = Math.Max(width[c], r[c].Length);
        }
        width[0] = Math.Min(width[0], 40); // long names are cut, the reason (last column) is never cut

        output.WriteLine(Line(head, width, right, null));
        var rule = new StringBuilder();
        for (int c = 0; c < head.Length; c++) rule.Append(c > 0 ? "  " : "").Append(new string('-', c == head.Length - 1 ? head[c].Length : width[c]));
        output.WriteLine(rule.ToString());
        for (int i = 0; i < rows.Count; i++)
            output.WriteLine(Line(rows[i], width, right, colour ? Ansi(result.Scenarios[i].Verdict) : null));

        output.WriteLine();
        output.WriteLine(string.Create(Inv,
            $"{result.Passed} passed, {result.Failed} failed, {result.Skipped} skipped of {result.Scenarios.Count}  ({result.Mode}, {result.Host}, wall {ReportFormat.Wall(result.WallS)})"));
        if (IsolationLine(result) is { } isolation) output.WriteLine(isolation);
        if (CollisionLine(result) is { } collisions) output.WriteLine(collisions);
        if (sweep != null)
        {
            output.WriteLine();
            foreach (var line in SweepStatistics.Figures(sweep)) output.WriteLine(line);
        }
    }

    /// <summary>
    /// Issue 13's collision numbers over every collision run (<see cref="CollisionNumbers"/>), one line:
    /// "collision numbers: N of M collision runs met; violations: name (why; why), …"; null without a collision run.
    /// A run's seed is named when the campaign ran that scenario more than once (a sweep).
    /// </summary>
    public static string? CollisionLine(CampaignResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.CollisionRuns == 0) return null;
        var line = new StringBuilder(string.Create(Inv, $"collision numbers: {result.CollisionRunsMet} of {result.CollisionRuns} collision runs met"));
        string sep = "; violations: ";
        foreach (var s in result.Scenarios)
        {
            if (s.Verdict == Campaign.Verdict.Skipped || s.CollisionNumbers is not { Met: false } n) continue;
            bool repeated = result.Scenarios.Count(o => o.Name == s.Name) > 1;
            line.Append(sep).Append(s.Name).Append(repeated ? string.Create(Inv, $" seed {s.Seed}") : "")
                .Append(" (").Append(string.Join("; ", n.Violations)).Append(')');
            sep = ", ";
        }
        return OneLine(line.ToString());
    }

    /// <summary>
    /// "collision l_shin", marked ✗ where the class or the location is not the injected one, and "✗ touched" where an
    /// obstacle run's wrong location is still a link the box touched (<see cref="ScenarioResult.TouchedLinkRight"/>).
    /// </summary>
    private static string Isolated(ScenarioResult s)
    {
        if (s.IsolatedClass is null) return "-";
        string mark = s.ClassRight is null ? "" : s.ClassRight == true && s.LocationRight == true ? "" : s.TouchedLinkRight == true ? " ✗ touched" : " ✗";
        return $"{s.IsolatedClass} {s.IsolatedLocation}{mark}";
    }

    /// <summary>
    /// Issue 13's isolation over the scored runs, one line: "isolation: class right a/n (x %), location right b/n (y %)",
    /// then "; named a touched link d/n (z %)" when there is an obstacle run (<see cref="TouchedTotal"/>); null when nothing was scored.
    /// </summary>
    public static string? IsolationLine(CampaignResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.IsolationScored == 0) return null;
        return string.Create(Inv,
            $"isolation: class right {result.Scenarios.Count(s => s.ClassRight == true)}/{result.IsolationScored} ({result.ClassAccuracy:P0}), location right {result.Scenarios.Count(s => s.LocationRight == true)}/{result.IsolationScored} ({result.LocationAccuracy:P0})")
            + TouchedTotal(result);
    }

    /// <summary>
    /// The total after the isolation line, "; named a touched link d/n (z %)", when the campaign has an obstacle run
    /// (elsewhere it equals the location figure).
    /// </summary>
    public static string TouchedTotal(CampaignResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.IsolationScored == 0 || !result.Scenarios.Any(s => s.Touch is not null)) return "";
        return string.Create(Inv, $"; named a touched link {result.TouchedLinkRight}/{result.IsolationScored} ({result.TouchedLinkAccuracy:P0})");
    }

    /// <summary>
    /// For the table's reason cell only (the result's reason is unchanged): what the obstacle touched, where an obstacle
    /// run's isolated location is not the injected one: "; obstacle touched r_thigh 1883 N, r_shin 420 N (first r_thigh)".
    /// </summary>
    public static string TouchNote(ScenarioResult s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Touch is not { } t || s.LocationRight != false) return "";
        if (t.Touched.Count == 0) return "; obstacle touched nothing";
        var b = new StringBuilder("; obstacle touched ");
        for (int i = 0; i < t.Touched.Count; i++)
            b.Append(i > 0 ? ", " : "").Append(t.Touched[i].Link).Append(' ').Append(t.Touched[i].PeakN.ToString("0", Inv)).Append(" N");
        if (t.FirstTouched is { } first) b.Append(" (first ").Append(first).Append(')');
        return b.ToString();
    }

    private static string Truth(ScenarioResult s) => s.TruthClass is null ? "-" : $"{s.TruthClass} {s.TruthLocation}";

    private static string Line(string[] cells, int[] width, bool[] right, string? verdictColour)
    {
        var b = new StringBuilder();
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0) b.Append("  ");
            string v = cells[c];
            if (c == cells.Length - 1) { b.Append(v); break; }
            if (v.Length > width[c]) v = v[..(width[c] - 1)] + "…";
            string padded = right[c] ? v.PadLeft(width[c]) : v.PadRight(width[c]);
            if (c == 1 && verdictColour != null) b.Append(verdictColour).Append(padded).Append("\u001b[0m");
            else b.Append(padded);
        }
        return b.ToString().TrimEnd();
    }

    private static string Verdict(Verdict v) => v switch
    {
        Campaign.Verdict.Pass => "PASS",
        Campaign.Verdict.Fail => "FAIL",
        Campaign.Verdict.Error => "ERROR",
        _ => "SKIP",
    };

    private static string Ansi(Verdict v) => v switch
    {
        Campaign.Verdict.Pass => "\u001b[32m",
        Campaign.Verdict.Fail or Campaign.Verdict.Error => "\u001b[1;31m",
        _ => "\u001b[90m",
    };

    /// <summary>One line, no control characters (a stray escape in a reason must not drive the terminal).</summary>
    private static string OneLine(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (char c in text.ReplaceLineEndings(" ")) b.Append(char.IsControl(c) ? '?' : c);
        return b.ToString();
    }

    private static string Full(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        return full;
    }
}
