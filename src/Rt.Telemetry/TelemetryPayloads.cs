using System.Globalization;
using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Telemetry;

/// <summary>
/// Compact JSON encodings of every message (schema in docs/TELEMETRY.md). Written with a reused
/// <see cref="Utf8JsonWriter"/> on the publisher thread. Not real-time safe.
/// </summary>
public static class TelemetryPayloads
{
    /// <summary>Non-finite numbers are not JSON: they are written as null. Values go out as float (7 digits).</summary>
    internal static void Num(Utf8JsonWriter w, double x)
    {
        if (double.IsFinite(x)) w.WriteNumberValue((float)x);
        else w.WriteNullValue();
    }

    public static void WriteBirth(Utf8JsonWriter w, TelemetryTopics topics, ChannelLayout layout, int decimation, int batchSize, long timeNs,
        PayloadEncoding encoding = PayloadEncoding.Json, long run = 0)
    {
        w.WriteStartObject();
        w.WriteNumber("v", TelemetryTopics.SchemaVersion);
        w.WriteNumber("run", run);
        w.WriteString("robot", topics.RobotId);
        w.WriteNumber("t_ns", timeNs);
        w.WriteNumber("utc_ns", timeNs);
        w.WriteNumber("decimation", decimation);
        w.WriteNumber("batch", batchSize);
        w.WriteString("encoding", encoding switch { PayloadEncoding.Binary => "rtd1", PayloadEncoding.Protobuf => "protobuf", _ => "json" });
        if (encoding == PayloadEncoding.Protobuf)
        {
            w.WriteString("schema", "rt.telemetry.v2.DivergenceBatch");
            w.WriteString("content_type", DivergenceProto.ContentType);
        }
        w.WriteStartArray("joints");
        foreach (string j in layout.JointNames) w.WriteStringValue(j);
        w.WriteEndArray();
        w.WriteStartArray("imus");
        foreach (string i in layout.ImuNames) w.WriteStringValue(i);
        w.WriteEndArray();
        w.WriteStartArray("channels");
        for (int c = 0; c < layout.Count; c++)
        {
            ChannelInfo ch = layout.Channels[c];
            w.WriteStartObject();
            w.WriteNumber("i", c);
            w.WriteString("name", ch.Name);
            w.WriteString("kind", ch.Kind.ToString());
            w.WriteNumber("index", ch.Index);
            w.WriteString("unit", ch.Unit);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        // Every metric of a divergence record and its unit ("channel" = the unit of that channel above).
        w.WriteStartObject("metrics");
        w.WriteString("tick", "tick number");
        w.WriteString("t_ns", "ns, loop clock");
        w.WriteString("safety", "SafetyState code");
        w.WriteString("valid", "bool");
        w.WriteString("worst", "channel index or -1");
        w.WriteString("ratio", "1 (detector/threshold of the worst channel)");
        w.WriteString("over", "channel indices over threshold");
        w.WriteString("innov", "per channel, channel unit (measured - predicted)");
        w.WriteString("score", "per channel, 1 (normalised innovation squared)");
        w.WriteString("det", "per channel, 1 (CUSUM statistic)");
        w.WriteString("thr", "per channel, 1 (detector threshold; once per message)");
        w.WriteString("gate", "per channel, 1 (chi-squared gate on the score; once per message): ratio = max(det/thr, score/gate)");
        w.WriteString("ext", "per joint, N·m (estimated external torque)");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteState(Utf8JsonWriter w, bool online, SafetyState safety, long tick, long timeNs, bool clean, long run = 0)
    {
        w.WriteStartObject();
        w.WriteNumber("v", TelemetryTopics.SchemaVersion);
        w.WriteNumber("run", run);
        if (online || clean) w.WriteNumber("utc_ns", TelemetryClock.UtcNs());
        w.WriteString("status", online ? "online" : "offline");
        if (online || clean)
        {
            w.WriteString("safety", safety.ToString());
            w.WriteNumber("safety_code", (int)safety);
            w.WriteNumber("tick", tick);
            w.WriteNumber("t_ns", timeNs);
        }
        w.WriteBoolean("clean", online || clean);
        w.WriteEndObject();
    }

    /// <summary>The last will: retained offline without a clean shutdown (the host died or lost the link).</summary>
    public static byte[] WillPayload(long run = 0)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var w = new Utf8JsonWriter(buffer)) WriteState(w, online: false, SafetyState.Disabled, 0, 0, clean: false, run);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><paramref name="run"/> identifies the host run (its start time, ns): (run, id) is unique.</summary>
    public static void WriteSafetyEvent(Utf8JsonWriter w, in SafetyEvent e, ChannelLayout layout, long run, long utcNs = 0, long session = 0)
    {
        w.WriteStartObject();
        w.WriteNumber("v", TelemetryTopics.SchemaVersion);
        w.WriteNumber("run", run);
        if (session != 0) w.WriteNumber("session", session);
        if (utcNs != 0) w.WriteNumber("utc_ns", utcNs);
        w.WriteNumber("id", e.Id);
        w.WriteNumber("tick", e.Tick);
        w.WriteNumber("t_ns", e.TimeNs);
        w.WriteString("from", e.From.ToString());
        w.WriteString("to", e.To.ToString());
        w.WriteString("trigger", e.Trigger.ToString());
        w.WriteString("trigger_code", "0x" + ((ushort)e.Trigger).ToString("X4", CultureInfo.InvariantCulture));
        w.WriteNumber("channel", e.Channel);
        if (e.Channel >= 0 && e.Channel < layout.Count) w.WriteString("channel_name", layout.Channels[e.Channel].Name);
        w.WriteString("reaction", e.Reaction.ToString());
        w.WritePropertyName("value");
        Num(w, e.Value);
        w.WritePropertyName("threshold");
        Num(w, e.Threshold);
        w.WriteEndObject();
    }

    /// <summary>Writes one divergence message: <paramref name="count"/> slots of <paramref name="records"/>.</summary>
    public static void WriteDivergenceBatch(
        Utf8JsonWriter w, long seq, DivergenceSlot l, ReadOnlySpan<long> ticks, ReadOnlySpan<double> records, int count,
        long ringDropped, long linkDropped, long decimated)
    {
        w.WriteStartObject();
        w.WriteNumber("v", TelemetryTopics.LegacyDivergenceVersion);
        w.WriteNumber("seq", seq);
        w.WriteNumber("n", count);
        w.WriteStartObject("dropped");
        w.WriteNumber("ring", ringDropped);
        w.WriteNumber("link", linkDropped);
        w.WriteEndObject();
        w.WriteNumber("decimated", decimated);
        if (count > 0)
        {
            ReadOnlySpan<float> last = l.Floats(records.Slice((count - 1) * l.Width, l.Width));
            WriteArray(w, "thr", last.Slice(l.Threshold, l.Channels));
        }
        w.WriteStartArray("records");
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<double> s = records.Slice(r * l.Width, l.Width);
            w.WriteStartObject();
            w.WriteNumber("tick", ticks[r]);
            ref readonly DivergenceSlotHeader h = ref DivergenceSlot.ReadHeader(s);
            w.WriteNumber("t_ns", h.TimeNs);
            w.WriteNumber("safety", (int)h.Safety);
            w.WriteBoolean("valid", h.Valid != 0);
            w.WriteNumber("worst", h.WorstChannel);
            w.WritePropertyName("ratio");
            Num(w, h.WorstRatio);
            w.WriteStartArray("over");
            for (int c = 0; c < l.Channels; c++) if (DivergenceSlot.IsOver(s, c)) w.WriteNumberValue(c);
            w.WriteEndArray();
            ReadOnlySpan<float> f = l.Floats(s);
            WriteArray(w, "innov", f.Slice(l.Innovation, l.Channels));
            WriteArray(w, "score", f.Slice(l.Score, l.Channels));
            WriteArray(w, "det", f.Slice(l.Detector, l.Channels));
            WriteArray(w, "ext", f.Slice(l.ExternalTorque, l.Joints));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteLinkReport(Utf8JsonWriter w, string what, double outageS, long droppedDuringOutage, long droppedTotal, long ringDropped, long timeNs, long run = 0)
    {
        w.WriteStartObject();
        w.WriteNumber("v", TelemetryTopics.SchemaVersion);
        w.WriteNumber("run", run);
        w.WriteNumber("utc_ns", timeNs);
        w.WriteString("event", what);
        w.WriteNumber("t_ns", timeNs);
        w.WriteNumber("outage_s", Math.Round(outageS, 3));
        w.WriteNumber("dropped", droppedDuringOutage);
        w.WriteNumber("dropped_total", droppedTotal);
        w.WriteNumber("ring_dropped", ringDropped);
        w.WriteEndObject();
    }

    /// <summary>
    /// Not real-time safe. Decodes a divergence message in any encoding (binary starts with "RTD1", JSON with '{', else protobuf).
    /// Throws <see cref="FormatException"/> or <see cref="JsonException"/> on a malformed one.
    /// </summary>
    public static DecodedBatch DecodeDivergence(ReadOnlySpan<byte> payload)
    {
        if (payload.StartsWith(DivergenceBinary.Magic)) return DivergenceBinary.Decode(payload);
        if (payload.Length > 0 && payload[0] != (byte)'{') return DivergenceProto.Decode(payload); // protobuf: field 1 varint (0x08)
        var reader = new Utf8JsonReader(payload);
        using var doc = JsonDocument.ParseValue(ref reader);
        JsonElement m = doc.RootElement;
        JsonElement dropped = m.GetProperty("dropped");
        double[] thr = m.TryGetProperty("thr", out JsonElement t) ? Doubles(t) : [];
        var records = new List<DecodedRecord>();
        foreach (JsonElement r in m.GetProperty("records").EnumerateArray())
        {
            records.Add(new DecodedRecord(
                r.GetProperty("tick").GetInt64(), r.GetProperty("t_ns").GetInt64(), r.GetProperty("safety").GetInt32(),
                r.GetProperty("valid").GetBoolean(), r.GetProperty("worst").GetInt32(), Number(r.GetProperty("ratio")),
                [.. r.GetProperty("over").EnumerateArray().Select(e => e.GetInt32())],
                Doubles(r.GetProperty("innov")), Doubles(r.GetProperty("score")), Doubles(r.GetProperty("det")), Doubles(r.GetProperty("ext"))));
        }
        return new DecodedBatch(m.GetProperty("seq").GetInt64(), dropped.GetProperty("ring").GetInt64(), dropped.GetProperty("link").GetInt64(),
            m.GetProperty("decimated").GetInt64(), thr, records);
    }

    private static double Number(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;

    private static double[] Doubles(JsonElement arr)
    {
        var a = new double[arr.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in arr.EnumerateArray()) a[i++] = Number(e);
        return a;
    }

    private static void WriteArray(Utf8JsonWriter w, string name, ReadOnlySpan<float> values)
    {
        w.WriteStartArray(name);
        foreach (float x in values)
        {
            if (float.IsFinite(x)) w.WriteNumberValue(x);
            else w.WriteNullValue();
        }
        w.WriteEndArray();
    }
}
