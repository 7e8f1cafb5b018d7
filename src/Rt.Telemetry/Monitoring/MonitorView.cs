using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Rt.Telemetry.Monitoring;

/// <summary>
/// What <c>rt monitor</c> knows about one robot, built from its topics: the channel list (birth), the latest
/// divergence record, the retained state and the last safety events. Thread-safe (messages arrive on the MQTT
/// network thread, rendering happens elsewhere). Not real-time safe.
/// </summary>
public sealed class MonitorView
{
    private readonly Lock _lock = new();
    private readonly TelemetryTopics _topics;
    private readonly List<(string Name, string Unit)> _channels = new();
    private double[] _innov = [], _score = [], _det = [], _thr = [];
    private bool[] _over = [];
    private long _tick = -1, _timeNs, _lastSeq, _seqGaps, _messages, _ringDropped, _linkDropped;
    private int _safetyCode = -1;
    private string _status = "unknown", _safety = "";
    private readonly List<string> _events = new();
    private string _lastLink = "";

    public MonitorView(TelemetryTopics topics) => _topics = topics;

    /// <summary>Divergence messages seen so far.</summary>
    public long Messages { get { lock (_lock) return _messages; } }

    /// <summary>Missing divergence sequence numbers (dropped batches) since the monitor started.</summary>
    public long SequenceGaps { get { lock (_lock) return _seqGaps; } }

    /// <summary>Distinct safety events shown (up to the last five).</summary>
    public int SafetyEvents { get { lock (_lock) return _events.Count; } }

    public long LastTick { get { lock (_lock) return _tick; } }
    public string Status { get { lock (_lock) return _status; } }
    public int ChannelCount { get { lock (_lock) return _channels.Count; } }

    /// <summary>Latest score of a channel (NaN when unknown).</summary>
    public double Score(int channel) { lock (_lock) return channel < _score.Length ? _score[channel] : double.NaN; }

    /// <summary>Applies one MQTT message. Malformed payloads are ignored (the monitor is a viewer, not a validator).</summary>
    public void Apply(string topic, ReadOnlySpan<byte> payload)
    {
        try
        {
            if (topic == _topics.Divergence)
            {
                DecodedBatch batch = TelemetryPayloads.DecodeDivergence(payload); // protobuf, JSON or binary
                lock (_lock) ApplyDivergence(batch);
                return;
            }
            using var doc = JsonDocument.Parse(payload.ToArray());
            JsonElement r = doc.RootElement;
            lock (_lock)
            {
                if (topic == _topics.Birth) ApplyBirth(r);
                else if (topic == _topics.State) ApplyState(r);
                else if (topic == _topics.Safety || topic == _topics.LastTrip) ApplySafety(r); // the retained last trip shows a trip from before the monitor started
                else if (topic == _topics.Link)
                    _lastLink = $"link {Str(r, "event")} after {Num(r, "outage_s"):0.#} s, {Int(r, "dropped")} samples dropped";
            }
        }
        catch (JsonException) { }
        catch (FormatException) { }
        catch (InvalidOperationException) { }
        catch (KeyNotFoundException) { }
        catch (Google.Protobuf.InvalidProtocolBufferException) { }
    }

    private void ApplyBirth(JsonElement r)
    {
        _channels.Clear();
        foreach (JsonElement c in r.GetProperty("channels").EnumerateArray())
            _channels.Add((c.GetProperty("name").GetString() ?? "", c.GetProperty("unit").GetString() ?? ""));
    }

    private void ApplyDivergence(DecodedBatch b)
    {
        _messages++;
        if (_lastSeq > 0 && b.Seq > _lastSeq + 1) _seqGaps += b.Seq - _lastSeq - 1;
        _lastSeq = b.Seq;
        _ringDropped = b.RingDropped;
        _linkDropped = b.LinkDropped;
        if (b.Threshold.Length > 0) _thr = b.Threshold;
        if (b.Records.Count == 0) return;
        DecodedRecord last = b.Records[^1];
        _tick = last.Tick;
        _timeNs = last.TimeNs;
        _innov = last.Innovation;
        _score = last.Score;
        _det = last.Detector;
        _over = new bool[_score.Length];
        foreach (int c in last.Over) if (c >= 0 && c < _over.Length) _over[c] = true;
    }

    private void ApplyState(JsonElement r)
    {
        _status = Str(r, "status");
        if (r.TryGetProperty("safety", out JsonElement s)) _safety = s.GetString() ?? "";
        if (r.TryGetProperty("safety_code", out JsonElement c)) _safetyCode = c.GetInt32();
    }

    private void ApplySafety(JsonElement r)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"#{Int(r, "id")} tick {Int(r, "tick")}: {Str(r, "from")} -> {Str(r, "to")} by {Str(r, "trigger")}" +
            $"{(r.TryGetProperty("channel_name", out JsonElement cn) ? " on " + cn.GetString() : "")} ({Str(r, "reaction")}), " +
            $"value {Num(r, "value"):G4} vs {Num(r, "threshold"):G4}");
        if (_events.Contains(line)) return; // at-least-once delivery: duplicates by id are expected
        _events.Add(line);
        if (_events.Count > 5) _events.RemoveAt(0);
    }

    /// <summary>Not real-time safe. Writes the current table.</summary>
    public void Render(TextWriter w)
    {
        var sb = new StringBuilder(4096);
        lock (_lock)
        {
            sb.Append(CultureInfo.InvariantCulture, $"robot {_topics.RobotId}   link {_status}   safety {(_safety.Length > 0 ? _safety : "?")}")
              .Append(CultureInfo.InvariantCulture, $"   tick {_tick}   seq {_lastSeq} (gaps {_seqGaps})   dropped ring {_ringDropped} link {_linkDropped}\n");
            if (_lastLink.Length > 0) sb.Append(_lastLink).Append('\n');
            sb.Append(CultureInfo.InvariantCulture, $"{"channel",-32} {"unit",-6} {"innovation",12} {"score",10} {"detector",10} {"threshold",10}  {"det/thr",-22}\n");
            int n = Math.Max(_channels.Count, _score.Length);
            for (int c = 0; c < n; c++)
            {
                string name = c < _channels.Count ? _channels[c].Name : $"channel {c}";
                string unit = c < _channels.Count ? _channels[c].Unit : "";
                double det = At(_det, c), thr = At(_thr, c);
                double ratio = thr > 0 ? det / thr : double.NaN;
                string bar = double.IsFinite(ratio) ? new string('#', (int)Math.Clamp(Math.Round(ratio * 20), 0, 20)).PadRight(20) : "".PadRight(20);
                bool over = c < _over.Length && _over[c];
                sb.Append(CultureInfo.InvariantCulture,
                    $"{name,-32} {unit,-6} {At(_innov, c),12:G4} {At(_score, c),10:G4} {det,10:G4} {thr,10:G4}  |{bar}|{(over ? " OVER" : "")}\n");
            }
            if (_events.Count > 0)
            {
                sb.Append("safety events:\n");
                foreach (string e in _events) sb.Append("  ").Append(e).Append('\n');
            }
        }
        w.Write(sb.ToString());
        w.Flush();
    }

    private static double At(double[] a, int i) => i < a.Length ? a[i] : double.NaN;

    private static string Str(JsonElement r, string name) => r.TryGetProperty(name, out JsonElement e) ? e.ToString() : "";
    private static long Int(JsonElement r, string name) => r.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.Number ? e.GetInt64() : 0;
    private static double Num(JsonElement r, string name) => r.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;
}
