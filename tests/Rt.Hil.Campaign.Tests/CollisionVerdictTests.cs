using Rt.Core.Tick;
using Rt.Hil.Campaign.Reports;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// Issue 13's collision numbers as a verdict (docs/HIL.md, "Collision reaction"): a collision_obstacle run that stopped in
/// time still fails on a Cat 0 (the trip's or an escalation), a joint beyond 0.15 rad, or a contact force that rose
/// after the stop command.
/// </summary>
public class CollisionVerdictTests
{
    private static RunFacts Facts(StopCategory category = StopCategory.Cat2, string? escalation = null, double distance = 0.02,
        string trend = "falling", double atStop = 400, double end = 300) => new()
    {
        Expect = new Expectation { Outcome = ExpectedOutcome.Stop, Triggers = ["collision", "twin_divergence"], WithinMs = 10 },
        PeriodMs = 1,
        SimulatedS = 5,
        FirstInjectionTick = 3000,
        TripTick = 3001,
        TripTrigger = "twin_divergence",
        TripCategory = category,
        StopSentTick = 3002,
        StopDeliveredTick = 3002,
        Raised = 3,
        Logged = 3,
        Collision = true,
        Cat0Escalation = escalation,
        StopDistanceRad = distance,
        StopDistanceJoint = "r_knee",
        Contact = new ContactForceFigures { FirstContactTick = 3000, ContactToStopMs = 2, AtStopN = atStop, PeakAfterStopN = 900, EndOfWindowN = end, PeakN = 900, Trend = trend },
    };

    [Fact]
    public void A_held_collision_with_a_falling_force_passes_and_its_reason_carries_the_numbers()
    {
        var (verdict, reason) = ScenarioVerdicts.Judge(Facts());
        Assert.Equal(Verdict.Pass, verdict);
        Assert.Contains("stop distance 20 mrad (r_knee)", reason);
        Assert.Contains("contact force 400 N at the command, peak 900 N, 300 N at 40–50 ms: falling", reason);
    }

    [Theory]
    [InlineData("cat0", "a collision stopped by Cat 0")]
    [InlineData("escalation", "escalated (stop_monitor (r_ankle_pitch) → Cat 0 at 3.077 s)")]
    [InlineData("distance", "stop distance 151 mrad (r_knee); ")]
    [InlineData("rising", "the force rose after the stop")]
    public void Each_collision_number_fails_the_run_on_its_own(string what, string expected)
    {
        var facts = what switch
        {
            "cat0" => Facts(category: StopCategory.Cat0),
            "escalation" => Facts(escalation: "stop_monitor (r_ankle_pitch) → Cat 0 at 3.077 s"),
            "distance" => Facts(distance: 0.151),
            _ => Facts(trend: "rising", end: 450),
        };
        var (verdict, reason) = ScenarioVerdicts.Judge(facts);
        Assert.Equal(Verdict.Fail, verdict);
        Assert.Contains(expected, reason);
    }

    [Fact]
    public void Other_injections_are_not_judged_on_the_collision_numbers()
    {
        var (verdict, reason) = ScenarioVerdicts.Judge(Facts(distance: 0.6, trend: "rising") with { Collision = false });
        Assert.Equal(Verdict.Pass, verdict);
        Assert.DoesNotContain("contact force", reason);
    }

    [Fact]
    public void The_summary_shows_the_force_trend_and_the_unpowered_travel()
    {
        Assert.Equal("400→300 N falling", ReportFormat.ContactTrend(new ContactForceFigures { AtStopN = 400, EndOfWindowN = 300, Trend = "falling" }));
        Assert.Equal(ReportFormat.None, ReportFormat.ContactTrend(null));
        Assert.Contains("stop command 2 ms after contact", ReportFormat.ContactDetail(new ContactForceFigures { ContactToStopMs = 2, Trend = "released" }));
    }
}
