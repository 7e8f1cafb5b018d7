using System.Globalization;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// Checks the <c>safety</c> section before anything moves and resolves it into a <see cref="SafetyPolicy"/> with its
/// digest. Refuses (with <see cref="InputError"/>: one line naming the file, the key, the value and what is allowed):
/// unknown trigger names, a listed trigger without a valid reaction, a motion reaction on telemetry_loss, an e-stop
/// that is not Cat 0/1, a stop trigger weakened below its stop class (e.g. <c>warn</c>) off the bench, any
/// safety-relevant number outside its bounds (NaN and infinity included), a threshold on a trigger that has none, a
/// malformed <c>expected_digest</c>, and a stop ramp that cannot stop a joint from its velocity limit within
/// <c>stop_time_s</c>. GPIO lines that do not exist are refused by the GPIO layer when it opens them
/// (Rt.Drivers.Gpio.GpioLines). Not real-time safe.
/// </summary>
public static class SafetyConfigValidator
{
    /// <summary>Longest discrepancy time: a condition confirmed later than this is a detection too slow to rely on.</summary>
    public const double MaxDiscrepancyS = 0.2;

    /// <summary>Longest IMU stale time (imu_fault.threshold, in ticks): beyond it a frozen IMU goes unnoticed too long.</summary>
    public const double MaxImuStaleS = 0.1;

    // Bounds of the safety numbers (see docs/CONFIG.md). Ratios multiply the joint's configured limit.
    public const double MaxPositionMarginRad = 0.2, MaxVelocityFactor = 2, MaxTorqueFactor = 3, MaxFollowingFactor = 5;
    public const double MinDecelRadS2 = 0.1, MaxDecelRadS2 = 1000, MaxStopTimeS = 5, MaxStandstillWindowRad = 0.5;
    public const double MaxFlightRecorderS = 600, MinResetReceiveTimeoutS = 0.01, MaxResetReceiveTimeoutS = 10;

