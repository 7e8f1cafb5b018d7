using Rt.Core.Config;
using Rt.Hil.Campaign.Scenarios;
using Rt.Hil.Esc.Devices;
using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The second sample robot, arm6 (hil/robots/arm6): its config validates against its URDF, the bench builds a plant
/// with the base welded to the world and the arm's own drives, a short nominal sweep passes and an obstacle on the
/// forearm stops it. Short scenarios: a few seconds of wall time each.
/// </summary>
public class Arm6Tests(ITestOutputHelper output)
{
    private static string Dir => RepoPaths.Combine("hil", "robots", "arm6");
    private static string ConfigPath => Path.Combine(Dir, "arm6.yaml");

    [Fact]
    public void Config_validates_with_the_arm_bus_cst_joints_and_the_calibrated_twin()
    {
        var config = ConfigLoader.Load(ConfigPath);
        Assert.Equal(["shoulder_pan", "shoulder_lift", "elbow", "wrist_1", "wrist_2", "wrist_3"], config.Joints.Select(j => j.Name));
        Assert.Equal([JointMode.Cst, JointMode.Csp, JointMode.Cst, JointMode.Csp, JointMode.Csp, JointMode.Csp], config.Joints.Select(j => j.Mode));
        Assert.Equal("wrist_3_link", Assert.Single(config.Imus).Link);
        Assert.Equal(7, config.Bus.Slaves.Count);
        Assert.All(config.Bus.Slaves.Take(6), s => Assert.Equal(0x00000ABCu, s.Vendor));
        Assert.True(File.Exists(config.Resolve(config.Twin.Parameters)), "arm6.twin.yaml is shipped");
        Assert.True(Directory.Exists(config.Resolve(Assert.Single(config.Bus.Esi))));
        Assert.NotNull(config.Description);
        Assert.Equal("table", config.Description!.RootLink);
    }

    [Fact]
    public void Plant_loads_with_the_table_welded_to_the_world_and_the_arm_drives_on_the_bus()
    {
        var config = ConfigLoader.Load(ConfigPath);
        using var bench = Bench.Create(config);
        var plant = bench.Plant;
        Assert.Equal(config.Joints.Select(j => j.Name), plant.JointNames);
        Assert.Equal(0, plant.ImuIndexOf("wrist_imu"));
        Assert.DoesNotContain("freejoint", plant.Mjcf, StringComparison.Ordinal);
        Assert.DoesNotContain("type=\"free\"", plant.Mjcf, StringComparison.Ordinal);
        Assert.True(plant.RootHeightM > 0.8, $"the table's top is {plant.RootHeightM} m above the floor"); // 0.8 m table + clearance
        // Unpowered, the arm sinks under gravity about its shoulder; the welded base does not move.
        for (int k = 0; k < 200; k++) Assert.True(plant.Step(1));
        Assert.True(Math.Abs(plant.JointPosition(1)) > 1e-4, "gravity acts on the shoulder lift");
        var bridge = new Esc.Segment.BenchBridge(bench, config);
        // Built from hil/robots/arm6/esi: AXM-150 at 0, AXM-30 (no 0x6077) at 5.
        Assert.Equal(0x00001501u, bridge.Segment.Slaves[0].Identity.ProductCode);
        Assert.Contains("ArmatureMotion-AXM.xml", bridge.Segment.Slaves[0].Description.Source, StringComparison.Ordinal);
        Assert.Equal(0x00000301u, bridge.Segment.Slaves[5].Identity.ProductCode);
        Assert.False(Assert.IsType<ServoDriveDevice>(bridge.Segment.Slaves[5]).HasTorqueActual);
        Assert.IsType<ImuDevice>(bridge.Segment.Slaves[6]);
    }

    [Theory]
    [InlineData("nominal-sine-short.yaml", 4.0)]
    [InlineData("collision-obstacle-forearm.yaml", 0)]
    public void Scenario_passes(string file, double durationS)
    {
        var scenario = ScenarioLoader.Load(Path.Combine(Dir, "scenarios", file));
        if (durationS > 0) scenario = scenario with { DurationS = durationS };
        var r = LockstepRun.Of(scenario, "rt-arm6-");
        output.WriteLine($"{r.Name} (seed {r.Seed}): {r.Verdict}: {r.Reason}; detection {r.DetectionLatencyMs} ms, stop command {r.StopCommandLatencyMs} ms");
        Assert.True(r.Verdict == Verdict.Pass, $"{file}: {r.Verdict}: {r.Reason}");
        Assert.Equal(r.SafetyEventsRaised, r.SafetyEventsLogged);
        if (scenario.Expect.Outcome == ExpectedOutcome.Stop) Assert.NotNull(r.TripTick);
    }
}
