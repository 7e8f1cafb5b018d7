namespace Rt.Core.Config;

/// <summary>The <c>twin.adapt:</c> bounds: safety-relevant numbers (they move the fault detectors' baseline). Not real-time safe.</summary>
public static partial class ConfigValidator
{
    /// <summary>Largest payload bound accepted per end link, kg.</summary>
    public const double MaxAdaptPayloadKg = 100;

    /// <summary>Largest payload rate accepted, kg/s: beyond it adaptation could follow a collision.</summary>
    public const double MaxAdaptPayloadRateKgS = 5;

    private static void CheckTwinAdapt(TwinAdaptSection a, Action<string, string> fail)
    {
        const string k = "twin.adapt.";
        if (RangeProblemOpen(a.PayloadRateKgS, MaxAdaptPayloadRateKgS, "kg/s") is { } rate) fail(k + "payload_rate_kg_s", rate);
        if (YamlInput.RangeProblem(a.PayloadMinKg, -MaxAdaptPayloadKg, MaxAdaptPayloadKg, "kg") is { } min) fail(k + "payload_min_kg", min);
        if (YamlInput.RangeProblem(a.PayloadMaxKg, -MaxAdaptPayloadKg, MaxAdaptPayloadKg, "kg") is { } max) fail(k + "payload_max_kg", max);
        else if (!(a.PayloadMaxKg >= a.PayloadMinKg)) fail(k + "payload_max_kg", $"is {YamlInput.Num(a.PayloadMaxKg)} kg, below payload_min_kg {YamlInput.Num(a.PayloadMinKg)} kg; expected max ≥ min");
        if (RangeProblemOpen(a.GainPerS, 100, "1/s") is { } gain) fail(k + "gain_per_s", gain);
        if (RangeProblemOpen(a.FreezeFraction, 1, "") is { } freeze) fail(k + "freeze_fraction", freeze);
        if (YamlInput.RangeProblem(a.HoldOffS, 0, 60, "s") is { } hold) fail(k + "hold_off_s", hold);
        if (RangeProblemOpen(a.LogStepKg, MaxAdaptPayloadKg, "kg") is { } step) fail(k + "log_step_kg", step);
        CheckTwinAdaptFriction(a, fail);
    }

    private static string? RangeProblemOpen(double value, double max, string unit) => YamlInput.RangeProblemAboveMin(value, 0, max, unit);

    /// <summary>Largest friction adaptation rate accepted, per second (10 %/s): beyond it adaptation could follow a fault.</summary>
    public const double MaxAdaptFrictionRatePerS = 0.1;

    /// <summary>Friction scale bounds accepted: [0.1, 10] × calibrated.</summary>
    public const double MinAdaptFrictionScale = 0.1, MaxAdaptFrictionScale = 10;

    private static void CheckTwinAdaptFriction(TwinAdaptSection a, Action<string, string> fail)
    {
        const string k = "twin.adapt.";
        if (RangeProblemOpen(a.FrictionRatePerS, MaxAdaptFrictionRatePerS, "/s") is { } rate) fail(k + "friction_rate_per_s", rate);
        if (YamlInput.RangeProblem(a.FrictionMinScale, MinAdaptFrictionScale, 1, "") is { } min) fail(k + "friction_min_scale", min);
        if (YamlInput.RangeProblem(a.FrictionMaxScale, 1, MaxAdaptFrictionScale, "") is { } max) fail(k + "friction_max_scale", max);
        if (RangeProblemOpen(a.FrictionMinSpeedRadS, 10, "rad/s") is { } speed) fail(k + "friction_min_speed_rad_s", speed);
        if (RangeProblemOpen(a.FrictionGainPerS, 100, "1/s") is { } gain) fail(k + "friction_gain_per_s", gain);
        if (RangeProblemOpen(a.FrictionLogStep, 1, "") is { } step) fail(k + "friction_log_step", step);
    }
}
