using System.Globalization;
using System.Text;
using System.Text.Json;
using Rt.Core.Description;
using Rt.Core.Divergence;
using Rt.Twin.Calibration;
using Rt.Twin.CrossCheck;
using Rt.Twin.Dynamics;
using Rt.Twin.Parameters;
using Rt.Twin.Recording;
using static Rt.Twin.JsonNumbers;

namespace Rt.Twin.Validation;

/// <summary>Accuracy of the twin on one channel: statistics of the innovation (measured − predicted).</summary>
/// <param name="Source">"replay" (predicted offline from the parameters) or "recorded" (the running twin's innovation).</param>
/// <param name="Sigma">The parameter file's σ for the channel (0 when unknown); <see cref="NormalisedRms"/> = RMS/σ (≈ 1 when the noise model fits).</param>
public sealed record ChannelAccuracy(string Channel, string Unit, string Source, int Samples, double Rms, double Max, double Bias, double Sigma, double? ScoreRms = null)
{
    /// <summary>
    /// RMS of the normalised innovation per component: for the replayed twin ("twin" source) the detectors' own input,
    /// √(mean NIS / d) after bias removal and whitening (≈ 1 in the busiest window, below 1 on average); otherwise RMS/σ.
    /// </summary>
    public double NormalisedRms => ScoreRms ?? (Sigma > 0 ? Rms / Sigma : 0);
}

/// <summary>Per-channel twin accuracy on a held-out recording, as a table and as JSON (<c>rt validate</c>).</summary>
public sealed record ValidationReport(string Recording, string Robot, int Ticks, IReadOnlyList<ChannelAccuracy> Channels)
{
    /// <summary>The reality gap per group (kinematic, dynamic, sensor noise, energy) from the recorded innovations; null when not computed.</summary>
    public RealityGap? Gap { get; init; }

