using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Errors;
using Rt.Twin.Parameters;

namespace Rt.Twin.Tests;

public sealed class ParametersFileTests
{
    private const string Source = "/etc/rt/twin-params.yaml";

    private static RtConfig Config()
    {
        var config = new RtConfig { SourcePath = "/etc/rt/rt.yaml" };
        foreach (var name in new[] { "l_hip_pitch", "l_knee" }) config.Joints.Add(new JointDriveConfig { Name = name });
        config.Imus.Add(new ImuConfig { Name = "pelvis_imu" });
        return config;
    }

    private static TwinParameters Sample()
    {
        var p = new TwinParameters { Robot = "biped_test" };
        p.Joints.Add(new JointParameters { Name = "l_hip_pitch" });
        p.Joints.Add(new JointParameters
        {
            Name = "l_knee",
            Servo = new JointServoParameters { NaturalFrequencyRadS = 41.5, DampingRatio = 0.71, DelayTicks = 2, Gain = 0.999, Arx = [1.8, -0.81, 0.005, 0.005] },
            Friction = new JointFrictionParameters { CoulombFrictionNm = 1.2, ViscousFrictionNmsPerRad = 0.35 },
            Noise = new JointNoise { PositionRad = 1.5e-4, TorqueNm = 0.25, TorqueBiasNm = -0.1 },
        });
        p.Imus.Add(new ImuParameters { Name = "pelvis_imu", SpecificForceSigma = [0.04, 0.05, 0.06], SpecificForceBias = [0.01, 0, -0.02] });
        p.Links.Add(new LinkParameters { Name = "l_thigh", Pi = [4, 0.1, 0, -0.8, 0.2, 0, 0, 0.2, 0, 0.01] });
        p.BaseParameters.Add(new BaseParameter { Name = "l_thigh.mcz + 0.4·l_shin.m", Value = -1.23456789012345 });
        p.Fit.Add(new ChannelFit { Channel = "l_knee.position", R2 = 0.9993, ResidualSigma = 1.1e-4 });
        return p;
    }

    [Fact]
    public void Format_and_parse_round_trip_exactly()
    {
        var p = Sample();
        var text = TwinParameterFile.Format(p);
        var q = TwinParameterFile.Parse(text, Source, Config(), null);
        Assert.Equal(TwinParameterFile.Format(p), TwinParameterFile.Format(q));
        Assert.Equal(41.5, q.Joints[1].Servo.NaturalFrequencyRadS);
        Assert.Equal(2, q.Joints[1].Servo.DelayTicks);
        Assert.Equal(-1.23456789012345, q.BaseParameters[0].Value);
        // The ARX coefficients are for the calibration report only: the file neither writes nor accepts them.
        Assert.DoesNotContain("arx", text, StringComparison.Ordinal);
        Assert.Empty(q.Joints[1].Servo.Arx);

        var noise = q.ToNoiseModel(new ChannelLayout(["l_hip_pitch", "l_knee"], ["pelvis_imu"]));
        Assert.Equal(0.25, noise.SigmaOf(6)[0]);
        Assert.Equal(-0.1, noise.BiasOf(6)[0]);
        Assert.Equal([0.04, 0.05, 0.06], noise.SigmaOf(9).ToArray());
    }

