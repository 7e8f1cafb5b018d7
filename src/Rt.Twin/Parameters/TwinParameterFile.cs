using System.Globalization;
using System.Text;
using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Errors;
using YamlDotNet.RepresentationModel;

namespace Rt.Twin.Parameters;

/// <summary>
/// Reads and writes the twin-parameter file (YAML, snake_case keys, units in the key names). Reading goes through
/// Core's one validating reader (<see cref="YamlInput"/>) and is strict: an unknown key, a wrong type (a quoted "5"
/// included), a non-finite number, a value outside its plausible range (<see cref="TwinParameterBounds"/>), or
/// joints/IMUs/links that do not match the config and the URDF (names, order, counts) are <see cref="InputError"/>s
/// naming the file, line:column, the key path, and what was expected. Not real-time safe.
/// </summary>
public static class TwinParameterFile
{
    /// <summary>Not real-time safe. Loads and validates; <paramref name="config"/> gives the joint and IMU order, <paramref name="description"/> the robot name and bodies (either may be null to skip that check).</summary>
    public static TwinParameters Load(string path, RtConfig? config, RobotDescription? description)
    {
        string full = Path.GetFullPath(path);
        return Parse(YamlInput.ReadFile(full, "the twin-parameter file"), full, config, description);
    }

    /// <summary>Not real-time safe. Parses file text; <paramref name="source"/> names the file in messages.</summary>
    public static TwinParameters Parse(string yamlText, string source, RtConfig? config, RobotDescription? description)
    {
        var root = YamlInput.Parse(yamlText, source, "the file is empty; expected a twin-parameter mapping (schema_version:, robot:, joints:, ...)");
        var reader = new Reader(source);
        var parameters = reader.ReadRoot(root);
        Validate(parameters, reader, config, description);
        return parameters;
    }

