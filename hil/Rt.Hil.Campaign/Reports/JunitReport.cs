using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Reports;

/// <summary>
/// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one testsuite for the campaign, one
/// testcase per scenario with classname <c>hil.&lt;file stem&gt;</c>; a failed scenario is a &lt;failure&gt; with the
/// reason as message, an error (the harness failed) an &lt;error&gt;, a skipped one &lt;skipped&gt;. Figures go to system-out.
/// </summary>
public static class JunitReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static XDocument Build(CampaignResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        int errors = 0, failures = 0, skipped = 0;
        foreach (var s in result.Scenarios)
        {
            if (s.Verdict == Verdict.Error) errors++;
            else if (s.Verdict == Verdict.Fail) failures++;
            else if (s.Verdict == Verdict.Skipped) skipped++;
        }
        string time = Secs(result.WallS);
        string timestamp = result.StartedUtc.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", Inv);
        string suiteName = $"rt hil ({Clean(result.Mode)})";

        var suite = new XElement("testsuite",
            new XAttribute("name", suiteName),
            new XAttribute("tests", result.Scenarios.Count),
            new XAttribute("failures", failures),
            new XAttribute("errors", errors),
            new XAttribute("skipped", skipped),
            new XAttribute("time", time),
            new XAttribute("timestamp", timestamp),
            new XAttribute("hostname", Clean(result.Host)),
            new XElement("properties",
                Property("mode", result.Mode),
                Property("host", result.Host),
                Property("started_utc", result.StartedUtc.UtcDateTime.ToString("O", Inv))));
        foreach (var s in result.Scenarios) suite.Add(TestCase(s));

        var root = new XElement("testsuites",
            new XAttribute("name", "rt hil"),
            new XAttribute("tests", result.Scenarios.Count),
            new XAttribute("failures", failures),
            new XAttribute("errors", errors),
            new XAttribute("skipped", skipped),
            new XAttribute("time", time),
            new XAttribute("timestamp", timestamp),
            suite);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    public static void Write(CampaignResult result, string path)
    {
        var doc = Build(result);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var w = XmlWriter.Create(path, settings);
        doc.Save(w);
    }

    private static XElement TestCase(ScenarioResult s)
    {
        var tc = new XElement("testcase",
            new XAttribute("classname", "hil." + Clean(Stem(s.SourcePath))),
            new XAttribute("name", Clean(s.Name)),
            new XAttribute("time", Secs(s.WallS)),
            new XElement("properties",
                Property("seed", ReportFormat.Seed(s.Seed)),
                Property("mode", s.Mode),
                Property("source", s.SourcePath)));
        string details = Figures(s);
        switch (s.Verdict)
        {
            case Verdict.Fail:
                tc.Add(new XElement("failure", new XAttribute("message", Clean(s.Reason)), new XAttribute("type", "verdict"), Clean(details)));
                break;
            case Verdict.Error:
                tc.Add(new XElement("error", new XAttribute("message", Clean(s.Reason)), new XAttribute("type", "harness"), Clean(details)));
                break;
            case Verdict.Skipped:
                tc.Add(new XElement("skipped", new XAttribute("message", Clean(s.Reason))));
                break;
        }
        tc.Add(new XElement("system-out", Clean(details)));
        return tc;
    }

    /// <summary>The scenario's figures as plain lines (also the failure body: what CI shows beside the message).</summary>
    public static string Figures(ScenarioResult s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var b = new StringBuilder();
        b.Append("verdict: ").Append(s.Verdict).Append(" — ").AppendLine(s.Reason);
        b.Append("expected: ").AppendLine(ReportFormat.Expectation(s.Expect));
        b.Append("seed: ").Append(ReportFormat.Seed(s.Seed)).Append("  mode: ").Append(s.Mode)
         .Append("  simulated: ").Append(ReportFormat.Seconds(s.SimulatedS)).Append("  wall: ").Append(ReportFormat.Wall(s.WallS))
         .Append("  ticks: ").AppendLine(ReportFormat.Int(s.Ticks));
        foreach (var i in s.Injections)
            b.Append("injection: ").Append(SweepStatistics.Key(i.Kind)).Append(i.Target != null ? " on " + i.Target : "")
             .Append(" at tick ").Append(ReportFormat.Int(i.Tick)).Append(" (").Append(ReportFormat.Seconds(i.TimeS)).Append(')')
             .AppendLine(i.EndTick is { } e ? " until tick " + ReportFormat.Int(e) : "");
        if (s.TripTick is { } t)
            b.Append("trip: tick ").Append(ReportFormat.Int(t)).Append(" by ").Append(s.TripTrigger ?? "?")
             .Append(", ").AppendLine(ReportFormat.Category(s.TripCategory));
        else
            b.AppendLine("trip: none");
        b.Append("detection latency: ").AppendLine(ReportFormat.Ms(s.DetectionLatencyMs));
        b.Append("stop command latency: ").AppendLine(ReportFormat.Ms(s.StopCommandLatencyMs));
        b.Append("stop time: ").AppendLine(ReportFormat.Ms(s.StopTimeMs));
        b.Append("stop distance: ").Append(ReportFormat.Mrad(s.StopDistanceRad))
         .AppendLine(s.StopDistanceJoint != null ? " (" + s.StopDistanceJoint + ")" : "");
        if (s.TripTick is not null)
        {
            b.Append("powered travel: ").Append(ReportFormat.Mrad(s.PoweredTravelRad)).Append("  unpowered travel: ").Append(ReportFormat.Mrad(s.UnpoweredTravelRad))
             .Append("  time to standstill: ").AppendLine(ReportFormat.Ms(s.StandstillTimeMs));
            if (s.Cat0Escalation is { } esc) b.Append("escalation: ").AppendLine(esc);
        }
        if (s.Contact is { } contact) b.Append("contact force: ").AppendLine(ReportFormat.ContactDetail(contact));
        b.Append("false trips: ").Append(s.FalseTrips).Append("  warnings: ").AppendLine(ReportFormat.Int(s.Warnings));
        b.Append("safety events raised/logged: ").Append(ReportFormat.Int(s.SafetyEventsRaised)).Append('/').AppendLine(ReportFormat.Int(s.SafetyEventsLogged));
        b.Append("max divergence ratio: ").AppendLine(ReportFormat.Ratio(ReportFormat.MaxRatio(s)));
        foreach (var c in s.Timeline)
            b.Append("state: tick ").Append(ReportFormat.Int(c.Tick)).Append(" (").Append(ReportFormat.Seconds(c.TimeS)).Append(") ")
             .Append(c.From).Append(" → ").Append(c.To)
             .AppendLine(string.IsNullOrEmpty(c.Trigger) ? "" : $" {c.Trigger} {c.Channel} {ReportFormat.Number(c.Value)} vs {ReportFormat.Number(c.Threshold)}");
        return b.ToString();
    }

    private static XElement Property(string name, string value) =>
        new("property", new XAttribute("name", name), new XAttribute("value", Clean(value)));

    private static string Secs(double s) => (double.IsFinite(s) ? s : 0).ToString("0.000", Inv);

    private static string Stem(string path) => string.IsNullOrEmpty(path) ? "unknown" : Path.GetFileNameWithoutExtension(path);

    /// <summary>Replaces characters XML 1.0 cannot carry with U+FFFD (a control character in a reason would otherwise make the whole file unwritable).</summary>
    private static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var b = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { b.Append(c).Append(text[++i]); continue; }
            b.Append(XmlConvert.IsXmlChar(c) ? c : '\uFFFD');
        }
        return b.ToString();
    }
}
