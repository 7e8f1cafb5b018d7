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
    }

    private static string? RangeProblemOpen(double value, double max, string unit) => YamlInput.RangeProblemAboveMin(value, 0, max, unit);
}
