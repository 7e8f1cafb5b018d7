using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>One trigger's resolved settings: reaction, discrepancy (ticks) and threshold (0 = trigger default).</summary>
public readonly record struct TriggerPolicy(StopCategory Reaction, int DiscrepancyTicks, double Threshold, bool FromConfig);

/// <summary>
/// The validated safety settings, every trigger resolved (defaults applied to triggers the config does not list),
/// with the SHA-256 <see cref="Digest"/> of their canonical text (<see cref="SafetyPolicyDigest"/>) so a deployment can
/// see and pin exactly what will run. Built by <see cref="SafetyConfigValidator.Validate"/>. Not real-time safe to
/// build; immutable afterwards.
/// </summary>
public sealed class SafetyPolicy
{
    internal SafetyPolicy(TriggerPolicy[] triggers, double decel, double stopTimeS, double standstillWindowRad, double flightRecorderS,
        bool onBench)
    {
        Triggers = triggers;
        StopDecelerationRadS2 = decel;
        StopTimeS = stopTimeS;
        StandstillWindowRad = standstillWindowRad;
        FlightRecorderS = flightRecorderS;
        OnBench = onBench;
    }

    /// <summary>Indexed by <see cref="SafetyTrigger"/>.</summary>
    public IReadOnlyList<TriggerPolicy> Triggers { get; }
    public double StopDecelerationRadS2 { get; }
    public double StopTimeS { get; }
    public double StandstillWindowRad { get; }
    public double FlightRecorderS { get; }

    /// <summary>Validated under the bench's rules (a stop trigger may be weakened, e.g. to a warning).</summary>
    public bool OnBench { get; }

    /// <summary>The canonical text the digest is computed over (one line per setting; see docs/SAFETY.md).</summary>
    public string CanonicalText { get; internal set; } = "";

    /// <summary>SHA-256 of <see cref="CanonicalText"/>, 64 lowercase hex digits. The host prints it at start.</summary>
    public string Digest { get; internal set; } = "";

    /// <summary><c>safety.expected_digest</c> (lowercase), or empty when the deployment does not pin one.</summary>
    public string ExpectedDigest { get; internal set; } = "";

    /// <summary>Null when the digest matches or is not pinned; otherwise why the supervisor refuses to enable motion.</summary>
    public string? DigestMismatch => ExpectedDigest.Length == 0 || ExpectedDigest == Digest
        ? null
        : $"safety policy digest mismatch: safety.expected_digest is {ExpectedDigest} but the effective policy is {Digest}; motion stays disabled";

    public TriggerPolicy this[SafetyTrigger t] => Triggers[(int)t];
}
