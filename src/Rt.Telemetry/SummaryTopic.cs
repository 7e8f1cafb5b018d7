using System.Buffers;
using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Telemetry.Link;

namespace Rt.Telemetry;

/// <summary>
/// The summary topic (JSON, schema v2) for dashboards, Node-RED, PlotJuggler, Grafana: at <see cref="TelemetryOptions.SummaryHz"/>,
/// per channel group (<see cref="ChannelKind"/>) the worst ratio since the last summary with every statistic that
/// makes it (detector, threshold, score, gate: ratio = max(det/thr, score/gate)), the safety state, the isolated
/// cause of the last trip, and the drop and missed-tick counters. Sees every record the stream drains, decimated or
/// not. Publisher thread only. Not real-time safe (allocation-free per record).
/// </summary>
internal sealed class SummaryTopic : IDisposable
{
    private readonly DivergenceSlot _slot;
    private readonly MqttTopic _topic;
    private readonly ChannelKind[] _kinds;
    private readonly string[] _kindNames;
    private SafetyState _safetyNamed = (SafetyState)byte.MaxValue; // none yet
    private string _safetyName = "";
    private readonly int[] _groupOf;
    private readonly Worst[] _groups;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer = new(Stream.Null);
    private Worst _overall;

    public SummaryTopic(DivergenceSlot slot, ChannelLayout layout, MqttTopic topic)
    {
        _slot = slot;
        _topic = topic;
        _kinds = [.. layout.Channels.Select(c => c.Kind).Distinct()];
        _kindNames = [.. _kinds.Select(k => k.ToString())]; // enum ToString boxes: 24 B per call, 7 per summary
        _groupOf = [.. layout.Channels.Select(c => Array.IndexOf(_kinds, c.Kind))];
        _groups = new Worst[_kinds.Length];
        Clear();
    }

    /// <summary>The last trip (a safety event that stopped motion), shown until the next one.</summary>
    public SafetyEvent? Trip { get; set; }

    /// <summary>Takes one drained record into the running maxima.</summary>
    public void Observe(long tick, ReadOnlySpan<double> record)
    {
        ReadOnlySpan<float> f = _slot.Floats(record);
        DivergenceSlot l = _slot;
        for (int c = 0; c < l.Channels; c++)
        {
            float det = f[l.Detector + c], thr = f[l.Threshold + c], score = f[l.Score + c], gate = f[l.Gate + c];
            double ratio = Math.Max(thr > 0 ? det / thr : 0, gate > 0 ? score / gate : 0);
            ref Worst g = ref _groups[_groupOf[c]];
            if (ratio > g.Ratio || g.Channel < 0) g = new Worst(ratio, c, tick, det, thr, score, gate);
            if (ratio > _overall.Ratio || _overall.Channel < 0) _overall = new Worst(ratio, c, tick, det, thr, score, gate);
        }
    }

    /// <summary>Summary schema minor version (docs/TELEMETRY.md): 1 = groups as name-keyed "ratio" and "stats" maps.</summary>
    public const int MinorVersion = 1;

