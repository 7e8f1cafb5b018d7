using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Telemetry.Link;

namespace Rt.Telemetry;

/// <summary>What the state topic reports: the supervisor's state and the last tick seen. Publisher thread only.</summary>
internal sealed class RobotStatus
{
    public SafetyState Safety { get; private set; } = SafetyState.Disabled;
    public long LastTick { get; private set; }
    public long LastTimeNs { get; private set; }

    /// <summary>The state changed since it was last published.</summary>
    public bool Dirty { get; set; } = true;

    public void SetSafety(SafetyState s)
    {
        if (s == Safety) return;
        Safety = s;
        Dirty = true;
    }

    public void SetTick(long tick, long timeNs)
    {
        LastTick = tick;
        LastTimeNs = timeNs;
    }
}

/// <summary>
/// The retained birth and state topics and the link report: encoded on the publisher thread into one reused buffer.
/// The state follows the supervisor at most 20 times a second even if the state flaps. Not real-time safe.
/// </summary>
internal sealed class StatusTopics(TelemetryLink link, TelemetryTopics topics, ChannelLayout layout, RobotStatus status, long run) : IDisposable
{
    private readonly MqttTopic _birth = new(topics.Birth, "application/json"), _state = new(topics.State, "application/json"), _link = new(topics.Link, "application/json");
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer = new(Stream.Null);
    private long _lastStateTs;

    public void PublishBirth(int decimation, int batchSize, PayloadEncoding encoding)
    {
        Encode(w => TelemetryPayloads.WriteBirth(w, topics, layout, decimation, batchSize, NowNs(), encoding, run));
        link.TryPublish(_birth, _buffer.WrittenSpan, qos: 1, retain: true, out _);
    }

    /// <summary>Publishes the state if it changed and the last publish is at least 50 ms old.</summary>
    public void PublishStateIfChanged()
    {
        if (link.Connected && status.Dirty && Stopwatch.GetElapsedTime(_lastStateTs).TotalSeconds >= 0.05) PublishState(online: true, out _);
    }

    /// <summary>Retained state, clean (a clean stop publishes <paramref name="online"/> false; the will is the unclean one).</summary>
    public bool PublishState(bool online, out int messageId)
    {
        Encode(w => TelemetryPayloads.WriteState(w, online, status.Safety, status.LastTick, status.LastTimeNs, clean: true, run));
        _lastStateTs = Stopwatch.GetTimestamp();
        bool ok = link.TryPublish(_state, _buffer.WrittenSpan, qos: 1, retain: true, out messageId);
        if (ok) status.Dirty = false;
        return ok;
    }

    public void PublishLinkReport(double outageS, long droppedDuringOutage, long droppedTotal, long ringDropped)
    {
        Encode(w => TelemetryPayloads.WriteLinkReport(w, "reconnected", outageS, droppedDuringOutage, droppedTotal, ringDropped, NowNs(), run));
        link.TryPublish(_link, _buffer.WrittenSpan, qos: 1, retain: false, out _);
    }

    private void Encode(Action<Utf8JsonWriter> write)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        write(_writer);
        _writer.Flush();
    }

    private static long NowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    public void Dispose() => _writer.Dispose();
}
