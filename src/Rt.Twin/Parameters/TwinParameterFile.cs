using System.Globalization;
using System.Text;
using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rt.Twin.Parameters;

/// <summary>
/// Reads and writes the twin-parameter file (YAML, snake_case keys, units in the key names). Reading is strict: an
/// unknown key, a wrong type, a non-finite number, σ ≤ 0, or joints/IMUs/links that do not match the config and the
/// URDF (names, order, counts) are <see cref="InputError"/>s naming the file, the key path and line, and what was
/// expected. Not real-time safe.
/// </summary>
public static class TwinParameterFile
{
    /// <summary>Not real-time safe. Loads and validates; <paramref name="config"/> gives the joint and IMU order, <paramref name="description"/> the robot name and bodies (either may be null to skip that check).</summary>
    public static TwinParameters Load(string path, RtConfig? config, RobotDescription? description)
    {
        string full = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputError(full, "", $"cannot read the twin-parameter file: {e.Message}", e);
        }
        return Parse(text, full, config, description);
    }

    /// <summary>Not real-time safe. Parses file text; <paramref name="source"/> names the file in messages.</summary>
    public static TwinParameters Parse(string yamlText, string source, RtConfig? config, RobotDescription? description)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yamlText));
        }
        catch (YamlException e)
        {
            throw new InputError(source, $"line {e.Start.Line}, column {e.Start.Column}", $"malformed YAML: {e.Message}", e);
        }
        if (stream.Documents.Count == 0) throw new InputError(source, "", "the file is empty; expected a twin-parameter mapping (schema_version:, robot:, joints:, ...)");
        var reader = new Reader(source);
        var parameters = reader.ReadRoot(stream.Documents[0].RootNode);
        Validate(parameters, reader, config, description);
        return parameters;
    }

    /// <summary>Not real-time safe. Writes the file (atomically: temp file then rename).</summary>
    public static void Save(string path, TwinParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        string full = Path.GetFullPath(path);
        string temp = full + ".tmp";
        File.WriteAllText(temp, Format(parameters), new UTF8Encoding(false));
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>Not real-time safe. The file text for <paramref name="p"/>; doubles round-trip exactly.</summary>
    public static string Format(TwinParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var s = new StringBuilder();
        s.AppendLine("# Twin parameters (written by rt calibrate). Joint-side SI units; units are in the key names.");
        s.AppendLine(Inv($"schema_version: {p.SchemaVersion}"));
        s.AppendLine(Inv($"robot: {Quote(p.Robot)}"));
        s.AppendLine(Inv($"rate_hz: {N(p.RateHz)}"));
        s.AppendLine("joints:");
        foreach (var j in p.Joints)
        {
            s.AppendLine(Inv($"  - name: {Quote(j.Name)}"));
            s.AppendLine(Inv($"    servo: {{natural_frequency_rad_s: {N(j.Servo.NaturalFrequencyRadS)}, damping_ratio: {N(j.Servo.DampingRatio)}, gain: {N(j.Servo.Gain)}, delay_ticks: {j.Servo.DelayTicks}, velocity_feedforward_gain: {N(j.Servo.VelocityFeedforwardGain)}, arx: {List(j.Servo.Arx)}}}"));
            s.AppendLine(Inv($"    friction: {{coulomb_friction_nm: {N(j.Friction.CoulombFrictionNm)}, viscous_friction_nms_per_rad: {N(j.Friction.ViscousFrictionNmsPerRad)}, coulomb_smoothing_rad_s: {N(j.Friction.CoulombSmoothingRadS)}}}"));
            var n = j.Noise;
            s.AppendLine(Inv($"    noise: {{position_rad: {N(n.PositionRad)}, velocity_rad_s: {N(n.VelocityRadS)}, torque_nm: {N(n.TorqueNm)}, external_torque_nm: {N(n.ExternalTorqueNm)}, position_bias_rad: {N(n.PositionBiasRad)}, velocity_bias_rad_s: {N(n.VelocityBiasRadS)}, torque_bias_nm: {N(n.TorqueBiasNm)}, external_torque_bias_nm: {N(n.ExternalTorqueBiasNm)}, position_ar1: {N(n.PositionAr1)}, velocity_ar1: {N(n.VelocityAr1)}, torque_ar1: {N(n.TorqueAr1)}, external_torque_ar1: {N(n.ExternalTorqueAr1)}}}"));
        }
        s.AppendLine(p.Imus.Count == 0 ? "imus: []" : "imus:");
        foreach (var i in p.Imus)
        {
            s.AppendLine(Inv($"  - name: {Quote(i.Name)}"));
            s.AppendLine(Inv($"    angular_rate_sigma_rad_s: {List(i.AngularRateSigma)}"));
            s.AppendLine(Inv($"    angular_rate_bias_rad_s: {List(i.AngularRateBias)}"));
            s.AppendLine(Inv($"    specific_force_sigma_m_s2: {List(i.SpecificForceSigma)}"));
            s.AppendLine(Inv($"    specific_force_bias_m_s2: {List(i.SpecificForceBias)}"));
            s.AppendLine(Inv($"    angular_rate_ar1: {List(i.AngularRateAr1)}"));
            s.AppendLine(Inv($"    specific_force_ar1: {List(i.SpecificForceAr1)}"));
        }
        s.AppendLine("# Per body: [m, m*cx, m*cy, m*cz, Ixx, Ixy, Ixz, Iyy, Iyz, Izz] about the body origin (kg, kg*m, kg*m^2).");
        s.AppendLine(p.Links.Count == 0 ? "links: []" : "links:");
        foreach (var l in p.Links) s.AppendLine(Inv($"  - {{name: {Quote(l.Name)}, pi: {List(l.Pi)}}}"));
        s.AppendLine(p.BaseParameters.Count == 0 ? "base_parameters: []" : "base_parameters:");
        foreach (var b in p.BaseParameters) s.AppendLine(Inv($"  - {{name: {Quote(b.Name)}, value: {N(b.Value)}}}"));
        s.AppendLine(p.Fit.Count == 0 ? "fit: []" : "fit:");
        foreach (var f in p.Fit) s.AppendLine(Inv($"  - {{channel: {Quote(f.Channel)}, r2: {N(f.R2)}, residual_sigma: {N(f.ResidualSigma)}}}"));
        return s.ToString();
    }

    private static string Inv(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);

    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string List(double[] v) => "[" + string.Join(", ", v.Select(N)) + "]";

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static void Validate(TwinParameters p, Reader r, RtConfig? config, RobotDescription? description)
    {
        if (p.SchemaVersion != TwinParameters.CurrentSchemaVersion)
            throw r.Error("schema_version", $"schema version {p.SchemaVersion} is not supported; this build reads version {TwinParameters.CurrentSchemaVersion}");
        if (description is not null && p.Robot != description.Name)
            throw r.Error("robot", $"expected robot '{description.Name}' (from {description.SourcePath}), found '{p.Robot}'");
        if (!(p.RateHz > 0)) throw r.Error("rate_hz", $"must be > 0, found {p.RateHz}");
        if (config is not null && config.Loop.RateHz > 0 && Math.Abs(config.Loop.RateHz - p.RateHz) > 1e-9 * p.RateHz)
            throw r.Error("rate_hz", $"the servo models were fitted at {p.RateHz} Hz but the config runs the loop at {config.Loop.RateHz} Hz; recalibrate at the loop rate");

        IReadOnlyList<string>? jointNames = config is { Joints.Count: > 0 }
            ? config.Joints.Select(j => j.Name).ToList()
            : description?.MovableJoints.Select(j => j.Name).ToList();
        string jointSource = config is { Joints.Count: > 0 } ? $"the config ({config.SourcePath})" : $"the URDF ({description?.SourcePath})";
        if (jointNames is not null) MatchNames(r, "joints", p.Joints.Select(j => j.Name).ToList(), jointNames, jointSource, "joint");
        if (config is not null)
            MatchNames(r, "imus", p.Imus.Select(i => i.Name).ToList(), config.Imus.Select(i => i.Name).ToList(), $"the config ({config.SourcePath})", "IMU");
        if (description is not null && p.Links.Count > 0)
        {
            var bodies = description.MovableJoints.Select(j => j.Child).ToList();
            MatchNames(r, "links", p.Links.Select(l => l.Name).ToList(), bodies, $"the URDF's moving bodies ({description.SourcePath})", "body");
        }
    }

    private static void MatchNames(Reader r, string key, IReadOnlyList<string> found, IReadOnlyList<string> expected, string expectedSource, string what)
    {
        if (found.Count != expected.Count)
            throw r.Error(key, $"has {found.Count} {what} entries; {expectedSource} has {expected.Count}: expected [{string.Join(", ", expected)}], found [{string.Join(", ", found)}]");
        for (int i = 0; i < found.Count; i++)
        {
            if (found[i] != expected[i])
            {
                string hint = expected.Contains(found[i]) ? $" ('{found[i]}' is {what} {IndexOf(expected, found[i])} there: same {what}s, different order)" : "";
                throw r.Error($"{key}[{i}].name", $"expected {what} '{expected[i]}' (entry {i} of {expectedSource}), found '{found[i]}'{hint}");
            }
        }
    }

    private static int IndexOf(IReadOnlyList<string> list, string item)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == item) return i;
        return -1;
    }

    /// <summary>Strict YAML-tree reader that remembers the line of every key path for validation messages.</summary>
    private sealed class Reader(string source)
    {
        private readonly Dictionary<string, long> _lines = new(StringComparer.Ordinal);

        public InputError Error(string path, string problem) =>
            new(source, _lines.TryGetValue(path, out long line) ? $"{path} (line {line})" : path, problem);

        private InputError Error(YamlNode node, string path, string problem) =>
            new(source, $"{(path.Length == 0 ? "(root)" : path)} (line {node.Start.Line})", problem);

        public TwinParameters ReadRoot(YamlNode root)
        {
            var p = new TwinParameters();
            var m = Map(root, "", ["schema_version", "robot", "rate_hz", "joints", "imus", "links", "base_parameters", "fit"], ["schema_version", "robot", "joints"]);
            p.SchemaVersion = Int(m["schema_version"], "schema_version");
            p.Robot = Text(m["robot"], "robot");
            if (m.TryGetValue("rate_hz", out var rate)) p.RateHz = Real(rate, "rate_hz");
            p.Joints = Seq(m["joints"], "joints", ReadJoint);
            if (m.TryGetValue("imus", out var imus)) p.Imus = Seq(imus, "imus", ReadImu);
            if (m.TryGetValue("links", out var links)) p.Links = Seq(links, "links", ReadLink);
            if (m.TryGetValue("base_parameters", out var bases))
                p.BaseParameters = Seq(bases, "base_parameters", (n, path) =>
                {
                    var b = Map(n, path, ["name", "value"], ["name", "value"]);
                    return new BaseParameter { Name = Text(b["name"], path + ".name"), Value = Real(b["value"], path + ".value") };
                });
            if (m.TryGetValue("fit", out var fit))
                p.Fit = Seq(fit, "fit", (n, path) =>
                {
                    var f = Map(n, path, ["channel", "r2", "residual_sigma"], ["channel"]);
                    return new ChannelFit
                    {
                        Channel = Text(f["channel"], path + ".channel"),
                        R2 = f.TryGetValue("r2", out var r2) ? Real(r2, path + ".r2") : 0,
                        ResidualSigma = f.TryGetValue("residual_sigma", out var rs) ? Real(rs, path + ".residual_sigma") : 0,
                    };
                });
            return p;
        }

        private JointParameters ReadJoint(YamlNode node, string path)
        {
            var m = Map(node, path, ["name", "servo", "friction", "noise"], ["name"]);
            var j = new JointParameters { Name = Text(m["name"], path + ".name") };
            if (m.TryGetValue("servo", out var servo))
            {
                string sp = path + ".servo";
                var s = Map(servo, sp, ["natural_frequency_rad_s", "damping_ratio", "gain", "delay_ticks", "velocity_feedforward_gain", "arx"], []);
                if (s.TryGetValue("natural_frequency_rad_s", out var wn)) j.Servo.NaturalFrequencyRadS = Positive(wn, sp + ".natural_frequency_rad_s");
                if (s.TryGetValue("damping_ratio", out var z)) j.Servo.DampingRatio = Positive(z, sp + ".damping_ratio");
                if (s.TryGetValue("gain", out var g)) j.Servo.Gain = Positive(g, sp + ".gain");
                if (s.TryGetValue("delay_ticks", out var d))
                {
                    j.Servo.DelayTicks = Int(d, sp + ".delay_ticks");
                    if (j.Servo.DelayTicks is < 1 or > Models.ServoModel.MaxDelayTicks)
                        throw Error(d, sp + ".delay_ticks", $"must be 1..{Models.ServoModel.MaxDelayTicks} ticks (the command of tick k acts from tick k+1 at the earliest), found {j.Servo.DelayTicks}");
                }
                if (s.TryGetValue("velocity_feedforward_gain", out var kv)) j.Servo.VelocityFeedforwardGain = NonNegative(kv, sp + ".velocity_feedforward_gain");
                if (s.TryGetValue("arx", out var arx))
                {
                    j.Servo.Arx = Reals(arx, sp + ".arx");
                    if (j.Servo.Arx.Length is not (0 or 4 or 6)) throw Error(arx, sp + ".arx", $"expected [a1, a2, b1, b2], [a1, a2, b1, b2, c1, c2] or [], found {j.Servo.Arx.Length} numbers");
                }
            }
            if (m.TryGetValue("friction", out var friction))
            {
                string fp = path + ".friction";
                var f = Map(friction, fp, ["coulomb_friction_nm", "viscous_friction_nms_per_rad", "coulomb_smoothing_rad_s"], []);
                if (f.TryGetValue("coulomb_smoothing_rad_s", out var eps)) j.Friction.CoulombSmoothingRadS = Positive(eps, fp + ".coulomb_smoothing_rad_s");
                if (f.TryGetValue("coulomb_friction_nm", out var fc)) j.Friction.CoulombFrictionNm = NonNegative(fc, fp + ".coulomb_friction_nm");
                if (f.TryGetValue("viscous_friction_nms_per_rad", out var fv)) j.Friction.ViscousFrictionNmsPerRad = NonNegative(fv, fp + ".viscous_friction_nms_per_rad");
            }
            if (m.TryGetValue("noise", out var noise))
            {
                string np = path + ".noise";
                var n = Map(noise, np, ["position_rad", "velocity_rad_s", "torque_nm", "external_torque_nm", "position_bias_rad", "velocity_bias_rad_s", "torque_bias_nm", "external_torque_bias_nm",
                    "position_ar1", "velocity_ar1", "torque_ar1", "external_torque_ar1"], []);
                var jn = j.Noise;
                if (n.TryGetValue("position_rad", out var v)) jn.PositionRad = Positive(v, np + ".position_rad");
                if (n.TryGetValue("velocity_rad_s", out v)) jn.VelocityRadS = Positive(v, np + ".velocity_rad_s");
                if (n.TryGetValue("torque_nm", out v)) jn.TorqueNm = Positive(v, np + ".torque_nm");
                if (n.TryGetValue("external_torque_nm", out v)) jn.ExternalTorqueNm = Positive(v, np + ".external_torque_nm");
                if (n.TryGetValue("position_bias_rad", out v)) jn.PositionBiasRad = Real(v, np + ".position_bias_rad");
                if (n.TryGetValue("velocity_bias_rad_s", out v)) jn.VelocityBiasRadS = Real(v, np + ".velocity_bias_rad_s");
                if (n.TryGetValue("torque_bias_nm", out v)) jn.TorqueBiasNm = Real(v, np + ".torque_bias_nm");
                if (n.TryGetValue("external_torque_bias_nm", out v)) jn.ExternalTorqueBiasNm = Real(v, np + ".external_torque_bias_nm");
                if (n.TryGetValue("position_ar1", out v)) jn.PositionAr1 = Ar1(v, np + ".position_ar1");
                if (n.TryGetValue("velocity_ar1", out v)) jn.VelocityAr1 = Ar1(v, np + ".velocity_ar1");
                if (n.TryGetValue("torque_ar1", out v)) jn.TorqueAr1 = Ar1(v, np + ".torque_ar1");
                if (n.TryGetValue("external_torque_ar1", out v)) jn.ExternalTorqueAr1 = Ar1(v, np + ".external_torque_ar1");
            }
            return j;
        }

        private ImuParameters ReadImu(YamlNode node, string path)
        {
            var m = Map(node, path, ["name", "angular_rate_sigma_rad_s", "angular_rate_bias_rad_s", "specific_force_sigma_m_s2", "specific_force_bias_m_s2", "angular_rate_ar1", "specific_force_ar1"], ["name"]);
            var imu = new ImuParameters { Name = Text(m["name"], path + ".name") };
            if (m.TryGetValue("angular_rate_sigma_rad_s", out var v)) imu.AngularRateSigma = Vector3(v, path + ".angular_rate_sigma_rad_s", positive: true);
            if (m.TryGetValue("angular_rate_bias_rad_s", out v)) imu.AngularRateBias = Vector3(v, path + ".angular_rate_bias_rad_s", positive: false);
            if (m.TryGetValue("specific_force_sigma_m_s2", out v)) imu.SpecificForceSigma = Vector3(v, path + ".specific_force_sigma_m_s2", positive: true);
            if (m.TryGetValue("specific_force_bias_m_s2", out v)) imu.SpecificForceBias = Vector3(v, path + ".specific_force_bias_m_s2", positive: false);
            if (m.TryGetValue("angular_rate_ar1", out v)) imu.AngularRateAr1 = Ar1Vector(v, path + ".angular_rate_ar1");
            if (m.TryGetValue("specific_force_ar1", out v)) imu.SpecificForceAr1 = Ar1Vector(v, path + ".specific_force_ar1");
            return imu;
        }

        private double Ar1(YamlNode node, string path)
        {
            double v = Real(node, path);
            if (Math.Abs(v) > CrossCheck.NoiseModel.MaxAr1)
                throw Error(node, path, $"a lag-1 autocorrelation must lie in [−{CrossCheck.NoiseModel.MaxAr1}, {CrossCheck.NoiseModel.MaxAr1}], found {v}");
            return v;
        }

        private double[] Ar1Vector(YamlNode node, string path)
        {
            var v = Vector3(node, path, positive: false);
            for (int i = 0; i < 3; i++)
                if (Math.Abs(v[i]) > CrossCheck.NoiseModel.MaxAr1)
                    throw Error(node, path, $"a lag-1 autocorrelation must lie in [−{CrossCheck.NoiseModel.MaxAr1}, {CrossCheck.NoiseModel.MaxAr1}], found {v[i]} (axis {"xyz"[i]})");
            return v;
        }

        private LinkParameters ReadLink(YamlNode node, string path)
        {
            var m = Map(node, path, ["name", "pi"], ["name", "pi"]);
            var pi = Reals(m["pi"], path + ".pi");
            if (pi.Length != 10) throw Error(m["pi"], path + ".pi", $"expected 10 numbers [m, m*cx, m*cy, m*cz, Ixx, Ixy, Ixz, Iyy, Iyz, Izz], found {pi.Length}");
            return new LinkParameters { Name = Text(m["name"], path + ".name"), Pi = pi };
        }

        private double[] Vector3(YamlNode node, string path, bool positive)
        {
            var v = Reals(node, path);
            if (v.Length != 3) throw Error(node, path, $"expected 3 numbers [x, y, z], found {v.Length}");
            if (positive)
                for (int i = 0; i < 3; i++)
                    if (!(v[i] > 0)) throw Error(node, $"{path}[{i}]", $"σ must be > 0, found {v[i]}");
            return v;
        }

        private Dictionary<string, YamlNode> Map(YamlNode node, string path, string[] allowed, string[] required)
        {
            if (node is not YamlMappingNode mapping) throw Error(node, path, "expected a mapping of keys");
            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (k, v) in mapping.Children)
            {
                string key = k is YamlScalarNode s ? s.Value ?? "" : "";
                string keyPath = path.Length == 0 ? key : $"{path}.{key}";
                if (Array.IndexOf(allowed, key) < 0)
                    throw Error(k, keyPath, $"unknown key '{key}'; allowed here: {string.Join(", ", allowed)}");
                if (!result.TryAdd(key, v)) throw Error(k, keyPath, $"key '{key}' appears twice");
                _lines[keyPath] = k.Start.Line;
            }
            foreach (var key in required)
                if (!result.ContainsKey(key)) throw Error(node, path, $"missing required key '{key}'");
            return result;
        }

        private List<T> Seq<T>(YamlNode node, string path, Func<YamlNode, string, T> read)
        {
            if (node is not YamlSequenceNode seq) throw Error(node, path, "expected a list (- item)");
            var list = new List<T>();
            for (int i = 0; i < seq.Children.Count; i++)
            {
                _lines[$"{path}[{i}]"] = seq.Children[i].Start.Line;
                list.Add(read(seq.Children[i], $"{path}[{i}]"));
            }
            return list;
        }

        private string Text(YamlNode node, string path)
        {
            if (node is not YamlScalarNode s || string.IsNullOrEmpty(s.Value)) throw Error(node, path, "expected a non-empty text value");
            _lines[path] = node.Start.Line;
            return s.Value;
        }

        private int Int(YamlNode node, string path)
        {
            if (node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) return v;
            throw Error(node, path, $"expected an integer, found '{(node as YamlScalarNode)?.Value}'");
        }

        private double Real(YamlNode node, string path)
        {
            if (node is not YamlScalarNode { Value: { } text }) throw Error(node, path, "expected a number");
            string t = text.Trim();
            if (t is ".nan" or ".NaN" or ".NAN" or ".inf" or ".Inf" or "-.inf" or "+.inf" or "-.Inf")
                throw Error(node, path, $"non-finite value '{t}'; every parameter must be a finite number");
            if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                throw Error(node, path, $"expected a number, found '{t}'");
            if (!double.IsFinite(v)) throw Error(node, path, $"non-finite value '{t}'; every parameter must be a finite number");
            return v;
        }

        private double Positive(YamlNode node, string path)
        {
            double v = Real(node, path);
            if (!(v > 0)) throw Error(node, path, $"must be > 0, found {v.ToString(CultureInfo.InvariantCulture)}");
            return v;
        }

        private double NonNegative(YamlNode node, string path)
        {
            double v = Real(node, path);
            if (!(v >= 0)) throw Error(node, path, $"must be ≥ 0, found {v.ToString(CultureInfo.InvariantCulture)}");
            return v;
        }

        private double[] Reals(YamlNode node, string path)
        {
            if (node is not YamlSequenceNode seq) throw Error(node, path, "expected a list of numbers [a, b, ...]");
            var v = new double[seq.Children.Count];
            for (int i = 0; i < v.Length; i++) v[i] = Real(seq.Children[i], $"{path}[{i}]");
            return v;
        }
    }
}
