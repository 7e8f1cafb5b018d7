using Rt.Hil.Campaign.Scenarios;
using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The isolator's evidence window places a contact along the leg (issue 13, docs/TWIN.md "Session 14"), end to end in
/// lockstep on obstacles of the random sets, copied unchanged but for the robot path. Two shin obstacles of rf5: the trip
/// tick names the wrong link of the right leg (the foot; the ankle link) and the window's fit explains less than its
/// threshold over both legs; the refined cause is the window's link, the shin (before session 14 the trip tick's link
/// stayed). A foot obstacle of rf4 whose force the window cannot tell from one on the shin: the trip tick's foot fits the
/// window as well, so it stays.
/// </summary>
public class IsolationWindowScenarioTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("rf34042-collision-obstacle.yaml", "l_foot", "l_shin")]
    [InlineData("rf34121-collision-obstacle.yaml", "l_ankle_link", "l_shin")]
    [InlineData("rf33021-collision-obstacle.yaml", "r_foot", "r_foot")]
    public void The_window_names_its_link_on_the_trip_ticks_leg_unless_the_trip_ticks_fits_as_well(string file, string tripLink, string refinedLink)
    {
        var scenario = ScenarioLoader.Load(RepoPaths.Combine("tests", "Rt.Hil.Campaign.Tests", "Scenarios", file));
        var r = LockstepRun.Of(scenario, "rt-window-");
        output.WriteLine($"{r.Name}: {r.Verdict}: {r.Reason}; trip tick {r.TripIsolatedClass} {r.TripIsolatedLocation}, refined {r.IsolatedClass} {r.IsolatedLocation}");
        Assert.Equal(Verdict.Pass, r.Verdict);
        Assert.Equal("collision", r.TripIsolatedClass);
        Assert.Equal(tripLink, r.TripIsolatedLocation);
        Assert.Equal("collision", r.IsolatedClass);
        Assert.Equal(refinedLink, r.IsolatedLocation);
        Assert.Equal(true, r.LocationRight);
    }
}
