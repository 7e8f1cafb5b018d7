using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

public sealed class ConfigValidationTests
{
    private static InputError Refused(Action<RtConfig> change)
    {
        var c = Rig.MakeConfig();
        change(c);
        return Assert.Throws<InputError>(() => SafetyConfigValidator.Validate(c));
    }

    [Fact]
    public void Defaults_give_every_trigger_a_reaction()
    {
        var p = SafetyConfigValidator.Validate(Rig.MakeConfig());
        Assert.Equal(SafetyTriggers.Count, p.Triggers.Count);
        for (int t = 0; t < SafetyTriggers.Count; t++)
        {
            Assert.NotEqual(StopCategory.None, p.Triggers[t].Reaction);
            Assert.True(p.Triggers[t].DiscrepancyTicks >= 1);
        }
        Assert.Equal(StopCategory.Warning, p[SafetyTrigger.TelemetryLoss].Reaction);
        Assert.Equal(StopCategory.Cat0, p[SafetyTrigger.EStop].Reaction);
        Assert.Equal(StopCategory.Cat2, p[SafetyTrigger.Collision].Reaction);
        Assert.Equal(4, p[SafetyTrigger.BusFrameLoss].DiscrepancyTicks); // bus.frame_loss_budget (3) + 1: the 4th lost frame trips
    }

    [Fact]
    public void Trigger_listed_without_a_reaction_is_refused()
    {
        var e = Refused(c => c.Safety.Triggers["collision"] = new TriggerConfig { DiscrepancyTicks = 2 });
        Assert.Equal("safety.triggers.collision.reaction", e.Location);
        Assert.Contains("without a reaction", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_reaction_and_unknown_trigger_are_refused()
    {
        var e = Refused(c => c.Safety.Triggers["collision"] = new TriggerConfig { Reaction = "cat3" });
        Assert.Contains("unknown reaction 'cat3'", e.Message, StringComparison.Ordinal);
        e = Refused(c => c.Safety.Triggers["colision"] = new TriggerConfig { Reaction = "cat1" });
        Assert.Equal("safety.triggers.colision", e.Location);
        Assert.Contains("collision", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Telemetry_loss_cannot_stop_motion_and_estop_must_be_cat0_or_cat1()
    {
        var e = Refused(c => c.Safety.Triggers["telemetry_loss"] = new TriggerConfig { Reaction = "cat1" });
        Assert.Contains("never a motion trigger", e.Problem, StringComparison.Ordinal);
        e = Refused(c => c.Safety.Triggers["estop"] = new TriggerConfig { Reaction = "cat2" });
        Assert.Contains("category 0 or 1", e.Problem, StringComparison.Ordinal);
        e = Refused(c => c.Safety.Triggers["estop"] = new TriggerConfig { Reaction = "warn" });
        Assert.Equal("safety.triggers.estop.reaction", e.Location);
    }

    [Fact]
    public void Discrepancy_below_one_is_refused()
    {
        var e = Refused(c => c.Safety.Triggers["torque_limit"] = new TriggerConfig { Reaction = "cat1", DiscrepancyTicks = 0 });
        Assert.Equal("safety.triggers.torque_limit.discrepancy_ticks", e.Location);
    }

    [Fact]
    public void Ramp_that_cannot_stop_in_time_is_refused_naming_the_joint_and_numbers()
    {
        var e = Refused(c => { c.Joints[1].Limits.VelocityRadS = 12; c.Safety.StopDecelerationRadS2 = 20; c.Safety.StopTimeS = 0.5; });
        Assert.Equal("joints[1] (knee).limits.velocity_rad_s", e.Location);
        Assert.Contains("12 rad/s at 20 rad/s² takes 0.6 s", e.Problem, StringComparison.Ordinal);
        Assert.Contains("0.5 s", e.Problem, StringComparison.Ordinal);
        Assert.StartsWith("/test/rt.yaml: joints[1]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_positive_deceleration_or_window_is_refused()
    {
        Assert.Equal("safety.stop_deceleration_rad_s2", Refused(c => c.Safety.StopDecelerationRadS2 = 0).Location);
        Assert.Equal("safety.standstill_window_rad", Refused(c => c.Safety.StandstillWindowRad = -1).Location);
        Assert.Equal("safety.stop_time_s", Refused(c => c.Safety.StopTimeS = double.NaN).Location);
    }

    [Fact]
    public void Supervisor_refuses_a_bad_config_at_construction()
    {
        Assert.Throws<InputError>(() => new Rig(c => c.Safety.Triggers["estop"] = new TriggerConfig { Reaction = "" }));
    }
}
