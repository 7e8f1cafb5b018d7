using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Twin.Parameters;
using Rt.Twin.Recording;
using Rt.Twin.Validation;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>rt validate's reality gap (docs/TWIN.md, "Reality gap") on a recording with known, injected mismatches.</summary>
public sealed class RealityGapTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-gap-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Joints = ["hip", "knee"];

    /// <summary>
    /// 20 s at 1 kHz: the hip's twin predicts 80 % of its torque (energy gap −20 %) and its velocity exactly; the knee's
    /// torque innovation is AR(1) noise with ρ = 0.6 and σ = 0.1 N·m plus a 0.3 N·m bias, its velocity innovation white
    /// σ = 0.01 rad/s; the IMU's angular-rate innovation is the norm of a white 3-vector with σ = 0.02 rad/s per axis.
    /// </summary>
    private string Write()
    {
        string path = Path.Combine(_dir, "gap.rttick");
        var channels = new ChannelLayout(Joints, ["pelvis_imu"]);
        var layout = new RecordLayout(channels);
        using var w = new TickRecordingWriter(path, "gap", layout, 1_000_000);
        var row = new double[layout.Width];
        var rng = new CrossCheckGaussian(3);
        double ar = 0, rho = 0.6, drive = 0.1 * Math.Sqrt(1 - rho * rho);
        for (int t = 0; t < 20_000; t++)
        {
            Array.Clear(row);
            double time = t * 1e-3;
            row[RecordLayout.TimeOffset] = t * 1e6;
            row[RecordLayout.PeriodOffset] = 1e6;
            row[RecordLayout.FlagsOffset] = RecordLayout.FlagDivergenceValid | RecordLayout.FlagAllDrivesOperational;
            double s = Math.Sin(2 * Math.PI * 0.5 * time);
            row[layout.Joint(0, JointField.Velocity)] = 2 * s;
            row[layout.Joint(0, JointField.Torque)] = 5 * s;
            row[layout.Channel(channels.IndexOf(ChannelKind.JointTorque, 0), ChannelField.Innovation)] = 0.2 * 5 * s;
            ar = rho * ar + drive * rng.Next();
            row[layout.Joint(1, JointField.Velocity)] = Math.Cos(time);
            row[layout.Joint(1, JointField.Torque)] = 1;
            row[layout.Channel(channels.IndexOf(ChannelKind.JointTorque, 1), ChannelField.Innovation)] = 0.3 + ar;
            row[layout.Channel(channels.IndexOf(ChannelKind.JointVelocity, 1), ChannelField.Innovation)] = 0.01 * rng.Next();
            double gx = 0.02 * rng.Next(), gy = 0.02 * rng.Next(), gz = 0.02 * rng.Next();
            row[layout.Channel(channels.IndexOf(ChannelKind.ImuAngularRate, 0), ChannelField.Innovation)] = Math.Sqrt(gx * gx + gy * gy + gz * gz);
            w.Append(t, row);
        }
        return path;
    }

    private static TwinParameters Parameters()
    {
        var p = new TwinParameters { Robot = "gap" };
        foreach (var j in Joints) p.Joints.Add(new JointParameters { Name = j, Noise = new JointNoise { TorqueNm = 0.05, VelocityRadS = 0.01 } });
        p.Imus.Add(new ImuParameters { Name = "pelvis_imu", AngularRateSigma = [0.02, 0.02, 0.02] });
        return p;
    }

    [Fact]
    public void Gap_groups_report_the_injected_mismatches()
    {
        var gap = RealityGap.Compute(TickRecording.Open(Write()), Parameters());
        output.WriteLine(gap.ToText());
        Assert.Equal(20_000, gap.ValidTicks);

        // Energy: the hip's twin moves 80 % of the robot's energy; the knee's (τ − 0.3 − AR) · q̇ nets almost the robot's.
        var hip = gap.Energy.Single(e => e.Joint == "hip");
        Assert.Equal(-0.2, hip.RelativeGap, 9);
        Assert.Equal(0.8 * hip.RobotJ, hip.TwinJ, 9);
        Assert.InRange(hip.RobotAbsJ, 0.99 * 5 * 2 * 0.5 * 20, 1.01 * 5 * 2 * 0.5 * 20); // ∫|10 sin²| over 20 s = 100 J

        // Dynamic: the knee's torque innovation has its 0.3 N·m bias.
        var kneeTorque = gap.Dynamic.Single(g => g.Channel == "knee.torque");
        Assert.InRange(kneeTorque.Bias, 0.29, 0.31);

        // Sensor noise: σ measured against the model's 0.05 (ratio ≈ 2), lag-1 ≈ 0.6 against the model's 0.
        var noise = gap.SensorNoise.Single(g => g.Channel == "knee.velocity");
        Assert.InRange(noise.MeasuredSigma, 0.0097, 0.0103);
        Assert.InRange(noise.SigmaRatio, 0.97, 1.03);
        Assert.InRange(noise.Lag1, -0.03, 0.03);
        Assert.Equal(0, noise.ModelledLag1);
        Assert.InRange(kneeTorque.MeasuredSigma, 0.095, 0.105);
        Assert.InRange(kneeTorque.Lag1, 0.57, 0.63);
        Assert.InRange(kneeTorque.SigmaRatio, 1.9, 2.1);
        var imu = gap.SensorNoise.Single(g => g.Channel.Contains("angular", StringComparison.Ordinal) || g.Channel.Contains("gyro", StringComparison.Ordinal));
        Assert.InRange(imu.SigmaRatio, 0.97, 1.03); // RMS of the norm = √3·0.02 = the modelled √Σσᵢ²

        // Kinematic: the hip's velocity prediction is exact.
        Assert.Equal(0, gap.Kinematic.Single(g => g.Channel == "hip.velocity").Rms);

        // JSON and HTML carry the same numbers.
        using var json = JsonDocument.Parse(new ValidationReport("gap.rttick", "gap", 20_000, []) { Gap = gap }.ToJson());
        var energy = json.RootElement.GetProperty("reality_gap").GetProperty("energy");
        Assert.Equal(-0.2, energy.EnumerateArray().Single(e => e.GetProperty("joint").GetString() == "hip").GetProperty("relative_gap").GetDouble(), 9);
        string html = gap.ToHtml();
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }
}
