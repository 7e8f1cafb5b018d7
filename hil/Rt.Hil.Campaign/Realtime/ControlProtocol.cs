using System.Text;
using System.Text.Json;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Realtime;

/// <summary>One line of the serve process's control protocol: start or end one injection, meant for host tick <see cref="Tick"/>.</summary>
/// <param name="Tick">The host's tick the injection is meant for (the serve process applies it at its next frame boundary; the tick is for the record).</param>
/// <param name="End">True: end the injection started by the matching start line (same kind and target).</param>
/// <param name="Injection">Kind, target and parameters (<see cref="Injection.AtS"/> is 0: timing is the host's business).</param>
public sealed record ControlCommand(long Tick, bool End, Injection Injection);

/// <summary>
/// The control protocol of <c>rt hil serve --control &lt;socket&gt;</c>: one JSON object per line, e.g.
/// <c>{"tick":2500,"kind":"collision_wrench","target":"l_shin","force_n":[0,0,-300]}</c> or
/// <c>{"tick":2600,"kind":"collision_wrench","target":"l_shin","phase":"end"}</c>; the server answers each line with
/// <c>ok</c> or <c>error: &lt;reason&gt;</c>. Kinds are the scenario's injection kinds in snake_case. Not real-time safe
/// (parsing allocates; it runs on the socket's thread, never on the frame thread).
/// </summary>
public static class ControlProtocol
{
    private static readonly string[] KnownFields =
        ["tick", "kind", "phase", "target", "scale", "mass_kg", "friction_nm", "damping_nms", "offset_rad", "noise_counts",
         "force_n", "torque_nm", "accel_bias_ms2", "gyro_bias_rad_s", "frames"];

    /// <summary>snake_case name of a kind, as in scenario files (<c>CollisionWrench</c> → <c>collision_wrench</c>).</summary>
    public static string KindName(InjectionKind kind) => ScenarioLoader.KindName(kind);

    /// <summary>The kind named <paramref name="name"/> (snake_case), or null.</summary>
    public static InjectionKind? ParseKind(string name)
    {
        foreach (var k in Enum.GetValues<InjectionKind>())
            if (KindName(k) == name) return k;
        return null;
    }

    /// <summary>Whether the serve process applies this kind (the others are the host's: link down is the host's veth, broker and CPU hog are host-side).</summary>
    public static bool ServedKind(InjectionKind kind) => kind is not (InjectionKind.LinkDown or InjectionKind.BrokerOutage or InjectionKind.CpuHog);

    /// <summary>One line (no newline) for <paramref name="command"/>.</summary>
    public static string Format(ControlCommand command)
    {
        var i = command.Injection;
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("tick", command.Tick);
            w.WriteString("kind", KindName(i.Kind));
            if (command.End) w.WriteString("phase", "end");
            if (i.Target != null) w.WriteString("target", i.Target);
            if (!command.End)
            {
                if (i.Scale is { } scale) w.WriteNumber("scale", scale);
                if (i.MassKg is { } m) w.WriteNumber("mass_kg", m);
                if (i.FrictionNm is { } f) w.WriteNumber("friction_nm", f);
                if (i.DampingNms is { } d) w.WriteNumber("damping_nms", d);
                if (i.OffsetRad is { } o) w.WriteNumber("offset_rad", o);
                if (i.NoiseCounts is { } n) w.WriteNumber("noise_counts", n);
                if (i.Frames is { } fr) w.WriteNumber("frames", fr);
                Vector(w, "force_n", i.ForceN);
                Vector(w, "torque_nm", i.TorqueNm);
                Vector(w, "accel_bias_ms2", i.AccelBiasMs2);
                Vector(w, "gyro_bias_rad_s", i.GyroBiasRadS);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Vector(Utf8JsonWriter w, string name, double[]? v)
    {
        if (v == null) return;
        w.WriteStartArray(name);
        foreach (var x in v) w.WriteNumberValue(x);
        w.WriteEndArray();
    }

    /// <summary>
    /// Parses one line. Returns the command, or null with <paramref name="error"/> saying which field is wrong and what
    /// was expected (the server replies <c>error: </c> + that).
    /// </summary>
    public static ControlCommand? TryParse(string line, out string error)
    {
        error = "";
        if (string.IsNullOrWhiteSpace(line))
        {
            error = "empty line; expected one JSON object, e.g. {\"tick\":100,\"kind\":\"encoder_freeze\",\"target\":\"l_knee\"}";
            return null;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            error = $"not JSON ({e.Message}); expected one object per line";
            return null;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}";
                return null;
            }
            foreach (var p in root.EnumerateObject())
            {
                if (Array.IndexOf(KnownFields, p.Name) < 0)
                {
                    error = $"unknown field '{p.Name}'; expected {string.Join(", ", KnownFields)}";
                    return null;
                }
            }
            if (!root.TryGetProperty("tick", out var tickEl) || tickEl.ValueKind != JsonValueKind.Number || !tickEl.TryGetInt64(out long tick) || tick < 0)
            {
                error = "field 'tick': expected a non-negative integer (the host tick the injection is meant for)";
                return null;
            }
            if (!root.TryGetProperty("kind", out var kindEl) || kindEl.ValueKind != JsonValueKind.String)
            {
                error = $"field 'kind': expected a string, one of {string.Join(", ", Enum.GetValues<InjectionKind>().Select(KindName))}";
                return null;
            }
            string kindName = kindEl.GetString()!;
            if (ParseKind(kindName) is not { } kind)
            {
                error = $"field 'kind': unknown kind '{kindName}'; expected one of {string.Join(", ", Enum.GetValues<InjectionKind>().Select(KindName))}";
                return null;
            }
            if (!ServedKind(kind))
            {
                error = $"field 'kind': '{kindName}' is not applied by the serve process (the host applies it on its side)";
                return null;
            }
            bool end = false;
            if (root.TryGetProperty("phase", out var phaseEl))
            {
                string? phase = phaseEl.ValueKind == JsonValueKind.String ? phaseEl.GetString() : null;
                if (phase is not ("start" or "end"))
                {
                    error = "field 'phase': expected \"start\" or \"end\"";
                    return null;
                }
                end = phase == "end";
            }
            string? target = null;
            if (root.TryGetProperty("target", out var targetEl))
            {
                if (targetEl.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(targetEl.GetString()))
                {
                    error = "field 'target': expected a joint, link or IMU name";
                    return null;
                }
                target = targetEl.GetString();
            }
            bool needsTarget = kind is not InjectionKind.FrameLoss;
            if (needsTarget && target == null)
            {
                error = $"field 'target': missing; {kindName} needs {TargetWord(kind)}";
                return null;
            }
            try
            {
                var injection = new Injection
                {
                    Kind = kind,
                    AtS = 0,
                    Target = target,
                    Scale = Number(root, "scale"),
                    MassKg = Number(root, "mass_kg"),
                    FrictionNm = Number(root, "friction_nm"),
                    DampingNms = Number(root, "damping_nms"),
                    OffsetRad = Number(root, "offset_rad"),
                    NoiseCounts = Number(root, "noise_counts"),
                    ForceN = Vec(root, "force_n"),
                    TorqueNm = Vec(root, "torque_nm"),
                    AccelBiasMs2 = Vec(root, "accel_bias_ms2"),
                    GyroBiasRadS = Vec(root, "gyro_bias_rad_s"),
                    Frames = Integer(root, "frames"),
                };
                if (!end && MissingParameter(injection) is { } missing)
                {
                    error = missing;
                    return null;
                }
                return new ControlCommand(tick, end, injection);
            }
            catch (FormatException e)
            {
                error = e.Message;
                return null;
            }
        }
    }

