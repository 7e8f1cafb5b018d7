using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Errors;
using Rt.Core.Tick;
using Rt.Telemetry.Native;

namespace Rt.Telemetry;

/// <summary>Counters for the bench and for tests; a snapshot.</summary>
public readonly record struct TelemetryStats(
    bool Connected,
    long Connects,
    long RecordsConsumed,
    long RecordsPublished,
    long RecordsDecimated,
    long LinkDropped,
    long RingDropped,
    long MessagesPublished,
    long Sequence,
    int OutboxPending, // events on disk not yet acknowledged by the broker
    long ClientRebuilds,
    long PublisherCpuNs);

/// <summary>
/// Streams the twin's divergence and the supervisor's events to an MQTT broker (docs/TELEMETRY.md).
/// The tick only pushes into <see cref="Sink"/>; a publisher thread (ordinary priority, all CPUs) owns the
/// libmosquitto client: it drains the ring, decimates and batches records, caps what is queued in the library,
/// publishes safety events from the durable <see cref="SafetyOutbox"/>, keeps the retained state topic current,
/// and watches the connection (rebuilding the client when the library's network thread has given up).
/// Failures are reported once per outage through the log callback. Not real-time safe (except <see cref="Sink"/>).
/// </summary>
public sealed class TelemetryService : IDisposable
{
    private readonly TelemetrySection _section;
    private readonly ChannelLayout _layout;
    private readonly TelemetryTopics _topics;
    private readonly TelemetryOptions _options;
    private readonly Action<string> _log;
    private readonly BrokerUri _broker;
    private readonly TelemetrySink _sink;
    private readonly DivergenceSlot _slot;
    private readonly int _decimation;
    private readonly int _batchSize;
    private readonly byte[] _topicDivergence, _topicSafety, _topicState, _topicBirth, _topicLink;

    // Cross-thread inputs to the publisher thread.
    private readonly ConcurrentQueue<LinkEvent> _linkEvents = new();
    private readonly ConcurrentQueue<(string Key, byte[] Payload, SafetyState To)> _newEvents = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Lock _eventEncodeLock = new();
    private readonly ArrayBufferWriter<byte> _eventBuffer = new(512);

    private SafetyOutbox? _outbox;

    // This host run: start time, ns since the Unix epoch. Events are unique by (run, id) even if ids restart.
    private readonly long _runId = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
    private MqttCredentials? _credentials;
    private Thread? _thread;
    private volatile bool _stopping;
    private volatile bool _connectedFlag;
    private readonly ManualResetEventSlim _connectedSignal = new(false);

    // Publisher-thread state.
    private MosquittoClient? _client;
    private int _generation;
    private bool _connected;
    private long _connects;
    private DateTime _outageSinceUtc = DateTime.UtcNow;
    private bool _everConnected;
    private readonly HashSet<string> _reportedThisOutage = new(StringComparer.Ordinal);
    private long _clientCreatedTs;
    private bool _watchdogReported;
    private string _lastLibError = "";
    private readonly HashSet<int> _queuedDivergence = new();
    private readonly Dictionary<int, string> _safetyInflight = new();
    private readonly SortedDictionary<string, byte[]> _safetyPending = new(StringComparer.Ordinal);
    private readonly Queue<string> _safetyToSend = new();
    private readonly HashSet<string> _safetyQueued = new(StringComparer.Ordinal);
    private readonly double[] _batch;
    private readonly long[] _batchTicks;
    private int _batchCount;
    private long _batchStartTs;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly Utf8JsonWriter _writer;
    private SafetyState _safety = SafetyState.Disabled;
    private bool _stateDirty = true;
    private long _lastStatePublishTs;
    private long _lastTick, _lastTimeNs;

    // Counters (written by the publisher thread, read by Stats).
    private long _consumed, _published, _decimated, _linkDropped, _outageDropped, _messages, _seq, _rebuilds, _cpuNs;

