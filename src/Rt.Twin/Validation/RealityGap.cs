using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Twin.CrossCheck;
using Rt.Twin.Parameters;
using Rt.Twin.Recording;
using static Rt.Twin.JsonNumbers;

namespace Rt.Twin.Validation;

/// <summary>One channel's gap: the running twin's recorded innovation (measured − predicted) over its valid ticks.</summary>
/// <param name="Rms">RMS of the innovation (vector channels: of its norm).</param>
/// <param name="MeasuredSigma">Standard deviation of the innovation (vector channels: RMS of the norm, whose modelled value is √Σσᵢ²).</param>
/// <param name="ModelledSigma">The noise model's σ (vector channels: √Σσᵢ²); NaN without a parameter file.</param>
/// <param name="Lag1">Lag-1 autocorrelation of the innovation series.</param>
/// <param name="ModelledLag1">The noise model's lag-1 coefficient ρ (vector channels: mean over components); NaN without a parameter file.</param>
public sealed record GapChannel(string Channel, string Unit, int Samples, double Bias, double Rms, double MeasuredSigma, double ModelledSigma, double Lag1, double ModelledLag1)
{
    /// <summary>Measured over modelled σ (1 = the noise model fits).</summary>
    public double SigmaRatio => ModelledSigma > 0 ? MeasuredSigma / ModelledSigma : double.NaN;
}

/// <summary>Mechanical energy of one joint over the recording: Σ τ·q̇·dt, robot (measured) and twin (predicted = measured − innovation).</summary>
public sealed record GapEnergy(string Joint, double RobotJ, double TwinJ, double RobotAbsJ, double TwinAbsJ)
{
    /// <summary>(twin − robot) / robot of Σ|τ·q̇|·dt, the energy moved through the joint (NaN when the robot moved none).</summary>
    public double RelativeGap => RobotAbsJ > 0 ? (TwinAbsJ - RobotAbsJ) / RobotAbsJ : double.NaN;
}