    /// <summary>What the target of a kind names.</summary>
    public static string TargetWord(InjectionKind kind) => kind switch
    {
        InjectionKind.CollisionObstacle or InjectionKind.CollisionWrench or InjectionKind.Payload => "a link name",
        InjectionKind.ImuBias or InjectionKind.ImuFreeze or InjectionKind.ImuSaturation => "an IMU name",
        InjectionKind.SlaveSafeOp => "a joint or IMU name (its slave drops to SAFE-OP)",
        _ => "a joint name",
    };

    private static string? MissingParameter(Injection i) => i.Kind switch
    {
        InjectionKind.CollisionWrench when i.ForceN == null && i.TorqueNm == null => "field 'force_n': collision_wrench needs force_n [x,y,z] (N) and/or torque_nm [x,y,z] (N·m)",
        InjectionKind.Payload when i.MassKg == null => "field 'mass_kg': payload needs the added mass in kg",
        InjectionKind.JointFriction when i.FrictionNm == null && i.DampingNms == null => "field 'friction_nm': joint_friction needs friction_nm and/or damping_nms",
        InjectionKind.TorqueLoss when i.Scale is not (>= 0 and <= 1) => "field 'scale': torque_loss needs a scale in [0, 1] (0 = no torque)",
        InjectionKind.EncoderJump when i.OffsetRad == null => "field 'offset_rad': encoder_jump needs the jump in rad",
        InjectionKind.EncoderNoise when i.NoiseCounts is not >= 0 => "field 'noise_counts': encoder_noise needs σ in counts (≥ 0)",
        InjectionKind.ImuBias when i.AccelBiasMs2 == null && i.GyroBiasRadS == null => "field 'accel_bias_ms2': imu_bias needs accel_bias_ms2 [x,y,z] and/or gyro_bias_rad_s [x,y,z]",
        InjectionKind.FrameLoss when i.Frames is not > 0 => "field 'frames': frame_loss needs a positive number of frames",
        _ => null,
    };

    private static double? Number(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var el)) return null;
        if (el.ValueKind != JsonValueKind.Number || !el.TryGetDouble(out double v) || !double.IsFinite(v))
            throw new FormatException($"field '{name}': expected a finite number, got {el.GetRawText()}");
        return v;
    }

    private static int? Integer(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var el)) return null;
        if (el.ValueKind != JsonValueKind.Number || !el.TryGetInt32(out int v))
            throw new FormatException($"field '{name}': expected an integer, got {el.GetRawText()}");
        return v;
    }

    private static double[]? Vec(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var el)) return null;
        if (el.ValueKind != JsonValueKind.Array || el.GetArrayLength() != 3)
            throw new FormatException($"field '{name}': expected [x, y, z], got {el.GetRawText()}");
        var v = new double[3];
        int k = 0;
        foreach (var x in el.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetDouble(out v[k]) || !double.IsFinite(v[k]))
                throw new FormatException($"field '{name}[{k}]': expected a finite number, got {x.GetRawText()}");
            k++;
        }
        return v;
    }
}
