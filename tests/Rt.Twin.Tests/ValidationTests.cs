using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Core.Errors;
using Rt.Twin.Calibration;
using Rt.Twin.Parameters;
using Rt.Twin.Recording;
using Rt.Twin.Validation;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

public sealed class ValidationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-validation-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Calibrated_parameters_predict_a_held_out_run_to_its_noise_level()
    {
        // The drives report the tick-mean torque (what the twin predicts); command steps of up to 5 mrad excite the loops.
        var run = new CalibrationSyntheticRun();
        string train = Path.Combine(_dir, "train.rttick"), heldOut = Path.Combine(_dir, "held-out.rttick"), file = Path.Combine(_dir, "p.yaml");
        run.Write(train, seconds: 10, seed: 101, stepRad: 0.005, torque: SyntheticTorque.TickMean);
        run.Write(heldOut, seconds: 8, seed: 202, stepRad: 0.005, torque: SyntheticTorque.TickMean);
        Calibrator.CalibrateFile(train, run.Config, file);
        var parameters = TwinParameterFile.Load(file, run.Config, run.Description);

        // rt validate: the twin the file describes, replayed over the held-out run.
        var report = TwinValidator.RunFile(heldOut, run.Config, file);
        output.WriteLine(report.ToTable());
        var recording = TickRecording.Open(heldOut);
        foreach (var name in CalibrationSyntheticRun.ConfigOrder)
        {
            var position = report.Channels.Single(c => c.Channel == $"{name}.position");
            Assert.Equal("twin", position.Source);
            Assert.True(position.Samples > recording.Count - 50, $"{name}: {position.Samples} armed ticks of {recording.Count}");
            Assert.InRange(position.Rms, 0, 3e-6);                 // 1e-6 rad sensor noise (difference of two samples)
            var velocity = report.Channels.Single(c => c.Channel == $"{name}.velocity");
            Assert.InRange(velocity.Rms, 5e-4, 1.5e-3);            // 5e-4 rad/s sensor noise, plus the corrected state's
            var torque = report.Channels.Single(c => c.Channel == $"{name}.torque");
            Assert.InRange(torque.Rms, 0.02, 0.5);                 // 0.02 N·m noise plus velocity noise through the inertia
            Assert.InRange(Math.Abs(torque.Bias), 0, 0.05);             // no systematic torque error beyond noise
            // The detectors' normalised input: σ is the training run's busiest window, so on a run of the same kind the
            // average is at most ≈ 1 (and not far below: σ is not inflated out of proportion).
            foreach (var c in new[] { position, velocity, torque })
                Assert.InRange(c.NormalisedRms, 0.1, 1.05);
        }
        // The replayed twin predicts the fixed-base IMU exactly (+g, no rotation).
        var imu = report.Channels.Single(c => c.Channel == "pelvis_imu.specific_force");
        Assert.Equal("twin", imu.Source);
        Assert.True(imu.Samples > 0);
        Assert.InRange(imu.Rms, 0, 1e-6);

        // The CLI entry point is RunTwin with the file the config (or the argument) names.
        var direct = TwinValidator.RunTwin(recording, run.Config, parameters);
        Assert.Equal(direct.Channels.Select(c => c.Rms), report.Channels.Select(c => c.Rms));
        Assert.Equal(direct.Channels.Select(c => c.NormalisedRms), report.Channels.Select(c => c.NormalisedRms));

        // The offline replay (servo ZOH one step ahead from the measured state, RNEA at the central-difference q̈) still
        // reports per channel; no twin ran while the synthetic run was recorded, so the IMU has no recorded samples.
        var offline = TwinValidator.Run(recording, parameters, run.Description);
        output.WriteLine(offline.ToTable());
        foreach (var name in CalibrationSyntheticRun.ConfigOrder)
        {
            var position = offline.Channels.Single(c => c.Channel == $"{name}.position");
            Assert.Equal("replay", position.Source);
            Assert.InRange(position.Rms, 0, 5e-6);
        }
        var rate = offline.Channels.Single(c => c.Channel == "pelvis_imu.angular_rate");
        Assert.Equal(0, rate.Samples);

        using var json = JsonDocument.Parse(offline.ToJson());
        var channels = json.RootElement.GetProperty("channels");
        Assert.Equal(offline.Channels.Count, channels.GetArrayLength());
        Assert.Equal("knee.position", channels[0].GetProperty("channel").GetString());
        Assert.Equal(JsonValueKind.Null, channels.EnumerateArray().Single(c => c.GetProperty("channel").GetString() == "pelvis_imu.angular_rate").GetProperty("rms").ValueKind);
        Assert.Contains("knee.torque", report.ToTable(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_offline_torque_replay_uses_the_files_coulomb_smoothing()
    {
        // The synthetic run's torque is RNEA (true links, central-difference q̈) + F_c·tanh(q̇/0.01) + F_v·q̇ + 0.02 N·m noise:
        // with the true parameters the offline replay's torque residual is noise; a wrong ε must show.
        var run = new CalibrationSyntheticRun();
        string path = Path.Combine(_dir, "smoothing.rttick");
        run.Write(path, seconds: 2, seed: 7);
        double TorqueRms(double epsilon)
        {
            var p = new TwinParameters { Robot = run.Description.Name };
            for (int j = 0; j < 3; j++)
            {
                p.Joints.Add(new JointParameters
                {
                    Name = CalibrationSyntheticRun.ConfigOrder[j],
                    Friction = new JointFrictionParameters { CoulombFrictionNm = run.Coulomb[j], ViscousFrictionNmsPerRad = run.Viscous[j], CoulombSmoothingRadS = epsilon },
                });
            }
            p.Imus.Add(new ImuParameters { Name = "pelvis_imu" });
            for (int b = 0; b < run.Model.DegreesOfFreedom; b++)
                p.Links.Add(new LinkParameters { Name = run.Model.BodyNames[b], Pi = run.TrueX.AsSpan(10 * b, 10).ToArray() });
            var report = TwinValidator.Run(TickRecording.Open(path), p, run.Description);
            return report.Channels.Single(c => c.Channel == "knee.torque").Rms;
        }
        double right = TorqueRms(Rt.Twin.Models.ServoParameters.CoulombSmoothingRadS), wrong = TorqueRms(0.3);
        output.WriteLine($"knee torque residual RMS: ε = 0.01 {right:G3} N·m, ε = 0.3 {wrong:G3} N·m");
        Assert.InRange(right, 0.015, 0.04); // 0.02 N·m torque noise ⊕ ≈ 0.02 N·m of velocity noise through q̈ and the inertia
        Assert.True(wrong > 3 * right, $"ε = 0.3 gives {wrong}, ε = 0.01 {right}");
    }

    [Fact]
    public void Recorded_innovations_give_exact_rms_max_and_bias()
    {
        var channels = new ChannelLayout(["a"], ["imu"]);
        var layout = new RecordLayout(channels);
        string path = Path.Combine(_dir, "recorded.rttick");
        using (var w = new TickRecordingWriter(path, "r", layout, 1_000_000))
        {
            var row = new double[layout.Width];
            double[] values = [1, -1, 3, 1];
            for (int t = 0; t < values.Length; t++)
            {
                row[RecordLayout.FlagsOffset] = RecordLayout.FlagDivergenceValid;
                row[layout.Channel(channels.IndexOf(ChannelKind.JointTorque, 0), ChannelField.Innovation)] = values[t];
                w.Append(t, row);
            }
            row[RecordLayout.FlagsOffset] = 0; // an invalid tick is ignored
            row[layout.Channel(channels.IndexOf(ChannelKind.JointTorque, 0), ChannelField.Innovation)] = 1000;
            w.Append(4, row);
        }
        var report = TwinValidator.Run(TickRecording.Open(path), warmupTicks: 0);
        var torque = report.Channels.Single(c => c.Channel == "a.torque");
        Assert.Equal("recorded", torque.Source);
        Assert.Equal(4, torque.Samples);
        Assert.Equal(Math.Sqrt(12 / 4.0), torque.Rms, 12);
        Assert.Equal(3, torque.Max);
        Assert.Equal(1, torque.Bias);
    }

    [Fact]
    public void Parameters_for_other_joints_are_refused()
    {
        var run = new CalibrationSyntheticRun();
        string path = Path.Combine(_dir, "r.rttick");
        run.Write(path, seconds: 0.5, seed: 3);
        var p = new TwinParameters { Robot = "leg3" };
        p.Joints.Add(new JointParameters { Name = "knee" });
        var e = Assert.Throws<InputError>(() => TwinValidator.Run(TickRecording.Open(path), p, run.Description));
        Assert.Contains("do not match the parameter file", e.Problem, StringComparison.Ordinal);
    }
}
