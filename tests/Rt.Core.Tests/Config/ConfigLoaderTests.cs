using System.Text.RegularExpressions;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.TestSupport;

namespace Rt.Core.Tests.Config;

/// <summary>
/// Each rule of the config loader and validator: one edit to the biped12 config breaks one rule, and the message must
/// name the file, the line and the full key path of the offending key.
/// </summary>
public sealed class ConfigLoaderTests
{
    // The sample config with its safety trigger overrides taken out, so the edits below have a fixed place to land
    // whatever overrides the shipped file carries.
    private static readonly string Biped12 = System.Text.RegularExpressions.Regex.Replace(
        File.ReadAllText(RepoPaths.Biped12Config), @"(?m)^  triggers:[^\n]*\n(?:    [^\n]*\n)*", "  triggers: {}\n");

    private static InputError Reject(string yaml)
    {
        var error = Assert.Throws<InputError>(() => ConfigLoader.Parse(yaml, RepoPaths.Biped12Config));
        Assert.Equal(RepoPaths.Biped12Config, error.Source_);
        return error;
    }

    /// <summary>Replaces the first <paramref name="oldText"/> at or after <paramref name="anchor"/> and expects rejection
    /// at the line where the edit landed, under <paramref name="key"/>.</summary>
    private static InputError RejectEdit(string oldText, string newText, string key, string problem, string anchor = "", int lineOffset = 0)
    {
        int from = Biped12.IndexOf(anchor, StringComparison.Ordinal);
        Assert.True(from >= 0, $"anchor '{anchor}' not in biped12.yaml");
        int at = Biped12.IndexOf(oldText, from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{oldText}' not in biped12.yaml after '{anchor}'");
        string yaml = string.Concat(Biped12.AsSpan(0, at), newText, Biped12.AsSpan(at + oldText.Length));
        int line = Biped12.AsSpan(0, at).Count('\n') + 1 + LeadingNewlines(newText) + lineOffset;
        var error = Reject(yaml);
        Assert.Matches(new Regex($@"line {line}:\d+, key {Regex.Escape(key)}"), error.Message);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        return error;
    }

    private static int LeadingNewlines(string text) => text.Length - text.TrimStart('\n').Length;

    private static string JointLine(string joint) => $"- name: {joint}\n";

    [Fact]
    public void A_minimal_config_takes_the_documented_defaults()
    {
        const string yaml = """
            robot: { name: biped12, description: biped12.urdf }
            joints:
              - name: l_knee
                drive: 0
                gear_ratio: 100
                encoder_counts_per_rev: 131072
                rated_torque_nm: 0.5
                limits: { position_min_rad: 0, position_max_rad: 2, velocity_rad_s: 5, acceleration_rad_s2: 50, torque_nm: 100 }
            """;
        var config = ConfigLoader.Parse(yaml, RepoPaths.Biped12Config);
        Assert.Equal(1000, config.Loop.RateHz);
        Assert.Equal(3, config.Loop.OverrunFaultAfter);
        Assert.Equal(1, config.Joints[0].Direction);
        Assert.Equal(0.1, config.Joints[0].Limits.FollowingErrorRad);
        Assert.Equal(BusKind.InProcess, config.Bus.Kind);
        Assert.Equal("mqtt://127.0.0.1:1883", config.Telemetry.Broker);
        Assert.Equal(1000, config.Twin.FalseAlarmEveryHours);
        Assert.Equal(config.Resolve("biped12.urdf"), RepoPaths.Biped12Urdf);
    }

    [Fact]
    public void Enums_hex_integers_and_trigger_maps_bind()
    {
        string yaml = Biped12
            .Replace("kind: ethercat", "kind: ether_cat", StringComparison.Ordinal)
            .Replace("slaves: []", "slaves: [{ position: 0, vendor: 0x0000_0a5e, product: 0x1234, revision: 7 }]", StringComparison.Ordinal)
            .Replace("triggers: {}", "triggers:\n    twin_divergence: { reaction: cat1, discrepancy_ticks: 3, threshold: 0.5 }", StringComparison.Ordinal);
        var config = ConfigLoader.Parse(yaml, RepoPaths.Biped12Config);
        Assert.Equal(BusKind.EtherCat, config.Bus.Kind);
        Assert.Equal(0xa5eu, config.Bus.Slaves[0].Vendor);
        Assert.Equal(0x1234u, config.Bus.Slaves[0].Product);
        var trigger = config.Safety.Triggers["twin_divergence"];
        Assert.Equal("cat1", trigger.Reaction);
        Assert.Equal(3, trigger.DiscrepancyTicks);
        Assert.Equal(0.5, trigger.Threshold);
    }

    // ---- syntax, unknown keys and types: the first one stops the load ----

    [Fact]
    public void Malformed_yaml_names_the_line()
    {
        var e = Reject(Biped12.Replace("  overrun_fault_after: 3", "  overrun_fault_after: 3\n   bad indent: [", StringComparison.Ordinal));
        Assert.Contains("malformed YAML", e.Message, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"line (11|12)"), e.Message);
    }