    [Fact]
    public void Save_then_load_from_disk()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rt-params-{Environment.ProcessId}.yaml");
        try
        {
            TwinParameterFile.Save(path, Sample());
            var q = TwinParameterFile.Load(path, Config(), null);
            Assert.Equal("l_knee", q.Joints[1].Name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Joint_names_that_do_not_match_the_config_are_named_with_expected_and_found()
    {
        var p = Sample();
        p.Joints[1].Name = "l_ankle";
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(TwinParameterFile.Format(p), Source, Config(), null));
        Assert.Equal(Source, e.Source_);
        Assert.Matches(@"^line \d+:\d+, key joints\[1\]\.name$", e.Location);
        Assert.Contains("expected joint 'l_knee'", e.Problem, StringComparison.Ordinal);
        Assert.Contains("found 'l_ankle'", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Swapped_joint_order_is_called_out()
    {
        var p = Sample();
        (p.Joints[0], p.Joints[1]) = (p.Joints[1], p.Joints[0]);
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(TwinParameterFile.Format(p), Source, Config(), null));
        Assert.Contains("different order", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_joint_count_mismatch_lists_both_sides()
    {
        var p = Sample();
        p.Joints.RemoveAt(1);
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(TwinParameterFile.Format(p), Source, Config(), null));
        Assert.Matches(@"^line \d+:\d+, key joints$", e.Location);
        Assert.Contains("has 1 joint entries", e.Problem, StringComparison.Ordinal);
        Assert.Contains("has 2", e.Problem, StringComparison.Ordinal);
        Assert.Contains("l_knee", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coulomb_friction_nm: 1.2", "coulomb_friction_nm: .nan", "joints[1].friction.coulomb_friction_nm")]
    [InlineData("coulomb_friction_nm: 1.2", "coulomb_friction_nm: NaN", "joints[1].friction.coulomb_friction_nm")]
    [InlineData("natural_frequency_rad_s: 41.5", "natural_frequency_rad_s: .inf", "joints[1].servo.natural_frequency_rad_s")]
    [InlineData("specific_force_sigma_m_s2: [0.04", "specific_force_sigma_m_s2: [-Infinity", "imus[0].specific_force_sigma_m_s2[0]")]
    public void Non_finite_values_are_refused_by_key(string original, string replacement, string key)
    {
        var text = TwinParameterFile.Format(Sample()).Replace(original, replacement, StringComparison.Ordinal);
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(text, Source, Config(), null));
        Assert.Matches($@"^line \d+:\d+, key {System.Text.RegularExpressions.Regex.Escape(key)}$", e.Location);
        Assert.Contains("a finite number", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Sigma_must_be_positive()
    {
        var text = TwinParameterFile.Format(Sample()).Replace("torque_nm: 0.25", "torque_nm: 0", StringComparison.Ordinal);
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(text, Source, Config(), null));
        Assert.EndsWith(", key joints[1].noise.torque_nm", e.Location, StringComparison.Ordinal);
        Assert.Contains("is 0; expected a value in [1E-09, 10000]", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keys_and_wrong_schema_are_refused()
    {
        var text = TwinParameterFile.Format(Sample()).Replace("coulomb_friction_nm:", "colomb_friction_nm:", StringComparison.Ordinal);
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(text, Source, Config(), null));
        Assert.Contains("unknown key 'colomb_friction_nm'", e.Problem, StringComparison.Ordinal);

        text = TwinParameterFile.Format(Sample()).Replace("schema_version: 1", "schema_version: 7", StringComparison.Ordinal);
        e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(text, Source, Config(), null));
        Assert.EndsWith(", key schema_version", e.Location, StringComparison.Ordinal);
    }

    [Fact]
    public void Links_and_robot_name_are_checked_against_the_urdf()
    {
        var urdf = Rt.Core.Description.UrdfParser.Parse(CalibrationTestRobot.Urdf, "/robots/test.urdf");
        var p = Sample();
        p.Robot = urdf.Name;
        p.Joints.Clear();
        foreach (var j in urdf.MovableJoints) p.Joints.Add(new JointParameters { Name = j.Name });
        p.Imus.Clear();
        p.Links[0].Name = "no_such_link";
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(TwinParameterFile.Format(p), Source, null, urdf));
        Assert.EndsWith(", key links", e.Location, StringComparison.Ordinal);

        p.Robot = "other";
        e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(TwinParameterFile.Format(p), Source, null, urdf));
        Assert.EndsWith(", key robot", e.Location, StringComparison.Ordinal);
        Assert.Contains("found 'other'", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Twin_options_come_from_the_file_named_in_the_config()
    {
        string dir = Directory.CreateTempSubdirectory("rt-params-options-").FullName;
        try
        {
            var config = Config();
            config.SourcePath = Path.Combine(dir, "rt.yaml");
            Assert.Null(TwinParameterOptions.FromConfig(config, new ChannelLayout(["l_hip_pitch", "l_knee"], ["pelvis_imu"])).Noise);

            TwinParameterFile.Save(Path.Combine(dir, "twin.yaml"), Sample());
            config.Twin.Parameters = "twin.yaml";
            var options = TwinParameterOptions.FromConfig(config, new ChannelLayout(["l_hip_pitch", "l_knee"], ["pelvis_imu"]));
            Assert.Equal(2, options.Servo!.Count);
            Assert.Equal(41.5, options.Servo[1].NaturalFrequencyRadS);
            Assert.Equal(1.2, options.Servo[1].CoulombFrictionNm);
            Assert.Equal(2, options.Servo[1].DelayTicks);
            Assert.Equal(10, options.InertialParameters!.Count);
            Assert.Equal(0.25, options.Noise!.SigmaOf(6)[0]);

            config.Twin.Parameters = "missing.yaml";
            var e = Assert.Throws<InputError>(() => TwinParameterOptions.FromConfig(config, new ChannelLayout(["l_hip_pitch", "l_knee"], ["pelvis_imu"])));
            Assert.Contains("cannot read", e.Problem, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static TwinParameters WithWhiteningAndSmoothing()
    {
        var p = Sample();
        var knee = p.Joints[1];
        knee.Friction.CoulombSmoothingRadS = 0.05;
        knee.Noise.PositionAr1 = -0.44;
        knee.Noise.VelocityAr1 = 0.31;
        knee.Noise.TorqueAr1 = 0.9;
        knee.Noise.ExternalTorqueAr1 = -0.999;
        p.Imus[0].AngularRateAr1 = [0.5, 0.6, 0.7];
        p.Imus[0].SpecificForceAr1 = [0.1, -0.2, 0.999];
        return p;
    }

    [Fact]
    public void Whitening_coefficients_and_coulomb_smoothing_round_trip_and_reach_the_noise_and_servo_models()
    {
        var text = TwinParameterFile.Format(WithWhiteningAndSmoothing());
        Assert.Contains("coulomb_smoothing_rad_s: 0.05", text, StringComparison.Ordinal);
        Assert.Contains("torque_ar1: 0.9", text, StringComparison.Ordinal);
        Assert.Contains("specific_force_ar1: [0.1, -0.2, 0.999]", text, StringComparison.Ordinal);
        var q = TwinParameterFile.Parse(text, Source, Config(), null);
        Assert.Equal(text, TwinParameterFile.Format(q));
        Assert.Equal(0.05, q.Joints[1].Friction.CoulombSmoothingRadS);
        Assert.Equal(0.05, q.Joints[1].ToServoParameters().FrictionSmoothingRadS);
        // A joint without the key keeps the default smoothing.
        Assert.Equal(Models.ServoParameters.CoulombSmoothingRadS, q.Joints[0].ToServoParameters().FrictionSmoothingRadS);

        var layout = new ChannelLayout(["l_hip_pitch", "l_knee"], ["pelvis_imu"]);
        var noise = q.ToNoiseModel(layout);
        Assert.Equal(-0.44, noise.Ar1Of(layout.IndexOf(ChannelKind.JointPosition, 1))[0]);
        Assert.Equal(0.31, noise.Ar1Of(layout.IndexOf(ChannelKind.JointVelocity, 1))[0]);
        Assert.Equal(0.9, noise.Ar1Of(layout.IndexOf(ChannelKind.JointTorque, 1))[0]);
        Assert.Equal(-0.999, noise.Ar1Of(layout.IndexOf(ChannelKind.ExternalTorque, 1))[0]);
        Assert.Equal(0, noise.Ar1Of(layout.IndexOf(ChannelKind.JointTorque, 0))[0]);
        Assert.Equal([0.5, 0.6, 0.7], noise.Ar1Of(layout.IndexOf(ChannelKind.ImuAngularRate, 0)).ToArray());
        Assert.Equal([0.1, -0.2, 0.999], noise.Ar1Of(layout.IndexOf(ChannelKind.ImuSpecificForce, 0)).ToArray());
    }

    [Theory]
    [InlineData("torque_ar1: 0.9", "torque_ar1: 0.9995", "joints[1].noise.torque_ar1", "found 0.9995")]
    [InlineData("external_torque_ar1: -0.999", "external_torque_ar1: -1", "joints[1].noise.external_torque_ar1", "found -1")]
    [InlineData("angular_rate_ar1: [0.5, 0.6, 0.7]", "angular_rate_ar1: [0.5, 1.2, 0.7]", "imus[0].angular_rate_ar1", "(axis y)")]
    [InlineData("coulomb_smoothing_rad_s: 0.05", "coulomb_smoothing_rad_s: 0", "joints[1].friction.coulomb_smoothing_rad_s", "expected a value in [1E-06, 10]")]
    [InlineData("coulomb_smoothing_rad_s: 0.05", "coulomb_smoothing_rad_s: -0.01", "joints[1].friction.coulomb_smoothing_rad_s", "expected a value in [1E-06, 10]")]
    public void Out_of_range_whitening_or_smoothing_is_refused_naming_the_key(string original, string replacement, string key, string problem)
    {
        var text = TwinParameterFile.Format(WithWhiteningAndSmoothing());
        Assert.Contains(original, text, StringComparison.Ordinal);
        text = text.Replace(original, replacement, StringComparison.Ordinal);
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(text, Source, Config(), null));
        Assert.Equal(Source, e.Source_);
        Assert.Matches($@"^line \d+:\d+, key {System.Text.RegularExpressions.Regex.Escape(key)}$", e.Location);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        if (key.Contains("ar1", StringComparison.Ordinal)) Assert.Contains("lag-1 autocorrelation must lie in", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rate_other_than_the_loop_rate_is_refused()
    {
        var config = Config();
        config.Loop.RateHz = 500;
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(TwinParameterFile.Format(Sample()), Source, config, null));
        Assert.EndsWith(", key rate_hz", e.Location, StringComparison.Ordinal);
        Assert.Contains("recalibrate", e.Problem, StringComparison.Ordinal);
    }

    // ---- issue 11: every refusal class, through Core's one reader ----

    public static TheoryData<string, string, string, string> Refusals => new()
    {
        // what is replaced, by what, the key path in the location (or "" for a position only), the problem
        { "delay_ticks: 2,", "delay_ticks: 2, arx: [1.8, -0.81, 0.005, 0.005],", "joints[1].servo.arx", "unknown key 'arx'" },
        { "torque_nm: 0.25", "torque_nm: 1e300", "joints[1].noise.torque_nm", "is 1E+300; expected a value in [1E-09, 10000]" },
        { "torque_nm: 0.25", "torque_nm: 4.9e-324", "joints[1].noise.torque_nm", "is 5E-324; expected a value in [1E-09, 10000]" },
        { "position_rad: 0.00015", "position_rad: 2", "joints[1].noise.position_rad", "expected a value in [1E-12, 1]" },
        { "natural_frequency_rad_s: 41.5", "natural_frequency_rad_s: 1e308", "joints[1].servo.natural_frequency_rad_s", "expected a value in [0.1, 10000]" },
        { "damping_ratio: 0.71", "damping_ratio: 1e9", "joints[1].servo.damping_ratio", "expected a value in [0.001, 100]" },
        { "coulomb_friction_nm: 1.2", "coulomb_friction_nm: 1e200", "joints[1].friction.coulomb_friction_nm", "expected a value in [0, 10000]" },
        { "torque_bias_nm: -0.1", "torque_bias_nm: -1e50", "joints[1].noise.torque_bias_nm", "expected a value in [-10000, 10000]" },
        { "specific_force_sigma_m_s2: [0.04", "specific_force_sigma_m_s2: [1e300", "imus[0].specific_force_sigma_m_s2[0]", "expected a value in [1E-12, 1000]" },
        { "delay_ticks: 2", "delay_ticks: \"2\"", "joints[1].servo.delay_ticks", "is quoted text \"2\"; expected a whole number" },
        { "torque_nm: 0.25", "torque_nm: '0.25'", "joints[1].noise.torque_nm", "is quoted text \"0.25\"; expected a number" },
        { "torque_nm: 0.25", "torque_nm: .inf", "joints[1].noise.torque_nm", "a finite number" },
        { "rate_hz: 1000", "rate_hz: 1e-300", "rate_hz", "expected a value in [1, 10000]" },
        { "robot: \"biped_test\"", "robot: \"biped\\0test\"", "robot", "contains a NUL character" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Each_refusal_is_one_line_naming_file_position_key_and_expectation(string original, string replacement, string key, string problem)
    {
        var text = TwinParameterFile.Format(Sample());
        Assert.Contains(original, text, StringComparison.Ordinal);
        text = ReplaceFirst(text, original, replacement);
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(text, Source, Config(), null));
        Assert.Equal(Source, e.Source_);
        Assert.Matches($@"^line \d+:\d+, key {System.Text.RegularExpressions.Regex.Escape(key)}$", e.Location);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("    servo: {", "    servo: {{", "malformed YAML")]
    [InlineData("schema_version: 1\n", "schema_version: 1\n---\nrobot: x\n", "more than one YAML document")]
    public void Malformed_text_is_one_input_error_with_a_position(string original, string replacement, string problem)
    {
        var text = ReplaceFirst(TwinParameterFile.Format(Sample()), original, replacement);
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(text, Source, Config(), null));
        Assert.Matches(@"line \d+:\d+", e.Location);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hundred_thousand_nested_braces_are_an_input_error_not_a_crash()
    {
        var text = TwinParameterFile.Format(Sample()).Replace("    servo: {", "    servo: " + new string('{', 100_000), StringComparison.Ordinal);
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Parse(text, Source, Config(), null));
        Assert.Contains("nest more than", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_named_as_the_parameter_file_is_refused()
    {
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Load(Path.GetTempPath(), Config(), null));
        Assert.Contains("is a folder", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Saving_into_a_missing_folder_or_onto_a_folder_is_an_input_error()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"rt-no-such-{Environment.ProcessId}", "twin.yaml");
        var e = Assert.Throws<InputError>(() => TwinParameterFile.Save(missing, Sample()));
        Assert.Contains("does not exist; expected an existing folder", e.Problem, StringComparison.Ordinal);
        e = Assert.Throws<InputError>(() => TwinParameterFile.Save(Path.GetTempPath().TrimEnd('/'), Sample()));
        Assert.Contains("is a folder", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_twin_parameter_files_load_with_their_configs()
    {
        var files = Directory.GetFiles(Rt.TestSupport.RepoPaths.Combine("hil", "robots"), "*.twin.yaml", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var f in files)
        {
            var config = ConfigLoader.Load(f.Replace(".twin.yaml", ".yaml", StringComparison.Ordinal));
            Assert.Equal(f, config.Resolve(config.Twin.Parameters));
            var p = TwinParameterFile.Load(f, config, config.Description);
            Assert.Equal(config.Joints.Count, p.Joints.Count);
        }
    }

    private static string ReplaceFirst(string text, string original, string replacement)
    {
        int at = text.IndexOf(original, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{original}' not in the formatted file");
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + original.Length));
    }
}
