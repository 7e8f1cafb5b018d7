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
        var run = new CalibrationSyntheticRun();
        string train = Path.Combine(_dir, "train.rttick"), heldOut = Path.Combine(_dir, "held-out.rttick"), file = Path.Combine(_dir, "p.yaml");
        run.Write(train, seconds: 20, seed: 101);
        run.Write(heldOut, seconds: 8, seed: 202);
        Calibrator.CalibrateFile(train, run.Config, file);
        var parameters = TwinParameterFile.Load(file, run.Config, run.Description);

        var report = TwinValidator.Run(TickRecording.Open(heldOut), parameters, run.Description);
        output.WriteLine(report.ToTable());
        foreach (var name in CalibrationSyntheticRun.ConfigOrder)
        {
            var torque = report.Channels.Single(c => c.Channel == $"{name}.torque");
            Assert.Equal("replay", torque.Source);
            Assert.InRange(torque.Rms, 0.015, 0.1);           // torque noise 0.02 N·m plus q̈-noise through the inertia
            Assert.InRange(Math.Abs(torque.Bias), 0, 0.01);
            Assert.InRange(torque.NormalisedRms, 0.8, 1.25);  // the file's σ came from the training residuals
            var position = report.Channels.Single(c => c.Channel == $"{name}.position");
            Assert.InRange(position.Rms, 0, 5e-6);
            Assert.InRange(position.NormalisedRms, 0.8, 1.25);
        }
        // No twin ran while recording the synthetic run: the external-torque/IMU channels have no samples.
        var imu = report.Channels.Single(c => c.Channel == "pelvis_imu.angular_rate");
        Assert.Equal(0, imu.Samples);

        using var json = JsonDocument.Parse(report.ToJson());
        var channels = json.RootElement.GetProperty("channels");
        Assert.Equal(report.Channels.Count, channels.GetArrayLength());
        Assert.Equal("knee.position", channels[0].GetProperty("channel").GetString());
        Assert.Equal(JsonValueKind.Null, channels.EnumerateArray().Single(c => c.GetProperty("channel").GetString() == "pelvis_imu.angular_rate").GetProperty("rms").ValueKind);
        Assert.Contains("knee.torque", report.ToTable(), StringComparison.Ordinal);

        // The CLI entry point gives the same numbers.
        var viaFile = TwinValidator.RunFile(heldOut, run.Config, file);
        Assert.Equal(report.Channels.Select(c => c.Rms), viaFile.Channels.Select(c => c.Rms));
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
