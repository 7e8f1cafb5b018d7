using Rt.Core.Errors;
using Rt.Twin.Calibration;
using Rt.Twin.Parameters;
using Rt.Twin.Recording;
using Rt.Twin.Validation;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

public sealed class CalibrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-calibration-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Within(double expected, double actual, double relative, string what, ITestOutputHelper output)
    {
        double err = Math.Abs(actual - expected) / Math.Abs(expected);
        output.WriteLine($"{what,-40} true {expected,12:G6} identified {actual,12:G6} error {err:P3}");
        Assert.True(err <= relative, $"{what}: identified {actual}, true {expected}, error {err:P2} > {relative:P0}");
    }

    [Fact]
    public void Calibration_recovers_servo_friction_and_base_parameters_within_2_percent()
    {
        var run = new CalibrationSyntheticRun();
        string path = Path.Combine(_dir, "excitation.rttick");
        run.Write(path, seconds: 30, seed: 11);
        string outPath = Path.Combine(_dir, "params.yaml");
        var result = Calibrator.CalibrateFile(path, run.Config, outPath);
        output.WriteLine(result.Summary());

        for (int j = 0; j < 3; j++)
        {
            var fit = result.Servo[j]!;
            string name = CalibrationSyntheticRun.ConfigOrder[j];
            Assert.Equal(run.Delay[j], fit.DelayTicks);
            Within(run.Wn[j], fit.NaturalFrequencyRadS, 0.02, $"{name} ω_n", output);
            Within(run.Zeta[j], fit.DampingRatio, 0.02, $"{name} ζ", output);
            Within(run.Gain[j], fit.Gain, 0.02, $"{name} gain", output);
            Assert.True(fit.SimulationR2 > 0.999, $"{name} R² {fit.SimulationR2}");
            var joint = result.Parameters.Joints[j];
            Within(run.Coulomb[j], joint.Friction.CoulombFrictionNm, 0.02, $"{name} Coulomb", output);
            Within(run.Viscous[j], joint.Friction.ViscousFrictionNmsPerRad, 0.02, $"{name} viscous", output);
        }

        var dyn = result.Dynamics!;
        output.WriteLine($"condition number {dyn.ConditionNumber:G3}, {dyn.BaseParameters.Count} base parameters");
        int checkedCount = 0;
        for (int b = 0; b < dyn.BaseParameters.Count; b++)
        {
            double truth = dyn.BaseValueOf(run.TrueX, b);
            double estimate = dyn.BaseParameters[b].Value;
            // Base parameters that are ~0 in truth (e.g. a product of small off-diagonal terms) cannot have a relative
            // error; those must be within 2 % of the typical magnitude of their kind instead.
            if (Math.Abs(truth) < 1e-3)
            {
                output.WriteLine($"{dyn.BaseParameters[b].Name,-40} true {truth,12:G6} identified {estimate,12:G6} (absolute)");
                Assert.InRange(Math.Abs(estimate - truth), 0, 2e-4);
                continue;
            }
            Within(truth, estimate, 0.02, dyn.BaseParameters[b].Name, output);
            checkedCount++;
        }
        Assert.True(checkedCount >= 10, $"only {checkedCount} base parameters checked");
        Assert.All(result.Parameters.Fit.Where(f => f.Channel.EndsWith(".torque", StringComparison.Ordinal)), f => Assert.True(f.R2 > 0.99, $"{f.Channel} R² {f.R2}"));

        // Model selection, servo: the synthetic drives are not the nominal loop (15 Hz, ζ = 1, one tick), so every
        // joint's fit predicts velocity better and is written; friction smoothing is the synthetic robot's ε.
        Assert.DoesNotContain(result.Warnings, w => w.Contains("nominal kept", StringComparison.Ordinal));
        for (int j = 0; j < 3; j++)
        {
            var written = result.Parameters.Joints[j];
            Assert.Equal(result.Servo[j]!.NaturalFrequencyRadS, written.Servo.NaturalFrequencyRadS);
            Assert.Equal(run.Delay[j], written.Servo.DelayTicks);
            Assert.Equal(Rt.Twin.Models.ServoParameters.CoulombSmoothingRadS, written.Friction.CoulombSmoothingRadS);
        }
        // Link selection is not asserted here: this run's torque is built on the ±5-tick central-difference
        // acceleration (to isolate identification), which no causal twin predicts; see the tick-mean tests below.

        // The file it wrote loads back against the same config and URDF and yields the noise model.
        var loaded = TwinParameterFile.Load(outPath, run.Config, run.Description);
        Assert.Equal(CalibrationSyntheticRun.ConfigOrder, loaded.Joints.Select(j => j.Name));
        Assert.Equal(TwinParameterFile.Format(result.Parameters), TwinParameterFile.Format(loaded));
        var noise = loaded.ToNoiseModel(new Rt.Core.Divergence.ChannelLayout(CalibrationSyntheticRun.ConfigOrder, ["pelvis_imu"]));
        for (int i = 0; i < noise.ComponentCount; i++)
        {
            Assert.True(noise.Sigma[i] > 0 && double.IsFinite(noise.Sigma[i]), $"σ[{i}] = {noise.Sigma[i]}");
            Assert.InRange(Math.Abs(noise.Ar1[i]), 0, Rt.Twin.CrossCheck.NoiseModel.MaxAr1);
        }
        var servo = loaded.Joints[1].ToServoParameters();
        Assert.Equal(2, servo.DelayTicks);
    }

    /// <summary>Calibrates a tick-mean-torque run (what the twin predicts) and returns the result, the file and the run.</summary>
    private (CalibrationResult Result, string File, CalibrationSyntheticRun Run) CalibrateTickMean(string name, double seconds, int seed, double stepRad)
    {
        var run = new CalibrationSyntheticRun();
        string path = Path.Combine(_dir, name + ".rttick"), file = Path.Combine(_dir, name + ".yaml");
        run.Write(path, seconds, seed, stepRad: stepRad, torque: SyntheticTorque.TickMean);
        var result = Calibrator.CalibrateFile(path, run.Config, file);
        output.WriteLine(result.Summary());
        return (result, file, run);
    }

    private static ChannelAccuracy Channel(ValidationReport report, string name) => report.Channels.Single(c => c.Channel == name);

    [Fact]
    public void On_a_run_the_twin_can_predict_the_identified_links_and_fitted_loops_are_kept_and_predict_a_held_out_run_better()
    {
        // Small command steps excite the servo loops; the drives report the tick-mean torque, as the bench's do.
        var (result, file, run) = CalibrateTickMean("train", seconds: 10, seed: 5, stepRad: 0.001);
        Assert.DoesNotContain(result.Warnings, w => w.Contains("kept", StringComparison.Ordinal));
        var parameters = TwinParameterFile.Load(file, run.Config, run.Description);
        Assert.Equal(3, parameters.Links.Count);
        Assert.NotEmpty(parameters.BaseParameters);
        for (int j = 0; j < 3; j++) Assert.Equal(result.Servo[j]!.NaturalFrequencyRadS, parameters.Joints[j].Servo.NaturalFrequencyRadS);

        string heldOut = Path.Combine(_dir, "held-out.rttick");
        run.Write(heldOut, seconds: 4, seed: 6, stepRad: 0.001, torque: SyntheticTorque.TickMean);
        var recording = TickRecording.Open(heldOut);
        var calibrated = TwinValidator.RunTwin(recording, run.Config, parameters);
        output.WriteLine(calibrated.ToTable());
        // The alternatives the selection rejected: the URDF's links, the nominal servo loops.
        var urdf = TwinParameterFile.Load(file, run.Config, run.Description);
        urdf.Links = [];
        var withUrdf = TwinValidator.RunTwin(recording, run.Config, urdf);
        var nominalLoops = TwinParameterFile.Load(file, run.Config, run.Description);
        foreach (var j in nominalLoops.Joints) j.Servo = new JointServoParameters();
        var withNominal = TwinValidator.RunTwin(recording, run.Config, nominalLoops);
        foreach (var name in CalibrationSyntheticRun.ConfigOrder)
        {
            double tau = Channel(calibrated, $"{name}.torque").Rms, tauUrdf = Channel(withUrdf, $"{name}.torque").Rms;
            double vel = Channel(calibrated, $"{name}.velocity").Rms, velNominal = Channel(withNominal, $"{name}.velocity").Rms;
            output.WriteLine($"{name}: torque innovation RMS {tau:G3} (URDF links {tauUrdf:G3}), velocity {vel:G3} (nominal loop {velNominal:G3})");
            Assert.True(tau < 0.6 * tauUrdf, $"{name}: identified links {tau} vs URDF {tauUrdf} N·m");
            Assert.True(vel < 0.6 * velNominal, $"{name}: fitted loop {vel} vs nominal {velNominal} rad/s");
            Assert.InRange(Channel(calibrated, $"{name}.position").Rms, 0, 3e-6); // 1e-6 rad sensor noise
            // σ is the busiest 0.5 s window of the training run's whitened innovation (scaled up for the envelope):
            // on a held-out run of the same kind the detectors' normalised input averages at most ≈ 1, and σ is not
            // inflated out of all proportion either.
            foreach (var kind in new[] { "position", "velocity", "torque", "external_torque" })
                Assert.InRange(Channel(calibrated, $"{name}.{kind}").NormalisedRms, 0.1, 1.05);
        }

        // The in-control envelope: over the held-out run no detector comes near its threshold.
        double worst = 0;
        long alarms = 0;
        var options = TwinParameterOptions.Apply(parameters, recording.Channels, new DigitalTwinOptions { Description = run.Description });
        TwinReplay.Run(recording, run.Config, options, (t, twin, state) =>
        {
            if (!state.Divergence.Valid) return;
            worst = Math.Max(worst, state.Divergence.WorstRatio);
            alarms += state.Divergence.OverCount;
        });
        output.WriteLine($"held-out: worst detector ratio {worst:F3}");
        Assert.Equal(0, alarms);
        Assert.True(worst < 1, $"worst detector ratio {worst}");
    }

    [Fact]
    public void A_loop_fit_from_a_run_that_does_not_excite_the_loop_is_replaced_by_the_nominal_loop_with_a_warning()
    {
        // Slow multi-sines only (no steps): the loop's bandwidth and delay are not excited, the fits are poor.
        var (result, file, run) = CalibrateTickMean("sines", seconds: 20, seed: 101, stepRad: 0);
        var parameters = TwinParameterFile.Load(file, run.Config, run.Description);
        var rejected = new List<int>();
        for (int j = 0; j < 3; j++)
        {
            string name = CalibrationSyntheticRun.ConfigOrder[j];
            bool warned = result.Warnings.Any(w => w.Contains($"joint '{name}': the fitted servo loop predicts velocity worse", StringComparison.Ordinal)
                && w.Contains("nominal kept", StringComparison.Ordinal));
            var written = parameters.Joints[j].Servo;
            if (warned)
            {
                rejected.Add(j);
                var nominal = new JointServoParameters();
                Assert.Equal(nominal.NaturalFrequencyRadS, written.NaturalFrequencyRadS);
                Assert.Equal(nominal.DampingRatio, written.DampingRatio);
                Assert.Equal(nominal.DelayTicks, written.DelayTicks);
                Assert.Empty(written.Arx);
            }
            else
            {
                Assert.Equal(result.Servo[j]!.NaturalFrequencyRadS, written.NaturalFrequencyRadS);
            }
        }
        Assert.NotEmpty(rejected);

        // Whatever was kept, per joint, predicts the recording's velocity no worse than the nominal loop.
        var recording = TickRecording.Open(Path.Combine(_dir, "sines.rttick"));
        var kept = TwinValidator.RunTwin(recording, run.Config, parameters);
        var nominalLoops = TwinParameterFile.Load(file, run.Config, run.Description);
        foreach (var j in nominalLoops.Joints) j.Servo = new JointServoParameters();
        var withNominal = TwinValidator.RunTwin(recording, run.Config, nominalLoops);
        for (int j = 0; j < 3; j++)
        {
            string name = CalibrationSyntheticRun.ConfigOrder[j];
            double a = Channel(kept, $"{name}.velocity").Rms, b = Channel(withNominal, $"{name}.velocity").Rms;
            output.WriteLine($"{name}: kept loop velocity innovation RMS {a:G4}, nominal {b:G4}{(rejected.Contains(j) ? " (fit rejected)" : "")}");
            if (rejected.Contains(j)) Assert.Equal(b, a);
            else Assert.True(a < b, $"{name}: kept fit {a} vs nominal {b}");
        }
    }

    [Fact]
    public void A_joint_that_never_moves_makes_the_unidentifiable_parameters_named()
    {
        var run = new CalibrationSyntheticRun();
        string path = Path.Combine(_dir, "knee-locked.rttick");
        run.Write(path, seconds: 10, seed: 12, lockedJoint: 0);
        var e = Assert.Throws<InputError>(() => Calibrator.Run(TickRecording.Open(path), run.Description, run.Config));
        output.WriteLine(e.Message);
        Assert.Equal(path, e.Source_);
        Assert.Contains("insufficient excitation", e.Problem, StringComparison.Ordinal);
        Assert.Contains("knee.coulomb_friction: not excited", e.Problem, StringComparison.Ordinal);
        Assert.Contains("joint 'knee' barely moves", e.Problem, StringComparison.Ordinal);
        // The knee's own torque still sees the shin's inertia (knee locked, the hip moving), so what is lost is the
        // knee's friction: exactly the combinations that need the knee to move.
        Assert.Contains("knee.viscous_friction: not excited", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_link_dynamics_friction_is_fitted_against_the_urdf_and_a_locked_joint_is_a_warning()
    {
        var run = new CalibrationSyntheticRun();
        string path = Path.Combine(_dir, "knee-locked-friction.rttick");
        run.Write(path, seconds: 5, seed: 13, lockedJoint: 0);
        var result = Calibrator.Run(TickRecording.Open(path), run.Description, run.Config, new CalibrationOptions { IdentifyLinkDynamics = false });
        Assert.Null(result.Dynamics);
        Assert.Null(result.Servo[0]);
        Assert.Contains(result.Warnings, w => w.Contains("'knee'", StringComparison.Ordinal));
        Assert.NotNull(result.Servo[1]);
    }

    [Fact]
    public void A_recording_of_other_joints_is_refused()
    {
        var run = new CalibrationSyntheticRun();
        string path = Path.Combine(_dir, "short.rttick");
        run.Write(path, seconds: 1, seed: 14);
        run.Config.Joints[0].Name = "ankle";
        var e = Assert.Throws<InputError>(() => Calibrator.Run(TickRecording.Open(path), run.Description, run.Config));
        Assert.Contains("do not match the config", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ill_conditioned_identification_is_refused_with_the_condition_number_and_the_weak_combination()
    {
        var run = new CalibrationSyntheticRun();
        string path = Path.Combine(_dir, "weak.rttick");
        run.Write(path, seconds: 5, seed: 15);
        // This run is well conditioned (≈ 12); a limit below that stands in for a weakly exciting recording.
        var e = Assert.Throws<InputError>(() => Calibrator.Run(TickRecording.Open(path), run.Description, run.Config, new CalibrationOptions { MaxConditionNumber = 3 }));
        output.WriteLine(e.Message);
        Assert.Contains("ill-conditioned identification: condition number", e.Problem, StringComparison.Ordinal);
        Assert.Contains("exceeds 3", e.Problem, StringComparison.Ordinal);
        Assert.Contains("Insufficient excitation", e.Problem, StringComparison.Ordinal);
        Assert.Matches(@"[+-]\d\.\d\d·\w+\.\w+", e.Problem);
    }

    [Fact]
    public void A_non_finite_measurement_in_the_recording_is_named_by_record()
    {
        var run = new CalibrationSyntheticRun();
        string path = Path.Combine(_dir, "nan.rttick");
        run.Write(path, seconds: 1, seed: 16);
        var bytes = File.ReadAllBytes(path);
        var layout = new RecordLayout(new Rt.Core.Divergence.ChannelLayout(CalibrationSyntheticRun.ConfigOrder, ["pelvis_imu"]));
        int recordBytes = TickRecordingFormat.RecordBytes(layout.Width);
        int header = bytes.Length - 1000 * recordBytes;
        int at = header + 50 * recordBytes + 8 + 8 * layout.Joint(2, JointField.Torque);
        BitConverter.TryWriteBytes(bytes.AsSpan(at, 8), double.NaN);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InputError>(() => Calibrator.Run(TickRecording.Open(path), run.Description, run.Config));
        Assert.Equal("record 50", e.Location);
        Assert.Contains("joint 'hip_pitch' torque is NaN", e.Problem, StringComparison.Ordinal);
    }
}