    /// <summary>Encodes and publishes the summary, then starts a new period.</summary>
    public void Publish(TelemetryLink link, long run, RobotStatus status, in SummaryCounters counters, double periodS)
    {
        _ = periodS; // v2.1: no period_s (consecutive utc_ns give it); kept in the signature for the stream's cadence
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteNumber("v", TelemetryTopics.SchemaVersion);
        _writer.WriteNumber("minor", MinorVersion);
        _writer.WriteNumber("run", run);
        _writer.WriteNumber("utc_ns", TelemetryClock.UtcNs());
        _writer.WriteNumber("tick", status.LastTick);
        _writer.WriteNumber("t_ns", status.LastTimeNs);
        if (status.Safety != _safetyNamed) { _safetyNamed = status.Safety; _safetyName = status.Safety.ToString(); } // on change only
        _writer.WriteString("safety", _safetyName);
        // v2.1: per group its worst ratio in a flat map (what a dashboard plots), the numbers that make it in "stats"
        // as [channel, det, thr, score, gate]; null for a group without a record in the period. Names are the
        // birth message's channel kinds; the channel's own name is channels[channel].name there.
        _writer.WriteStartObject("ratio");
        for (int g = 0; g < _groups.Length; g++)
        {
            _writer.WritePropertyName(_kindNames[g]);
            if (_groups[g].Channel < 0) _writer.WriteNullValue();
            else Sig4(_writer, _groups[g].Ratio);
        }
        _writer.WriteEndObject();
        if (_overall.Channel < 0) _writer.WriteNull("worst");
        else _writer.WriteString("worst", _kindNames[_groupOf[_overall.Channel]]);
        _writer.WriteStartObject("stats");
        for (int g = 0; g < _groups.Length; g++)
        {
            _writer.WritePropertyName(_kindNames[g]);
            ref readonly Worst x = ref _groups[g];
            if (x.Channel < 0) { _writer.WriteNullValue(); continue; }
            _writer.WriteStartArray();
            _writer.WriteNumberValue(x.Channel);
            Sig4(_writer, x.Det);
            Sig4(_writer, x.Thr);
            Sig4(_writer, x.Score);
            Sig4(_writer, x.Gate);
            _writer.WriteEndArray();
        }
        _writer.WriteEndObject();
        if (Trip is { } t)
        {
            // The channel's name is in the birth message (and on safety/last_trip): not repeated at 10 Hz.
            _writer.WriteStartObject("cause");
            _writer.WriteNumber("id", t.Id);
            _writer.WriteNumber("tick", t.Tick);
            _writer.WriteString("to", t.To.ToString());
            _writer.WriteString("trigger", t.Trigger.ToString());
            _writer.WriteNumber("channel", t.Channel);
            _writer.WriteString("reaction", t.Reaction.ToString());
            _writer.WritePropertyName("value");
            TelemetryPayloads.Num(_writer, t.Value);
            _writer.WritePropertyName("threshold");
            TelemetryPayloads.Num(_writer, t.Threshold);
            _writer.WriteEndObject();
        }
        else _writer.WriteNull("cause");
        _writer.WriteStartObject("counters");
        _writer.WriteNumber("records", counters.Records);
        _writer.WriteNumber("published", counters.Published);
        _writer.WriteNumber("dropped_ring", counters.RingDropped);
        _writer.WriteNumber("dropped_link", counters.LinkDropped);
        _writer.WriteNumber("decimated", counters.Decimated);
        _writer.WriteNumber("missed_ticks", counters.MissedTicks);
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        _writer.Flush();
        if (link.Connected) link.TryPublish(_topic, _buffer.WrittenSpan, qos: 0, retain: false, out _);
        Clear();
    }

    /// <summary>The last encoded summary (tests: its size and form without a broker).</summary>
    internal ReadOnlySpan<byte> LastPayload => _buffer.WrittenSpan;

    private void Clear()
    {
        Array.Fill(_groups, new Worst(0, -1, 0, 0, 0, 0, 0));
        _overall = new Worst(0, -1, 0, 0, 0, 0, 0);
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>
    /// Four significant digits: the summary is for eyes and dashboards (float32 printed in full was ~40 % of its bytes);
    /// the divergence topic carries the full-rate values.
    /// </summary>
    internal static void Sig4(Utf8JsonWriter w, double x)
    {
        if (!double.IsFinite(x)) { w.WriteNullValue(); return; }
        if (x == 0) { w.WriteNumberValue(0); return; }
        int digits = 3 - (int)Math.Floor(Math.Log10(Math.Abs(x)));
        w.WriteNumberValue(digits <= 0 ? Math.Round(x) : Math.Round(x, Math.Min(digits, 15)));
    }

    private readonly record struct Worst(double Ratio, int Channel, long Tick, float Det, float Thr, float Score, float Gate);
}

/// <summary>Counters the summary reports.</summary>
internal readonly record struct SummaryCounters(long Records, long Published, long RingDropped, long LinkDropped, long Decimated, long MissedTicks);

/// <summary>UTC wall clock for message stamps (never used for timeouts: those run on durations). Not real-time safe.</summary>
internal static class TelemetryClock
{
    public static long UtcNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}