    /// <summary>
    /// Not real-time safe. Prepares the sink (ring) and the topics; opens nothing yet. Paths in
    /// <paramref name="section"/> are used as given (resolve them against the config file first, see
    /// <see cref="FromConfig"/>). <paramref name="brokerOverride"/> (from <c>--broker</c>) wins over the config.
    /// </summary>
    public TelemetryService(
        TelemetrySection section, ChannelLayout layout, string robotId, Action<string>? log = null,
        TelemetryOptions? options = null, BrokerUri? brokerOverride = null)
    {
        _section = section;
        _layout = layout;
        _options = options ?? new TelemetryOptions();
        _log = log ?? (_ => { });
        if (!TelemetryTopics.IsValidLevel(robotId))
            throw new InputError("config", "telemetry.robot_id", $"robot id '{robotId}' must be non-empty and contain no '/', '+', '#'");
        if (!TelemetryTopics.IsValidLevel(section.TopicPrefix))
            throw new InputError("config", "telemetry.topic_prefix", $"topic prefix '{section.TopicPrefix}' must be one topic level (no '/', '+', '#')");
        if (section.Decimation < 1) throw new InputError("config", "telemetry.decimation", $"must be ≥ 1, got {section.Decimation}");
        if (section.BatchSize < 1 || section.BatchSize > 1000) throw new InputError("config", "telemetry.batch_size", $"must be 1..1000, got {section.BatchSize}");
        _broker = brokerOverride ?? BrokerUri.Parse(section.Broker, "config", "telemetry.broker");
        _topics = new TelemetryTopics(section.TopicPrefix, robotId);
        _decimation = section.Decimation;
        _batchSize = section.BatchSize;
        _sink = new TelemetrySink(layout, _options.RingCapacity);
        _slot = _sink.Slot;
        _batch = new double[_batchSize * _slot.Width];
        _batchTicks = new long[_batchSize];
        _writer = new Utf8JsonWriter(_buffer);
        _topicDivergence = Utf8Z.Encode(_topics.Divergence);
        _topicSafety = Utf8Z.Encode(_topics.Safety);
        _topicState = Utf8Z.Encode(_topics.State);
        _topicBirth = Utf8Z.Encode(_topics.Birth);
        _topicLink = Utf8Z.Encode(_topics.Link);
    }

    /// <summary>Not real-time safe. Builds the service from the whole config, resolving file paths against the config's folder.</summary>
    public static TelemetryService FromConfig(RtConfig config, ChannelLayout layout, Action<string>? log = null,
        BrokerUri? brokerOverride = null, TelemetryOptions? options = null)
    {
        TelemetrySection s = config.Telemetry;
        string R(string p) => string.IsNullOrEmpty(p) ? p : config.Resolve(p);
        var resolved = new TelemetrySection
        {
            Enabled = s.Enabled, Broker = s.Broker, RobotId = s.RobotId, TopicPrefix = s.TopicPrefix,
            Decimation = s.Decimation, BatchSize = s.BatchSize, CaFile = R(s.CaFile), CertFile = R(s.CertFile),
            KeyFile = R(s.KeyFile), CredentialsFile = R(s.CredentialsFile), OutboxPath = R(s.OutboxPath),
        };
        string robot = string.IsNullOrEmpty(s.RobotId) ? config.Robot.Name : s.RobotId;
        return new TelemetryService(resolved, layout, robot, log, options, brokerOverride);
    }

    /// <summary>The tick's sink: give this to the pipeline. Its Enqueue is real-time safe.</summary>
    public TelemetrySink Sink => _sink;

    public TelemetryTopics Topics => _topics;
    public BrokerUri Broker => _broker;

    /// <summary>Not real-time safe. Counter snapshot.</summary>
    public TelemetryStats Stats => new(
        _connectedFlag, Interlocked.Read(ref _connects), Interlocked.Read(ref _consumed), Interlocked.Read(ref _published),
        Interlocked.Read(ref _decimated), Interlocked.Read(ref _linkDropped), _sink.Dropped, Interlocked.Read(ref _messages),
        Interlocked.Read(ref _seq), _outbox?.Count ?? 0, Interlocked.Read(ref _rebuilds), Interlocked.Read(ref _cpuNs));

    /// <summary>Not real-time safe. Blocks until connected (true) or the timeout passes (false).</summary>
    public bool WaitConnected(TimeSpan timeout) => _connectedSignal.Wait(timeout);

