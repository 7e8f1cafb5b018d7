using Rt.Core.Errors;
using Rt.Hil.Campaign;
using Rt.TestSupport;
using Xunit.Abstractions;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The CI subset of the shipped campaign: every scenario in <c>hil/scenarios</c> tagged <c>ci</c>, one case per file
/// (so a failure names the scenario), run in lockstep on the bench exactly as <c>rt hil run hil/scenarios --tag ci</c>
/// would, and required to pass.
/// </summary>
public class CiScenarioSubsetTests(ITestOutputHelper output)
{
    private static string ScenarioDir => RepoPaths.Combine("hil", "scenarios");

    /// <summary>File names of the ci-tagged scenarios; a file that does not load is listed too, so its error shows up as a failing case.</summary>
    public static TheoryData<string> CiScenarios()
    {
        var data = new TheoryData<string>();
        if (!Directory.Exists(ScenarioDir))
        {
            data.Add("(hil/scenarios is missing)");
            return data;
        }
        foreach (var file in Directory.GetFiles(ScenarioDir, "*.yaml").Order(StringComparer.Ordinal))
        {
            bool include;
            try
            {
                include = ScenarioLoader.Load(file).Tags.Contains("ci");
            }
            catch (InputError)
            {
                include = true;
            }
            if (include) data.Add(Path.GetFileName(file));
        }
        if (data.Count == 0) data.Add("(no ci-tagged scenario)");
        return data;
    }

    [Theory]
    [MemberData(nameof(CiScenarios))]
    public void Ci_scenario_passes(string file)
    {
        Assert.False(file.StartsWith('('), $"{file}: the CI subset must hold every fault type once and a nominal run");
        var scenario = ScenarioLoader.Load(Path.Combine(ScenarioDir, file));
        var r = LockstepRun.Of(scenario, "rt-ci-scenario-");
        output.WriteLine($"{r.Name} (seed {r.Seed}): {r.Verdict}: {r.Reason}");
        output.WriteLine($"detection {r.DetectionLatencyMs} ms; stop command {r.StopCommandLatencyMs} ms; stop time {r.StopTimeMs} ms; " +
                         $"stop distance {r.StopDistanceRad} rad ({r.StopDistanceJoint}); warnings {r.Warnings}; events {r.SafetyEventsRaised} raised / {r.SafetyEventsLogged} logged; " +
                         $"{r.SimulatedS:0.0} s simulated in {r.WallS:0.0} s");
        if (scenario.RealtimeOnly)
        {
            Assert.Equal(Verdict.Skipped, r.Verdict); // the CI has no real-time mode; the scenario says so
            return;
        }
        Assert.True(r.Verdict == Verdict.Pass, $"{file}: {r.Verdict}: {r.Reason}");
        Assert.Equal(r.SafetyEventsRaised, r.SafetyEventsLogged);
    }
}
