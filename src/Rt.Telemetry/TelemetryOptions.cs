using Rt.Core.Config;
using Rt.Core.Time;

namespace Rt.Telemetry;

/// <summary>
/// Tuning (defaults suit a 1 kHz loop); tests shorten the timeouts. Encoding, rates and the threshold repeat come from
/// the YAML's telemetry section (<see cref="FromSection"/>); the rest is not in the YAML.
/// </summary>
public sealed record TelemetryOptions
{
    /// <summary>Not real-time safe. The defaults with the telemetry section's encoding, rates and threshold repeat (validated by ConfigValidator).</summary>
    public static TelemetryOptions FromSection(TelemetrySection section) => new()
    {
        Encoding = section.Encoding switch
        {
            "json" => PayloadEncoding.Json,
            "binary" => PayloadEncoding.Binary,
            _ => PayloadEncoding.Protobuf,
        },
        SummaryHz = section.SummaryHz,
        RosHz = section.RosHz,
        ThresholdRepeatS = section.ThresholdRepeatS,
        PackColumns = section.PackColumns,
    };

    /// <summary>Protobuf: columns bit-packed (Column.bits, schema 3) rather than one varint per value (Column.q).</summary>
    public bool PackColumns { get; init; } = true;

    /// <summary>Protobuf: thresholds and gates go out when they change and at least this often, s (a late subscriber waits at most this long).</summary>
    public double ThresholdRepeatS { get; init; } = 1;

    /// <summary>MQTT keepalive, s: a dead host's will is published after about 1.5× this.</summary>
    public int KeepAliveS { get; init; } = 10;

    /// <summary>No connection within this long → report once and rebuild the client (its network thread may have exited).</summary>
    public double ConnectWatchdogS { get; init; } = 10;

    /// <summary>Cap on divergence messages handed to the MQTT client but not yet written out (its queue is unbounded).</summary>
    public int MaxQueuedMessages { get; init; } = 64;

    /// <summary>
    /// The safety cursor file is rewritten (fsync, rename, folder fsync) at most this often, s, on its own thread
    /// (<see cref="SafetyEvents.CursorWriter"/>): after a crash at most this much of acknowledged events goes again.
    /// </summary>
    public double CursorSaveIntervalS { get; init; } = 0.5;

    /// <summary>Cap on safety events awaiting PUBACK; the rest wait in the safety log (read after the cursor).</summary>
    public int MaxInflightSafety { get; init; } = 20;

    /// <summary>
    /// Tick records the ring holds: 0.5 s at 1 kHz, 50× the publisher's poll interval. Kept small on purpose:
    /// a slot is ~2 kB for 12 joints, and a ring that fits in L2 keeps the tick's push cheap.
    /// </summary>
    public int RingCapacity { get; init; } = 512;

    /// <summary>A partial batch is sent after this long, so decimated streams stay live.</summary>
    public double FlushIntervalS { get; init; } = 0.1;

    /// <summary>
    /// The monotonic clock the publisher's rates and intervals run on (summary, ROS topics, flush, threshold repeat);
    /// tests inject a <see cref="ManualClock"/>.
    /// </summary>
    public IMonotonicClock Clock { get; init; } = MonotonicClock.Instance;

    /// <summary>
    /// How often the publisher wakes at least, to drain the ring (sooner when the summary or the ROS topics are due).
    /// 10 ms: the ROS topics' period at 100 Hz, so the two coincide (a 5 ms poll woke the thread twice as often for
    /// nothing: each wake-up costs CPU whether or not there is anything to send); the ring holds 50 polls.
    /// </summary>
    public int PollIntervalMs { get; init; } = 10;

    /// <summary>Divergence message encoding (protobuf by default; the birth message announces it).</summary>
    public PayloadEncoding Encoding { get; init; } = PayloadEncoding.Protobuf;

    /// <summary>ROS 2-shaped joint_states / imu topics rate, Hz (0 = off).</summary>
    public double RosHz { get; init; } = 100;

    /// <summary>Summary topic rate, Hz (0 = off).</summary>
    public double SummaryHz { get; init; } = 10;

    /// <summary>Client id; default "rt-{robot}-{run id in hex}", unique per session so two sessions never knock each other off.</summary>
    public string? ClientId { get; init; }

    /// <summary>Run id of this session (UTC ns at its start by default); on every message.</summary>
    public long? RunId { get; init; }
}
