using Rt.Core.Config;
using Rt.Core.Tick;
using Rt.Hil.Campaign.Scenarios;
using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The frame-loss grid (issue 13 item 3), the fast share: single moments of <c>hil/scenarios/frame-loss-march-3.yaml</c>
/// (written before tuning, kept unchanged), each run on its own with the shipped twin on, cut shortly after the loss.
/// Within <c>bus.frame_loss_budget</c> nothing may trip — neither the bus trigger nor the twin, which must predict what
/// the drives did while the frames were lost; budget + 1 is a Cat 0 <c>bus_frame_loss</c> decided in the tick of the
/// (budget + 1)-th lost frame. The whole grid (every moment, n = 1 … budget + 1, march and sine, both robots) is
/// <c>tools/frame-loss-grid.sh</c>.
/// </summary>
public sealed class FrameLossGridTests(ITestOutputHelper output)
{
    private static string MarchFile => RepoPaths.Combine("hil", "scenarios", "frame-loss-march-3.yaml");

    private static int Budget => ConfigLoader.Load(RepoPaths.Biped12Config).Bus.FrameLossBudget;

    /// <summary>Moment <paramref name="index"/> (0-based) of the file alone, with <paramref name="frames"/> lost.</summary>
    private static Scenario Moment(int index, int frames, Expectation expect)
    {
        var s = ScenarioLoader.Load(MarchFile);
        var inj = s.Injections[index] with { Frames = frames };
        return s with { Name = $"{s.Name}-m{index + 1}-n{frames}", Injections = [inj], DurationS = inj.AtS + 0.25, Expect = expect };
    }

    private ScenarioResult Run(Scenario s)
    {
        var r = LockstepRun.Of(s, "rt-frame-loss-grid-");
        output.WriteLine($"{r.Name} (seed {r.Seed}): {r.Verdict}: {r.Reason}; worst ratio " +
                         (r.MaxDivergence.Count > 0 ? $"{r.MaxDivergence[0].MaxRatio:0.00} ({r.MaxDivergence[0].Channel})" : "–") +
                         $"; {r.SimulatedS:0.0} s simulated in {r.WallS:0.0} s");
        return r;
    }

    [Theory]
    [InlineData(0)] // left foot rising fastest
    [InlineData(2)] // left foot falling fastest
    public void Losing_the_whole_budget_of_frames_in_the_march_trips_nothing(int moment)
    {
        var r = Run(Moment(moment, Budget, new Expectation { Outcome = ExpectedOutcome.NoTrip }));
        Assert.True(r.Verdict == Verdict.Pass, r.Reason);
        Assert.Null(r.TripTick);
        Assert.Equal(0, r.Warnings);
    }

    [Fact]
    public void One_frame_over_the_budget_is_a_cat0_bus_frame_loss_in_the_tick_of_that_frame()
    {
        int budget = Budget;
        var s = Moment(0, budget + 1, new Expectation
        {
            Outcome = ExpectedOutcome.Stop, Category = StopCategory.Cat0, Triggers = ["bus_frame_loss"], WithinMs = budget + 1,
        });
        var r = Run(s);
        Assert.True(r.Verdict == Verdict.Pass, r.Reason);
        Assert.Equal("bus_frame_loss", r.TripTrigger);
        var inj = Assert.Single(r.Injections);
        // Frames of ticks inj.Tick … inj.Tick + budget are lost; the last of them is the (budget + 1)-th: decided there.
        Assert.Equal(inj.Tick + budget, r.TripTick);
        Assert.Equal(budget + 1.0, r.StopCommandLatencyMs!.Value, 9);
    }
}
