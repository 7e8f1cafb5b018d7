using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Errors;
using Rt.Core.Tick;
using Rt.Telemetry.Link;
using Rt.Telemetry.Native;
using Rt.Telemetry.SafetyEvents;

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
    int OutboxPending, // safety events in the safety log after the cursor: not yet acknowledged by the broker
    long ClientRebuilds,
    long PublisherCpuNs, // both publisher threads: bulk and safety
    long MissedTicks = 0,
    bool SafetyConnected = false, // the safety connection (its own client id, thread and outbox)
    long SafetyConnects = 0);

/// <summary>
/// Streams the twin's divergence and the supervisor's events to an MQTT broker (docs/TELEMETRY.md). The tick only
/// pushes into <see cref="Sink"/>; one publisher thread (ordinary priority, all CPUs) runs three jobs in turn: the
/// connection (<see cref="TelemetryLink"/>: link up/down, watchdog, last will, telemetry-loss signal), the safety
/// events (<see cref="SafetyEventPublisher"/>: catch-up from the safety log after a durable cursor) and the divergence
/// stream (<see cref="DivergenceStream"/>: ring → batch → encode), plus the retained birth and state topics.
/// Not real-time safe (except <see cref="Sink"/>).
/// </summary>
public sealed class TelemetryService : IDisposable
{
    private readonly TelemetrySection _section;
    private readonly ChannelLayout _layout;
    private readonly TelemetryOptions _options;
    private readonly Action<string> _log;
    private readonly IMqttConnectionFactory _factory;
    private readonly ISafetyJournal? _journal;
    private readonly TelemetrySink _sink;
    private readonly AutoResetEvent _wake = new(false);
    private const string Json = "application/json";
    private readonly ConcurrentQueue<SafetyState> _newStates = new();
    private readonly ConcurrentQueue<SafetyEvent> _trips = new();
    private readonly RobotStatus _status = new();
    private TelemetryLink? _link;
    private DivergenceStream? _stream;
    private SafetyEventPublisher? _safety;
    private SafetyChannel? _safetyChannel;
    private StatusTopics? _statusTopics;
    private Thread? _thread;
    private volatile bool _stopping;
    private long _cpuNs;

    /// <summary>
    /// Not real-time safe. Prepares the sink (ring) and the topics; opens nothing yet. Paths in <paramref name="section"/>
    /// are used as given (see <see cref="FromConfig"/>). <paramref name="brokerOverride"/> (from <c>--broker</c>) wins
    /// over the config. <paramref name="journal"/> is the safety log that safety events are published from (none: the
    /// service publishes no safety events). <paramref name="connections"/> defaults to MQTTnet.
    /// </summary>
    public TelemetryService(
        TelemetrySection section, ChannelLayout layout, string robotId, Action<string>? log = null,
        TelemetryOptions? options = null, BrokerUri? brokerOverride = null, ISafetyJournal? journal = null,
        IMqttConnectionFactory? connections = null)
    {
        _section = section;
        _layout = layout;
        _options = options ?? TelemetryOptions.FromSection(section); // explicit options (tests, bench) win over the YAML
        _log = log ?? (_ => { });
        _journal = journal;
        _factory = connections ?? MqttNetConnectionFactory.Instance;
        if (!TelemetryTopics.IsValidLevel(robotId))
            throw new InputError("config", "telemetry.robot_id", $"robot id '{robotId}' must be non-empty and contain no '/', '+', '#'");
        if (!TelemetryTopics.IsValidPrefix(section.TopicPrefix))
            throw new InputError("config", "telemetry.topic_prefix", $"topic prefix '{section.TopicPrefix}' must be topic levels separated by '/' (none empty, no '+', '#')");
        if (section.Decimation < 1) throw new InputError("config", "telemetry.decimation", $"must be ≥ 1, got {section.Decimation}");
        if (section.BatchSize < 1 || section.BatchSize > 1000) throw new InputError("config", "telemetry.batch_size", $"must be 1..1000, got {section.BatchSize}");
        Broker = brokerOverride ?? BrokerUri.Parse(section.Broker, "config", "telemetry.broker");
        Topics = new TelemetryTopics(section.TopicPrefix, robotId);
        RunId = _options.RunId ?? NextRunId();
        _sink = new TelemetrySink(layout, _options.RingCapacity);
    }