/// <summary>
/// The reality gap of a recording, per group (docs/TWIN.md, "Reality gap"): kinematic (joint position, velocity),
/// dynamic (joint torque, external torque), sensor noise (encoders: position/velocity; IMUs: angular rate, specific
/// force — measured vs modelled σ and lag-1 correlation) and energy (Σ τ·q̇·dt per joint, twin vs robot). From the running
/// twin's recorded innovations, so it describes the twin that ran. Not real-time safe.
/// </summary>
public sealed record RealityGap(string Recording, string Robot, int Ticks, int ValidTicks, IReadOnlyList<GapChannel> Kinematic, IReadOnlyList<GapChannel> Dynamic,
    IReadOnlyList<GapChannel> SensorNoise, IReadOnlyList<GapEnergy> Energy)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Not real-time safe. <paramref name="parameters"/> gives the modelled σ and ρ (null: NaN).</summary>
    public static RealityGap Compute(TickRecording recording, TwinParameters? parameters)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var layout = recording.Layout;
        var channels = recording.Channels;
        int count = recording.Count;
        var valid = new bool[count];
        int validTicks = 0;
        for (int t = 0; t < count; t++)
        {
            int flags = (int)recording.Get(t, RecordLayout.FlagsOffset);
            valid[t] = (flags & RecordLayout.FlagDivergenceValid) != 0 && (flags & RecordLayout.FlagAllDrivesOperational) != 0;
            if (valid[t]) validTicks++;
        }
        NoiseModel? noise = parameters is not null && parameters.Joints.Count == channels.JointCount && parameters.Imus.Count == channels.ImuCount
            ? parameters.ToNoiseModel(channels) : null;
        var kinematic = new List<GapChannel>();
        var dynamic = new List<GapChannel>();
        var sensor = new List<GapChannel>();
        for (int c = 0; c < channels.Count; c++)
        {
            var ch = channels.Channels[c];
            var g = Channel(recording, c, valid, noise);
            switch (ch.Kind)
            {
                case ChannelKind.JointPosition or ChannelKind.JointVelocity:
                    kinematic.Add(g);
                    sensor.Add(g);
                    break;
                case ChannelKind.ImuAngularRate or ChannelKind.ImuSpecificForce:
                    sensor.Add(g);
                    break;
                default:
                    dynamic.Add(g);
                    break;
            }
        }
        var energy = new List<GapEnergy>();
        double dt = recording.PeriodNs * 1e-9;
        for (int j = 0; j < channels.JointCount; j++)
        {
            int vc = channels.IndexOf(ChannelKind.JointVelocity, j), tc = channels.IndexOf(ChannelKind.JointTorque, j);
            int qdo = layout.Joint(j, JointField.Velocity), tauo = layout.Joint(j, JointField.Torque);
            int evo = vc >= 0 ? layout.Channel(vc, ChannelField.Innovation) : -1, eto = tc >= 0 ? layout.Channel(tc, ChannelField.Innovation) : -1;
            double robot = 0, twin = 0, robotAbs = 0, twinAbs = 0;
            for (int t = 0; t < count; t++)
            {
                if (!valid[t]) continue;
                double qd = recording.Get(t, qdo), tau = recording.Get(t, tauo);
                double ev = evo >= 0 ? recording.Get(t, evo) : 0, et = eto >= 0 ? recording.Get(t, eto) : 0;
                if (!(double.IsFinite(qd) && double.IsFinite(tau) && double.IsFinite(ev) && double.IsFinite(et))) continue;
                double pr = tau * qd * dt, pt = (tau - et) * (qd - ev) * dt;
                robot += pr;
                twin += pt;
                robotAbs += Math.Abs(pr);
                twinAbs += Math.Abs(pt);
            }
            energy.Add(new GapEnergy(channels.JointNames[j], robot, twin, robotAbs, twinAbs));
        }
        return new RealityGap(recording.Path, recording.Robot, count, validTicks, kinematic, dynamic, sensor, energy);
    }

    private static GapChannel Channel(TickRecording recording, int c, bool[] valid, NoiseModel? noise)
    {
        var ch = recording.Channels.Channels[c];
        int o = recording.Layout.Channel(c, ChannelField.Innovation);
        bool vector = ch.Kind is ChannelKind.ImuAngularRate or ChannelKind.ImuSpecificForce;
        double sum = 0, sq = 0, lagSum = 0, prev = double.NaN;
        int n = 0, pairs = 0;
        var series = new List<double>(recording.Count);
        for (int t = 0; t < recording.Count; t++)
        {
            double e = valid[t] ? recording.Get(t, o) : double.NaN;
            series.Add(e);
            if (!double.IsFinite(e)) continue;
            sum += e;
            sq += e * e;
            n++;
        }
        double mean = n > 0 ? sum / n : double.NaN;
        double variance = n > 1 ? Math.Max(0, (sq - n * mean * mean) / (n - 1)) : double.NaN;
        foreach (double e in series)
        {
            if (double.IsFinite(e) && double.IsFinite(prev))
            {
                lagSum += (e - mean) * (prev - mean);
                pairs++;
            }
            prev = e;
        }
        double lag1 = pairs > 0 && variance > 0 ? lagSum / pairs / variance : double.NaN;
        double rms = n > 0 ? Math.Sqrt(sq / n) : double.NaN;
        double modelledSigma = double.NaN, modelledLag1 = double.NaN;
        if (noise is not null)
        {
            var s = noise.SigmaOf(c);
            double s2 = 0;
            foreach (double x in s) s2 += x * x;
            modelledSigma = Math.Sqrt(s2);
            var r = noise.Ar1Of(c);
            double rs = 0;
            foreach (double x in r) rs += x;
            modelledLag1 = r.Length > 0 ? rs / r.Length : 0;
        }
        // A vector channel's innovation is the norm of a zero-mean vector: its RMS is what √Σσᵢ² models.
        double measured = vector ? rms : Math.Sqrt(variance);
        return new GapChannel(ch.Name, ch.Unit, n, mean, rms, measured, modelledSigma, lag1, modelledLag1);
    }

    public string ToText()
    {
        var s = new StringBuilder();
        s.AppendLine(Inv, $"reality gap: {Recording} ({Robot}, {ValidTicks} of {Ticks} ticks with a valid twin verdict)");
        Group(s, "kinematic (position, velocity)", Kinematic, false);
        Group(s, "dynamic (torque, external torque)", Dynamic, false);
        Group(s, "sensor noise (encoders, IMUs): measured vs modelled σ and lag-1 correlation", SensorNoise, true);
        s.AppendLine("energy (Σ τ·q̇·dt per joint, twin vs robot)");
        s.AppendLine(Inv, $"  {"joint",-20} {"robot J",11} {"twin J",11} {"robot |J|",11} {"twin |J|",11} {"gap",8}");
        foreach (var e in Energy)
            s.AppendLine(Inv, $"  {e.Joint,-20} {e.RobotJ,11:G4} {e.TwinJ,11:G4} {e.RobotAbsJ,11:G4} {e.TwinAbsJ,11:G4} {Pct(e.RelativeGap),8}");
        double ra = Energy.Sum(e => e.RobotAbsJ), ta = Energy.Sum(e => e.TwinAbsJ);
        s.AppendLine(Inv, $"  {"all joints",-20} {Energy.Sum(e => e.RobotJ),11:G4} {Energy.Sum(e => e.TwinJ),11:G4} {ra,11:G4} {ta,11:G4} {Pct(ra > 0 ? (ta - ra) / ra : double.NaN),8}");
        return s.ToString();
    }

    private static string Pct(double v) => double.IsFinite(v) ? v.ToString("P1", Inv) : "-";

    private static void Group(StringBuilder s, string title, IReadOnlyList<GapChannel> rows, bool noise)
    {
        s.AppendLine(title);
        s.AppendLine(noise
            ? string.Create(Inv, $"  {"channel",-30} {"unit",-6} {"σ meas",11} {"σ model",11} {"ratio",7} {"ρ1 meas",8} {"ρ1 model",8}")
            : string.Create(Inv, $"  {"channel",-30} {"unit",-6} {"samples",8} {"bias",11} {"rms",11}"));
        foreach (var g in rows)
            s.AppendLine(noise
                ? string.Create(Inv, $"  {g.Channel,-30} {g.Unit,-6} {g.MeasuredSigma,11:G4} {g.ModelledSigma,11:G4} {g.SigmaRatio,7:F2} {g.Lag1,8:F3} {g.ModelledLag1,8:F3}")
                : string.Create(Inv, $"  {g.Channel,-30} {g.Unit,-6} {g.Samples,8} {g.Bias,11:G4} {g.Rms,11:G4}"));
    }

    /// <summary>Writes the gap as a JSON object (property "reality_gap" of rt validate's JSON).</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteNumber("valid_ticks", ValidTicks);
        foreach (var (name, rows) in new[] { ("kinematic", Kinematic), ("dynamic", Dynamic), ("sensor_noise", SensorNoise) })
        {
            w.WriteStartArray(name);
            foreach (var g in rows)
            {
                w.WriteStartObject();
                w.WriteString("channel", g.Channel);
                w.WriteString("unit", g.Unit);
                w.WriteNumber("samples", g.Samples);
                Number(w, "bias", g.Bias);
                Number(w, "rms", g.Rms);
                Number(w, "sigma_measured", g.MeasuredSigma);
                Number(w, "sigma_modelled", g.ModelledSigma);
                Number(w, "lag1_measured", g.Lag1);
                Number(w, "lag1_modelled", g.ModelledLag1);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteStartArray("energy");
        foreach (var e in Energy)
        {
            w.WriteStartObject();
            w.WriteString("joint", e.Joint);
            Number(w, "robot_j", e.RobotJ);
            Number(w, "twin_j", e.TwinJ);
            Number(w, "robot_abs_j", e.RobotAbsJ);
            Number(w, "twin_abs_j", e.TwinAbsJ);
            Number(w, "relative_gap", e.RelativeGap);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }


    /// <summary>Self-contained HTML (inline SVG bar charts, no script): per group RMS per channel, σ measured vs modelled, energy twin vs robot.</summary>
    public string ToHtml(ValidationReport? accuracy = null)
    {
        var s = new StringBuilder();
        s.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>rt validate</title><style>body{font-family:sans-serif;margin:1em}svg{border:1px solid #ccc;margin:4px}pre{font-size:12px}</style></head><body>");
        s.Append("<h1>Reality gap</h1><p>").Append(WebUtility.HtmlEncode($"{Recording} ({Robot}, {ValidTicks} of {Ticks} ticks with a valid twin verdict)")).Append("</p>");
        s.Append("<h2>Kinematic</h2>").Append(Bars("RMS innovation", Kinematic.Select(g => (g.Channel, g.Rms, double.NaN)).ToList()));
        s.Append("<h2>Dynamic</h2>").Append(Bars("RMS innovation", Dynamic.Select(g => (g.Channel, g.Rms, double.NaN)).ToList()));
        s.Append("<h2>Sensor noise</h2>").Append(Bars("σ measured / σ modelled (1 = the model fits)", SensorNoise.Select(g => (g.Channel, g.SigmaRatio, 1.0)).ToList()));
        s.Append(Bars("lag-1 correlation measured (bar) vs modelled (mark)", SensorNoise.Select(g => (g.Channel, g.Lag1, g.ModelledLag1)).ToList()));
        s.Append("<h2>Energy</h2>").Append(Bars("Σ|τ·q̇|·dt, J: twin (bar) vs robot (mark)", Energy.Select(e => (e.Joint, e.TwinAbsJ, e.RobotAbsJ)).ToList()));
        s.Append("<h2>Tables</h2><pre>").Append(WebUtility.HtmlEncode(ToText()));
        if (accuracy is not null) s.Append('\n').Append(WebUtility.HtmlEncode(accuracy.ToTable()));
        s.Append("</pre></body></html>");
        return s.ToString();
    }

    // Horizontal bars, one per row, with an optional reference mark per row.
    private static string Bars(string title, IReadOnlyList<(string Name, double Value, double Mark)> rows)
    {
        const double L = 200, W = 640, Row = 14, T = 22;
        double H = T + Row * rows.Count + 8;
        double max = 0, min = 0;
        foreach (var (_, v, m) in rows)
        {
            if (double.IsFinite(v)) { max = Math.Max(max, v); min = Math.Min(min, v); }
            if (double.IsFinite(m)) { max = Math.Max(max, m); min = Math.Min(min, m); }
        }
        if (max <= min) max = min + 1;
        string X(double v) => (L + (v - min) / (max - min) * (W - L - 50)).ToString("F1", Inv);
        var s = new StringBuilder();
        s.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\"><text x=\"4\" y=\"14\" font-size=\"12\">{WebUtility.HtmlEncode(title)}</text>");
        for (int i = 0; i < rows.Count; i++)
        {
            var (name, v, m) = rows[i];
            double y = T + i * Row;
            s.Append(Inv, $"<text x=\"{L - 4}\" y=\"{y + 10}\" font-size=\"10\" text-anchor=\"end\">{WebUtility.HtmlEncode(name)}</text>");
            if (double.IsFinite(v))
            {
                double a = Math.Min(v, 0), b = Math.Max(v, 0);
                s.Append(Inv, $"<rect x=\"{X(a)}\" y=\"{y + 2}\" width=\"{(double.Parse(X(b), Inv) - double.Parse(X(a), Inv)):F1}\" height=\"{Row - 4}\" fill=\"#06c\"/>");
                s.Append(Inv, $"<text x=\"{double.Parse(X(b), Inv) + 3:F1}\" y=\"{y + 10}\" font-size=\"9\">{v:G3}</text>");
            }
            if (double.IsFinite(m)) s.Append(Inv, $"<line x1=\"{X(m)}\" y1=\"{y}\" x2=\"{X(m)}\" y2=\"{y + Row}\" stroke=\"#c00\" stroke-width=\"2\"/>");
        }
        s.Append("</svg>");
        return s.ToString();
    }
}
