using System.Xml.Linq;
using Rt.Hil.Campaign;
using Rt.Hil.Campaign.Reports;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>The JUnit file as a CI system reads it: counts, one testcase per scenario, failure messages, escaping.</summary>
public class ReportJunitTests
{
    private static XDocument WriteAndParse(CampaignResult result)
    {
        var dir = Directory.CreateTempSubdirectory("rt-junit-");
        try
        {
            var path = Path.Combine(dir.FullName, "sub", "results.xml");
            CampaignReports.WriteJunit(result, path);
            return XDocument.Load(path);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Counts_match_the_verdicts_at_both_levels()
    {
        var doc = WriteAndParse(ReportSamples.Campaign());
        foreach (var el in new[] { doc.Root!, doc.Root!.Element("testsuite")! })
        {
            Assert.Equal("6", (string?)el.Attribute("tests"));
            Assert.Equal("2", (string?)el.Attribute("failures"));
            Assert.Equal("1", (string?)el.Attribute("errors"));
            Assert.Equal("1", (string?)el.Attribute("skipped"));
            Assert.Equal("402.500", (string?)el.Attribute("time"));
            Assert.Equal("2026-11-22T03:00:00", (string?)el.Attribute("timestamp"));
        }
        Assert.Equal("testsuites", doc.Root!.Name.LocalName);
        Assert.Equal(6, doc.Descendants("testcase").Count());
    }

    [Fact]
    public void Each_scenario_is_a_testcase_with_its_file_stem_as_class_and_its_outcome()
    {
        var doc = WriteAndParse(ReportSamples.Campaign());
        var cases = doc.Descendants("testcase").ToList();

        var collision = cases[0];
        Assert.Equal("hil.collision-obstacle", (string?)collision.Attribute("classname"));
        Assert.Equal("collision obstacle l_shank", (string?)collision.Attribute("name"));
        Assert.Equal("1.250", (string?)collision.Attribute("time"));
        Assert.Null(collision.Element("failure"));
        Assert.Null(collision.Element("error"));
        Assert.Null(collision.Element("skipped"));
        Assert.Contains("detection latency: 4.00 ms", collision.Element("system-out")!.Value);
        Assert.Contains("stop command latency: 5.00 ms", collision.Element("system-out")!.Value);
        Assert.Equal("11", SeedOf(collision));

        var late = cases[1];
        var failure = late.Element("failure");
        Assert.NotNull(failure);
        Assert.Equal(ReportSamples.HostileReason, (string?)failure!.Attribute("message")); // escaped on write, intact on read
        Assert.Equal(ReportSamples.HostileName, (string?)late.Attribute("name"));
        Assert.Contains("detection latency: 9.00 ms", failure.Value);
        Assert.Contains("expected: stop ≤ 5 ms", failure.Value);

        Assert.NotNull(cases[3].Element("failure"));
        Assert.Equal("1 unexpected trip(s)", (string?)cases[3].Element("failure")!.Attribute("message"));
        Assert.Equal("real-time only (cpu_hog); this run is lockstep", (string?)cases[4].Element("skipped")!.Attribute("message"));

        // The control character in the error's reason cannot be in XML 1.0; it is replaced, the file still parses.
        Assert.Equal("bench: libmujoco.so not found\uFFFD", (string?)cases[5].Element("error")!.Attribute("message"));
    }

    [Fact]
    public void Suite_properties_name_the_mode_and_host()
    {
        var doc = WriteAndParse(ReportSamples.Campaign());
        var props = doc.Root!.Element("testsuite")!.Element("properties")!.Elements("property")
            .ToDictionary(p => (string)p.Attribute("name")!, p => (string)p.Attribute("value")!);
        Assert.Equal("lockstep", props["mode"]);
        Assert.Equal("bench-host", props["host"]);
        Assert.Equal("bench-host", (string?)doc.Root!.Element("testsuite")!.Attribute("hostname"));
    }

    private static string? SeedOf(XElement testcase) =>
        (string?)testcase.Element("properties")!.Elements("property").Single(p => (string?)p.Attribute("name") == "seed").Attribute("value");
}