    private static long _lastRunId;

    /// <summary>UTC ns now, but strictly above any run id handed out before in this process (two sessions started in the same 100 ns stay apart).</summary>
    private static long NextRunId()
    {
        while (true)
        {
            long last = Interlocked.Read(ref _lastRunId), next = Math.Max(TelemetryClock.UtcNs(), last + 1);
            if (Interlocked.CompareExchange(ref _lastRunId, next, last) == last) return next;
        }
    }

    /// <summary>This session's run id (UTC ns at construction unless given): on every message, and in the client id.</summary>
    public long RunId { get; }

    /// <summary>The MQTT client id: unique per session (robot + run id), so two sessions of one robot never take each other's connection.</summary>
    public string ClientId => _options.ClientId ?? $"rt-{Topics.RobotId}-{RunId:x}";

    /// <summary>Not real-time safe. Builds the service from the whole config, resolving file paths against the config's folder.</summary>
    public static TelemetryService FromConfig(RtConfig config, ChannelLayout layout, Action<string>? log = null,
        BrokerUri? brokerOverride = null, TelemetryOptions? options = null, ISafetyJournal? journal = null)
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
        return new TelemetryService(resolved, layout, robot, log, options, brokerOverride, journal);
    }

    /// <summary>The tick's sink: give this to the pipeline. Its Enqueue is real-time safe.</summary>
    public TelemetrySink Sink => _sink;

    public TelemetryTopics Topics { get; }
    public BrokerUri Broker { get; }

    /// <summary>Where the safety cursor is kept (after <see cref="Start"/>).</summary>
    public string? SafetyCursorPath => _safety?.CursorPath;

    /// <summary>Not real-time safe (counts the safety log after the cursor). Counter snapshot.</summary>
    public TelemetryStats Stats => new(
        _link?.IsUp ?? false, _link?.Connects ?? 0, _stream?.Consumed ?? 0, _stream?.Published ?? 0, _stream?.Decimated ?? 0,
        _stream?.LinkDropped ?? 0, _sink.Dropped, (_link?.Messages ?? 0) + (_safetyChannel?.Messages ?? 0), _stream?.Sequence ?? 0, _safety?.Pending ?? 0,
        (_link?.Rebuilds ?? 0) + (_safetyChannel?.Rebuilds ?? 0), Interlocked.Read(ref _cpuNs) + (_safetyChannel?.CpuNs ?? 0),
        _stream?.MissedTicks ?? 0, _safetyChannel?.IsUp ?? false, _safetyChannel?.Connects ?? 0);

    /// <summary>
    /// Bytes the process allocates per published message, all of it in MQTTnet 5.2's publish path (our encoders and
    /// link allocate 0; protobuf 64 B per divergence message): measured 694 B per QoS 0 publish (AllocationTests), and
    /// in the whole host at 1 kHz with telemetry on (tools/loop-soak.sh, docs/TELEMETRY.md); budgeted with a margin.
    /// </summary>
    public const int AllocatedBytesPerMessage = 1000;

    /// <summary>
    /// Not real-time safe. What an hour of this telemetry allocates, bytes, at a tick rate of <paramref name="tickHz"/>:
    /// messages per second (ROS topics, summary, divergence batches) × <see cref="AllocatedBytesPerMessage"/> × 3 600.
    /// The host adds it to its no-GC region (loop.no_gc_region_mb: -1), so an hour of telemetry runs without a GC.
    /// </summary>
    public long AllocationPerHourBytes(double tickHz)
    {
        double ros = _options.RosHz * (1 + _layout.ImuNames.Count);
        double perDecimated = tickHz / Math.Max(1, _section.Decimation);
        double divergence = Math.Max(perDecimated / Math.Max(1, _section.BatchSize), Math.Min(perDecimated, 1 / Math.Max(1e-3, _options.FlushIntervalS)));
        return (long)((ros + _options.SummaryHz + divergence) * AllocatedBytesPerMessage * 3600);
    }

    private MqttTopic[] _traffic = [];

    /// <summary>Not real-time safe. Messages and payload bytes handed to the client so far, per topic (after <see cref="Start"/>; birth and state not included).</summary>
    public IReadOnlyList<(string Topic, long Messages, long Bytes)> Traffic() => [.. _traffic.Select(t => (t.Name, t.Messages, t.Bytes))];

    /// <summary>
    /// Not real-time safe: for lockstep loops only, between ticks. Blocks until the link to the broker is down (true) or
    /// the timeout passes (false): a broker stopped between two simulated ticks is then noticed before the next one,
    /// however fast simulated time runs (a loaded machine noticed it only after a 2 s outage had already ended).
    /// </summary>
    public bool WaitLinkDown(TimeSpan timeout)
    {
        if (_link is null) return false;
        long until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (_link.Connected)
        {
            if (Stopwatch.GetTimestamp() >= until) return false;
            Thread.Sleep(2); // the link's own thread reports the loss; a deadline bounds the wait
        }
        return true;
    }

    /// <summary>Not real-time safe. Blocks until connected (true) or the timeout passes (false).</summary>
    public bool WaitConnected(TimeSpan timeout)
    {
        if (_link is not null) return _link.WaitConnected(timeout);
        Thread.Sleep(timeout);
        return false;
    }

    /// <summary>
    /// Not real-time safe: for lockstep loops only, between ticks. Returns at once while the tick ring is at most half
    /// full and the client's send queue under half its cap; otherwise wakes the publisher and waits (bounded by
    /// <paramref name="timeout"/>) until both are. So in lockstep the simulated clock waits for the publisher: no record is dropped however fast the bench
    /// runs, and a run with a broker judges like one without. False if the publisher did not catch up in time.
    /// </summary>
    public bool WaitForPublisher(TimeSpan timeout)
    {
        var ring = _sink.Ring;
        int half = ring.Capacity / 2, queueHalf = Math.Max(1, _options.MaxQueuedMessages / 2);
        DivergenceStream? stream = _stream;
        // Both the ring and the client's send queue: at the queue's cap the publisher drops batches (right in real
        // time, where the tick cannot wait; in lockstep the clock waits instead).
        bool Busy() => ring.Count > half || (_link?.IsUp == true && stream is not null && stream.Queued > queueHalf);
        if (!Busy() || _thread is null) return true;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        _wake.Set();
        var spin = new SpinWait();
        while (Busy())
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(start) > timeout) return false;
            spin.SpinOnce(sleep1Threshold: 20);
        }
        return true;
    }

    /// <summary>
    /// Not real-time safe. Checks the library, the credentials and TLS files (clear <see cref="InputError"/> /
    /// <see cref="MosquittoUnavailableException"/>), loads the safety cursor, then starts the publisher thread, which
    /// creates the client and connects (so the network thread never inherits a real-time caller's affinity).
    /// </summary>
    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("telemetry already started");
        _factory.EnsureAvailable();
        MqttCredentials? credentials = string.IsNullOrEmpty(_section.CredentialsFile) ? null : MqttCredentials.Load(_section.CredentialsFile);
        foreach (var (key, path) in new[] { ("telemetry.ca_file", _section.CaFile), ("telemetry.cert_file", _section.CertFile), ("telemetry.key_file", _section.KeyFile) })
            if (!string.IsNullOrEmpty(path) && !File.Exists(path)) throw new InputError(path, key, "file not found");
        if (string.IsNullOrEmpty(_section.CertFile) != string.IsNullOrEmpty(_section.KeyFile))
            throw new InputError("config", "telemetry.cert_file/key_file", "give both a client certificate and its key, or neither");
        if (!Broker.Tls && !string.IsNullOrEmpty(_section.CaFile))
            _log($"MQTT: ca_file is set but the broker {Broker} is plain mqtt://; TLS is not used (use mqtts://)");

        var connect = new MqttConnectOptions(Broker, ClientId)
        {
            KeepAliveS = _options.KeepAliveS, CaFile = _section.CaFile, CertFile = _section.CertFile, KeyFile = _section.KeyFile,
            Credentials = credentials, WillTopic = Topics.State, WillPayload = TelemetryPayloads.WillPayload(RunId), WillContentType = Json,
            MaxInflight = (uint)Math.Max(1, _options.MaxInflightSafety),
        };
        _link = new TelemetryLink(_factory, connect, _options, _sink, _log, () => _wake.Set(), wakeOnAck: false);
        string divergenceType = _options.Encoding switch
        {
            PayloadEncoding.Protobuf => DivergenceProto.ContentType,
            PayloadEncoding.Binary => "application/octet-stream; format=rtd1",
            _ => Json,
        };
        MqttTopic summaryTopic = new(Topics.Summary, Json), divergenceTopic = new(Topics.Divergence, divergenceType);
        MqttTopic safetyTopic = new(Topics.Safety, Json), lastTripTopic = new(Topics.LastTrip, Json);
        var summary = new SummaryTopic(_sink.Slot, _layout, summaryTopic);
        var ros = new RosTopics(_sink.Slot, _layout, Topics);
        _stream = new DivergenceStream(_sink, _link, divergenceTopic, _section.Decimation, _section.BatchSize,
            _options, _status, RunId, summary, ros);
        _traffic = [divergenceTopic, summaryTopic, .. ros.Topics, safetyTopic, lastTripTopic];
        // Safety events and the retained last trip have their own connection and thread (SafetyChannel), so they never
        // queue behind bulk data; without a safety log there is nothing to publish there and no second connection.
        if (_journal is not null) _safetyChannel = new SafetyChannel(_factory, connect, _options, _log);
        _safety = new SafetyEventPublisher(_journal, string.IsNullOrEmpty(_section.OutboxPath) ? "rt-outbox" : _section.OutboxPath,
            _safetyChannel?.Link ?? _link, safetyTopic, lastTripTopic, _layout, _options, _log, RunId);
        _statusTopics = new StatusTopics(_link, Topics, _layout, _status, RunId);
        _safety.Load();
        _thread = new Thread(PublisherMain) { IsBackground = true, Name = "rt-telemetry" };
        _thread.Start();
        _safetyChannel?.Start(_safety);
    }

    /// <summary>
    /// Not real-time safe; thread-safe. Call after the safety log made <paramref name="e"/> durable: telemetry
    /// publishes it (and anything else after its cursor) from the log, and the state topic follows e.To.
    /// </summary>
    public void PublishSafetyEvent(in SafetyEvent e)
    {
        SafetyEventPublisher safety = _safety ?? throw new InvalidOperationException("call Start() before publishing safety events");
        if (!safety.HasJournal) throw new InvalidOperationException("telemetry was built without the safety log (journal) to publish safety events from");
        // The bulk thread is woken only when the state topic has something to say: an event that leaves the state as
        // it was (a warning) is the safety connection's alone. A wake per event was a fifth of the bulk thread's
        // wake-ups in the bench (20 events/s), each a futex wait and a context switch. A trip only updates the next
        // summary's cause, on the summary's own deadline.
        bool changed = Interlocked.Exchange(ref _lastStateHanded, (int)e.To) != (int)e.To;
        if (changed) _newStates.Enqueue(e.To);
        if (SafetyEventPublisher.IsTrip(e)) _trips.Enqueue(e);
        _safetyChannel!.Nudge();
        if (changed) _wake.Set(); // the state topic follows
    }

    private int _lastStateHanded = -1; // the last e.To handed to the bulk thread (-1: none yet)

    /// <summary>Not real-time safe. Flushes, publishes the clean "offline" state, disconnects and joins the threads.</summary>
    public void Stop()
    {
        if (_thread is null || _stopping) return;
        _stopping = true;
        _wake.Set();
        _safetyChannel?.Stop(); // in parallel with the bulk thread's shutdown
        if (!_thread.Join(TimeSpan.FromSeconds(10))) _log("MQTT: publisher thread did not stop within 10 s");
    }

    public void Dispose()
    {
        Stop();
        _stream?.Dispose();
        _stream?.Summary.Dispose();
        _statusTopics?.Dispose();
        _link?.Dispose();
        _safetyChannel?.Dispose();
        _wake.Dispose();
    }

    // ---------------------------------------------------------------- publisher thread

    private void PublisherMain()
    {
        NonRealtimeThread.Apply();
        var observer = new Observer(this);
        try
        {
            _link!.Open();
            while (!_stopping)
            {
                _wake.WaitOne(WaitMs());
                // One wake-up's messages (ROS topics, a divergence batch, the summary, a state change) leave in one
                // send(): a send per message was a third of this thread's CPU (docs/TELEMETRY.md).
                _link.Cork();
                try
                {
                    _link.Poll(observer);
                    while (_newStates.TryDequeue(out SafetyState s)) _status.SetSafety(s);
                    while (_trips.TryDequeue(out SafetyEvent t)) _stream!.Summary.Trip = t;
                    _stream!.Pump();
                    _statusTopics!.PublishStateIfChanged();
                }
                finally
                {
                    _link.Uncork();
                }
                if (!_stopping) _link.Watchdog();
                Interlocked.Exchange(ref _cpuNs, NonRealtimeThread.ThreadCpuNs());
            }
            Shutdown(observer);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _log($"MQTT: telemetry publisher stopped by an error: {ex.Message}");
        }
    }

    /// <summary>The poll interval, or less when the summary or the ROS topics are due sooner (rounded up: wake just after the deadline).</summary>
    private int WaitMs()
    {
        long until = _stream!.NsUntilDue();
        if (until >= _options.PollIntervalMs * 1_000_000L) return _options.PollIntervalMs;
        return until <= 0 ? 0 : (int)((until + 999_999) / 1_000_000);
    }

    private void Shutdown(Observer observer)
    {
        TelemetryLink link = _link!;
        link.BeginClose();
        link.Poll(observer);
        while (_newStates.TryDequeue(out SafetyState s)) _status.SetSafety(s);
        if (link.Connected)
        {
            _stream!.DrainAndFlush();
            // Clean shutdown: retained "offline" (clean) replaces "online"; a DISCONNECT suppresses the will.
            if (_statusTopics!.PublishState(online: false, out int mid)) link.WaitAcked(mid, TimeSpan.FromSeconds(2), observer, _wake);
        }
        link.Close();
        Interlocked.Exchange(ref _cpuNs, NonRealtimeThread.ThreadCpuNs());
    }

    private void OnConnected(bool first, bool afterOutage, double outageS)
    {
        DivergenceStream stream = _stream!;
        if (first) _log($"MQTT: connected to {Broker} as robot '{Topics.RobotId}'" + (outageS > 1 ? $" after {outageS:F1} s" : ""));
        else if (afterOutage)
            _log($"MQTT: reconnected to {Broker} after {outageS.ToString("F1", CultureInfo.InvariantCulture)} s, " +
                 $"{stream.OutageDropped} divergence samples dropped, {_safety!.Pending} safety event(s) to deliver from the safety log");
        StatusTopics status = _statusTopics!;
        status.PublishBirth(_section.Decimation, _section.BatchSize, _options.Encoding);
        status.PublishState(online: true, out _);
        if (afterOutage || stream.OutageDropped > 0) status.PublishLinkReport(outageS, stream.OutageDropped, stream.LinkDropped, _sink.Dropped);
        stream.OutageDropped = 0;
    }

    /// <summary>Routes the link's events to the jobs (publisher thread).</summary>
    private sealed class Observer(TelemetryService s) : ILinkObserver
    {
        public void OnConnected(bool first, bool afterOutage, double outageS) => s.OnConnected(first, afterOutage, outageS);
        public void OnDisconnected() => s._stream!.OnDisconnected();
        public void OnAcked(int messageId) => s._stream!.OnAcked(messageId);
    }
}
