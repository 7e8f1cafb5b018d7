using Rt.Hil.Campaign.Reports;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>The console summary: a plain fixed-width table when written to anything but a terminal.</summary>
public class ReportSummaryTests
{
    [Fact]
    public void Prints_an_aligned_plain_table_and_the_totals()
    {
        var campaign = ReportSamples.Campaign();
        var w = new StringWriter();
        CampaignReports.PrintSummary(campaign, w, SweepStatistics.Summarise(campaign));
        var text = w.ToString();
        Assert.DoesNotContain("\u001b", text);

        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.StartsWith("scenario", lines[0]);
        int verdictCol = lines[0].IndexOf("verdict", StringComparison.Ordinal);
        int reasonCol = lines[0].IndexOf("reason", StringComparison.Ordinal);
        string[] verdicts = ["PASS", "FAIL", "PASS", "FAIL", "SKIP", "ERROR"];
        for (int i = 0; i < verdicts.Length; i++)
        {
            var row = lines[2 + i];
            Assert.Equal(verdicts[i], row.Substring(verdictCol, verdicts[i].Length));
            var reason = new string(campaign.Scenarios[i].Reason.Select(c => char.IsControl(c) ? '?' : c).ToArray());
            Assert.Equal(reason, row[reasonCol..]);
        }
        Assert.Contains("4.00 ms", lines[2]);
        Assert.EndsWith("libmujoco.so not found?", lines[7]); // the control character in the reason is not passed to the terminal
        Assert.Contains("2 passed, 3 failed, 1 skipped of 6", text);
        Assert.Contains("sweep.false_trips_per_hour: 1 1/h", text);
    }
}
