namespace Rt.Core.Config;

/// <summary>
/// <c>twin.adapt:</c> the guarded online adaptation of the twin's slow parameters (payload at the end links). Off by
/// default: adaptation moves the baseline the fault detectors compare against, so a robot opts in where it picks up
/// loads (see docs/TWIN.md, "Adaptation"). Bounds are checked with the rest of the config (exit 2).
/// </summary>
public sealed class TwinAdaptSection
{
    /// <summary>Adapt at all.</summary>
    public bool Enabled { get; set; }

    /// <summary>Largest payload change per second per end link, kg/s (a collision is faster than this).</summary>
    public double PayloadRateKgS { get; set; } = 0.5;

    /// <summary>Payload bounds per end link, kg: the estimate never leaves [payload_min_kg, payload_max_kg].</summary>
    public double PayloadMinKg { get; set; }

    /// <summary>Upper payload bound per end link, kg.</summary>
    public double PayloadMaxKg { get; set; } = 5;

    /// <summary>1 / the length of the least-squares window the estimate averages its evidence over, 1/s: 50 → 20 ms (20 ticks at 1 kHz): it averages the observer's noise while a 0.2 kg/s load lags by about 0.2/50 = 4 g (the synthetic robot trips at 57 g unlearnt; windows of 50–500 ms lagged enough to trip it); the rate limit, not the window, is what keeps a fault from being learnt.</summary>
    public double GainPerS { get; set; } = 50;

    /// <summary>Freeze while any detector is above this fraction of its threshold.</summary>
    public double FreezeFraction { get; set; } = 0.5;

    /// <summary>Stay frozen this long after the last detector fell below the freeze fraction, s.</summary>
    public double HoldOffS { get; set; } = 1;

    /// <summary>Log a summary line each time an end link's payload moved this far since its last line, kg.</summary>
    public double LogStepKg { get; set; } = 0.1;
}