    /// <summary>
    /// Not real-time safe. Checks the library, the credentials and TLS files (clear <see cref="InputError"/> /
    /// <see cref="MosquittoUnavailableException"/>), loads the outbox, then starts the publisher thread, which
    /// creates the client and connects (so the network thread never inherits a real-time caller's affinity).
    /// </summary>
    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("telemetry already started");
        Mosq.EnsureInitialised();
        if (!string.IsNullOrEmpty(_section.CredentialsFile)) _credentials = MqttCredentials.Load(_section.CredentialsFile);
        foreach (var (key, path) in new[] { ("telemetry.ca_file", _section.CaFile), ("telemetry.cert_file", _section.CertFile), ("telemetry.key_file", _section.KeyFile) })
            if (!string.IsNullOrEmpty(path) && !File.Exists(path)) throw new InputError(path, key, "file not found");
        if (string.IsNullOrEmpty(_section.CertFile) != string.IsNullOrEmpty(_section.KeyFile))
            throw new InputError("config", "telemetry.cert_file/key_file", "give both a client certificate and its key, or neither");
        if (!_broker.Tls && !string.IsNullOrEmpty(_section.CaFile))
            _log($"MQTT: ca_file is set but the broker {_broker} is plain mqtt://; TLS is not used (use mqtts://)");

        _outbox = new SafetyOutbox(string.IsNullOrEmpty(_section.OutboxPath) ? "rt-outbox" : _section.OutboxPath);
        foreach (var (key, payload) in _outbox.Pending()) _safetyPending[key] = payload;
        if (_safetyPending.Count > 0) _log($"MQTT: {_safetyPending.Count} safety event(s) from an earlier run wait in the outbox {_outbox.Directory_}");

