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

    /// <summary>
    /// <c>twin.adapt.friction</c>: adapt each joint's Coulomb and viscous friction as scales of the calibrated values (a warm
    /// gearbox). Independent of <see cref="Enabled"/> (the payload); off by default for the same reason.
    /// </summary>
    public bool Friction { get; set; }

    /// <summary>Largest change of a friction scale per second (0.02 = 2 % of the calibrated value per second).</summary>
    public double FrictionRatePerS { get; set; } = 0.02;

    /// <summary>Lower bound of each friction scale (× calibrated).</summary>
    public double FrictionMinScale { get; set; } = 0.5;

    /// <summary>Upper bound of each friction scale (× calibrated).</summary>
    public double FrictionMaxScale { get; set; } = 2;

    /// <summary>A joint's friction learns only while it moves faster than this, rad/s (evidence correlated with sign(q̇) and q̇).</summary>
    public double FrictionMinSpeedRadS { get; set; } = 0.05;

    /// <summary>1 / the friction least-squares window, 1/s: 0.5 → 2 s (several strokes of a joint, so Coulomb and viscous separate).</summary>
    public double FrictionGainPerS { get; set; } = 0.5;

    /// <summary>Log a line each time a joint's friction scale moved this far since its last line.</summary>
    public double FrictionLogStep { get; set; } = 0.02;
}
