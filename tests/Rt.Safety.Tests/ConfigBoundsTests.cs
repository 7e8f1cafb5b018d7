using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

/// <summary>Safety cannot be switched off from YAML on a robot, and every safety number has a bound.</summary>
public sealed class ConfigBoundsTests
{
    private static InputError Refused(Action<RtConfig> change, bool onBench = false)
    {
        var c = Rig.MakeConfig();
        change(c);
        return Assert.Throws<InputError>(() => SafetyConfigValidator.Validate(c, onBench));
    }

    private static SafetyPolicy Accepted(Action<RtConfig> change, bool onBench = false)
    {
        var c = Rig.MakeConfig();
        change(c);
        return SafetyConfigValidator.Validate(c, onBench);
    }

    [Theory]
    [InlineData("position_limit", "warn")]
    [InlineData("collision", "warn")]
    [InlineData("twin_divergence", "cat2")]
    [InlineData("bus_link_down", "cat1")]
    [InlineData("drive_fault", "warn")]
    public void A_stop_trigger_weakened_below_its_stop_class_is_refused_on_a_robot_and_allowed_on_the_bench(string trigger, string reaction)
    {
        var e = Refused(c => c.Safety.Triggers[trigger] = new TriggerConfig { Reaction = reaction });
        Assert.Equal($"safety.triggers.{trigger}.reaction", e.Location);
        Assert.Contains("bench only", e.Problem, StringComparison.Ordinal);
        Assert.StartsWith("/test/rt.yaml: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);

        var p = Accepted(c => c.Safety.Triggers[trigger] = new TriggerConfig { Reaction = reaction }, onBench: true);
        Assert.Equal(SafetyConfigValidator.ParseReaction(reaction), p[Enum.Parse<SafetyTrigger>(PascalCase(trigger))].Reaction);
        Assert.True(p.OnBench);
    }

    [Fact]
    public void A_stronger_reaction_than_the_default_is_fine_on_a_robot()
    {
        var p = Accepted(c => c.Safety.Triggers["collision"] = new TriggerConfig { Reaction = "cat0" });
        Assert.Equal(StopCategory.Cat0, p[SafetyTrigger.Collision].Reaction);
        Assert.Equal(StopCategory.Warning, Accepted(c => c.Safety.Triggers["telemetry_loss"] = new TriggerConfig { Reaction = "warn" })[SafetyTrigger.TelemetryLoss].Reaction);
    }

    [Fact]
    public void The_estop_cannot_be_a_warning_even_on_the_bench()
    {
        Assert.Equal("safety.triggers.estop.reaction", Refused(c => c.Safety.Triggers["estop"] = new TriggerConfig { Reaction = "warn" }, onBench: true).Location);
    }

    [Fact]
    public void A_huge_discrepancy_is_refused_with_file_key_value_and_range_on_one_line()
    {
        var e = Refused(c => c.Safety.Triggers["position_limit"] = new TriggerConfig { Reaction = "cat1", DiscrepancyTicks = 100_000_000 });
        Assert.Equal("/test/rt.yaml: safety.triggers.position_limit.discrepancy_ticks: must be at least 1 (the tick the condition is seen) " +
                     "and at most 200 (0.2 s at 1000 Hz); got 100000000", e.Message);
        Assert.Equal(200, Accepted(c => c.Safety.Triggers["position_limit"] = new TriggerConfig { Reaction = "cat1", DiscrepancyTicks = 200 })[SafetyTrigger.PositionLimit].DiscrepancyTicks);
    }

    [Theory]
    [InlineData("torque_limit", 1e300)]
    [InlineData("velocity_limit", 2.5)]
    [InlineData("position_limit", 0.5)]
    [InlineData("following_error", 6)]
    [InlineData("collision", 51)]   // above the largest joint torque limit (50 N·m)
    [InlineData("imu_fault", 101)]  // more than 0.1 s of stale ticks at 1 kHz
    [InlineData("twin_divergence", 0.5)] // no threshold: the twin decides
    [InlineData("bus_frame_loss", 3)]
    [InlineData("torque_limit", double.NaN)]
    [InlineData("torque_limit", double.PositiveInfinity)]
    public void A_threshold_outside_its_bound_is_refused_naming_key_value_and_range(string trigger, double threshold)
    {
        var e = Refused(c => c.Safety.Triggers[trigger] = new TriggerConfig { Reaction = "cat0", Threshold = threshold });
        Assert.Equal($"safety.triggers.{trigger}.threshold", e.Location);
        Assert.Contains("got " + threshold.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("torque_limit", 3)]
    [InlineData("velocity_limit", 1.2)]
    [InlineData("position_limit", 0.05)]
    [InlineData("collision", 20)]
    [InlineData("imu_fault", 2)]
    public void A_threshold_inside_its_bound_is_kept(string trigger, double threshold)
    {
        var p = Accepted(c => c.Safety.Triggers[trigger] = new TriggerConfig { Reaction = "cat0", Threshold = threshold });
        Assert.Equal(threshold, p[Enum.Parse<SafetyTrigger>(PascalCase(trigger))].Threshold);
    }

    public static TheoryData<string, Action<RtConfig>> OutOfBounds => new()
    {
        { "safety.stop_deceleration_rad_s2", c => c.Safety.StopDecelerationRadS2 = 1e6 },
        { "safety.stop_deceleration_rad_s2", c => c.Safety.StopDecelerationRadS2 = double.PositiveInfinity },
        { "safety.stop_deceleration_rad_s2", c => c.Safety.StopDecelerationRadS2 = double.NaN },
        { "safety.stop_time_s", c => c.Safety.StopTimeS = 60 },
        { "safety.stop_time_s", c => c.Safety.StopTimeS = double.NegativeInfinity },
        { "safety.standstill_window_rad", c => c.Safety.StandstillWindowRad = 3 },
        { "safety.standstill_window_rad", c => c.Safety.StandstillWindowRad = double.NaN },
        { "safety.flight_recorder_s", c => c.Safety.FlightRecorderS = 1e9 },
        { "safety.reset_socket_receive_timeout_s", c => c.Safety.ResetSocketReceiveTimeoutS = 0 },
        { "safety.reset_socket_receive_timeout_s", c => c.Safety.ResetSocketReceiveTimeoutS = 3600 },
        { "safety.reset_socket_mode", c => c.Safety.ResetSocketMode = "0666" },
        { "safety.expected_digest", c => c.Safety.ExpectedDigest = "abc123" },
    };

    [Theory]
    [MemberData(nameof(OutOfBounds))]
    public void Every_safety_number_has_a_bound(string key, Action<RtConfig> change)
    {
        var e = Refused(change);
        Assert.Equal(key, e.Location);
        Assert.Contains("got ", e.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void The_range_is_named_in_the_message()
    {
        var e = Refused(c => c.Safety.StopDecelerationRadS2 = 1e6);
        Assert.Equal("must be between 0.1 and 1000 rad/s²; got 1000000", e.Problem);
    }

    [Fact]
    public void The_shipped_robot_config_passes_the_robot_rules()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Rt.sln"))) dir = Path.GetDirectoryName(dir);
        Assert.NotNull(dir);
        var config = ConfigLoader.Load(Path.Combine(dir, "hil", "robots", "biped12", "biped12.yaml"));
        var p = SafetyConfigValidator.Validate(config);
        Assert.False(p.OnBench);
        Assert.Equal(64, p.Digest.Length);
    }

    private static string PascalCase(string snake) =>
        string.Concat(snake.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..])).Replace("Estop", "EStop", StringComparison.Ordinal);
}
