using Rt.Core.Config;
using Rt.Hil.Plant;
using Rt.TestSupport;
using Rt.Perf;
using Rt.Twin.Dynamics;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>
/// <c>rt bench twin</c>'s runner end to end (few samples: this checks the plumbing and the zero-allocation claim; the
/// timing figures come from running it in Release, see docs/TWIN.md).
/// </summary>
public class DigitalTwinBenchTests(ITestOutputHelper output)
{
    [Fact]
    public void Bench_prints_its_figures_and_the_step_allocates_nothing()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        var model = RigidBodyModel.FromDescription(config.Description!);
        using var plant = MujocoPlant.Load(config.Description!, new PlantOptions { JointOrder = model.JointNames });
        int n = model.DegreesOfFreedom;
        double[] q = new double[n], qd = new double[n], qdd = new double[n], tau = new double[n];
        DynamicsTestRobots.RandomState(new Random(3), q, qd, qdd);
        var text = new StringWriter();
        var result = TwinPerf.Run(config, text, () => plant.InverseDynamics(q, qd, qdd, tau), samples: 200);
        output.WriteLine(text.ToString());
        Assert.Equal(0, result.StepAllocatedBytes);
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in new[] { "twin.step.median", "twin.step.alloc", "rnea.median", "mujoco.rne.median", "rnea.ratio_to_mujoco" })
            Assert.Contains(lines, l => l.StartsWith(name + ": ", StringComparison.Ordinal));
        Assert.True(result.RneaRatioToMujoco > 0);
    }
}
