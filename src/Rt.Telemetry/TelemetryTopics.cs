namespace Rt.Telemetry;

/// <summary>
/// The topics one robot publishes under (docs/TELEMETRY.md, schema v2). All under <c>{prefix…}/{robot}/</c>, where the
/// prefix may have several levels (e.g. <c>site/line3/rt</c>).
/// </summary>
public sealed record TelemetryTopics(string Prefix, string RobotId)
{
    /// <summary>Payload schema version carried as "v" in every JSON message and as <c>schema</c> in the protobuf one.</summary>
    public const int SchemaVersion = 2;

    /// <summary>The JSON and RTD1 divergence encodings keep the v1 layout (and say "v": 1); the v2 divergence is protobuf.</summary>
    public const int LegacyDivergenceVersion = 1;

    public string Root => $"{Prefix}/{RobotId}";

    /// <summary>Retained, QoS 1: metric list with units and schema version, republished on every connect.</summary>
    public string Birth => $"{Root}/birth";

    /// <summary>Retained, QoS 1: online/offline (offline is the last will) and the current safety state.</summary>
    public string State => $"{Root}/state";

    /// <summary>QoS 0: batched divergence records (protobuf, Schema/divergence_v2.proto) with a sequence number.</summary>
    public string Divergence => $"{Root}/divergence";

    /// <summary>QoS 0, JSON at <see cref="TelemetryOptions.SummaryHz"/>: worst ratio per channel group, state, cause, counters.</summary>
    public string Summary => $"{Root}/summary";

    /// <summary>QoS 1: one message per safety event, read back from the safety log (at least once; de-duplicate by (run, id)).</summary>
    public string Safety => $"{Root}/safety";

    /// <summary>Retained, QoS 1: the last safety event that stopped motion (a trip), so a late subscriber sees it.</summary>
    public string LastTrip => $"{Root}/last_trip";

    /// <summary>QoS 1: link health (drop counts after an outage).</summary>
    public string Link => $"{Root}/link";

    /// <summary>Subscription pattern covering every topic of the robot (what <c>rt monitor</c> reads).</summary>
    public string All => $"{Root}/#";

    /// <summary>Checks a robot id is usable as one topic level.</summary>
    public static bool IsValidLevel(string s) =>
        s.Length > 0 && s.IndexOfAny(['/', '+', '#', '\0']) < 0;

    /// <summary>Checks a prefix: one or more levels separated by '/', none empty, no wildcards.</summary>
    public static bool IsValidPrefix(string s) =>
        s.Length > 0 && s.Split('/').All(IsValidLevel);
}
