using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>One trigger's resolved settings: reaction, discrepancy (ticks) and threshold (0 = trigger default).</summary>
public readonly record struct TriggerPolicy(StopCategory Reaction, int DiscrepancyTicks, double Threshold, bool FromConfig);

/// <summary>
/// The validated safety settings, every trigger resolved (defaults applied to triggers the config does not list).
/// Built by <see cref="SafetyConfigValidator.Validate"/>. Not real-time safe to build; immutable afterwards.
/// </summary>
public sealed class SafetyPolicy
{
    internal SafetyPolicy(TriggerPolicy[] triggers, double decel, double stopTimeS, double standstillWindowRad, double flightRecorderS)
    {
        Triggers = triggers;
        StopDecelerationRadS2 = decel;
        StopTimeS = stopTimeS;
        StandstillWindowRad = standstillWindowRad;
        FlightRecorderS = flightRecorderS;
    }

    /// <summary>Indexed by <see cref="SafetyTrigger"/>.</summary>
    public IReadOnlyList<TriggerPolicy> Triggers { get; }
    public double StopDecelerationRadS2 { get; }
    public double StopTimeS { get; }
    public double StandstillWindowRad { get; }
    public double FlightRecorderS { get; }

    public TriggerPolicy this[SafetyTrigger t] => Triggers[(int)t];
}
