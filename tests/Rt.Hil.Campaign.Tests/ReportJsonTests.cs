using System.Text.Json;
using Rt.Hil.Campaign;
using Rt.Hil.Campaign.Reports;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>The JSON report round-trips the whole result (series included), camelCase with enums as names.</summary>
public class ReportJsonTests
{
    [Fact]
    public void Round_trips_verdicts_latencies_series_and_the_sweep()
    {
        var campaign = ReportSamples.Campaign();
        var sweep = SweepStatistics.Summarise(campaign);
        var dir = Directory.CreateTempSubdirectory("rt-json-");
        try
        {
            var path = Path.Combine(dir.FullName, "report.json");
            CampaignReports.WriteJson(campaign, path, sweep);
            var back = JsonReport.Read(path);

            Assert.Equal(CampaignReportDocument.CurrentSchema, back.Schema);
            Assert.Equal(campaign.StartedUtc, back.Campaign.StartedUtc);
            Assert.Equal(campaign.Scenarios.Select(s => s.Verdict), back.Campaign.Scenarios.Select(s => s.Verdict));
            Assert.Equal(campaign.Scenarios.Select(s => s.Name), back.Campaign.Scenarios.Select(s => s.Name));
            Assert.Equal(campaign.Scenarios.Select(s => s.DetectionLatencyMs), back.Campaign.Scenarios.Select(s => s.DetectionLatencyMs));
            Assert.Equal(campaign.Scenarios.Select(s => s.StopCommandLatencyMs), back.Campaign.Scenarios.Select(s => s.StopCommandLatencyMs));
            Assert.Equal(campaign.Scenarios.Select(s => s.Seed), back.Campaign.Scenarios.Select(s => s.Seed));

            var a = campaign.Scenarios[1];
            var b = back.Campaign.Scenarios[1];
            Assert.Equal(a.TripCategory, b.TripCategory);
            Assert.Equal(a.Injections, b.Injections);
            Assert.Equal(a.Timeline, b.Timeline);
            Assert.Equal(a.Expect!.WithinMs, b.Expect!.WithinMs);
            Assert.Equal(a.Series!.TimeS, b.Series!.TimeS);
            Assert.Equal(a.Series.States, b.Series.States);
            Assert.Equal(a.Series.Ratios["IMU"], b.Series.Ratios["IMU"]); // includes a NaN sample
            Assert.Contains(b.Series.Ratios["IMU"], double.IsNaN);
            Assert.Equal(campaign.Scenarios[0].Drawn, back.Campaign.Scenarios[0].Drawn);

            Assert.NotNull(back.Sweep);
            Assert.Equal(sweep.Nominal, back.Sweep!.Nominal);
            Assert.Equal(sweep.Faults.Select(f => f.DetectionLatency), back.Sweep.Faults.Select(f => f.DetectionLatency));

            var text = File.ReadAllText(path);
            Assert.Contains("\"detectionLatencyMs\": 4", text);
            Assert.Contains("\"verdict\": \"Pass\"", text);
            Assert.Contains("\"kind\": \"CollisionObstacle\"", text);
            Assert.Contains("\"joint torque\"", text); // series names kept as they are
            Assert.Contains("\n  ", text);            // indented
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Without_a_sweep_the_field_is_absent()
    {
        var text = JsonReport.Serialize(ReportSamples.Campaign());
        using var doc = JsonDocument.Parse(text, new JsonDocumentOptions());
        Assert.False(doc.RootElement.TryGetProperty("sweep", out _));
        Assert.Equal(6, doc.RootElement.GetProperty("campaign").GetProperty("scenarios").GetArrayLength());
        Assert.Equal(2, doc.RootElement.GetProperty("campaign").GetProperty("passed").GetInt32());
    }

    [Fact]
    public void A_file_that_is_not_a_report_is_named_in_the_error()
    {
        var dir = Directory.CreateTempSubdirectory("rt-json-");
        try
        {
            var path = Path.Combine(dir.FullName, "bad.json");
            File.WriteAllText(path, "{\n  \"campaign\": {\n    \"host\": 3\n  }\n}\n");
            var e = Assert.Throws<Rt.Core.Errors.InputError>(() => JsonReport.Read(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("line 3", e.Message);
        }
        finally { dir.Delete(true); }
    }
}