        _thread = new Thread(PublisherMain) { IsBackground = true, Name = "rt-telemetry" };
        _thread.Start();
    }

    /// <summary>
    /// Not real-time safe (writes and fsyncs a file). Stores the event in the durable outbox, then hands it to the
    /// publisher for a QoS 1 publish; it is removed from the outbox only on the broker's PUBACK. Thread-safe.
    /// </summary>
    public void PublishSafetyEvent(in SafetyEvent e)
    {
        byte[] payload;
        lock (_eventEncodeLock)
        {
            _eventBuffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(_eventBuffer)) TelemetryPayloads.WriteSafetyEvent(w, e, _layout, _runId);
            payload = _eventBuffer.WrittenSpan.ToArray();
        }
        SafetyOutbox outbox = _outbox ?? throw new InvalidOperationException("call Start() before publishing safety events");
        string key = SafetyOutbox.Key(_runId, e.Id);
        outbox.Add(key, payload);
        _newEvents.Enqueue((key, payload, e.To));
        _wake.Set();
    }

    /// <summary>Not real-time safe. Flushes, publishes the clean "offline" state, disconnects and joins the threads.</summary>
    public void Stop()
    {
        if (_thread is null || _stopping) return;
        _stopping = true;
        _wake.Set();
        if (!_thread.Join(TimeSpan.FromSeconds(10))) _log("MQTT: publisher thread did not stop within 10 s");
    }

    public void Dispose()
    {
        Stop();
        _writer.Dispose();
        _wake.Dispose();
        _connectedSignal.Dispose();
    }

    // ---------------------------------------------------------------- publisher thread

    private void PublisherMain()
    {
        NonRealtimeThread.Apply();
        try
        {
            TryCreateClient();
            while (!_stopping)
            {
                _wake.WaitOne(_options.PollIntervalMs);
                Pump();
                Interlocked.Exchange(ref _cpuNs, NonRealtimeThread.ThreadCpuNs());
            }
            Shutdown();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _log($"MQTT: telemetry publisher stopped by an error: {ex.Message}");
        }
    }

    private void Pump()
    {
        HandleLinkEvents();
        TakeNewEvents();
        DrainRing();
        if (_batchCount > 0 && Stopwatch.GetElapsedTime(_batchStartTs).TotalSeconds >= _options.FlushIntervalS) FlushBatch();
        SendSafety();
        // Retained state follows the supervisor, at most 20 times a second even if the state flaps.
        if (_connected && _stateDirty && Stopwatch.GetElapsedTime(_lastStatePublishTs).TotalSeconds >= 0.05) PublishState(online: true, clean: true);
        Watchdog();
    }

    private void CreateClient()
    {
        int gen = ++_generation;
        var options = new MqttConnectOptions(_broker, _options.ClientId ?? $"rt-{_topics.RobotId}")
        {
            KeepAliveS = _options.KeepAliveS,
            CaFile = _section.CaFile,
            CertFile = _section.CertFile,
            KeyFile = _section.KeyFile,
            Credentials = _credentials,
            WillTopic = _topics.State,
            WillPayload = TelemetryPayloads.WillPayload(),
            MaxInflight = (uint)Math.Max(1, _options.MaxInflightSafety),
        };
        var client = new MosquittoClient(options)
        {
            Connected = rc => Post(new LinkEvent(gen, rc == 0 ? LinkEventKind.Connected : LinkEventKind.Refused, rc, null)),
            Disconnected = rc => Post(new LinkEvent(gen, LinkEventKind.Disconnected, rc, null)),
            Published = mid => Post(new LinkEvent(gen, LinkEventKind.Acked, mid, null)),
            Log = (level, text) =>
            {
                if (Environment.GetEnvironmentVariable("RT_MQTT_DEBUG") == "1") _log($"libmosquitto[{level}]: {text}");
                if ((level & Mosq.LogErr) != 0) Post(new LinkEvent(gen, LinkEventKind.LibraryError, level, text));
            },
        };
        _client = client;
        _clientCreatedTs = Stopwatch.GetTimestamp();
        client.Start(); // loop_start, then connect_async
    }

    private void Post(LinkEvent e)
    {
        _linkEvents.Enqueue(e);
        _wake.Set();
    }

    private void HandleLinkEvents()
    {
        while (_linkEvents.TryDequeue(out LinkEvent e))
        {
            if (e.Generation != _generation) continue; // from a retired client
            switch (e.Kind)
            {
                case LinkEventKind.Acked:
                    OnAcked(e.Code);
                    break;
                case LinkEventKind.Connected:
                    OnConnected();
                    break;
                case LinkEventKind.Refused:
                    Report($"MQTT: broker {_broker} refused the connection: {Mosq.ConnackText(e.Code)}" +
                           (e.Code is 4 or 5 ? " (check the username/password in telemetry.credentials_file)" : ""));
                    break;
                case LinkEventKind.Disconnected:
                    OnDisconnected(e.Code);
                    break;
                case LinkEventKind.LibraryError:
                    _lastLibError = e.Text ?? "";
                    if (IsTlsError(_lastLibError))
                        Report($"MQTT: TLS with {_broker} failed: {_lastLibError} (check telemetry.ca_file, cert_file, key_file and the broker's certificate)");
                    break;
            }
        }
    }

    private static bool IsTlsError(string text) =>
        text.Contains("OpenSSL", StringComparison.OrdinalIgnoreCase) || text.Contains("TLS", StringComparison.Ordinal) ||
        text.Contains("certificate", StringComparison.OrdinalIgnoreCase) || text.Contains("SSL", StringComparison.Ordinal);

    private void OnConnected()
    {
        bool wasOutage = _everConnected && !_connected;
        _connected = true;
        _sink.LinkDown = false;
        _connectedFlag = true;
        Interlocked.Increment(ref _connects);
        double outageS = (DateTime.UtcNow - _outageSinceUtc).TotalSeconds;
        if (!_everConnected) _log($"MQTT: connected to {_broker} as robot '{_topics.RobotId}'" + (outageS > 1 ? $" after {outageS:F1} s" : ""));
        else if (wasOutage)
            _log($"MQTT: reconnected to {_broker} after {outageS.ToString("F1", CultureInfo.InvariantCulture)} s, " +
                 $"{_outageDropped} divergence samples dropped, {_safetyPending.Count} safety event(s) to deliver from the outbox");
        _everConnected = true;
        _reportedThisOutage.Clear();
        _watchdogReported = false;

        PublishBirth();
        PublishState(online: true, clean: true);
        if (wasOutage || _outageDropped > 0)
        {
            Encode(w => TelemetryPayloads.WriteLinkReport(w, "reconnected", outageS, _outageDropped, _linkDropped, _sink.Dropped, NowNs()));
            PublishBuffer(_topicLink, qos: 1, retain: false, out _);
        }
        _outageDropped = 0;
        // Everything unacknowledged goes again on every connect (at least once; receivers de-duplicate by id).
        _safetyInflight.Clear();
        _safetyToSend.Clear();
        _safetyQueued.Clear();
        foreach (string key in _safetyPending.Keys) { _safetyToSend.Enqueue(key); _safetyQueued.Add(key); }
        _connectedSignal.Set();
    }

    private void OnDisconnected(int rc)
    {
        if (!_connected) return;
        _connected = false;
        _sink.LinkDown = true;
        _connectedFlag = false;
        _connectedSignal.Reset();
        _queuedDivergence.Clear();
        _outageSinceUtc = DateTime.UtcNow;
        _clientCreatedTs = Stopwatch.GetTimestamp(); // watchdog counts from the loss
        if (rc != 0 && !_stopping)
            Report($"MQTT: connection to {_broker} lost ({Mosq.ErrorText(rc)}); broker unreachable since {_outageSinceUtc:HH:mm:ss}Z. " +
                   "Divergence samples are dropped and counted; safety events wait in the outbox.");
    }

    private void OnAcked(int mid)
    {
        if (_queuedDivergence.Remove(mid)) return;
        if (_safetyInflight.Remove(mid, out string? key))
        {
            _safetyPending.Remove(key);
            _safetyQueued.Remove(key);
            _outbox!.Remove(key);
        }
    }

    private void Watchdog()
    {
        if (_connected || _stopping) return;
        if (Stopwatch.GetElapsedTime(_clientCreatedTs).TotalSeconds < _options.ConnectWatchdogS) return;
        if (!_watchdogReported && _reportedThisOutage.Count == 0) // a specific reason already said it once
        {
            string why = _lastLibError.Length > 0 ? $"last error: {_lastLibError}" : "no answer from the broker";
            Report($"MQTT: no connection to {_broker} within {_options.ConnectWatchdogS:0.#} s " +
                   $"(unreachable since {_outageSinceUtc:HH:mm:ss}Z; {why}); restarting the MQTT client, " +
                   "since libmosquitto's network thread stops for good after TLS or authentication failures. Retrying quietly.");
        }
        _watchdogReported = true;
        RetireClient();
        Interlocked.Increment(ref _rebuilds);
        TryCreateClient();
    }

    private void TryCreateClient()
    {
        try
        {
            CreateClient();
        }
        catch (MosquittoUnavailableException ex)
        {
            // e.g. TLS files the library refuses: say it once, the watchdog tries again later.
            _client = null;
            _clientCreatedTs = Stopwatch.GetTimestamp();
            Report($"MQTT: cannot set up the client for {_broker}: {ex.Message}");
        }
    }

    private void RetireClient()
    {
        MosquittoClient? old = _client;
        _client = null;
        if (old is null) return;
        // loop_stop waits for the network thread, which may sit in a blocking connect: never on this thread.
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.Dispose(), old, preferLocal: false);
    }

    private void Report(string message)
    {
        if (_reportedThisOutage.Add(message)) _log(message);
    }

    private void TakeNewEvents()
    {
        while (_newEvents.TryDequeue(out var e))
        {
            _safetyPending[e.Key] = e.Payload;
            if (e.To != _safety) { _safety = e.To; _stateDirty = true; }
            if (_connected && _safetyQueued.Add(e.Key)) _safetyToSend.Enqueue(e.Key);
        }
    }

    private void SendSafety()
    {
        while (_connected && _safetyInflight.Count < _options.MaxInflightSafety && _safetyToSend.TryDequeue(out string? key))
        {
            if (!_safetyPending.TryGetValue(key, out byte[]? payload)) { _safetyQueued.Remove(key); continue; }
            int rc = _client!.Publish(_topicSafety, payload, qos: 1, retain: false, out int mid);
            if (rc == Mosq.ErrSuccess)
            {
                _safetyInflight[mid] = key;
                Interlocked.Increment(ref _messages);
            }
            else
            {
                _safetyQueued.Remove(key); // stays in the outbox; sent again on the next connect
                break;
            }
        }
    }

    private void DrainRing()
    {
        var ring = _sink.Ring;
        int width = _slot.Width;
        while (true)
        {
            Span<double> dst = _batch.AsSpan(_batchCount * width, width);
            if (!ring.TryRead(out long tick, dst)) break;
            long n = Interlocked.Increment(ref _consumed);
            var s = (SafetyState)(byte)dst[DivergenceSlot.Safety];
            if (s != _safety) { _safety = s; _stateDirty = true; }
            _lastTick = tick;
            _lastTimeNs = BitConverter.DoubleToInt64Bits(dst[DivergenceSlot.TimeNs]);
            if ((n - 1) % _decimation != 0) { Interlocked.Increment(ref _decimated); continue; }
            // Batches are formed (and numbered) even during an outage, so the dropped ones leave a visible seq gap.
            if (_batchCount == 0) _batchStartTs = Stopwatch.GetTimestamp();
            _batchTicks[_batchCount++] = tick;
            if (_batchCount == _batchSize) FlushBatch();
        }
    }

    private void FlushBatch()
    {
        int count = _batchCount;
        _batchCount = 0;
        if (count == 0) return;
        long seq = Interlocked.Increment(ref _seq); // every formed batch takes a number, so a drop leaves a gap
        if (!_connected || _queuedDivergence.Count >= _options.MaxQueuedMessages)
        {
            Interlocked.Add(ref _linkDropped, count);
            _outageDropped += count;
            return;
        }
        _buffer.ResetWrittenCount();
        if (_options.Encoding == PayloadEncoding.Binary)
        {
            DivergenceBinary.Write(_buffer, seq, _slot, _batchTicks, _batch, count,
                _sink.Dropped, Interlocked.Read(ref _linkDropped), Interlocked.Read(ref _decimated));
        }
        else
        {
            _writer.Reset(_buffer);
            TelemetryPayloads.WriteDivergenceBatch(_writer, seq, _slot, _batchTicks, _batch, count,
                _sink.Dropped, Interlocked.Read(ref _linkDropped), Interlocked.Read(ref _decimated));
            _writer.Flush();
        }
        if (PublishBuffer(_topicDivergence, qos: 0, retain: false, out int mid))
        {
            _queuedDivergence.Add(mid);
            Interlocked.Add(ref _published, count);
        }
        else
        {
            Interlocked.Add(ref _linkDropped, count);
            _outageDropped += count;
        }
    }

    private void PublishBirth()
    {
        Encode(w => TelemetryPayloads.WriteBirth(w, _topics, _layout, _decimation, _batchSize, NowNs(), _options.Encoding));
        PublishBuffer(_topicBirth, qos: 1, retain: true, out _);
    }

    private void PublishState(bool online, bool clean)
    {
        Encode(w => TelemetryPayloads.WriteState(w, online, _safety, _lastTick, _lastTimeNs, clean));
        _lastStatePublishTs = Stopwatch.GetTimestamp();
        if (PublishBuffer(_topicState, qos: 1, retain: true, out _)) _stateDirty = false;
    }

    private void Encode(Action<Utf8JsonWriter> write)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        write(_writer);
        _writer.Flush();
    }

    private bool PublishBuffer(byte[] topicZ, int qos, bool retain, out int mid)
    {
        mid = 0;
        if (_client is null) return false;
        int rc = _client.Publish(topicZ, _buffer.WrittenSpan, qos, retain, out mid);
        if (rc == Mosq.ErrSuccess) { Interlocked.Increment(ref _messages); return true; }
        return false;
    }

    private static long NowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    private void Shutdown()
    {
        HandleLinkEvents();
        TakeNewEvents();
        DrainRing();
        if (_connected)
        {
            FlushBatch();
            SendSafety();
            // Clean shutdown: retained "offline" (clean) replaces "online"; a DISCONNECT suppresses the will.
            Encode(w => TelemetryPayloads.WriteState(w, online: false, _safety, _lastTick, _lastTimeNs, clean: true));
            if (PublishBuffer(_topicState, qos: 1, retain: true, out int mid))
            {
                var sw = Stopwatch.StartNew();
                bool acked = false;
                while (!acked && sw.ElapsedMilliseconds < 2000)
                {
                    _wake.WaitOne(10);
                    while (_linkEvents.TryDequeue(out LinkEvent e))
                    {
                        if (e.Generation != _generation) continue;
                        if (e.Kind == LinkEventKind.Acked) { if (e.Code == mid) acked = true; else OnAcked(e.Code); }
                    }
                }
            }
        }
        MosquittoClient? c = _client;
        _client = null;
        c?.Dispose();
        _connected = false;
        _connectedFlag = false;
        Interlocked.Exchange(ref _cpuNs, NonRealtimeThread.ThreadCpuNs());
    }

    private enum LinkEventKind : byte { Connected, Refused, Disconnected, Acked, LibraryError }

    private readonly record struct LinkEvent(int Generation, LinkEventKind Kind, int Code, string? Text);
}