    /// <param name="config">The loaded config.</param>
    /// <param name="onBench">
    /// True only for a bench session (emulated drives and plant): then a stop trigger may be weakened (to a warning,
    /// say) for an experiment. On a robot (the default) that is refused.
    /// </param>
    public static SafetyPolicy Validate(RtConfig config, bool onBench = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        string src = string.IsNullOrEmpty(config.SourcePath) ? "config" : config.SourcePath;
        var s = config.Safety;
        var inv = CultureInfo.InvariantCulture;
        double rateHz = double.IsFinite(config.Loop.RateHz) && config.Loop.RateHz > 0 ? config.Loop.RateHz : 1000;
        int maxDiscrepancy = Math.Max(1, (int)Math.Floor(MaxDiscrepancyS * rateHz + 1e-9));
        int maxImuStale = Math.Max(1, (int)Math.Floor(MaxImuStaleS * rateHz + 1e-9));
        double maxTorque = 0;
        foreach (var j in config.Joints) if (double.IsFinite(j.Limits.TorqueNm)) maxTorque = Math.Max(maxTorque, j.Limits.TorqueNm);

        var resolved = new TriggerPolicy[SafetyTriggers.Count];
        for (int t = 0; t < resolved.Length; t++)
        {
            var trig = (SafetyTrigger)t;
            resolved[t] = new TriggerPolicy(SafetyTriggers.DefaultReaction(trig),
                SafetyTriggers.DefaultDiscrepancyTicks(trig, config.Bus.FrameLossBudget), 0, false);
        }

        foreach (var (name, tc) in s.Triggers)
        {
            string key = $"safety.triggers.{name}";
            int index = -1;
            for (int t = 0; t < SafetyTriggers.Count; t++)
                if (string.Equals(SafetyTriggers.Names[t], name, StringComparison.Ordinal)) index = t;
            if (index < 0)
                throw new InputError(src, key, $"unknown trigger '{name}'; expected one of: {string.Join(", ", SafetyTriggers.Names)}");
            if (tc is null)
                throw new InputError(src, key, "trigger listed without settings; expected at least 'reaction: cat0|cat1|cat2|warn'");
            var trig = (SafetyTrigger)index;
            var reaction = ParseReaction(tc.Reaction)
                ?? throw new InputError(src, key + ".reaction",
                    string.IsNullOrWhiteSpace(tc.Reaction)
                        ? "trigger is listed without a reaction; expected cat0, cat1, cat2 or warn"
                        : $"unknown reaction '{tc.Reaction}'; expected cat0, cat1, cat2 or warn");
            if (trig == SafetyTrigger.TelemetryLoss && reaction != StopCategory.Warning)
                throw new InputError(src, key + ".reaction",
                    $"telemetry loss is a warning, never a motion trigger; got '{tc.Reaction}', expected 'warn'");
            if (trig == SafetyTrigger.EStop && reaction is not (StopCategory.Cat0 or StopCategory.Cat1))
                throw new InputError(src, key + ".reaction",
                    $"an emergency stop must be stop category 0 or 1 (IEC 60204-1 10.7); got '{tc.Reaction}'");
            var stopClass = SafetyTriggers.DefaultReaction(trig);
            if (!onBench && SafetyTriggers.Severity(reaction) < SafetyTriggers.Severity(stopClass))
                throw new InputError(src, key + ".reaction",
                    $"'{tc.Reaction}' is weaker than this trigger's stop class ({SafetyTriggers.ReactionName(stopClass)}); " +
                    $"a stop trigger may be weakened on the bench only (--bench), never on a robot; expected " +
                    $"{AtLeast(stopClass)}");
            if (tc.DiscrepancyTicks < 1 || tc.DiscrepancyTicks > maxDiscrepancy)
                throw new InputError(src, key + ".discrepancy_ticks",
                    $"must be at least 1 (the tick the condition is seen) and at most {maxDiscrepancy.ToString(inv)} " +
                    $"({MaxDiscrepancyS.ToString(inv)} s at {rateHz.ToString(inv)} Hz); got {tc.DiscrepancyTicks.ToString(inv)}");
            CheckThreshold(src, key + ".threshold", trig, tc.Threshold, maxTorque, maxImuStale);
            resolved[index] = new TriggerPolicy(reaction, tc.DiscrepancyTicks, tc.Threshold, true);
        }

        Range(src, "safety.stop_deceleration_rad_s2", s.StopDecelerationRadS2, MinDecelRadS2, MaxDecelRadS2, "rad/s²", lowOpen: false);
        Range(src, "safety.stop_time_s", s.StopTimeS, 0, MaxStopTimeS, "s", lowOpen: true);
        Range(src, "safety.standstill_window_rad", s.StandstillWindowRad, 0, MaxStandstillWindowRad, "rad", lowOpen: true);
        Range(src, "safety.flight_recorder_s", s.FlightRecorderS, 0, MaxFlightRecorderS, "s", lowOpen: true);
        Range(src, "safety.reset_socket_receive_timeout_s", s.ResetSocketReceiveTimeoutS, MinResetReceiveTimeoutS, MaxResetReceiveTimeoutS, "s", lowOpen: false);
        if (string.IsNullOrWhiteSpace(s.LogPath))
            throw new InputError(src, "safety.log_path", "the durable safety log needs a path");
        _ = ResetSocketMode(src, s.ResetSocketMode);
        string expected = (s.ExpectedDigest ?? "").Trim().ToLowerInvariant();
        if (expected.Length != 0 && (expected.Length != 64 || !expected.All(char.IsAsciiHexDigit)))
            throw new InputError(src, "safety.expected_digest",
                $"must be the 64 hex digits of a SHA-256 (as printed at start: 'safety policy digest ...'); got '{s.ExpectedDigest}'");

        for (int j = 0; j < config.Joints.Count; j++)
        {
            var joint = config.Joints[j];
            double vmax = joint.Limits.VelocityRadS;
            double needed = vmax / s.StopDecelerationRadS2;
            if (needed > s.StopTimeS)
                throw new InputError(src, $"joints[{j}] ({joint.Name}).limits.velocity_rad_s",
                    $"the stop ramp cannot stop this joint in time: {vmax.ToString(inv)} rad/s at " +
                    $"{s.StopDecelerationRadS2.ToString(inv)} rad/s² takes {needed.ToString("0.###", inv)} s, but safety.stop_time_s is " +
                    $"{s.StopTimeS.ToString(inv)} s; raise safety.stop_deceleration_rad_s2 or safety.stop_time_s, or lower the velocity limit");
        }

        var policy = new SafetyPolicy(resolved, s.StopDecelerationRadS2, s.StopTimeS, s.StandstillWindowRad, s.FlightRecorderS, onBench);
        policy.CanonicalText = SafetyPolicyDigest.CanonicalText(config, policy);
        policy.Digest = SafetyPolicyDigest.Of(policy.CanonicalText);
        policy.ExpectedDigest = expected;
        return policy;
    }

