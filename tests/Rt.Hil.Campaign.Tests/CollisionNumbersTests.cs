using Rt.Core.Tick;
using Rt.Hil.Campaign.Reports;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// Issue 13's collision numbers reported on EVERY collision run (docs/HIL.md, "Collision numbers on every collision
/// run"), whatever the scenario's expectation: a report line and a JSON field, never the verdict.
/// </summary>
public class CollisionNumbersTests
{
    // A twin trip 1 ms after an obstacle contact at tick 3000, held (Cat 2), 20 mrad, force falling: every number met.
    private static RunFacts Facts() => new()
    {
        Expect = new Expectation { Outcome = ExpectedOutcome.Stop, WithinMs = 10 },
        PeriodMs = 1,
        SimulatedS = 3.6,
        FirstInjectionTick = 3000,
        TripTick = 3001,
        TripTrigger = "twin_divergence",
        TripCategory = StopCategory.Cat2,
        StopSentTick = 3002,
        StopDeliveredTick = 3002,
        Raised = 3,
        Logged = 3,
        CollisionRun = true,
        StopDistanceRad = 0.02,
        StopDistanceJoint = "r_knee",
        Contact = new ContactForceFigures { FirstContactTick = 3000, ContactToStopMs = 2, AtStopN = 24, PeakAfterStopN = 40, EndOfWindowN = 10, PeakN = 40, Trend = "falling" },
    };

    [Fact]
    public void A_held_collision_meets_the_numbers()
    {
        var n = ScenarioVerdicts.CollisionNumbersOf(Facts());
        Assert.True(n.Met);
        Assert.Empty(n.Violations);
    }

    [Theory]
    [InlineData("cat1", "Cat 1 ramp, not the hold")]
    [InlineData("cat0", "Cat 0 at the trip")]
    [InlineData("escalation", "escalated to Cat 0 (stop_monitor (r_knee) → Cat 0 at 3.080 s)")]
    [InlineData("distance", "stop distance 477 mrad (r_hip_pitch)")]
    [InlineData("rising", "contact force rising 24→129 N")]
    [InlineData("late", "stop 12.0 ms after the contact")]
    [InlineData("none", "no stop")]
    [InlineData("early", "tripped before the collision")]
    public void Each_number_missed_is_named(string what, string expected)
    {
        var f = Facts();
        f = what switch
        {
            "cat1" => f with { TripCategory = StopCategory.Cat1 },
            "cat0" => f with { TripCategory = StopCategory.Cat0 },
            "escalation" => f with { Cat0Escalation = "stop_monitor (r_knee) → Cat 0 at 3.080 s" },
            "distance" => f with { StopDistanceRad = 0.4773, StopDistanceJoint = "r_hip_pitch" },
            "rising" => f with { Contact = f.Contact! with { EndOfWindowN = 129.3, Trend = "rising" } },
            "late" => f with { TripTick = 3011, StopSentTick = 3012, StopDeliveredTick = 3012 },
            "none" => f with { TripTick = null, StopSentTick = null, StopDeliveredTick = null, TripCategory = null },
            _ => f with { TripTick = 2990 },
        };
        var n = ScenarioVerdicts.CollisionNumbersOf(f);
        Assert.False(n.Met);
        Assert.Equal(expected, Assert.Single(n.Violations));
    }

    [Fact]
    public void The_stop_is_timed_from_the_contact_and_a_wrench_from_its_injection()
    {
        // The obstacle was armed at 3000 but touched at 3005: a stop sent at 3014 is 9 ms after the contact.
        var obstacle = Facts() with { TripTick = 3013, StopSentTick = 3014, Contact = Facts().Contact! with { FirstContactTick = 3005 } };
        Assert.True(ScenarioVerdicts.CollisionNumbersOf(obstacle).Met);
        // A wrench has no contact sensor: timed from the injection, 14 ms.
        var wrench = ScenarioVerdicts.CollisionNumbersOf(obstacle with { Contact = null });
        Assert.False(wrench.Met);
        Assert.Equal("stop 14.0 ms after the contact", Assert.Single(wrench.Violations));
    }

    [Fact]
    public void A_run_whose_verdict_ignores_the_collision_numbers_still_reports_them()
    {
        // Not tagged "reaction" (Collision = false): the verdict judges the detection only and passes, the report does not.
        var f = Facts() with { Collision = false, TripCategory = StopCategory.Cat1, StopDistanceRad = 0.4773, StopDistanceJoint = "r_hip_pitch" };
        Assert.Equal(Verdict.Pass, ScenarioVerdicts.Judge(f).Verdict);
        var n = ScenarioVerdicts.CollisionNumbersOf(f);
        Assert.False(n.Met);
        Assert.Equal(["Cat 1 ramp, not the hold", "stop distance 477 mrad (r_hip_pitch)"], n.Violations);
    }

    private static ScenarioResult Run(string name, ulong seed, params string[] violations) => ReportSamples.Collision(seed) with
    {
        Name = name,
        CollisionNumbers = new CollisionNumbers { Met = violations.Length == 0, Violations = violations },
    };

    [Fact]
    public void The_campaign_prints_one_line_with_every_violation_and_the_json_carries_it()
    {
        var result = ReportSamples.Campaign() with
        {
            Scenarios =
            [
                Run("iso-obstacle-left-foot", 1),
                Run("iso-wrench-right-thigh", 2, "Cat 1 ramp, not the hold", "stop distance 477 mrad (r_hip_pitch)"),
                Run("iso-obstacle-right-foot", 3, "contact force rising 24→129 N"),
                Run("iso-obstacle-right-foot", 4),
                ReportSamples.Nominal("nominal-hold", 5, 0),
                Run("skipped", 6, "no stop") with { Verdict = Verdict.Skipped },
            ],
        };
        Assert.Equal(4, result.CollisionRuns);
        Assert.Equal(2, result.CollisionRunsMet);
        Assert.Equal("collision numbers: 2 of 4 collision runs met; violations: iso-wrench-right-thigh (Cat 1 ramp, not the hold; stop distance 477 mrad (r_hip_pitch)), "
            + "iso-obstacle-right-foot seed 3 (contact force rising 24→129 N)", CampaignReports.CollisionLine(result));

        var text = new StringWriter();
        CampaignReports.PrintSummary(result, text, SweepStatistics.Summarise(result));
        Assert.Contains("collision numbers: 2 of 4 collision runs met; violations: ", text.ToString());
        Assert.Contains("sweep.collision_numbers.runs: 4 runs", text.ToString());
        Assert.Contains("sweep.collision_numbers.met: 2 runs", text.ToString());

        string json = JsonReport.Serialize(result);
        Assert.Contains("\"collisionRuns\": 4", json);
        Assert.Contains("\"collisionRunsMet\": 2", json);
        Assert.Contains("\"violations\": [", json);
        Assert.Contains("contact force rising 24→129 N", JsonReport.Serialize(result with { Scenarios = [result.Scenarios[2]] }).Replace("\\u2192", "→"));
    }

    [Fact]
    public void A_campaign_without_a_collision_run_prints_no_line()
    {
        var result = ReportSamples.Campaign() with { Scenarios = [ReportSamples.Nominal("nominal-hold", 5, 0)] };
        Assert.Null(CampaignReports.CollisionLine(result));
    }
}
