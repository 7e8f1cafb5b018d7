using Rt.Hil.Campaign.Reports;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The obstacle's touched set (links with ≥ 10 % of the largest link's peak force) and the second isolation figure,
/// "named a link the obstacle touched" (issue 13), next to the strict location score, which stays as it was.
/// </summary>
public class TouchedLinkScoreTests
{
    private static readonly LinkContact Thigh = new("r_thigh", 1883, 3000), Shin = new("r_shin", 188.3, 3004), Foot = new("r_foot", 188.2, 3010);

    [Fact]
    public void The_touched_set_keeps_links_at_ten_percent_of_the_largest_peak_or_more_largest_first()
    {
        var touched = IsolationScore.TouchedLinks([Foot, Shin, Thigh]);
        Assert.Equal(["r_thigh", "r_shin"], touched.Select(l => l.Link)); // 188.3 ≥ 188.3; 188.2 < 188.3: a graze
        Assert.Empty(IsolationScore.TouchedLinks([]));
        Assert.Empty(IsolationScore.TouchedLinks([new LinkContact("r_foot", 0, null)])); // no force: nothing touched
    }

    [Fact]
    public void A_wrong_location_counts_as_a_touched_link_only_for_an_obstacle_run_with_the_class_right_and_the_link_in_the_set()
    {
        IReadOnlyList<LinkContact> touched = IsolationScore.TouchedLinks([Thigh, Shin, Foot]);
        var obstacle = InjectionKind.CollisionObstacle;
        Assert.True(IsolationScore.NamedTouchedLink(true, true, obstacle, "r_thigh", touched));     // strict right stays right
        Assert.True(IsolationScore.NamedTouchedLink(false, true, InjectionKind.EncoderFreeze, "x", null)); // strict right needs no obstacle
        Assert.True(IsolationScore.NamedTouchedLink(true, false, obstacle, "r_shin", touched));     // touched, not the target
        Assert.False(IsolationScore.NamedTouchedLink(false, false, obstacle, "r_shin", touched));   // class wrong
        Assert.False(IsolationScore.NamedTouchedLink(true, false, obstacle, "r_foot", touched));    // a graze is not a touch
        Assert.False(IsolationScore.NamedTouchedLink(true, false, obstacle, "l_thigh", touched));   // never touched
        Assert.False(IsolationScore.NamedTouchedLink(true, false, InjectionKind.CollisionWrench, "r_shin", touched)); // a wrench has no box
        Assert.False(IsolationScore.NamedTouchedLink(true, false, obstacle, "r_shin", null));       // no contact record
        Assert.Null(IsolationScore.NamedTouchedLink(null, null, obstacle, "r_shin", touched));      // not scored
    }

    [Fact]
    public void The_summary_adds_the_touched_total_to_the_isolation_line_and_the_touched_set_to_a_wrong_obstacle_runs_reason_cell()
    {
        var touch = new ObstacleTouch { FromTick = 3000, ToTick = 3021, Links = [Thigh, Shin, Foot], Touched = [Thigh, Shin], FirstTouched = "r_thigh" };
        var named = ReportSamples.Collision() with
        {
            Name = "iso-obstacle-right-thigh", IsolatedClass = "collision", IsolatedLocation = "r_shin", TruthClass = "collision", TruthLocation = "r_thigh",
            ClassRight = true, LocationRight = false, TouchedLinkRight = true, Touch = touch,
        };
        var right = ReportSamples.Collision(seed: 12) with
        {
            IsolatedClass = "collision", IsolatedLocation = "l_shank", TruthClass = "collision", TruthLocation = "l_shank",
            ClassRight = true, LocationRight = true, TouchedLinkRight = true, Touch = touch with { FirstTouched = "l_shank" },
        };
        var campaign = new CampaignResult { StartedUtc = ReportSamples.Started, Host = "test", Mode = "lockstep", Scenarios = [named, right] };

        Assert.Equal("isolation: class right 2/2 (100 %), location right 1/2 (50 %); named a touched link 2/2 (100 %)", CampaignReports.IsolationLine(campaign));
        Assert.Equal("; obstacle touched r_thigh 1883 N, r_shin 188 N (first r_thigh)", CampaignReports.TouchNote(named));
        Assert.Equal("", CampaignReports.TouchNote(right)); // strict right: no note
        var w = new StringWriter();
        CampaignReports.PrintSummary(campaign, w);
        string row = w.ToString().Split('\n').Single(l => l.StartsWith("iso-obstacle-right-thigh", StringComparison.Ordinal));
        Assert.Contains("collision r_shin ✗ touched", row);
        Assert.EndsWith(named.Reason + "; obstacle touched r_thigh 1883 N, r_shin 188 N (first r_thigh)", row.TrimEnd('\r'));

        // The JSON carries the touch record and reads back.
        string json = JsonReport.Serialize(campaign);
        Assert.Contains("\"touchedLinkRight\": 2", json);
        var back = System.Text.Json.JsonSerializer.Deserialize<CampaignReportDocument>(json, JsonReport.Options)!.Campaign.Scenarios[0];
        Assert.Equal("r_thigh", back.Touch!.FirstTouched);
        Assert.Equal(["r_thigh", "r_shin"], back.Touch.Touched.Select(l => l.Link));
        Assert.Equal(3004, back.Touch.Touched[1].FirstTick);
        Assert.True(back.TouchedLinkRight);

        // Without an obstacle run the line is the old one, unchanged.
        var plain = campaign with { Scenarios = [named with { Touch = null, TouchedLinkRight = false }] };
        Assert.Equal("isolation: class right 1/1 (100 %), location right 0/1 (0 %)", CampaignReports.IsolationLine(plain));
    }
}