    /// <summary>"cat0"/"cat1"/"cat2"/"warn" (case-insensitive), or null when not one of those.</summary>
    public static StopCategory? ParseReaction(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "cat0" => StopCategory.Cat0,
        "cat1" => StopCategory.Cat1,
        "cat2" => StopCategory.Cat2,
        "warn" or "warning" => StopCategory.Warning,
        _ => null,
    };

    /// <summary><c>safety.reset_socket_mode</c>: "0600" (owner only) or "0660" (owner and the operator group).</summary>
    public static UnixFileMode ResetSocketMode(string source, string? text) => text?.Trim() switch
    {
        null or "" or "0600" or "600" => UnixFileMode.UserRead | UnixFileMode.UserWrite,
        "0660" or "660" => UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
        _ => throw new InputError(source, "safety.reset_socket_mode",
            $"must be 0600 (owner only) or 0660 (owner and safety.reset_socket_group); got '{text}'"),
    };

    private static string AtLeast(StopCategory c) => c switch
    {
        StopCategory.Cat0 => "cat0",
        StopCategory.Cat1 => "cat1 or cat0",
        StopCategory.Cat2 => "cat2, cat1 or cat0",
        _ => "cat0, cat1, cat2 or warn",
    };

    private static void CheckThreshold(string src, string key, SafetyTrigger t, double v, double maxTorque, int maxImuStale)
    {
        var inv = CultureInfo.InvariantCulture;
        if (!double.IsFinite(v) || v < 0)
            throw new InputError(src, key, $"must be a finite number ≥ 0 (0 = the trigger's default); got {v.ToString(inv)}");
        if (v == 0) return; // the trigger's default
        switch (t)
        {
            case SafetyTrigger.PositionLimit: Range(src, key, v, 0, MaxPositionMarginRad, "rad (margin beyond the joint's position limits)", true); break;
            case SafetyTrigger.VelocityLimit: Range(src, key, v, 0, MaxVelocityFactor, "× the joint's velocity limit", true); break;
            case SafetyTrigger.TorqueLimit: Range(src, key, v, 0, MaxTorqueFactor, "× the joint's torque limit", true); break;
            case SafetyTrigger.FollowingError: Range(src, key, v, 0, MaxFollowingFactor, "× the joint's following-error limit", true); break;
            case SafetyTrigger.Collision: Range(src, key, v, 0, maxTorque, "N·m (at most the largest joint torque limit)", true); break;
            case SafetyTrigger.ImuFault: Range(src, key, v, 1, maxImuStale, $"stale ticks ({MaxImuStaleS.ToString(inv)} s)", false); break;
            default:
                throw new InputError(src, key,
                    $"this trigger has no threshold (its source decides: twin, bus, drive, loop, e-stop or telemetry); expected 0 or no threshold key, got {v.ToString(inv)}");
        }
    }

    /// <summary>Refuses v outside [lo, hi] (or (lo, hi] when lowOpen), NaN and infinity included, naming the range.</summary>
    private static void Range(string src, string key, double v, double lo, double hi, string unit, bool lowOpen)
    {
        bool ok = double.IsFinite(v) && (lowOpen ? v > lo : v >= lo) && v <= hi;
        if (ok) return;
        var inv = CultureInfo.InvariantCulture;
        string range = lowOpen
            ? $"more than {lo.ToString(inv)} and at most {hi.ToString(inv)} {unit}"
            : $"between {lo.ToString(inv)} and {hi.ToString(inv)} {unit}";
        throw new InputError(src, key, $"must be {range}; got {v.ToString(inv)}");
    }
}
