using System.Buffers;
using System.Text.Json;
using Rt.Core.Tick;
using Rt.Core.Time;
using Rt.Telemetry.Link;

namespace Rt.Telemetry;

/// <summary>
/// The divergence job of telemetry: drains the tick's ring, decimates, forms numbered batches and encodes them (protobuf,
/// JSON or binary) for QoS 0 publishing, capping what is queued in the client library. A batch formed while the link is
/// down, or over the cap, is dropped and counted, leaving a gap in the sequence numbers. Publisher thread only
/// (counters are read by <see cref="TelemetryService.Stats"/>). Not real-time safe.
/// </summary>
internal sealed class DivergenceStream : IDisposable
{
    private readonly TelemetrySink _sink;
    private readonly DivergenceSlot _slot;
    private readonly TelemetryLink _link;
    private readonly MqttTopic _topic;
    private readonly TelemetryOptions _options;
    private readonly RobotStatus _status;
    private readonly int _decimation, _batchSize;
    private readonly double[] _batch;
    private readonly long[] _batchTicks;
    private readonly HashSet<int> _queued = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly Utf8JsonWriter _writer;
    private readonly DivergenceProto _proto;
    private readonly SummaryTopic _summary;
    private readonly RosTopics? _ros;
    private readonly double[] _latest;
    private bool _haveLatest;
    private readonly IMonotonicClock _clock;
    private Cadence _rosCadence, _summaryCadence;
    private long _summaryLastNs;
    private readonly long _run;
    private int _batchCount;
    private long _batchStartNs, _thresholdsNs;
    private bool _repeatThresholds = true; // first message, after a reconnect or a dropped message
    private long _consumed, _published, _decimated, _linkDropped, _seq, _missed, _lastTick = -1, _lastRingDropped;

    public DivergenceStream(TelemetrySink sink, TelemetryLink link, MqttTopic topic, int decimation, int batchSize,
        TelemetryOptions options, RobotStatus status, long run, SummaryTopic summary, RosTopics? ros = null)
    {
        _ros = ros;
        _latest = new double[sink.Slot.Width];
        _clock = options.Clock;
        long now = _clock.NowNs;
        _rosCadence = new Cadence(ros is null ? 0 : options.RosHz, now);
        _summaryCadence = new Cadence(options.SummaryHz, now);
        _summaryLastNs = now;
        _run = run;
        _summary = summary;
        _proto = new DivergenceProto(sink.Slot, batchSize, options.PackColumns);
        _sink = sink;
        _slot = sink.Slot;
        _link = link;
        _topic = topic;
        _decimation = decimation;
        _batchSize = batchSize;
        _options = options;
        _status = status;
        _batch = new double[batchSize * _slot.Width];
        _batchTicks = new long[batchSize];
        _writer = new Utf8JsonWriter(_buffer);
    }

    public long Consumed => Interlocked.Read(ref _consumed);
    public long Published => Interlocked.Read(ref _published);
    public long Decimated => Interlocked.Read(ref _decimated);
    public long LinkDropped => Interlocked.Read(ref _linkDropped);
    public long Sequence => Interlocked.Read(ref _seq);

    /// <summary>Tick numbers that never reached telemetry and were not ring drops (the loop skipped them).</summary>
    public long MissedTicks => Interlocked.Read(ref _missed);

    /// <summary>The summary topic this stream feeds.</summary>
    public SummaryTopic Summary => _summary;

    /// <summary>Records dropped on the link since the last connect (for the reconnect report).</summary>
    public long OutageDropped { get; set; }

    /// <summary>
    /// Drains the ring; sends full batches, and a partial one older than the flush interval; the summary and the ROS
    /// topics on their deadline grids (<see cref="Cadence"/>), so their rates are the configured ones.
    /// </summary>
    public void Pump()
    {
        Drain();
        long now = _clock.NowNs;
        if (_batchCount > 0 && now - _batchStartNs >= _options.FlushIntervalS * 1e9) Flush();
        if (_summaryCadence.Due(now))
        {
            double sinceSummary = (now - _summaryLastNs) * 1e-9;
            _summaryLastNs = now;
            _summary.Publish(_link, _run, _status, Counters, sinceSummary);
        }
        if (_rosCadence.Due(now) && _haveLatest && _link.Connected) _ros!.Publish(_link, _latest, TelemetryClock.UtcNs());
    }

    /// <summary>Ns until the summary or the ROS topics are next due (≤ 0: now), so the publisher wakes in time for them.</summary>
    public long NsUntilDue()
    {
        long now = _clock.NowNs;
        return Math.Min(_rosCadence.NsUntilDue(now), _summaryCadence.NsUntilDue(now));
    }

    private SummaryCounters Counters => new(Consumed, Published, _sink.Dropped, LinkDropped, Decimated, MissedTicks);

