namespace Rt.Telemetry;

/// <summary>The topics one robot publishes under (see docs/TELEMETRY.md). All under <c>{prefix}/{robot}/</c>.</summary>
public sealed record TelemetryTopics(string Prefix, string RobotId)
{
    /// <summary>Payload schema version carried as "v" in every message.</summary>
    public const int SchemaVersion = 1;

    public string Root => $"{Prefix}/{RobotId}";

    /// <summary>Retained, QoS 1: metric list with units and schema version, republished on every connect.</summary>
    public string Birth => $"{Root}/birth";

    /// <summary>Retained, QoS 1: online/offline (offline is the last will) and the current safety state.</summary>
    public string State => $"{Root}/state";

    /// <summary>QoS 0: batched divergence records with a per-message sequence number.</summary>
    public string Divergence => $"{Root}/divergence";

    /// <summary>QoS 1: one message per safety event, read back from the safety log (at least once; de-duplicate by (run, id)).</summary>
    public string Safety => $"{Root}/safety";

    /// <summary>QoS 1: link health (drop counts after an outage).</summary>
    public string Link => $"{Root}/link";

    /// <summary>Subscription pattern covering every topic of the robot (what <c>rt monitor</c> reads).</summary>
    public string All => $"{Root}/#";

    /// <summary>Checks a robot id or prefix is usable as one topic level.</summary>
    public static bool IsValidLevel(string s) =>
        s.Length > 0 && s.IndexOfAny(['/', '+', '#', '\0']) < 0;
}
