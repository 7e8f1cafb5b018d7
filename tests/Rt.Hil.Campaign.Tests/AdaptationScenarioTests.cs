using Rt.Core.Errors;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;
using Rt.Host.Tests;
using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The adapting twin on the MuJoCo bench (issue 16, item 4): a payload added slowly (ramp_s) is learnt, not tripped on,
/// with adaptation on, and trips without it; the scenario keys that say so (twin_adapt, ramp_s, expect.payload_kg).
/// </summary>
public sealed class AdaptationScenarioTests(ITestOutputHelper output)
{
    private static string Scenarios => RepoPaths.Combine("hil", "scenarios");

    [Fact]
    public void A_payload_ramp_adds_the_mass_linearly_in_steps_and_the_end_takes_it_off()
    {
        using var b = new LockstepBench();
        var inj = new Injection { Kind = InjectionKind.Payload, AtS = 1.5, Target = "l_foot", MassKg = 2.0, RampS = 0.5, DurationS = 1.0, Line = 6 };
        using var f = new FaultInjector(b.Session, RandomisationTests.ScenarioWith(1, Randomisation.None, [inj]));
        double m0 = b.Bench.Plant.GetLinkMass("l_foot");
        void RunTo(long tick)
        {
            while (b.NextTick < tick)
            {
                f.ApplyDue(b.NextTick);
                b.Step();
            }
        }
        RunTo(1501);
        Assert.Equal(m0, b.Bench.Plant.GetLinkMass("l_foot"), 12); // the ramp starts from nothing
        RunTo(1751);
        Assert.Equal(m0 + 1.0, b.Bench.Plant.GetLinkMass("l_foot"), 9); // halfway: half the mass
        RunTo(1756);
        Assert.Equal(m0 + 1.0, b.Bench.Plant.GetLinkMass("l_foot"), 9); // steps of 10 ms, not every tick
        RunTo(2001);
        Assert.Equal(m0 + 2.0, b.Bench.Plant.GetLinkMass("l_foot"), 9);
        RunTo(2501);
        Assert.Equal(m0, b.Bench.Plant.GetLinkMass("l_foot"), 12);
    }

    [Fact]
    public void The_scenario_keys_are_checked_with_file_key_and_reason()
    {
        var s = ScenarioLoader.Load(Path.Combine(Scenarios, "payload-slow-left-foot-adapt.yaml"));
        Assert.True(s.TwinAdapt);
        Assert.Equal(2.0, s.Expect.PayloadKg);
        Assert.Equal(10, Assert.Single(s.Injections).RampS);

        string text = File.ReadAllText(Path.Combine(Scenarios, "payload-slow-left-foot-adapt.yaml"));
        string path = Path.Combine(Scenarios, "x.yaml");
        var e = Assert.Throws<InputError>(() => ScenarioLoader.Parse(text.Replace("twin_adapt: true", "twin_adapt: false"), path));
        Assert.Contains("payload_kg", e.Message);
        Assert.Contains("twin_adapt: true", e.Message);
        e = Assert.Throws<InputError>(() => ScenarioLoader.Parse(text.Replace("ramp_s: 10", "ramp_s: -1"), path));
        Assert.Contains("ramp_s", e.Message);
        e = Assert.Throws<InputError>(() => ScenarioLoader.Parse(text.Replace("kind: payload, target: l_foot, mass_kg: 2.0, ramp_s: 10", "kind: torque_loss, target: l_knee, scale: 0.5, ramp_s: 10"), path));
        Assert.Contains("ramp_s is not a parameter of torque_loss", e.Message);
    }

    /// <summary>The 2 kg ramp with and without adaptation: a few seconds of wall time each (15 s simulated).</summary>
    [Fact]
    public void A_slow_2_kg_payload_is_learnt_with_adaptation_and_trips_without()
    {
        var stateRoot = Directory.CreateTempSubdirectory("rt-adapt-").FullName;
        try
        {
            var on = ScenarioRunner.Run(ScenarioLoader.Load(Path.Combine(Scenarios, "payload-slow-left-foot-adapt.yaml")), new CampaignOptions { Jobs = 1, StateRoot = stateRoot });
            output.WriteLine($"{on.Name}: {on.Verdict}: {on.Reason}; estimates {string.Join(", ", on.AdaptedPayloadKg?.Select(kv => $"{kv.Key} {kv.Value:0.000} kg") ?? [])}; {on.AdaptationChanges} changes logged; {on.AdaptationFrozen}");
            Assert.True(on.Verdict == Verdict.Pass, $"{on.Verdict}: {on.Reason}");
            Assert.Null(on.TripTick);
            Assert.InRange(on.AdaptedPayloadKg!["l_foot"], 1.8, 2.2);
            Assert.InRange(on.AdaptationChanges, 10, 1000); // every 0.1 kg on the way up is logged
            Assert.Equal(0, on.AdaptationBlocked);

            var off = ScenarioRunner.Run(ScenarioLoader.Load(Path.Combine(Scenarios, "payload-slow-left-foot.yaml")), new CampaignOptions { Jobs = 1, StateRoot = stateRoot });
            output.WriteLine($"{off.Name}: {off.Verdict}: {off.Reason}; trip at tick {off.TripTick} by {off.TripTrigger}");
            Assert.True(off.Verdict == Verdict.Pass, $"{off.Verdict}: {off.Reason}");
            Assert.NotNull(off.TripTick);
            Assert.Null(off.AdaptedPayloadKg);
        }
        finally
        {
            try { Directory.Delete(stateRoot, recursive: true); }
            catch (IOException) { } // best effort
        }
    }
}