    /// <summary>Drains the ring and sends what it holds, however few (shutdown).</summary>
    public void DrainAndFlush()
    {
        Drain();
        Flush();
    }

    /// <summary>True if <paramref name="messageId"/> was a divergence message (written out by the library).</summary>
    public bool OnAcked(int messageId)
    {
        bool mine = _queued.Remove(messageId);
        Volatile.Write(ref _queuedCount, _queued.Count);
        return mine;
    }

    /// <summary>The link went down: whatever the library had queued is gone with the connection.</summary>
    public void OnDisconnected()
    {
        _repeatThresholds = true;
        _queued.Clear();
        Volatile.Write(ref _queuedCount, 0);
    }

    /// <summary>Any thread: divergence messages handed to the client and not yet written out.</summary>
    public int Queued => Volatile.Read(ref _queuedCount);

    private int _queuedCount;

    private void Drain()
    {
        var ring = _sink.Ring;
        int width = _slot.Width;
        int newest = -1; // where in _batch the newest record read lies (a failed read writes nothing)
        while (true)
        {
            Span<double> dst = _batch.AsSpan(_batchCount * width, width);
            if (!ring.TryRead(out long tick, dst)) break;
            newest = _batchCount * width;
            long n = Interlocked.Increment(ref _consumed);
            ref readonly DivergenceSlotHeader h = ref DivergenceSlot.ReadHeader(dst);
            _status.SetSafety((SafetyState)h.Safety);
            _status.SetTick(tick, h.TimeNs);
            // A gap in tick numbers is a ring drop (counted by the ring) or a tick the loop never ran (counted here).
            long ringDropped = _sink.Dropped;
            if (_lastTick >= 0 && tick > _lastTick + 1)
            {
                long gap = tick - _lastTick - 1 - (ringDropped - _lastRingDropped);
                if (gap > 0) Interlocked.Add(ref _missed, gap);
            }
            _lastTick = tick;
            _lastRingDropped = ringDropped;
            _summary.Observe(tick, dst);
            if ((n - 1) % _decimation != 0) { Interlocked.Increment(ref _decimated); continue; }
            // Batches are formed (and numbered) even during an outage, so the dropped ones leave a visible seq gap.
            if (_batchCount == 0) _batchStartNs = _clock.NowNs;
            _batchTicks[_batchCount++] = tick;
            if (_batchCount == _batchSize) Flush(); // leaves _batch as it is: the newest record stays readable below
        }
        if (newest < 0) return;
        // The ROS topics sample the newest record: one copy per drain, not one per record.
        _batch.AsSpan(newest, width).CopyTo(_latest);
        _haveLatest = true;
    }

    private void Flush()
    {
        int count = _batchCount;
        _batchCount = 0;
        if (count == 0) return;
        long seq = Interlocked.Increment(ref _seq); // every formed batch takes a number, so a drop leaves a gap
        if (!_link.Connected || _queued.Count >= _options.MaxQueuedMessages)
        {
            Drop(count);
            return;
        }
        _buffer.ResetWrittenCount();
        if (_options.Encoding == PayloadEncoding.Protobuf)
        {
            bool repeat = _repeatThresholds || _clock.NowNs - _thresholdsNs >= _options.ThresholdRepeatS * 1e9;
            ReadOnlySpan<byte> message = _proto.Write(seq, _run, TelemetryClock.UtcNs(), _batchTicks, _batch, count, _sink.Dropped, LinkDropped, Decimated, MissedTicks, repeat);
            if (_proto.WroteThresholds)
            {
                _thresholdsNs = _clock.NowNs;
                _repeatThresholds = false;
            }
            Publish(message, count);
            return;
        }
        if (_options.Encoding == PayloadEncoding.Binary)
        {
            DivergenceBinary.Write(_buffer, seq, _slot, _batchTicks, _batch, count, _sink.Dropped, LinkDropped, Decimated);
        }
        else
        {
            _writer.Reset(_buffer);
            TelemetryPayloads.WriteDivergenceBatch(_writer, seq, _slot, _batchTicks, _batch, count, _sink.Dropped, LinkDropped, Decimated);
            _writer.Flush();
        }
        Publish(_buffer.WrittenSpan, count);
    }

    private void Publish(ReadOnlySpan<byte> message, int count)
    {
        if (_link.TryPublish(_topic, message, qos: 0, retain: false, out int mid))
        {
            _queued.Add(mid);
            Volatile.Write(ref _queuedCount, _queued.Count);
            Interlocked.Add(ref _published, count);
        }
        else
        {
            Drop(count);
        }
    }

    private void Drop(int count)
    {
        _repeatThresholds = true; // the lost message may have carried them
        Interlocked.Add(ref _linkDropped, count);
        OutageDropped += count;
    }

    public void Dispose() => _writer.Dispose();
}
