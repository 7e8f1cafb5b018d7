using Rt.Hil.Campaign.Scenarios;
using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The collision hold's brake under power (docs/SAFETY.md, "Brake under power"), end to end in lockstep on two wrenches of
/// the random set rf6, copied unchanged but for the robot path. rf35058: a push on the right ankle link beyond the hip
/// roll's 80 N·m; before session 15 the hold ran through its travel allowance at the full limit, `stop_monitor` cut
/// power and the brake alone slipped (346 mrad); now the hip roll's brake closes with the drive on and the leg is held.
/// rf35013: a foot push the hip pitch's drive holds (64 of 110 N·m) after braking its yield's momentum at the limit for
/// ~15 ms; a brake closed on that transient slipped under the yield and the hold never came to rest (`stop_monitor`);
/// the hold's deceleration test leaves it alone.
/// </summary>
public class HoldBrakeScenarioTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("rf35058-collision-wrench.yaml", "r_hip_roll")]
    [InlineData("rf35013-collision-wrench.yaml", null)]
    public void A_push_beyond_the_drive_is_held_by_drive_and_brake_with_power_on_and_one_the_drive_holds_gets_no_brake(string file, string? braked)
    {
        var scenario = ScenarioLoader.Load(RepoPaths.Combine("tests", "Rt.Hil.Campaign.Tests", "Scenarios", file));
        var r = LockstepRun.Of(scenario, "rt-holdbrake-");
        output.WriteLine($"{r.Name}: {r.Verdict}: {r.Reason}; stop distance {r.StopDistanceRad} rad ({r.StopDistanceJoint}); Cat 0: {r.Cat0Escalation ?? "none"}");
        foreach (var e in r.Timeline) output.WriteLine($"  {e.TimeS:F3} s {e.From} → {e.To} {e.Trigger} {e.Channel}");
        Assert.Equal(Verdict.Pass, r.Verdict);
        Assert.Null(r.Cat0Escalation);
        Assert.True(r.StopDistanceRad <= 0.15, $"stop distance {r.StopDistanceRad} rad ({r.StopDistanceJoint})");
        var closed = r.Timeline.Where(e => e.Trigger == "hold_brake_closed").Select(e => e.Channel).ToList();
        if (braked is null) Assert.Empty(closed);
        else Assert.Equal([braked], closed);
        Assert.Equal("Holding", r.Timeline[^1].To.ToString()); // with power, at rest
    }
}