    /// <summary>
    /// Not real-time safe. Writes the file (atomically: temp file then rename). A path that is a folder, whose folder
    /// does not exist, or that cannot be written is an <see cref="InputError"/> naming it.
    /// </summary>
    public static void Save(string path, TwinParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(path);
        if (YamlInput.PathProblem(path, YamlInput.PathUse.NewFile, Environment.CurrentDirectory) is { } problem)
            throw new InputError(path.Replace("\0", "\\0", StringComparison.Ordinal), "", $"cannot write the twin-parameter file: {problem}");
        string full = Path.GetFullPath(path);
        string temp = full + ".tmp";
        try
        {
            File.WriteAllText(temp, Format(parameters), new UTF8Encoding(false));
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputError(full, "", $"cannot write the twin-parameter file: {e.Message}", e);
        }
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
            s.AppendLine(Inv($"    servo: {{natural_frequency_rad_s: {N(j.Servo.NaturalFrequencyRadS)}, damping_ratio: {N(j.Servo.DampingRatio)}, gain: {N(j.Servo.Gain)}, delay_ticks: {j.Servo.DelayTicks}, velocity_feedforward_gain: {N(j.Servo.VelocityFeedforwardGain)}}}"));
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

    /// <summary>
    /// Strict YAML-tree reader on <see cref="YamlInput"/>: every key is read or refused, every number is finite and
    /// inside its <see cref="TwinParameterBounds"/> range. Remembers where each key path was written for the
    /// validation messages.
    /// </summary>
    private sealed class Reader(string source)
    {
        private readonly Dictionary<string, YamlDotNet.Core.Mark> _marks = new(StringComparer.Ordinal);

        public InputError Error(string path, string problem) =>
            new(source, _marks.TryGetValue(path, out var mark) ? YamlInput.Locate(mark, path) : $"key {path}", problem);

        private InputError Error(YamlNode node, string path, string problem) => YamlInput.Error(source, node, path, problem);

        public TwinParameters ReadRoot(YamlNode root)
        {
            var p = new TwinParameters();
            var m = Map(root, "", ["schema_version", "robot", "rate_hz", "joints", "imus", "links", "base_parameters", "fit"], ["schema_version", "robot", "joints"]);
            p.SchemaVersion = (int)YamlInput.Integer(source, m["schema_version"], "schema_version", 0, int.MaxValue);
            p.Robot = Text(m["robot"], "robot");
            if (m.TryGetValue("rate_hz", out var rate)) p.RateHz = Bounded(rate, "rate_hz", TwinParameterBounds.RateHz);
            p.Joints = Seq(m["joints"], "joints", ReadJoint, TwinParameterBounds.MaxEntries);
            if (m.TryGetValue("imus", out var imus)) p.Imus = Seq(imus, "imus", ReadImu, TwinParameterBounds.MaxEntries);
            if (m.TryGetValue("links", out var links)) p.Links = Seq(links, "links", ReadLink, TwinParameterBounds.MaxEntries);
            if (m.TryGetValue("base_parameters", out var bases))
                p.BaseParameters = Seq(bases, "base_parameters", (n, path) =>
                {
                    var b = Map(n, path, ["name", "value"], ["name", "value"]);
                    return new BaseParameter { Name = Text(b["name"], path + ".name"), Value = Bounded(b["value"], path + ".value", TwinParameterBounds.Inertial) };
                }, TwinParameterBounds.MaxEntries * 10);
            if (m.TryGetValue("fit", out var fit))
                p.Fit = Seq(fit, "fit", (n, path) =>
                {
                    var f = Map(n, path, ["channel", "r2", "residual_sigma"], ["channel"]);
                    return new ChannelFit
                    {
                        Channel = Text(f["channel"], path + ".channel"),
                        R2 = f.TryGetValue("r2", out var r2) ? Bounded(r2, path + ".r2", TwinParameterBounds.R2) : 0,
                        ResidualSigma = f.TryGetValue("residual_sigma", out var rs) ? Bounded(rs, path + ".residual_sigma", TwinParameterBounds.ResidualSigma) : 0,
                    };
                }, TwinParameterBounds.MaxEntries * 10);
            return p;
        }

        private JointParameters ReadJoint(YamlNode node, string path)
        {
            var m = Map(node, path, ["name", "servo", "friction", "noise"], ["name"]);
            var j = new JointParameters { Name = Text(m["name"], path + ".name") };
            if (m.TryGetValue("servo", out var servo))
            {
                string sp = path + ".servo";
                var s = Map(servo, sp, ["natural_frequency_rad_s", "damping_ratio", "gain", "delay_ticks", "velocity_feedforward_gain"], []);
                if (s.TryGetValue("natural_frequency_rad_s", out var wn)) j.Servo.NaturalFrequencyRadS = Bounded(wn, sp + ".natural_frequency_rad_s", TwinParameterBounds.NaturalFrequencyRadS);
                if (s.TryGetValue("damping_ratio", out var z)) j.Servo.DampingRatio = Bounded(z, sp + ".damping_ratio", TwinParameterBounds.DampingRatio);
                if (s.TryGetValue("gain", out var g)) j.Servo.Gain = Bounded(g, sp + ".gain", TwinParameterBounds.ServoGain);
                if (s.TryGetValue("delay_ticks", out var d))
                    j.Servo.DelayTicks = (int)YamlInput.Integer(source, d, sp + ".delay_ticks", 1, Models.ServoModel.MaxDelayTicks);
                if (s.TryGetValue("velocity_feedforward_gain", out var kv)) j.Servo.VelocityFeedforwardGain = Bounded(kv, sp + ".velocity_feedforward_gain", TwinParameterBounds.FeedforwardGain);
            }
            if (m.TryGetValue("friction", out var friction))
            {
                string fp = path + ".friction";
                var f = Map(friction, fp, ["coulomb_friction_nm", "viscous_friction_nms_per_rad", "coulomb_smoothing_rad_s"], []);
                if (f.TryGetValue("coulomb_smoothing_rad_s", out var eps)) j.Friction.CoulombSmoothingRadS = Bounded(eps, fp + ".coulomb_smoothing_rad_s", TwinParameterBounds.CoulombSmoothingRadS);
                if (f.TryGetValue("coulomb_friction_nm", out var fc)) j.Friction.CoulombFrictionNm = Bounded(fc, fp + ".coulomb_friction_nm", TwinParameterBounds.FrictionNm);
                if (f.TryGetValue("viscous_friction_nms_per_rad", out var fv)) j.Friction.ViscousFrictionNmsPerRad = Bounded(fv, fp + ".viscous_friction_nms_per_rad", TwinParameterBounds.ViscousNmsPerRad);
            }
            if (m.TryGetValue("noise", out var noise))
            {
                string np = path + ".noise";
                var n = Map(noise, np, ["position_rad", "velocity_rad_s", "torque_nm", "external_torque_nm", "position_bias_rad", "velocity_bias_rad_s", "torque_bias_nm", "external_torque_bias_nm",
                    "position_ar1", "velocity_ar1", "torque_ar1", "external_torque_ar1"], []);
                var jn = j.Noise;
                if (n.TryGetValue("position_rad", out var v)) jn.PositionRad = Bounded(v, np + ".position_rad", TwinParameterBounds.PositionSigmaRad);
                if (n.TryGetValue("velocity_rad_s", out v)) jn.VelocityRadS = Bounded(v, np + ".velocity_rad_s", TwinParameterBounds.VelocitySigmaRadS);
                if (n.TryGetValue("torque_nm", out v)) jn.TorqueNm = Bounded(v, np + ".torque_nm", TwinParameterBounds.TorqueSigmaNm);
                if (n.TryGetValue("external_torque_nm", out v)) jn.ExternalTorqueNm = Bounded(v, np + ".external_torque_nm", TwinParameterBounds.TorqueSigmaNm);
                if (n.TryGetValue("position_bias_rad", out v)) jn.PositionBiasRad = Bounded(v, np + ".position_bias_rad", TwinParameterBounds.Bias(TwinParameterBounds.PositionSigmaRad));
                if (n.TryGetValue("velocity_bias_rad_s", out v)) jn.VelocityBiasRadS = Bounded(v, np + ".velocity_bias_rad_s", TwinParameterBounds.Bias(TwinParameterBounds.VelocitySigmaRadS));
                if (n.TryGetValue("torque_bias_nm", out v)) jn.TorqueBiasNm = Bounded(v, np + ".torque_bias_nm", TwinParameterBounds.Bias(TwinParameterBounds.TorqueSigmaNm));
                if (n.TryGetValue("external_torque_bias_nm", out v)) jn.ExternalTorqueBiasNm = Bounded(v, np + ".external_torque_bias_nm", TwinParameterBounds.Bias(TwinParameterBounds.TorqueSigmaNm));
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
            if (m.TryGetValue("angular_rate_sigma_rad_s", out var v)) imu.AngularRateSigma = Vector3(v, path + ".angular_rate_sigma_rad_s", TwinParameterBounds.AngularRateSigmaRadS);
            if (m.TryGetValue("angular_rate_bias_rad_s", out v)) imu.AngularRateBias = Vector3(v, path + ".angular_rate_bias_rad_s", TwinParameterBounds.Bias(TwinParameterBounds.AngularRateSigmaRadS));
            if (m.TryGetValue("specific_force_sigma_m_s2", out v)) imu.SpecificForceSigma = Vector3(v, path + ".specific_force_sigma_m_s2", TwinParameterBounds.SpecificForceSigmaMs2);
            if (m.TryGetValue("specific_force_bias_m_s2", out v)) imu.SpecificForceBias = Vector3(v, path + ".specific_force_bias_m_s2", TwinParameterBounds.Bias(TwinParameterBounds.SpecificForceSigmaMs2));
            if (m.TryGetValue("angular_rate_ar1", out v)) imu.AngularRateAr1 = Ar1Vector(v, path + ".angular_rate_ar1");
            if (m.TryGetValue("specific_force_ar1", out v)) imu.SpecificForceAr1 = Ar1Vector(v, path + ".specific_force_ar1");
            return imu;
        }

        private double Ar1(YamlNode node, string path)
        {
            double v = YamlInput.Real(source, node, path);
            if (Math.Abs(v) > CrossCheck.NoiseModel.MaxAr1)
                throw Error(node, path, $"a lag-1 autocorrelation must lie in [−{CrossCheck.NoiseModel.MaxAr1}, {CrossCheck.NoiseModel.MaxAr1}], found {YamlInput.Num(v)}");
            return v;
        }

        private double[] Ar1Vector(YamlNode node, string path)
        {
            var v = Vector3(node, path, (double.MinValue, double.MaxValue)); // the lag-1 bound below names the axis
            for (int i = 0; i < 3; i++)
                if (Math.Abs(v[i]) > CrossCheck.NoiseModel.MaxAr1)
                    throw Error(node, path, $"a lag-1 autocorrelation must lie in [−{CrossCheck.NoiseModel.MaxAr1}, {CrossCheck.NoiseModel.MaxAr1}], found {YamlInput.Num(v[i])} (axis {"xyz"[i]})");
            return v;
        }

        private LinkParameters ReadLink(YamlNode node, string path)
        {
            var m = Map(node, path, ["name", "pi"], ["name", "pi"]);
            var pi = Reals(m["pi"], path + ".pi", TwinParameterBounds.Inertial);
            if (pi.Length != 10) throw Error(m["pi"], path + ".pi", $"expected 10 numbers [m, m*cx, m*cy, m*cz, Ixx, Ixy, Ixz, Iyy, Iyz, Izz], found {pi.Length}");
            if (!(pi[0] >= 0)) throw Error(m["pi"], path + ".pi[0]", $"the mass is {YamlInput.Num(pi[0])} kg; expected a value in [0, {YamlInput.Num(TwinParameterBounds.Inertial.Max)}] kg");
            return new LinkParameters { Name = Text(m["name"], path + ".name"), Pi = pi };
        }

        private double[] Vector3(YamlNode node, string path, (double Min, double Max) range)
        {
            if (node is YamlSequenceNode { Children.Count: not 3 } wrong) throw Error(node, path, $"expected 3 numbers [x, y, z], found {wrong.Children.Count}");
            return Reals(node, path, range);
        }

        private Dictionary<string, YamlNode> Map(YamlNode node, string path, string[] allowed, string[] required)
        {
            if (node is not YamlMappingNode mapping) throw YamlInput.TypeError(source, node, path, "a mapping of keys");
            YamlInput.CheckKeys(source, mapping, path, allowed);
            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (k, v) in mapping.Children)
            {
                string key = YamlInput.KeyText(source, k, path);
                string keyPath = YamlInput.Join(path, key);
                if (!result.TryAdd(key, v)) throw Error(k, keyPath, $"key '{key}' appears twice; expected each key once");
                _marks[keyPath] = k.Start;
            }
            foreach (var key in required)
                if (!result.ContainsKey(key)) throw Error(node, path, $"missing required key '{key}'");
            return result;
        }

        private List<T> Seq<T>(YamlNode node, string path, Func<YamlNode, string, T> read, int maxCount)
        {
            if (node is not YamlSequenceNode seq) throw YamlInput.TypeError(source, node, path, "a list (- item)");
            if (seq.Children.Count > maxCount) throw Error(node, path, $"has {seq.Children.Count} entries; expected at most {maxCount}");
            var list = new List<T>();
            for (int i = 0; i < seq.Children.Count; i++)
            {
                _marks[$"{path}[{i}]"] = seq.Children[i].Start;
                list.Add(read(seq.Children[i], $"{path}[{i}]"));
            }
            return list;
        }

        private string Text(YamlNode node, string path)
        {
            string value = YamlInput.Text(source, node, path, "a non-empty text value");
            if (value.Length == 0) throw Error(node, path, "is empty; expected a non-empty text value");
            _marks[path] = node.Start;
            return value;
        }

        private double Bounded(YamlNode node, string path, (double Min, double Max) range) =>
            YamlInput.Real(source, node, path, range.Min, range.Max, "");

        private double[] Reals(YamlNode node, string path, (double Min, double Max) range)
        {
            if (node is not YamlSequenceNode seq) throw YamlInput.TypeError(source, node, path, "a list of numbers [a, b, ...]");
            if (seq.Children.Count > 10) throw Error(node, path, $"has {seq.Children.Count} numbers; expected at most 10");
            var v = new double[seq.Children.Count];
            for (int i = 0; i < v.Length; i++) v[i] = Bounded(seq.Children[i], $"{path}[{i}]", range);
            return v;
        }
    }
}
