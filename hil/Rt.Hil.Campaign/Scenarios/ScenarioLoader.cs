using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Tick;
using Rt.Safety;
using YamlDotNet.RepresentationModel;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Scenarios;

/// <summary>
/// Reads HIL scenario files (<c>hil/scenarios/*.yaml</c>, snake_case keys; docs/HIL.md "Scenario files") into
/// <see cref="Scenario"/> records and validates them against the robot config they name.
/// Reads through Core's one validating YAML reader (<see cref="YamlInput"/>).
/// As with the host config: malformed YAML, unknown keys and wrong value types stop at the first one; rule violations
/// (ranges, targets, parameters per kind, a consistent expectation) are collected and reported together in one
/// <see cref="InputError"/> naming the file, and per problem the line, the key path (e.g. <c>injections[1].scale</c>) and what was
/// expected. Not real-time safe (file I/O, allocation).
/// </summary>
public static partial class ScenarioLoader
{
    /// <summary>Not real-time safe. Loads and validates one scenario file.</summary>
    public static Scenario Load(string path) => Load(path, new Dictionary<string, RtConfig>(StringComparer.Ordinal));

    /// <summary>
    /// Not real-time safe. Loads every scenario named: a file, or a directory (its <c>*.yaml</c>, sorted by name).
    /// Two scenarios with the same name are refused (reports key on it).
    /// </summary>
    public static IReadOnlyList<Scenario> LoadAll(IEnumerable<string> pathsOrDirectories)
    {
        ArgumentNullException.ThrowIfNull(pathsOrDirectories);
        var configs = new Dictionary<string, RtConfig>(StringComparer.Ordinal);
        var result = new List<Scenario>();
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in pathsOrDirectories)
        {
            string full = Path.GetFullPath(p);
            IEnumerable<string> files;
            if (Directory.Exists(full))
            {
                files = Directory.GetFiles(full, "*.yaml").Order(StringComparer.Ordinal).ToList();
                if (!files.Any()) throw new InputError(full, "", "the directory holds no scenario files; expected *.yaml files");
            }
            else if (File.Exists(full)) files = [full];
            else throw new InputError(full, "", "no such scenario file or directory");
            foreach (var f in files)
            {
                var s = Load(f, configs);
                if (byName.TryGetValue(s.Name, out var other))
                    throw new InputError(s.SourcePath, "key name", $"scenario name '{s.Name}' is also used by {other}; expected names unique within a campaign");
                byName[s.Name] = s.SourcePath;
                result.Add(s);
            }
        }
        return result;
    }

    /// <summary>Not real-time safe. Parses YAML text as if it were the file <paramref name="sourcePath"/> (robot paths resolve next to it).</summary>
    public static Scenario Parse(string yaml, string sourcePath) => Parse(yaml, Path.GetFullPath(sourcePath), new Dictionary<string, RtConfig>(StringComparer.Ordinal));

    private static Scenario Load(string path, Dictionary<string, RtConfig> configs)
    {
        string full = Path.GetFullPath(path);
        return Parse(YamlInput.ReadFile(full, "the scenario"), full, configs);
    }

    // ------------------------------------------------------------------ names and rules

    /// <summary>The keys a scenario file may have at the top level.</summary>
    public static readonly IReadOnlyList<string> TopLevelKeys =
        ["name", "description", "robot", "motion", "duration_s", "seed", "tags", "realtime_only", "twin_adapt", "randomisation", "injections", "expect"];

    private static readonly string[] RandomisationKeys =
        ["mass_fraction", "inertia_fraction", "friction_fraction", "motor_constant_fraction", "encoder_noise_counts",
         "imu_accel_noise_ms2", "imu_gyro_noise_rad_s", "sensor_latency_substeps"];

    private static readonly string[] ExpectKeys = ["outcome", "category", "triggers", "within_ms", "payload_kg"];

    private static readonly string[] ParameterKeys =
        ["scale", "mass_kg", "friction_nm", "damping_nms", "offset_rad", "noise_counts", "force_n", "torque_nm",
         "accel_bias_ms2", "gyro_bias_rad_s", "frames", "ramp_s"];

    private static readonly string[] InjectionKeys = ["at_s", "kind", "target", "duration_s", .. ParameterKeys];

    /// <summary>Largest randomisation fraction (a mass or constant drawn ×(1 ± f) must stay positive and plausible).</summary>
    public const double MaxFraction = 0.5;

    /// <summary>Longest scenario run, simulated seconds (the run's recordings are sized by it).</summary>
    public const double MaxDurationS = 3600;

    /// <summary>Longest sensor latency a scenario may draw, plant substeps (the drive and IMU delay lines' length).</summary>
    public const int MaxSensorLatencySubsteps = 8;

    /// <summary>The file name of each kind (snake_case), in <see cref="InjectionKind"/> order.</summary>
    public static string KindName(InjectionKind kind) => kind == InjectionKind.SlaveSafeOp ? "slave_safeop" : SnakeCase(kind.ToString());

    private static readonly Dictionary<string, InjectionKind> KindsByName =
        Enum.GetValues<InjectionKind>().ToDictionary(KindName, k => k, StringComparer.Ordinal);

    private enum TargetKind { None, Link, Joint, Imu, JointOrImu }

    private sealed record KindRule(TargetKind Target, string[] Required, string[] AnyOf, string[] Optional, DurationRule Duration);

    private enum DurationRule { Optional, Required, Forbidden }

    private static KindRule RuleOf(InjectionKind kind) => kind switch
    {
        InjectionKind.CollisionObstacle => new(TargetKind.Link, [], [], [], DurationRule.Optional),
        InjectionKind.CollisionWrench => new(TargetKind.Link, ["force_n"], [], ["torque_nm"], DurationRule.Optional),
        InjectionKind.Payload => new(TargetKind.Link, ["mass_kg"], [], ["ramp_s"], DurationRule.Optional),
        InjectionKind.JointFriction => new(TargetKind.Joint, [], ["friction_nm", "damping_nms"], [], DurationRule.Optional),
        InjectionKind.TorqueLoss => new(TargetKind.Joint, ["scale"], [], [], DurationRule.Optional),
        InjectionKind.EncoderFreeze => new(TargetKind.Joint, [], [], [], DurationRule.Optional),
        InjectionKind.EncoderJump => new(TargetKind.Joint, ["offset_rad"], [], [], DurationRule.Optional),
        InjectionKind.EncoderNoise => new(TargetKind.Joint, ["noise_counts"], [], [], DurationRule.Optional),
        InjectionKind.ImuBias => new(TargetKind.Imu, [], ["accel_bias_ms2", "gyro_bias_rad_s"], [], DurationRule.Optional),
        InjectionKind.ImuFreeze => new(TargetKind.Imu, [], [], [], DurationRule.Optional),
        InjectionKind.ImuSaturation => new(TargetKind.Imu, [], [], [], DurationRule.Optional),
        InjectionKind.FrameLoss => new(TargetKind.None, ["frames"], [], [], DurationRule.Forbidden),
        InjectionKind.SlaveSafeOp => new(TargetKind.JointOrImu, [], [], [], DurationRule.Forbidden),
        InjectionKind.LinkDown => new(TargetKind.None, [], [], [], DurationRule.Optional),
        InjectionKind.BrokerOutage => new(TargetKind.None, [], [], [], DurationRule.Required),
        InjectionKind.CpuHog => new(TargetKind.None, [], [], [], DurationRule.Required),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no rule for this injection kind"),
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial Regex SlugPattern();

    // ------------------------------------------------------------------ parsing

    private static Scenario Parse(string yaml, string source, Dictionary<string, RtConfig> configs)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var root = YamlInput.Parse(yaml, source, "the scenario is empty; expected keys name:, robot:, duration_s:, seed:, expect:, ...");
        var r = new Reader(source);
        var top = r.Mapping(root, "", "a mapping of scenario keys (name:, robot:, duration_s:, expect:, ...)");
        r.CheckKeys(top, "", TopLevelKeys);

        string name = r.RequiredString(top, "name", "", "the scenario's name, e.g. collision-obstacle-left-shin");
        if (name.Length > 0 && !SlugPattern().IsMatch(name))
            r.Problem(top, "name", $"'{name}' is not a plain name; expected lower-case letters, digits, '-' and '_' (it names the scenario in reports)");
        string description = r.OptionalString(top, "description") ?? "";
        string robot = r.RequiredString(top, "robot", "", "the host config to run, relative to this file, e.g. ../robots/biped12/biped12.yaml");
        string? motion = r.OptionalString(top, "motion");
        if (motion is not null && motion is not ("hold" or "sine" or "march"))
            r.Problem(top, "motion", $"'{motion}' is not a motion; expected one of hold, sine, march (or leave it out for the config's)");
        double duration = r.RequiredDouble(top, "duration_s", "the run's simulated length in seconds, e.g. 6");
        if (r.Has(top, "duration_s") && !(duration > 0 && duration <= MaxDurationS))
            r.Problem(top, "duration_s", $"{Num(duration)} s; expected a positive duration, at most {Num(MaxDurationS)} s");
        ulong seed = r.RequiredULong(top, "seed", "a whole number ≥ 0 that seeds the randomisation and every sensor's noise");
        var tags = r.StringList(top, "tags");
        for (int i = 0; i < tags.Count; i++)
        {
            if (!SlugPattern().IsMatch(tags[i]))
                r.Problem(r.Child(top, "tags")!, $"tags[{i}]", $"'{tags[i]}' is not a plain tag; expected lower-case letters, digits, '-' and '_'");
        }
        bool realtimeOnly = r.OptionalBool(top, "realtime_only") ?? false;
        bool? twinAdapt = r.OptionalBool(top, "twin_adapt");

        // The robot config: its joints, links and IMUs are what targets may name.
        RtConfig? config = null;
        if (robot.Length == 0)
            r.Problem(top, "robot", "is empty; expected the path of the robot's config, e.g. ../robots/biped12/biped12.yaml");
        else if (YamlInput.PathProblem(robot, YamlInput.PathUse.ExistingFile, Path.GetDirectoryName(source)) is { } robotProblem)
            r.Problem(top, "robot", $"cannot use the robot config: {robotProblem}");
        else if (robot.Length > 0)
        {
            string robotPath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, robot));
            try
            {
                if (!configs.TryGetValue(robotPath, out config))
                {
                    config = ConfigLoader.Load(robotPath);
                    configs[robotPath] = config;
                }
            }
            catch (InputError e)
            {
                r.Problem(top, "robot", $"cannot use the robot config: {e.Message}");
            }
        }

        var randomisation = ReadRandomisation(r, top);
        var injections = ReadInjections(r, top, config, duration, realtimeOnly);
        var expect = ReadExpectation(r, top, injections.Count);
        if (expect?.PayloadKg is not null && !injections.Any(i => i.Kind == InjectionKind.Payload))
            r.Problem(r.Child(top, "expect")!, "payload_kg", "payload_kg is the adapted estimate at a payload injection's link, and the scenario has no payload injection; expected one", "expect");
        if (expect?.PayloadKg is not null && twinAdapt != true)
            r.Problem(r.Child(top, "expect")!, "payload_kg", "payload_kg checks the twin's adapted payload; expected twin_adapt: true at the top of the scenario", "expect");

        r.ThrowIfProblems();
        return new Scenario
        {
            Name = name,
            Description = description,
            SourcePath = source,
            ConfigPath = config!.SourcePath,
            Motion = motion,
            DurationS = duration,
            Seed = seed,
            Randomisation = randomisation,
            Injections = injections,
            Expect = expect!,
            RealtimeOnly = realtimeOnly,
            TwinAdapt = twinAdapt,
            Tags = tags,
        };
    }

    private static Randomisation ReadRandomisation(Reader r, YamlMappingNode top)
    {
        if (r.Child(top, "randomisation") is not { } node) return Randomisation.None;
        const string p = "randomisation";
        var m = r.Mapping(node, p, "a mapping of randomisation bounds (mass_fraction:, encoder_noise_counts: [min, max], ...)");
        r.CheckKeys(m, p, RandomisationKeys);
        double Fraction(string key)
        {
            double f = r.OptionalDouble(m, key, p) ?? 0;
            if (f is < 0 or > MaxFraction) r.Problem(m, key, $"{Num(f)}; expected a fraction in [0, {Num(MaxFraction)}] (values are drawn ×(1 ± f))", p);
            return f;
        }
        double[]? Range(string key, string unit, double max)
        {
            if (r.Child(m, key) is null) return null;
            var v = r.DoubleArray(m, key, p, 2, "[min, max]");
            if (v is null) return null;
            if (!(v[0] >= 0 && v[1] >= v[0] && v[1] <= max)) r.Problem(m, key, $"[{Num(v[0])}, {Num(v[1])}] {unit}; expected [min, max] with 0 ≤ min ≤ max ≤ {Num(max)}", p);
            return v;
        }
        var result = new Randomisation
        {
            MassFraction = Fraction("mass_fraction"),
            InertiaFraction = Fraction("inertia_fraction"),
            FrictionFraction = Fraction("friction_fraction"),
            MotorConstantFraction = Fraction("motor_constant_fraction"),
            EncoderNoiseCounts = Range("encoder_noise_counts", "counts", 1e6) ?? [0, 0],
            ImuAccelNoiseMs2 = Range("imu_accel_noise_ms2", "m/s²", 1000),
            ImuGyroNoiseRadS = Range("imu_gyro_noise_rad_s", "rad/s", 100),
        };
        if (r.Child(m, "sensor_latency_substeps") is not null)
        {
            var l = r.IntArray(m, "sensor_latency_substeps", p, 2, "[min, max] whole substeps");
            if (l is not null)
            {
                if (!(l[0] >= 0 && l[1] >= l[0] && l[1] <= MaxSensorLatencySubsteps))
                    r.Problem(m, "sensor_latency_substeps", $"[{l[0]}, {l[1]}]; expected [min, max] whole plant substeps with 0 ≤ min ≤ max ≤ {MaxSensorLatencySubsteps}", p);
                result = result with { SensorLatencySubsteps = l };
            }
        }
        return result;
    }

    private static List<Injection> ReadInjections(Reader r, YamlMappingNode top, RtConfig? config, double runS, bool realtimeOnly)
    {
        var list = new List<Injection>();
        if (r.Child(top, "injections") is not { } node) return list;
        var seq = r.Sequence(node, "injections", "a list of injections (- { at_s: 3.0, kind: torque_loss, target: l_knee, scale: 0 })");
        int obstacles = 0;
        for (int i = 0; i < seq.Children.Count; i++)
        {
            string p = $"injections[{i}]";
            var m = r.Mapping(seq.Children[i], p, "an injection mapping ({ at_s:, kind:, target:, ... })");
            r.CheckKeys(m, p, InjectionKeys);
            double at = r.RequiredDouble(m, "at_s", "the injection's start, seconds after the run starts", p);
            string kindText = r.RequiredString(m, "kind", p, $"one of {string.Join(", ", KindsByName.Keys)}");
            bool kindKnown = KindsByName.TryGetValue(kindText, out var kind);
            if (kindText.Length > 0 && !kindKnown)
                r.Problem(m, "kind", $"unknown injection kind '{kindText}'; expected one of {string.Join(", ", KindsByName.Keys)}", p);
            double? duration = r.OptionalDouble(m, "duration_s", p);
            string? target = r.OptionalString(m, "target", p);
            var injection = new Injection
            {
                Kind = kind,
                AtS = at,
                DurationS = duration,
                Target = target,
                Scale = r.OptionalDouble(m, "scale", p),
                MassKg = r.OptionalDouble(m, "mass_kg", p),
                FrictionNm = r.OptionalDouble(m, "friction_nm", p),
                DampingNms = r.OptionalDouble(m, "damping_nms", p),
                OffsetRad = r.OptionalDouble(m, "offset_rad", p),
                NoiseCounts = r.OptionalDouble(m, "noise_counts", p),
                ForceN = r.Child(m, "force_n") is null ? null : r.DoubleArray(m, "force_n", p, 3, "[x, y, z] N, world frame"),
                TorqueNm = r.Child(m, "torque_nm") is null ? null : r.DoubleArray(m, "torque_nm", p, 3, "[x, y, z] N·m, world frame"),
                AccelBiasMs2 = r.Child(m, "accel_bias_ms2") is null ? null : r.DoubleArray(m, "accel_bias_ms2", p, 3, "[x, y, z] m/s², IMU frame"),
                GyroBiasRadS = r.Child(m, "gyro_bias_rad_s") is null ? null : r.DoubleArray(m, "gyro_bias_rad_s", p, 3, "[x, y, z] rad/s, IMU frame"),
                Frames = r.OptionalInt(m, "frames", p),
                RampS = r.OptionalDouble(m, "ramp_s", p),
                Line = r.LineOf(m),
            };
            list.Add(injection);

            // Against the run's length only when that is valid (one mistake, one message).
            bool runValid = runS > 0;
            bool atValid = !(r.Has(m, "at_s") && runValid && !(at >= 0 && at < runS));
            if (!atValid) r.Problem(m, "at_s", $"{Num(at)} s; expected a start within the run, in [0, {Num(runS)}) s (duration_s)", p);
            if (!kindKnown) continue;
            string kn = KindName(kind);
            var rule = RuleOf(kind);

            // Duration.
            if (duration is { } d)
            {
                if (rule.Duration == DurationRule.Forbidden)
                    r.Problem(m, "duration_s", $"{kn} is instantaneous and takes no duration_s{(kind == InjectionKind.FrameLoss ? "; its length is frames" : "")}", p);
                else if (!(d > 0)) r.Problem(m, "duration_s", $"{Num(d)} s; expected a positive duration (leave it out for 'until the end of the run')", p);
                else if (runValid && atValid && at + d > runS + 1e-9)
                    r.Problem(m, "duration_s", $"the injection would end at {Num(at + d)} s, after the run ends at {Num(runS)} s; expected at_s + duration_s ≤ duration_s", p);
            }
            else if (rule.Duration == DurationRule.Required)
                r.Problem(m, "duration_s", $"{kn} needs duration_s (how long the {(kind == InjectionKind.CpuHog ? "hog runs" : "outage lasts")}); expected a positive number of seconds", p);

            // Parameters: the kind's own, no others.
            var allowed = rule.Required.Concat(rule.AnyOf).Concat(rule.Optional).ToArray();
            foreach (var key in ParameterKeys)
            {
                if (r.Child(m, key) is not null && !allowed.Contains(key))
                    r.Problem(m, key, $"{key} is not a parameter of {kn}; expected {(allowed.Length == 0 ? "no parameters" : string.Join(", ", allowed))}", p);
            }
            foreach (var key in rule.Required)
            {
                if (r.Child(m, key) is null) r.Problem(m, key, $"{kn} needs {key}; {ParameterHelp(key)}", p);
            }
            if (rule.AnyOf.Length > 0 && !rule.AnyOf.Any(k => r.Child(m, k) is not null))
                r.Problem(m, rule.AnyOf[0], $"{kn} needs {string.Join(" and/or ", rule.AnyOf)}; {string.Join("; ", rule.AnyOf.Select(ParameterHelp))}", p);
            CheckParameterRanges(r, m, p, kind, injection, config);

            // Target.
            CheckTarget(r, m, p, kind, rule.Target, target, config);
            if (kind == InjectionKind.CollisionObstacle && ++obstacles > 1)
                r.Problem(m, "kind", "the bench has one obstacle to move; expected at most one collision_obstacle per scenario", p);
            if (kind == InjectionKind.CpuHog && !realtimeOnly)
                r.Problem(m, "kind", "cpu_hog only exists in real time; expected realtime_only: true at the top of the scenario", p);
        }
        return list;
    }

    private static string ParameterHelp(string key) => key switch
    {
        "scale" => "expected scale: the fraction of the commanded torque still delivered, in [0, 1) (0 = total loss)",
        "mass_kg" => "expected mass_kg: the payload's mass, kg, > 0",
        "friction_nm" => "expected friction_nm: added Coulomb friction, N·m, ≥ 0",
        "damping_nms" => "expected damping_nms: added viscous damping, N·m·s/rad, ≥ 0",
        "offset_rad" => "expected offset_rad: the encoder's jump, rad, non-zero",
        "noise_counts" => "expected noise_counts: the burst's standard deviation, encoder counts, > 0",
        "force_n" => "expected force_n: [x, y, z] N in the world frame",
        "torque_nm" => "expected torque_nm: [x, y, z] N·m in the world frame",
        "accel_bias_ms2" => "expected accel_bias_ms2: [x, y, z] m/s² added to the accelerometer",
        "gyro_bias_rad_s" => "expected gyro_bias_rad_s: [x, y, z] rad/s added to the gyro",
        "frames" => "expected frames: how many consecutive cyclic frames are lost, a whole number ≥ 1",
        "ramp_s" => "expected ramp_s: seconds over which the payload is added linearly, > 0",
        _ => key,
    };

    private static void CheckParameterRanges(Reader r, YamlMappingNode m, string p, InjectionKind kind, Injection i, RtConfig? config)
    {
        if (i.Scale is { } s && kind == InjectionKind.TorqueLoss && !(s >= 0 && s < 1))
            r.Problem(m, "scale", $"{Num(s)}; expected the fraction of torque still delivered, in [0, 1) (0 = total loss, 1 would be no fault)", p);
        if (i.MassKg is { } mass && !(mass > 0 && mass <= 1000))
            r.Problem(m, "mass_kg", $"{Num(mass)} kg; expected a payload in (0, 1000] kg", p);
        if (i.RampS is { } ramp && !(ramp > 0 && ramp <= MaxDurationS)) r.Problem(m, "ramp_s", $"{Num(ramp)} s; expected the payload added over (0, {Num(MaxDurationS)}] s", p);
        else if (i.RampS is { } ramp2 && i.DurationS is { } dur && ramp2 > dur) r.Problem(m, "ramp_s", $"{Num(ramp2)} s; expected the ramp to end within the injection's duration_s ({Num(dur)} s)", p);
        if (i.FrictionNm is { } f && !(f >= 0 && f <= 1000)) r.Problem(m, "friction_nm", $"{Num(f)} N·m; expected added friction in [0, 1000] N·m", p);
        if (i.DampingNms is { } dmp && !(dmp >= 0 && dmp <= 1000)) r.Problem(m, "damping_nms", $"{Num(dmp)} N·m·s/rad; expected added damping in [0, 1000] N·m·s/rad", p);
        if (kind == InjectionKind.JointFriction && (i.FrictionNm ?? 0) == 0 && (i.DampingNms ?? 0) == 0 && (i.FrictionNm is not null || i.DampingNms is not null))
            r.Problem(m, i.FrictionNm is not null ? "friction_nm" : "damping_nms", "no friction is added; expected friction_nm and/or damping_nms > 0", p);
        if (i.OffsetRad is { } off && !(off != 0 && Math.Abs(off) <= Math.PI))
            r.Problem(m, "offset_rad", $"{Num(off)} rad; expected a non-zero jump with |offset| ≤ π", p);
        if (i.NoiseCounts is { } nc && !(nc > 0 && nc <= 1e6)) r.Problem(m, "noise_counts", $"{Num(nc)} counts; expected a standard deviation in (0, 1e6] counts", p);
        void Vector(double[]? v, string key, double max, string unit)
        {
            if (v is not null && v.Any(x => Math.Abs(x) > max)) r.Problem(m, key, $"[{string.Join(", ", v.Select(Num))}] {unit}; expected each component in [-{Num(max)}, {Num(max)}] {unit}", p);
        }
        Vector(i.ForceN, "force_n", 1e5, "N");
        Vector(i.TorqueNm, "torque_nm", 1e4, "N·m");
        Vector(i.AccelBiasMs2, "accel_bias_ms2", 1000, "m/s²");
        Vector(i.GyroBiasRadS, "gyro_bias_rad_s", 100, "rad/s");
        if (i.Frames is { } fr)
        {
            if (fr < 1) r.Problem(m, "frames", $"{fr}; expected at least 1 lost frame", p);
            else if (config is not null && fr > 100 * config.Loop.RateHz) r.Problem(m, "frames", $"{fr}; expected at most 100 s worth of frames (use link_down for a longer outage)", p);
        }
        if (kind == InjectionKind.ImuBias && i.AccelBiasMs2 is { } ab && i.GyroBiasRadS is null && ab.All(v => v == 0))
            r.Problem(m, "accel_bias_ms2", "a zero bias is no fault; expected a non-zero component", p);
        if (kind == InjectionKind.ImuBias && i.GyroBiasRadS is { } gb && i.AccelBiasMs2 is null && gb.All(v => v == 0))
            r.Problem(m, "gyro_bias_rad_s", "a zero bias is no fault; expected a non-zero component", p);
        if (kind == InjectionKind.CollisionWrench && i.ForceN is { } fn && fn.All(v => v == 0) && (i.TorqueNm?.All(v => v == 0) ?? true))
            r.Problem(m, "force_n", "a zero wrench is no collision; expected a non-zero force (or torque_nm)", p);
    }

    private static void CheckTarget(Reader r, YamlMappingNode m, string p, InjectionKind kind, TargetKind wanted, string? target, RtConfig? config)
    {
        string kn = KindName(kind);
        if (wanted == TargetKind.None)
        {
            if (target is not null) r.Problem(m, "target", $"{kn} acts on the whole {(kind is InjectionKind.BrokerOutage ? "broker" : kind is InjectionKind.CpuHog ? "host" : "bus")} and takes no target", p);
            return;
        }
        if (target is null)
        {
            r.Problem(m, "target", $"{kn} needs a target: {Describe(wanted)} of the robot", p);
            return;
        }
        if (config is null) return; // the robot config failed; already reported
        var joints = config.Joints.Select(j => j.Name).ToList();
        var imus = config.Imus.Select(i => i.Name).ToList();
        var links = config.Description?.Links.Select(l => l.Name).ToList() ?? [];
        bool ok = wanted switch
        {
            TargetKind.Link => links.Contains(target),
            TargetKind.Joint => joints.Contains(target),
            TargetKind.Imu => imus.Contains(target),
            _ => joints.Contains(target) || imus.Contains(target),
        };
        if (ok) return;
        var names = wanted switch
        {
            TargetKind.Link => links,
            TargetKind.Joint => joints,
            TargetKind.Imu => imus,
            _ => [.. joints, .. imus],
        };
        r.Problem(m, "target", $"'{target}' is not {Describe(wanted)} of robot '{config.Robot.Name}'; expected one of {string.Join(", ", names)}", p);
    }

    private static string Describe(TargetKind t) => t switch
    {
        TargetKind.Link => "a link",
        TargetKind.Joint => "a configured joint",
        TargetKind.Imu => "an IMU",
        _ => "a joint or an IMU (whose slave drops)",
    };

    private static Expectation? ReadExpectation(Reader r, YamlMappingNode top, int injections)
    {
        if (r.Child(top, "expect") is not { } node)
        {
            r.Problem(top, "expect", "missing key 'expect'; expected the outcome, e.g. expect: { outcome: stop, category: cat2, triggers: [collision], within_ms: 10 }");
            return null;
        }
        const string p = "expect";
        var m = r.Mapping(node, p, "a mapping: { outcome:, category:, triggers:, within_ms: }");
        r.CheckKeys(m, p, ExpectKeys);
        string outcomeText = r.RequiredString(m, "outcome", p, "no_trip, warning or stop");
        ExpectedOutcome? outcome = outcomeText switch
        {
            "no_trip" => ExpectedOutcome.NoTrip,
            "warning" => ExpectedOutcome.Warning,
            "stop" => ExpectedOutcome.Stop,
            _ => null,
        };
        if (outcome is null && outcomeText.Length > 0) r.Problem(m, "outcome", $"'{outcomeText}'; expected no_trip, warning or stop", p);
        string? categoryText = r.OptionalString(m, "category", p);
        StopCategory? category = categoryText switch
        {
            null => null,
            "cat0" => StopCategory.Cat0,
            "cat1" => StopCategory.Cat1,
            "cat2" => StopCategory.Cat2,
            _ => StopCategory.None,
        };
        if (category == StopCategory.None)
        {
            r.Problem(m, "category", $"'{categoryText}'; expected cat0, cat1 or cat2", p);
            category = null;
        }
        var triggers = r.StringList(m, "triggers", p);
        var triggersNode = r.Child(m, "triggers");
        for (int i = 0; i < triggers.Count; i++)
        {
            if (!SafetyTriggers.Names.Contains(triggers[i]))
                r.Problem(triggersNode!, $"triggers[{i}]", $"unknown trigger '{triggers[i]}'; expected one of {string.Join(", ", SafetyTriggers.Names)}", p);
        }
        double? within = r.OptionalDouble(m, "within_ms", p);
        double? payloadKg = r.OptionalDouble(m, "payload_kg", p);
        if (payloadKg is { } pk && !(pk > 0 && pk <= 1000)) r.Problem(m, "payload_kg", $"{Num(pk)} kg; expected the payload the twin should have adapted to, in (0, 1000] kg", p);
        switch (outcome)
        {
            case ExpectedOutcome.Stop:
                if (within is null) r.Problem(m, "within_ms", "outcome stop needs within_ms: the bound from the injection to the stop command on the bus, ms", p);
                else if (!(within > 0 && within <= 60_000)) r.Problem(m, "within_ms", $"{Num(within.Value)} ms; expected a positive bound, at most 60000 ms", p);
                if (injections == 0) r.Problem(m, "outcome", "outcome stop is measured from the first injection, and the scenario has none; expected injections: or outcome no_trip", p);
                break;
            case ExpectedOutcome.Warning:
                if (category is not null) r.Problem(m, "category", "a warning has no stop category; expected category only with outcome stop", p);
                if (within is not null) r.Problem(m, "within_ms", "within_ms bounds a stop; expected it only with outcome stop", p);
                break;
            case ExpectedOutcome.NoTrip:
                if (category is not null) r.Problem(m, "category", "outcome no_trip has no stop category; expected category only with outcome stop", p);
                if (triggersNode is not null) r.Problem(m, "triggers", "outcome no_trip expects no trigger at all; expected triggers only with stop or warning", p);
                if (within is not null) r.Problem(m, "within_ms", "within_ms bounds a stop; expected it only with outcome stop", p);
                break;
        }
        return new Expectation
        {
            Outcome = outcome ?? ExpectedOutcome.NoTrip,
            Category = category,
            Triggers = triggers,
            WithinMs = within,
            PayloadKg = payloadKg,
        };
    }

    // ------------------------------------------------------------------ YAML plumbing

    private static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(pascal[i]));
        }
        return sb.ToString();
    }

    /// <summary>Typed access to the YAML tree through <see cref="YamlInput"/>: type errors throw at once, rule violations are collected.</summary>
    private sealed class Reader(string source)
    {
        private readonly List<(int Line, string Location, string Message)> _problems = [];

        private static string Join(string parent, string key) => YamlInput.Join(parent, key);

        public int LineOf(YamlNode node) => (int)node.Start.Line;

        /// <summary>A rule violation at <paramref name="key"/> of <paramref name="owner"/> (its line if present, else the owner's).</summary>
        public void Problem(YamlNode owner, string key, string message, string parent = "")
        {
            var at = owner.Start;
            if (owner is YamlMappingNode m && key.Length > 0)
            {
                foreach (var (k, v) in m.Children)
                {
                    if (k is YamlScalarNode { Value: { } kv } && kv == key)
                    {
                        at = k.Start;
                        break;
                    }
                }
            }
            else if (owner is YamlSequenceNode s && key.EndsWith(']'))
            {
                int open = key.LastIndexOf('[');
                if (int.TryParse(key.AsSpan(open + 1, key.Length - open - 2), out int idx) && idx < s.Children.Count)
                    at = s.Children[idx].Start;
            }
            _problems.Add(((int)at.Line, YamlInput.Locate(at, Join(parent, key)), message));
        }

        public void ThrowIfProblems()
        {
            if (_problems.Count == 1) throw new InputError(source, _problems[0].Location, _problems[0].Message);
            if (_problems.Count > 1)
            {
                var text = new StringBuilder($"{_problems.Count} problems in the scenario:");
                foreach (var p in _problems.OrderBy(p => p.Line)) text.Append("\n  ").Append(p.Location).Append(": ").Append(p.Message);
                throw new InputError(source, "", text.ToString());
            }
        }

        private InputError TypeError(YamlNode node, string path, string expected) => YamlInput.TypeError(source, node, path, expected);

        public YamlMappingNode Mapping(YamlNode node, string path, string expected) =>
            node as YamlMappingNode ?? throw TypeError(node, path, expected);

        public YamlSequenceNode Sequence(YamlNode node, string path, string expected) =>
            node as YamlSequenceNode ?? throw TypeError(node, path, expected);

        public void CheckKeys(YamlMappingNode m, string path, IReadOnlyCollection<string> known) => YamlInput.CheckKeys(source, m, path, known);

        /// <summary>The value node of <paramref name="key"/>, or null when absent or written empty (<c>key:</c>).</summary>
        public YamlNode? Child(YamlMappingNode m, string key)
        {
            foreach (var (k, v) in m.Children)
            {
                if (k is YamlScalarNode { Value: { } kv } && kv == key) return YamlInput.IsNull(v) ? null : v;
            }
            return null;
        }

        public bool Has(YamlMappingNode m, string key) => Child(m, key) is not null;

        private string Scalar(YamlNode node, string path, string expected) => YamlInput.Text(source, node, path, expected);

        public string RequiredString(YamlMappingNode m, string key, string parent, string expected)
        {
            if (Child(m, key) is not { } v)
            {
                Problem(m, key, $"missing key '{key}'; expected {expected}", parent);
                return "";
            }
            return Scalar(v, Join(parent, key), "text");
        }

        public string? OptionalString(YamlMappingNode m, string key, string parent = "") =>
            Child(m, key) is { } v ? Scalar(v, Join(parent, key), "text") : null;

        public bool? OptionalBool(YamlMappingNode m, string key, string parent = "") =>
            Child(m, key) is { } v ? YamlInput.Bool(source, v, Join(parent, key)) : null;

        private double Real(YamlNode v, string path) => YamlInput.Real(source, v, path);

        public double RequiredDouble(YamlMappingNode m, string key, string expected, string parent = "")
        {
            if (Child(m, key) is not { } v)
            {
                Problem(m, key, $"missing key '{key}'; expected {expected}", parent);
                return double.NaN;
            }
            return Real(v, Join(parent, key));
        }

        public double? OptionalDouble(YamlMappingNode m, string key, string parent = "") =>
            Child(m, key) is { } v ? Real(v, Join(parent, key)) : null;

        public int? OptionalInt(YamlMappingNode m, string key, string parent = "") =>
            Child(m, key) is { } v ? (int)YamlInput.Integer(source, v, Join(parent, key), int.MinValue, int.MaxValue) : null;

        public ulong RequiredULong(YamlMappingNode m, string key, string expected)
        {
            if (Child(m, key) is not { } v)
            {
                Problem(m, key, $"missing key '{key}'; expected {expected}");
                return 0;
            }
            return YamlInput.UnsignedInteger(source, v, key);
        }

        public List<string> StringList(YamlMappingNode m, string key, string parent = "")
        {
            var result = new List<string>();
            if (Child(m, key) is not { } v) return result;
            string path = Join(parent, key);
            var seq = Sequence(v, path, "a list of names ([a, b])");
            for (int i = 0; i < seq.Children.Count; i++) result.Add(Scalar(seq.Children[i], $"{path}[{i}]", "a name"));
            return result;
        }

        public double[]? DoubleArray(YamlMappingNode m, string key, string parent, int length, string expected)
        {
            if (Child(m, key) is not { } v) return null;
            string path = Join(parent, key);
            var seq = Sequence(v, path, expected);
            if (seq.Children.Count != length) throw TypeError(seq, path, $"{expected} ({length} numbers), got {seq.Children.Count}");
            var result = new double[length];
            for (int i = 0; i < length; i++) result[i] = Real(seq.Children[i], $"{path}[{i}]");
            return result;
        }

        public int[]? IntArray(YamlMappingNode m, string key, string parent, int length, string expected)
        {
            if (Child(m, key) is not { } v) return null;
            string path = Join(parent, key);
            var seq = Sequence(v, path, expected);
            if (seq.Children.Count != length) throw TypeError(seq, path, $"{expected} ({length} whole numbers), got {seq.Children.Count}");
            var result = new int[length];
            for (int i = 0; i < length; i++) result[i] = (int)YamlInput.Integer(source, seq.Children[i], $"{path}[{i}]", int.MinValue, int.MaxValue);
            return result;
        }
    }
}
