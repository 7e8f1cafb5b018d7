using System.Text.RegularExpressions;
using System.Xml.Linq;
using Rt.Hil.Campaign;
using Rt.Hil.Campaign.Reports;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>The HTML report: self-contained, one plot per scenario with a series, hostile text escaped.</summary>
public partial class ReportHtmlTests
{
    private static string Html(CampaignResult result, SweepSummary? sweep = null)
    {
        var dir = Directory.CreateTempSubdirectory("rt-html-");
        try
        {
            var path = Path.Combine(dir.FullName, "report.html");
            CampaignReports.WriteHtml(result, path, sweep);
            return File.ReadAllText(path);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Has_no_network_references_and_no_script()
    {
        var html = Html(ReportSamples.Campaign(), SweepStatistics.Summarise(ReportSamples.Campaign()));
        var withoutXmlns = html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal);
        Assert.DoesNotContain("http://", withoutXmlns, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", withoutXmlns, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" src=", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Hostile_scenario_text_is_escaped()
    {
        var html = Html(ReportSamples.Campaign());
        Assert.DoesNotContain(ReportSamples.HostileName, html);
        Assert.Contains("encoder freeze &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co", html);
        Assert.Contains("&lt;b&gt;late&lt;/b&gt; &amp; &quot;quoted&quot;", html);
        Assert.DoesNotContain('\u0001', html); // the control character in the error's reason
        Assert.Contains("libmujoco.so not found\uFFFD", html);
    }

    [Fact]
    public void A_long_series_is_reduced_to_the_point_budget_and_keeps_its_peak()
    {
        const int n = 100_000;
        var t = new double[n];
        var r = new double[n];
        for (int i = 0; i < n; i++) { t[i] = i * 0.01; r[i] = 0.1; }
        r[54_321] = 500;
        var run = ReportSamples.Nominal("long", 1, 0) with
        {
            SimulatedS = n * 0.01,
            Timeline = [],
            Series = new ScenarioSeries
            {
                DecimationTicks = 10, TimeS = t, Ratios = new Dictionary<string, double[]> { ["joint torque"] = r },
                States = new Rt.Core.Tick.SafetyState[n],
            },
        };
        var svg = SvgPlot.Build(run)!;
        XNamespace ns = "http://www.w3.org/2000/svg";
        var d = (string)XElement.Parse(svg).Element(ns + "path")!.Attribute("d")!;
        var ys = d.Split([' '], StringSplitOptions.RemoveEmptyEntries)
                  .Select(p => double.Parse(p[1..].Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.InRange(ys.Count, SvgPlot.MaxPoints / 2, SvgPlot.MaxPoints);
        // 500 on the log axis 0.01..1000 over the plot's 250 px: 296 − (log10 500 + 2) / 5 · 250 ≈ 61.05.
        Assert.Equal(61.05, ys.Min(), 0.1);
        // Without recorded state changes the band comes from the sampled states: all Disabled here, one run.
        Assert.Single(SvgPlot.StateRuns(run, run.SimulatedS));
    }

    [Fact]
    public void One_svg_per_scenario_with_a_series_each_with_its_channel_groups_markers_and_state_band()
    {
        var campaign = ReportSamples.Campaign();
        var html = Html(campaign);
        var svgs = SvgRegex().Matches(html).Select(m => m.Value).ToList();
        Assert.Equal(campaign.Scenarios.Count(s => s.Series != null), svgs.Count);
        Assert.Equal(4, svgs.Count);

        foreach (var svg in svgs)
        {
            // Each figure is well-formed XML on its own (so it can be cut out of the page), with both series drawn.
            var x = XElement.Parse(svg);
            XNamespace ns = "http://www.w3.org/2000/svg";
            var paths = x.Elements(ns + "path").ToList();
            Assert.Equal(2, paths.Count);
            Assert.All(paths, p => Assert.StartsWith("M", (string?)p.Attribute("d")));
            Assert.Contains("joint torque", svg);
            Assert.Contains("IMU", svg);
            Assert.Contains(">threshold<", svg);
        }

        // The collision plot marks its injection and its trip; the band shows Operational, Stopping and Stopped.
        Assert.Contains("1. collision_obstacle l_shank", svgs[0]);
        Assert.Contains("trip: collision (cat 1)", svgs[0]);
        Assert.Contains(SvgPlot.StateColour(Rt.Core.Tick.SafetyState.Stopping), svgs[0]);
        Assert.Contains(SvgPlot.StateColour(Rt.Core.Tick.SafetyState.Stopped), svgs[0]);
        Assert.Contains(">Operational<", svgs[0]);
        // The nominal plot has no trip.
        Assert.DoesNotContain("trip:", svgs[2]);
    }

    [Fact]
    public void Summary_table_and_per_scenario_details_carry_the_figures_with_units()
    {
        var html = Html(ReportSamples.Campaign());
        Assert.Contains("<span class=\"badge pass\">pass</span>", html);
        Assert.Contains("<span class=\"badge fail\">fail</span>", html);
        Assert.Contains("<span class=\"badge error\">error</span>", html);
        Assert.Contains("<span class=\"badge skip\">skipped</span>", html);
        Assert.Contains("4.00 ms", html);      // detection latency
        Assert.Contains("5.00 ms", html);      // stop-command latency
        Assert.Contains("12.3 mrad", html);    // stop distance
        Assert.Contains("l_knee external torque", html); // timeline channel and max-divergence table
        Assert.Contains("<details><summary>Randomised values (2)</summary>", html);
        Assert.Contains("l_thigh.mass_kg</code></td><td class=\"num\">2.13 kg", html);
        Assert.Contains("stop cat 1 by collision ≤ 10 ms", html);
    }

    [Fact]
    public void Sweep_section_appears_only_when_given()
    {
        var campaign = ReportSamples.Campaign();
        Assert.DoesNotContain("<h2>Sweep</h2>", Html(campaign));
        var html = Html(campaign, SweepStatistics.Summarise(campaign));
        Assert.Contains("<h2>Sweep</h2>", html);
        Assert.Contains("false trips per hour", html);
        Assert.Contains("sweep.false_trips_per_hour:", html);
    }

    [Fact]
    public void A_large_campaign_gets_sections_only_for_the_runs_that_did_not_pass()
    {
        var runs = new List<ScenarioResult>();
        for (int i = 0; i < HtmlReport.MaxSections + 10; i++) runs.Add(ReportSamples.Collision((ulong)i));
        runs.Insert(7, ReportSamples.LateEncoderFreeze());
        runs.Add(ReportSamples.Error());
        var html = Html(ReportSamples.Campaign() with { Scenarios = runs });
        Assert.Single(SvgRegex().Matches(html));               // the late encoder freeze; the error has no series
        Assert.Equal(2, Regex.Matches(html, "<section class=\"scenario\"").Count);
        Assert.Equal(2, Regex.Matches(html, "<a href=\"#sc-").Count); // only rows whose section exists are links
        Assert.Contains($"{runs.Count} runs: details and plots are shown for the 2 that did not pass", html);
        int start = html.IndexOf("<table class=\"results\">", StringComparison.Ordinal);
        var table = html[start..html.IndexOf("</table>", start, StringComparison.Ordinal)];
        Assert.Equal(runs.Count, Regex.Matches(table, "<tr><td>").Count); // every run is in the table
    }

    [GeneratedRegex("<svg.*?</svg>", RegexOptions.Singleline)]
    private static partial Regex SvgRegex();
}