    /// <summary>Fixed-width table, one row per channel.</summary>
    public string ToTable()
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(inv, $"twin validation: {Recording} ({Robot}, {Ticks} ticks)");
        s.AppendLine(inv, $"{"channel",-32} {"unit",-6} {"source",-8} {"samples",8} {"rms",12} {"max",12} {"bias",12} {"rms/σ",8}");
        foreach (var c in Channels)
        {
            if (c.Samples == 0)
            {
                s.AppendLine(inv, $"{c.Channel,-32} {c.Unit,-6} {c.Source,-8} {0,8} {"-",12} {"-",12} {"-",12} {"-",8}");
                continue;
            }
            s.AppendLine(inv, $"{c.Channel,-32} {c.Unit,-6} {c.Source,-8} {c.Samples,8} {c.Rms,12:G4} {c.Max,12:G4} {c.Bias,12:G4} {(c.Sigma > 0 || c.ScoreRms is not null ? c.NormalisedRms.ToString("F2", inv) : "-"),8}");
        }
        return s.ToString();
    }

    /// <summary>Machine-readable form: {"recording", "robot", "ticks", "channels": [{"channel", "unit", "source", "samples", "rms", "max", "bias", "sigma", "normalised_rms"}]}.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("recording", Recording);
            w.WriteString("robot", Robot);
            w.WriteNumber("ticks", Ticks);
            w.WriteStartArray("channels");
            foreach (var c in Channels)
            {
                w.WriteStartObject();
                w.WriteString("channel", c.Channel);
                w.WriteString("unit", c.Unit);
                w.WriteString("source", c.Source);
                w.WriteNumber("samples", c.Samples);
                Number(w, "rms", c.Rms);
                Number(w, "max", c.Max);
                Number(w, "bias", c.Bias);
                Number(w, "sigma", c.Sigma);
                Number(w, "normalised_rms", c.NormalisedRms);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (Gap is not null)
            {
                w.WritePropertyName("reality_gap");
                Gap.WriteJson(w);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // JSON has no NaN: a channel without samples reports null.
}

/// <summary>
/// Twin accuracy on a held-out recording (<c>rt validate</c>). With parameters and the URDF, the joint position and
/// velocity channels are replayed: each tick's prediction is the servo model's one-step prediction from the previous
/// tick's measured state and the delayed command (what the twin compares before its correction), and the torque
/// channel is RNEA with the file's link parameters plus friction at the measured q, q̇ and q̈ (central difference,
/// so offline and non-causal). External-torque and IMU channels, and every channel without parameters, use the
/// innovations the running twin recorded. Ticks with a drive not operational (or, for recorded channels, without a
/// valid twin verdict, or within the twin's warm-up) are skipped. Not real-time safe.
/// </summary>
public static class TwinValidator
{
    /// <summary>
    /// Entry point for <c>rt validate &lt;recording&gt; --config &lt;f&gt; [--params &lt;file&gt;]</c>: opens the recording, loads
    /// the parameter file (default: the config's <c>twin.parameters</c>; none = recorded innovations only) validated
    /// against the config and its URDF, and runs <see cref="Run"/>. Throws <see cref="Rt.Core.Errors.InputError"/> on bad input.
    /// Not real-time safe.
    /// </summary>
    public static ValidationReport RunFile(string recordingPath, Rt.Core.Config.RtConfig config, string? parametersPath = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var recording = TickRecording.Open(recordingPath);
        string? path = !string.IsNullOrWhiteSpace(parametersPath) ? parametersPath
            : !string.IsNullOrWhiteSpace(config.Twin.Parameters) ? config.Resolve(config.Twin.Parameters) : null;
        var parameters = path is null ? null : TwinParameterFile.Load(path, config, config.Description);
        var report = config.Description is null ? Run(recording, parameters, config.Description) : RunTwin(recording, config, parameters);
        return report with { Gap = RealityGap.Compute(recording, parameters) };
    }

    /// <summary>
    /// Replays the twin the parameters describe (nominal without them) over the recording with <see cref="TwinReplay"/>
    /// and reports, per channel, its innovations over the ticks where the channel is armed (valid, not excluded):
    /// RMS (of the norm for IMU channels), max, bias (mean; of the norm for IMU channels) and the detectors'
    /// normalised RMS √(mean NIS / d). Not real-time safe.
    /// </summary>
    public static ValidationReport RunTwin(TickRecording recording, Rt.Core.Config.RtConfig config, TwinParameters? parameters)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(config);
        var channels = recording.Channels;
        var options = parameters is null
            ? new DigitalTwinOptions { Description = config.Description }
            : TwinParameterOptions.Apply(parameters, channels, new DigitalTwinOptions { Description = config.Description });
        int n = channels.Count;
        var sum2 = new double[n];
        var sum = new double[n];
        var max = new double[n];
        var nis = new double[n];
        var samples = new int[n];
        var dims = new int[n];
        for (int c = 0; c < n; c++) dims[c] = NoiseModel.DimensionOf(channels.Channels[c].Kind);
        TwinReplay.Run(recording, config, options, (t, twin, state) =>
        {
            var record = state.Divergence;
            if (!record.Valid) return;
            var components = twin.Components;
            for (int c = 0; c < n; c++)
            {
                if (twin.CrossCheck.IsExcluded(c)) continue;
                int o = twin.CrossCheck.ComponentOffset(c);
                double e2 = 0;
                for (int i = 0; i < dims[c]; i++) e2 += components[o + i] * components[o + i];
                if (!double.IsFinite(e2) || !double.IsFinite(record.Score[c])) continue;
                double v = dims[c] == 1 ? components[o] : Math.Sqrt(e2);
                sum2[c] += e2;
                sum[c] += v;
                max[c] = Math.Max(max[c], Math.Abs(v));
                nis[c] += record.Score[c];
                samples[c]++;
            }
        });
        var result = new List<ChannelAccuracy>();
        for (int c = 0; c < n; c++)
        {
            var ch = channels.Channels[c];
            int k = samples[c];
            result.Add(k == 0
                ? new ChannelAccuracy(ch.Name, ch.Unit, "twin", 0, double.NaN, double.NaN, double.NaN, 0)
                : new ChannelAccuracy(ch.Name, ch.Unit, "twin", k, Math.Sqrt(sum2[c] / k), max[c], sum[c] / k, 0, Math.Sqrt(nis[c] / k / dims[c])));
        }
        return new ValidationReport(recording.Path, recording.Robot, recording.Count, result);
    }

    /// <summary>Not real-time safe.</summary>
    /// <param name="warmupTicks">Recorded innovations of the first this many valid ticks after a start (or after any tick
    /// without a valid verdict) are skipped: the twin's first predictions start from nothing.</param>
    public static ValidationReport Run(TickRecording recording, TwinParameters? parameters = null, RobotDescription? description = null,
        int accelerationHalfWindow = 5, int warmupTicks = 10)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var layout = recording.Layout;
        var channels = recording.Channels;
        int count = recording.Count;
        var operational = new bool[count];
        var valid = new bool[count];
        for (int t = 0; t < count; t++)
        {
            int flags = (int)recording.Get(t, RecordLayout.FlagsOffset);
            operational[t] = (flags & RecordLayout.FlagAllDrivesOperational) != 0;
            valid[t] = (flags & RecordLayout.FlagDivergenceValid) != 0;
        }
        var settled = new bool[count];
        for (int t = 0, run = 0; t < count; t++)
        {
            run = valid[t] ? run + 1 : 0;
            settled[t] = run > warmupTicks;
        }
        NoiseModel? noise = null;
        if (parameters is not null)
        {
            if (!parameters.Joints.Select(j => j.Name).SequenceEqual(recording.JointNames))
                throw new Rt.Core.Errors.InputError(recording.Path, "header: joint names",
                    $"the recording's joints [{string.Join(", ", recording.JointNames)}] do not match the parameter file's [{string.Join(", ", parameters.Joints.Select(j => j.Name))}]");
            if (parameters.Imus.Count == channels.ImuCount) noise = parameters.ToNoiseModel(channels);
        }

        var replay = new double[channels.Count][];
        if (parameters is not null) ReplayJoints(recording, parameters, description, operational, accelerationHalfWindow, replay);

        var result = new List<ChannelAccuracy>();
        for (int c = 0; c < channels.Count; c++)
        {
            var ch = channels.Channels[c];
            double sigma = noise is null ? 0 : Rms(noise.SigmaOf(c));
            if (sigma == 0 && parameters is not null && ch.Index < parameters.Joints.Count && ch.Kind is not (ChannelKind.ImuAngularRate or ChannelKind.ImuSpecificForce))
            {
                var jn = parameters.Joints[ch.Index].Noise;
                sigma = ch.Kind switch
                {
                    ChannelKind.JointPosition => jn.PositionRad,
                    ChannelKind.JointVelocity => jn.VelocityRadS,
                    ChannelKind.JointTorque => jn.TorqueNm,
                    _ => jn.ExternalTorqueNm,
                };
            }
            if (replay[c] is { } e)
            {
                result.Add(Stats(ch, "replay", e, sigma));
                continue;
            }
            var recorded = new List<double>();
            int offset = layout.Channel(c, ChannelField.Innovation);
            for (int t = 0; t < count; t++)
                if (settled[t] && double.IsFinite(recording.Get(t, offset))) recorded.Add(recording.Get(t, offset));
            result.Add(Stats(ch, "recorded", [.. recorded], sigma));
        }
        return new ValidationReport(recording.Path, recording.Robot, count, result);
    }

    private static void ReplayJoints(TickRecording recording, TwinParameters parameters, RobotDescription? description, bool[] operational, int k, double[][] replay)
    {
        var channels = recording.Channels;
        int count = recording.Count, n = channels.JointCount;
        double period = recording.PeriodNs * 1e-9;
        var q = new double[n][];
        var qd = new double[n][];
        var tau = new double[n][];
        for (int j = 0; j < n; j++)
        {
            q[j] = recording.JointSeries(j, JointField.Position);
            qd[j] = recording.JointSeries(j, JointField.Velocity);
            tau[j] = recording.JointSeries(j, JointField.Torque);
            var u = recording.JointSeries(j, JointField.TargetPosition);
            var v = recording.JointSeries(j, JointField.TargetVelocity);
            var servo = parameters.Joints[j].Servo;
            var (phi, gamma) = ServoDiscretisation.ZeroOrderHold(servo.NaturalFrequencyRadS, servo.DampingRatio, servo.Gain, servo.VelocityFeedforwardGain, period);
            int d = servo.DelayTicks;
            var ep = new List<double>();
            var ev = new List<double>();
            for (int t = 2 + d; t < count; t++)
            {
                if (!operational[t] || !operational[t - 1]) continue;
                double uc = u[t - 1 - d], vc = v[t - 1 - d];
                ep.Add(q[j][t] - (phi[0] * q[j][t - 1] + phi[1] * qd[j][t - 1] + gamma[0] * uc + gamma[1] * vc));
                ev.Add(qd[j][t] - (phi[2] * q[j][t - 1] + phi[3] * qd[j][t - 1] + gamma[2] * uc + gamma[3] * vc));
            }
            replay[channels.IndexOf(ChannelKind.JointPosition, j)] = [.. ep];
            replay[channels.IndexOf(ChannelKind.JointVelocity, j)] = [.. ev];
        }
        if (description is null) return;
        var model = RigidBodyModel.FromDescription(description);
        var map = model.MapJointNames(recording.JointNames);
        var pi = new double[model.ParameterCount];
        model.GetInertialParameters(pi);
        if (parameters.Links.Count == model.DegreesOfFreedom)
            for (int b = 0; b < model.DegreesOfFreedom; b++) parameters.Links[b].Pi.CopyTo(pi, 10 * b);
        var mq = new double[n];
        var mqd = new double[n];
        var mqdd = new double[n];
        var predicted = new double[n];
        var et = new List<double>[n];
        for (int j = 0; j < n; j++) et[j] = [];
        for (int t = k; t < count - k; t++)
        {
            if (!operational[t - k] || !operational[t + k]) continue;
            for (int j = 0; j < n; j++)
            {
                mq[map[j]] = q[j][t];
                mqd[map[j]] = qd[j][t];
                mqdd[map[j]] = (qd[j][t + k] - qd[j][t - k]) / (2 * k * period);
            }
            model.InverseDynamics(mq, mqd, mqdd, predicted, pi, true);
            for (int j = 0; j < n; j++)
            {
                var f = parameters.Joints[j].Friction;
                double friction = f.CoulombFrictionNm * Math.Tanh(qd[j][t] / f.CoulombSmoothingRadS) + f.ViscousFrictionNmsPerRad * qd[j][t];
                et[j].Add(tau[j][t] - predicted[map[j]] - friction);
            }
        }
        for (int j = 0; j < n; j++) replay[channels.IndexOf(ChannelKind.JointTorque, j)] = [.. et[j]];
    }

    private static ChannelAccuracy Stats(ChannelInfo ch, string source, double[] e, double sigma)
    {
        if (e.Length == 0) return new ChannelAccuracy(ch.Name, ch.Unit, source, 0, double.NaN, double.NaN, double.NaN, sigma);
        double sum = 0, sq = 0, max = 0;
        foreach (double x in e)
        {
            sum += x;
            sq += x * x;
            max = Math.Max(max, Math.Abs(x));
        }
        return new ChannelAccuracy(ch.Name, ch.Unit, source, e.Length, Math.Sqrt(sq / e.Length), max, sum / e.Length, sigma);
    }

    private static double Rms(ReadOnlySpan<double> v)
    {
        double s = 0;
        foreach (double x in v) s += x * x;
        return v.Length == 0 ? 0 : Math.Sqrt(s / v.Length);
    }
}
