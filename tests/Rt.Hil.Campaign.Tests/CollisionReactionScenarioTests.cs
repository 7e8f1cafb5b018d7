using Rt.Hil.Campaign.Scenarios;
using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// Issue 13's collision reaction, end to end in lockstep (a second or two each): the shipped scenarios, unchanged,
/// stop compliantly — no Cat 0, every joint within 0.15 rad, and the contact force falling after the stop, not rising.
/// </summary>
public class CollisionReactionScenarioTests(ITestOutputHelper output)
{
    [Theory]
    // Held with the drives' integrators against the shin, the force rose 104 → 141 N before the hold yielded to the push.
    [InlineData("collision-obstacle-left-shin-sine.yaml")]
    // The box used to be placed ~1 cm inside the foot plate: 3.3 kN at the command, 685 mrad, Cat 0.
    [InlineData("collision-obstacle-right-foot.yaml")]
    public void The_collision_stops_compliantly_and_the_contact_force_falls(string file)
    {
        var scenario = ScenarioLoader.Load(RepoPaths.Combine("hil", "scenarios", file));
        var r = LockstepRun.Of(scenario, "rt-reaction-");
        output.WriteLine($"{r.Name} (seed {r.Seed}): {r.Verdict}: {r.Reason}");
        Assert.True(r.Verdict == Verdict.Pass, $"{file}: {r.Verdict}: {r.Reason}");
        Assert.Null(r.Cat0Escalation);
        Assert.NotNull(r.StopDistanceRad);
        Assert.True(r.StopDistanceRad <= 0.15, $"stop distance {r.StopDistanceRad} rad ({r.StopDistanceJoint})");
        var c = Assert.IsType<ContactForceFigures>(r.Contact);
        Assert.True(c.Trend is "released" or "falling", $"contact force {c.AtStopN:F0} N at the command → {c.EndOfWindowN:F0} N: {c.Trend}");
        Assert.True(c.EndOfWindowN <= c.AtStopN, $"contact force {c.AtStopN:F0} → {c.EndOfWindowN:F0} N");
        // A first touch, not a box buried in the link (the shins' order, ≈ 100–450 N).
        Assert.True(c.AtStopN < 1000, $"contact force at the command {c.AtStopN:F0} N");
    }
}
