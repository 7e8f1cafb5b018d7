using System.Globalization;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// Checks the <c>safety</c> section before anything moves and resolves it into a <see cref="SafetyPolicy"/>.
/// Refuses (with <see cref="InputError"/> naming the key): unknown trigger names, a listed trigger without a valid
/// reaction, a motion reaction on telemetry_loss, an e-stop that is not Cat 0/1, discrepancy &lt; 1, and a stop ramp
/// that cannot stop a joint from its velocity limit within <c>stop_time_s</c>. GPIO lines that do not exist are
/// refused by the GPIO layer when it opens them (Rt.Drivers.Gpio.GpioLines). Not real-time safe.
/// </summary>
public static class SafetyConfigValidator
{
    public static SafetyPolicy Validate(RtConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string src = string.IsNullOrEmpty(config.SourcePath) ? "config" : config.SourcePath;
        var s = config.Safety;
        var inv = CultureInfo.InvariantCulture;

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
            if (tc.DiscrepancyTicks < 1)
                throw new InputError(src, key + ".discrepancy_ticks",
                    $"must be at least 1 (the tick the condition is seen); got {tc.DiscrepancyTicks.ToString(inv)}");
            if (!double.IsFinite(tc.Threshold) || tc.Threshold < 0)
                throw new InputError(src, key + ".threshold",
                    $"must be a finite number ≥ 0 (0 = the trigger's default); got {tc.Threshold.ToString(inv)}");
            resolved[index] = new TriggerPolicy(reaction, tc.DiscrepancyTicks, tc.Threshold, true);
        }

        if (!double.IsFinite(s.StopDecelerationRadS2) || s.StopDecelerationRadS2 <= 0)
            throw new InputError(src, "safety.stop_deceleration_rad_s2",
                $"must be a positive deceleration in rad/s²; got {s.StopDecelerationRadS2.ToString(inv)}");
        if (!double.IsFinite(s.StopTimeS) || s.StopTimeS <= 0)
            throw new InputError(src, "safety.stop_time_s", $"must be a positive time in s; got {s.StopTimeS.ToString(inv)}");
        if (!double.IsFinite(s.StandstillWindowRad) || s.StandstillWindowRad <= 0)
            throw new InputError(src, "safety.standstill_window_rad",
                $"must be a positive angle in rad; got {s.StandstillWindowRad.ToString(inv)}");
        if (!double.IsFinite(s.FlightRecorderS) || s.FlightRecorderS <= 0 || s.FlightRecorderS > 600)
            throw new InputError(src, "safety.flight_recorder_s",
                $"must be between 0 and 600 s; got {s.FlightRecorderS.ToString(inv)}");
        if (string.IsNullOrWhiteSpace(s.LogPath))
            throw new InputError(src, "safety.log_path", "the durable safety log needs a path");

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

        return new SafetyPolicy(resolved, s.StopDecelerationRadS2, s.StopTimeS, s.StandstillWindowRad, s.FlightRecorderS);
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
}