    [Fact]
    public void An_unclosed_flow_list_is_malformed_yaml_not_a_crash()
    {
        var e = Reject(Biped12.Replace("  rate_hz: 1000", "  rate_hz: [1000", StringComparison.Ordinal));
        Assert.Contains("malformed YAML", e.Message, StringComparison.Ordinal);
        Assert.Contains("unclosed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_key_is_rejected() =>
        Assert.Contains("Duplicate key rate_hz", Reject(Biped12.Replace("  rate_hz: 1000\n", "  rate_hz: 1000\n  rate_hz: 500\n", StringComparison.Ordinal)).Message, StringComparison.Ordinal);

    [Fact]
    public void An_empty_file_is_rejected() =>
        Assert.Contains("the configuration is empty", Reject("# nothing here\n").Message, StringComparison.Ordinal);

    [Fact]
    public void An_unknown_top_level_key_is_rejected() =>
        RejectEdit("loop:\n", "colour: red\nloop:\n", "colour", "unknown key 'colour'; expected one of: bench, brakes, bus, homing, i2c_imus, imus, jog, joints, loop");

    [Fact]
    public void An_unknown_nested_key_is_rejected_with_its_full_path() =>
        RejectEdit("  spin_tail_us: 0", "  spin_tail: 0", "loop.spin_tail", "expected one of: cpu, no_gc_region_mb, overrun_fault_after");

    [Fact]
    public void An_unknown_key_inside_a_list_item_is_rejected_with_its_index() =>
        RejectEdit("    drive: 3", "    drives: 3", "joints[3].drives", "unknown key 'drives'", JointLine("l_knee"));

    [Fact]
    public void An_unknown_key_in_a_flow_mapping_is_rejected() =>
        RejectEdit("torque_nm: 140", "torque: 140", "joints[3].limits.torque", "unknown key 'torque'", JointLine("l_knee"));

    [Fact]
    public void A_word_where_a_number_belongs_is_rejected() =>
        RejectEdit("  rate_hz: 1000", "  rate_hz: fast", "loop.rate_hz", "expected a number, got 'fast'");

    [Fact]
    public void A_list_where_a_number_belongs_is_rejected() =>
        RejectEdit("  priority: 80", "  priority: [80]", "loop.priority", "found a list; expected a whole number");

    [Fact]
    public void A_fraction_where_a_whole_number_belongs_is_rejected() =>
        RejectEdit("    drive: 3", "    drive: 3.5", "joints[3].drive", "expected a whole number, got '3.5'", JointLine("l_knee"));

    [Fact]
    public void A_bad_boolean_is_rejected() =>
        RejectEdit("  enabled: false", "  enabled: maybe", "telemetry.enabled", "expected true or false", "telemetry:");

    [Fact]
    public void An_unknown_enum_value_is_rejected_listing_the_choices() =>
        RejectEdit("kind: march", "kind: run", "motion.kind", "expected one of hold, sine, march, got 'run'");

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    public void NaN_and_infinity_are_rejected(string value) =>
        RejectEdit("  rate_hz: 1000", $"  rate_hz: {value}", "loop.rate_hz", "NaN and infinity are not allowed");

    [Fact]
    public void NaN_inside_a_list_names_the_element() =>
        RejectEdit("    xyz: [0.0, 0.0, 0.05]", "    xyz: [0.0, 0.0, NaN]", "imus[0].xyz[2]", "not allowed");

    [Fact]
    public void A_number_too_large_for_its_field_is_rejected() =>
        RejectEdit("    drive: 3", "    drive: 99999999999", "joints[3].drive", "expected a whole number in [-2147483648, 2147483647]", JointLine("l_knee"));

    // ---- validation rules: collected and reported together ----

    [Theory]
    [InlineData("0", "expected a rate in (0, 10000] Hz")]
    [InlineData("-5", "expected a rate in (0, 10000] Hz")]
    [InlineData("20000", "expected a rate in (0, 10000] Hz")]
    public void The_loop_rate_must_be_in_range(string rate, string problem) =>
        RejectEdit("  rate_hz: 1000", $"  rate_hz: {rate}", "loop.rate_hz", problem);

    [Fact]
    public void Overrun_fault_after_must_be_at_least_one() =>
        RejectEdit("  overrun_fault_after: 3", "  overrun_fault_after: 0", "loop.overrun_fault_after", "expected at least 1");

    [Fact]
    public void The_priority_must_be_0_to_99() =>
        RejectEdit("  priority: 80", "  priority: 120", "loop.priority", "SCHED_FIFO priority 1..99");

    [Fact]
    public void The_spin_tail_must_be_shorter_than_a_period() =>
        RejectEdit("  spin_tail_us: 0", "  spin_tail_us: 1500", "loop.spin_tail_us", "expected less than one period");

    [Fact]
    public void Plant_substeps_must_be_at_least_one() =>
        RejectEdit("  plant_substeps: 2", "  plant_substeps: 0", "loop.plant_substeps", "at least 1 substep");

    [Fact]
    public void An_empty_joint_list_is_rejected()
    {
        string yaml = Regex.Replace(Biped12, @"\njoints:\n(.|\n)*?\nimus:", "\njoints: []\nimus:");
        var e = Reject(yaml.Replace("device: 12", "device: 0", StringComparison.Ordinal));
        Assert.Contains("key joints: is empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_joint_not_in_the_urdf_is_rejected() =>
        RejectEdit("- name: l_knee", "- name: l_kneee", "joints[3].name", "'l_kneee' is not a joint of robot 'biped12'");

    [Fact]
    public void A_joint_configured_twice_is_rejected() =>
        RejectEdit("- name: r_knee", "- name: l_knee", "joints[9].name", "'l_knee' is already configured at joints[3]");

    [Fact]
    public void A_drive_used_twice_is_rejected() =>
        RejectEdit("    drive: 9", "    drive: 3", "joints[9].drive", "drive 3 is already used by joints[3]");

    [Fact]
    public void A_negative_drive_is_rejected() =>
        RejectEdit("    drive: 9", "    drive: -1", "joints[9].drive", "expected the drive's bus position");

    [Fact]
    public void A_zero_gear_ratio_is_a_named_error() =>
        RejectEdit("    gear_ratio: 100", "    gear_ratio: 0", "joints[3].gear_ratio", "is zero; expected the motor turns per joint turn", JointLine("l_knee"));

    [Fact]
    public void A_negative_gear_ratio_points_at_direction() =>
        RejectEdit("    gear_ratio: 100", "    gear_ratio: -100", "joints[3].gear_ratio", "direction: -1", JointLine("l_knee"));

    [Fact]
    public void Direction_must_be_plus_or_minus_one() =>
        RejectEdit("    direction: 1", "    direction: 2", "joints[0].direction", "expected 1 or -1");

    [Fact]
    public void Encoder_counts_must_be_positive() =>
        RejectEdit("    encoder_counts_per_rev: 131072", "    encoder_counts_per_rev: 0", "joints[0].encoder_counts_per_rev", "expected positive counts");

    [Fact]
    public void The_unused_torque_constant_is_an_unknown_key_not_silently_ignored() =>
        RejectEdit("    rated_torque_nm: 0.25", "    torque_constant_nm_per_a: 0.1\n    rated_torque_nm: 0.25", "joints[0].torque_constant_nm_per_a", "unknown key 'torque_constant_nm_per_a'");

    [Fact]
    public void The_rated_torque_must_be_positive() =>
        RejectEdit("    rated_torque_nm: 0.25", "    rated_torque_nm: -0.25", "joints[0].rated_torque_nm", "positive rated torque");

    [Fact]
    public void A_position_limit_outside_the_urdf_is_rejected() =>
        RejectEdit("position_max_rad: 2.3", "position_max_rad: 2.5", "joints[3].limits.position_max_rad", "above the URDF upper limit 2.4");

    [Fact]
    public void A_position_minimum_below_the_urdf_is_rejected() =>
        RejectEdit("position_min_rad: -0.05", "position_min_rad: -0.2", "joints[3].limits.position_min_rad", "below the URDF lower limit -0.1");

    [Fact]
    public void Position_min_must_be_below_max() =>
        RejectEdit("position_min_rad: -0.5", "position_min_rad: 0.5", "joints[0].limits.position_min_rad", "expected min < max");

    [Fact]
    public void A_zero_velocity_limit_is_rejected() =>
        RejectEdit("velocity_rad_s: 6", "velocity_rad_s: 0", "joints[0].limits.velocity_rad_s", "positive speed limit");

    [Fact]
    public void A_velocity_limit_above_the_urdf_is_rejected() =>
        RejectEdit("velocity_rad_s: 6", "velocity_rad_s: 9", "joints[0].limits.velocity_rad_s", "exceeds the URDF velocity limit 8");

    [Fact]
    public void A_zero_acceleration_limit_is_rejected() =>
        RejectEdit("acceleration_rad_s2: 40", "acceleration_rad_s2: 0", "joints[0].limits.acceleration_rad_s2", "positive acceleration limit");

    [Fact]
    public void A_torque_limit_above_the_urdf_effort_is_rejected() =>
        RejectEdit("torque_nm: 140", "torque_nm: 200", "joints[3].limits.torque_nm", "exceeds the URDF effort limit 150");

    [Fact]
    public void A_zero_following_error_is_rejected() =>
        RejectEdit("following_error_rad: 0.1", "following_error_rad: 0", "joints[0].limits.following_error_rad", "positive following-error window");

    [Fact]
    public void An_imu_on_an_unknown_link_is_rejected() =>
        RejectEdit("    link: l_foot", "    link: l_toe", "imus[1].link", "'l_toe' is not a link of robot 'biped12'");

    [Fact]
    public void Imu_names_must_be_unique() =>
        RejectEdit("  - name: r_foot_imu", "  - name: l_foot_imu", "imus[2].name", "already used by imus[1]");

    [Fact]
    public void Imu_devices_must_be_unique() =>
        RejectEdit("    device: 14", "    device: 13", "imus[2].device", "device 13 is already used by imus[1]");

    [Fact]
    public void An_imu_on_a_drive_position_is_rejected() =>
        RejectEdit("    device: 12", "    device: 5", "imus[0].device", "device 5 is joints[5]'s drive");

    [Fact]
    public void An_imu_position_needs_three_numbers() =>
        RejectEdit("    xyz: [0.0, 0.0, 0.05]", "    xyz: [0.0, 0.05]", "imus[0].xyz", "has 2 numbers; expected [x, y, z]");

    [Fact]
    public void An_imu_orientation_needs_three_numbers() =>
        RejectEdit("    rpy: [0.0, 0.0, 0.0]", "    rpy: [0.0, 0.0, 0.0, 1.0]", "imus[0].rpy", "has 4 numbers");

    [Fact]
    public void An_imu_range_must_be_positive() =>
        RejectEdit("    gyro_range_rad_s: 35", "    gyro_range_rad_s: 0", "imus[0].gyro_range_rad_s", "positive range");

    [Fact]
    public void The_step_period_must_be_positive() =>
        RejectEdit("  step_period_s: 1.2", "  step_period_s: 0", "motion.step_period_s", "positive step period");

    [Fact]
    public void A_sweep_must_not_end_below_its_start() =>
        RejectEdit("  frequency_end_hz: 2.0", "  frequency_end_hz: 0.1", "motion.frequency_end_hz", "below frequency_hz 0.5");

    [Fact]
    public void The_frame_loss_budget_must_be_at_least_one() =>
        RejectEdit("  frame_loss_budget: 3", "  frame_loss_budget: 0", "bus.frame_loss_budget", "expected at least 1 frame");

    [Fact]
    public void Slave_positions_must_be_unique() =>
        RejectEdit("  slaves: []", "  slaves: [{ position: 1 }, { position: 1 }]", "bus.slaves[1].position", "already listed at bus.slaves[0]");

    [Fact]
    public void The_false_alarm_interval_must_be_positive() =>
        RejectEdit("  false_alarm_every_hours: 1000", "  false_alarm_every_hours: 0", "twin.false_alarm_every_hours", "positive number of hours");

    [Fact]
    public void A_trigger_reaction_must_be_a_stop_category() =>
        RejectEdit("  triggers: {}", "  triggers:\n    twin_divergence: { reaction: stop }", "safety.triggers.twin_divergence.reaction", "is 'stop'; expected one of cat0, cat1, cat2, warn", lineOffset: 1);

    [Fact]
    public void A_trigger_needs_at_least_one_discrepancy_tick() =>
        RejectEdit("  triggers: {}", "  triggers:\n    bus_lost: { reaction: cat0, discrepancy_ticks: 0 }", "safety.triggers.bus_lost.discrepancy_ticks", "at least 1 tick", lineOffset: 1);

    [Fact]
    public void The_stop_time_must_be_positive() =>
        RejectEdit("  stop_time_s: 0.5", "  stop_time_s: 0", "safety.stop_time_s", "positive time");

    [Theory]
    [InlineData("http://127.0.0.1:1883", "is not an MQTT broker address")]
    [InlineData("mqtt://127.0.0.1", "has no port")]
    [InlineData("mqtt://[::1]", "has no port")]
    [InlineData("127.0.0.1:1883", "is not an MQTT broker address")]
    [InlineData("mqtt://:1883", "is not an MQTT broker address")]
    public void The_broker_must_be_an_mqtt_uri_with_a_port(string broker, string problem) =>
        RejectEdit("mqtt://127.0.0.1:1883", broker, "telemetry.broker", problem);

    [Theory]
    [InlineData("mqtts://broker.example:8883")]
    [InlineData("mqtt://[::1]:1883")]
    [InlineData("mqtt://localhost:11883")]
    public void Mqtt_and_mqtts_brokers_with_ports_are_accepted(string broker) =>
        Assert.Equal(broker, ConfigLoader.Parse(Biped12.Replace("mqtt://127.0.0.1:1883", broker, StringComparison.Ordinal), RepoPaths.Biped12Config).Telemetry.Broker);

    [Fact]
    public void A_telemetry_batch_must_hold_a_record() =>
        RejectEdit("  batch_size: 50", "  batch_size: 0", "telemetry.batch_size", "at least 1 record");

    [Fact]
    public void A_missing_urdf_is_reported_at_robot_description() =>
        RejectEdit("description: biped12.urdf", "description: nowhere.urdf", "robot.description", "nowhere.urdf: cannot read the robot description");

    [Fact]
    public void A_broken_urdf_is_reported_with_its_own_file_and_line()
    {
        string dir = Directory.CreateTempSubdirectory("rt-core-config-").FullName;
        try
        {
            string urdf = File.ReadAllText(RepoPaths.Biped12Urdf).Replace("effort=\"150\"", "effort=\"lots\"", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "biped12.urdf"), urdf);
            string configPath = Path.Combine(dir, "biped12.yaml");
            File.WriteAllText(configPath, Biped12);
            var e = Assert.Throws<InputError>(() => ConfigLoader.Load(configPath));
            Assert.Contains("key robot.description: cannot use the robot description", e.Message, StringComparison.Ordinal);
            Assert.Contains(Path.Combine(dir, "biped12.urdf") + ": line ", e.Message, StringComparison.Ordinal);
            Assert.Contains("<limit> in joint 'l_knee', attribute 'effort'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_fixed_urdf_joint_cannot_have_a_drive()
    {
        string dir = Directory.CreateTempSubdirectory("rt-core-config-").FullName;
        try
        {
            string urdf = File.ReadAllText(RepoPaths.Biped12Urdf)
                .Replace("<joint name=\"l_ankle_roll\" type=\"revolute\">", "<joint name=\"l_ankle_roll\" type=\"fixed\">", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "biped12.urdf"), urdf);
            string configPath = Path.Combine(dir, "biped12.yaml");
            File.WriteAllText(configPath, Biped12);
            var e = Assert.Throws<InputError>(() => ConfigLoader.Load(configPath));
            int line = Biped12.AsSpan(0, Biped12.IndexOf("- name: l_ankle_roll", StringComparison.Ordinal)).Count('\n') + 1;
            Assert.Matches(new Regex($@"line {line}:\d+, key joints\[5\]\.name: 'l_ankle_roll' is a fixed joint in the URDF"), e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Every_broken_rule_is_reported_together_in_line_order()
    {
        string yaml = Biped12
            .Replace("loop:\n  rate_hz: 1000", "loop:\n  rate_hz: 0", StringComparison.Ordinal)
            .Replace("  frame_loss_budget: 3", "  frame_loss_budget: 0", StringComparison.Ordinal)
            .Replace("- name: l_knee", "- name: l_kneee", StringComparison.Ordinal);
        var e = Reject(yaml);
        // The renamed knee also leaves its brake (brakes[3], at the end of the file) naming no joint.
        Assert.Contains("4 problems in the configuration:", e.Message, StringComparison.Ordinal);
        var lines = e.Message.Split('\n').Skip(1).Select(l => l.Trim()).ToArray();
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("line 10:3, key loop.rate_hz:", lines[0], StringComparison.Ordinal);
        Assert.Contains("key joints[3].name:", lines[1], StringComparison.Ordinal);
        Assert.Contains("key bus.frame_loss_budget:", lines[2], StringComparison.Ordinal);
        Assert.Contains("key brakes[3].joint: 'l_knee' is not a configured joint", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_config_file_is_an_input_error_naming_it()
    {
        var e = Assert.Throws<InputError>(() => ConfigLoader.Load("/nonexistent/rt.yaml"));
        Assert.Equal("/nonexistent/rt.yaml", e.Source_);
        Assert.Contains("cannot read the configuration", e.Message, StringComparison.Ordinal);
    }
}
