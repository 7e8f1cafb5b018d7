using System.Collections.Concurrent;
using System.Diagnostics;
using Rt.Telemetry.Native;

namespace Rt.Telemetry.Link;

/// <summary>What the publisher does when the link changes; called on the publisher thread from <see cref="TelemetryLink.Poll"/>.</summary>
internal interface ILinkObserver
{
    /// <summary>
    /// CONNACK accepted. <paramref name="first"/>: the first connection of this service; <paramref name="afterOutage"/>:
    /// an earlier connection was lost; <paramref name="outageS"/>: how long the broker was unreachable.
    /// </summary>
    void OnConnected(bool first, bool afterOutage, double outageS);

    void OnDisconnected();

    void OnAcked(int messageId);
}

/// <summary>
/// The connection job of telemetry: one <see cref="IMqttConnection"/> at a time (with the last will: retained
/// "offline" on the state topic), link up/down, a watchdog that rebuilds the connection when no CONNACK came within
/// <see cref="TelemetryOptions.ConnectWatchdogS"/> (a client that is stuck in a connect, or a configuration that
/// changed on disk), each failure reported once per outage, and telemetry-loss signalling to the tick
/// (<see cref="TelemetrySink.LinkDown"/>). Events from a retired connection are ignored. Owned by the publisher thread
/// (only <see cref="IsUp"/>, the counters and <see cref="WaitConnected"/> are read elsewhere). Not real-time safe.
/// </summary>
internal sealed class TelemetryLink : IDisposable
{
    private readonly IMqttConnectionFactory _factory;
    private readonly MqttConnectOptions _connect;
    private readonly TelemetryOptions _options;
    private readonly TelemetrySink? _sink;
    private readonly Action<string> _log;
    private readonly Action _wake;
    private readonly bool _wakeOnAck;
    private readonly ConcurrentQueue<(int Generation, MqttLinkEvent Event)> _events = new();
    private readonly ManualResetEventSlim _connectedSignal = new(false);
    private readonly HashSet<string> _reportedThisOutage = new(StringComparer.Ordinal);
    private IMqttConnection? _connection;
    private int _generation;
    private bool _connected, _everConnected, _watchdogReported, _closing;
    private volatile bool _up;
    private long _createdTs, _connects, _rebuilds, _messages;
    private string _lastLibError = "";

    /// <summary>
    /// <paramref name="sink"/>: the tick's sink whose telemetry-loss flag follows this link (the bulk link), or null
    /// (the safety link: its events wait in the safety log, nothing from the tick is lost while it is down).
    /// <paramref name="wakeOnAck"/> false: an ack waits for the owner's next poll instead of waking its thread (the bulk
    /// link: ~230 QoS 0 acks/s that only lower a queue count; waking for each doubled the publisher's wake-ups).
    /// </summary>
    public TelemetryLink(IMqttConnectionFactory factory, MqttConnectOptions connect, TelemetryOptions options,
        TelemetrySink? sink, Action<string> log, Action wake, bool wakeOnAck = true)
    {
        _wakeOnAck = wakeOnAck;
        _factory = factory;
        _connect = connect;
        _options = options;
        _sink = sink;
        _log = log;
        _wake = wake;
    }

    public BrokerUri Broker => _connect.Broker;

    /// <summary>Publisher thread: connected now.</summary>
    public bool Connected => _connected;

    /// <summary>Any thread: connected now (as last seen by the publisher thread).</summary>
    public bool IsUp => _up;

    public long Connects => Interlocked.Read(ref _connects);
    public long Rebuilds => Interlocked.Read(ref _rebuilds);

    /// <summary>Messages the client library accepted.</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Since when the broker is unreachable (meaningful while not connected, and in <see cref="ILinkObserver.OnConnected"/>).</summary>
    public DateTime OutageSinceUtc { get; private set; } = DateTime.UtcNow;

    /// <summary>Any thread: blocks until connected (true) or the timeout passes.</summary>
    public bool WaitConnected(TimeSpan timeout) => _connectedSignal.Wait(timeout);

    /// <summary>Creates and starts the first connection (or reports why it could not; the watchdog retries).</summary>
    public void Open() => TryCreate();

    /// <summary>Handles every event that arrived since the last call.</summary>
    public void Poll(ILinkObserver observer)
    {
        while (_events.TryDequeue(out var item))
        {
            if (item.Generation != _generation) continue; // from a retired connection
            MqttLinkEvent e = item.Event;
            switch (e.Kind)
            {
                case MqttLinkEventKind.Acked:
                    observer.OnAcked(e.MessageId);
                    break;
                case MqttLinkEventKind.Connected:
                    OnConnected(observer);
                    break;
                case MqttLinkEventKind.Refused:
                    Report($"MQTT: broker {Broker} refused the connection: {e.Text}" +
                           (e.AuthFailure ? " (check the username/password in telemetry.credentials_file)" : ""));
                    break;
                case MqttLinkEventKind.Disconnected:
                    OnDisconnected(e, observer);
                    break;
                case MqttLinkEventKind.Error:
                    _lastLibError = e.Text ?? "";
                    if (IsTlsError(_lastLibError))
                        Report($"MQTT: TLS with {Broker} failed: {_lastLibError} (check telemetry.ca_file, cert_file, key_file and the broker's certificate)");
                    break;
                case MqttLinkEventKind.Debug:
                    _log(e.Text ?? "");
                    break;
            }
        }
    }

    /// <summary>No CONNACK within the watchdog time: report once, retire the connection and start a new one.</summary>
    public void Watchdog()
    {
        if (_connected || _closing) return;
        if (Stopwatch.GetElapsedTime(_createdTs).TotalSeconds < _options.ConnectWatchdogS) return;
        if (!_watchdogReported && _reportedThisOutage.Count == 0) // a specific reason already said it once
        {
            string why = _lastLibError.Length > 0 ? $"last error: {_lastLibError}" : "no answer from the broker";
            Report($"MQTT: no connection to {Broker} within {_options.ConnectWatchdogS:0.#} s " +
                   $"(unreachable since {OutageSinceUtc:HH:mm:ss}Z; {why}); restarting the MQTT client, " +
                   "Retrying quietly.");
        }
        _watchdogReported = true;
        Retire();
        Interlocked.Increment(ref _rebuilds);
        TryCreate();
    }

    /// <summary>Queues a publish on the current connection; false if there is none or it refused.</summary>
    public bool TryPublish(MqttTopic topic, ReadOnlySpan<byte> payload, int qos, bool retain, out int messageId)
    {
        messageId = 0;
        if (_connection is null || !_connection.TryPublish(topic, payload, qos, retain, out messageId)) return false;
        Interlocked.Increment(ref _messages);
        topic.Count(payload.Length);
        return true;
    }

    /// <summary>Publishes until <see cref="Uncork"/> go out together in one send() (one pump of the publisher).</summary>
    public void Cork() => _connection?.Cork();

    /// <summary>Writes what was published since <see cref="Cork"/>.</summary>
    public void Uncork() => _connection?.Uncork();

    /// <summary>
    /// Shutdown: waits (bounded) for the broker to acknowledge <paramref name="messageId"/>, passing other acks on.
    /// Other events are dropped: the link is closing.
    /// </summary>
    public bool WaitAcked(int messageId, TimeSpan timeout, ILinkObserver observer, WaitHandle wake)
    {
        _closing = true;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            wake.WaitOne(10);
            while (_events.TryDequeue(out var item))
            {
                if (item.Generation != _generation || item.Event.Kind != MqttLinkEventKind.Acked) continue;
                if (item.Event.MessageId == messageId) return true;
                observer.OnAcked(item.Event.MessageId);
            }
        }
        return false;
    }

    /// <summary>Shutdown begins: a disconnect from now on is not an outage to report, and the watchdog rests.</summary>
    public void BeginClose() => _closing = true;

    /// <summary>Sends DISCONNECT (no will) and frees the connection on this thread.</summary>
    public void Close()
    {
        _closing = true;
        IMqttConnection? c = _connection;
        _connection = null;
        c?.Dispose();
        _connected = false;
        _up = false;
    }

    /// <summary>Says <paramref name="message"/> once per outage.</summary>
    public void Report(string message)
    {
        if (_reportedThisOutage.Add(message)) _log(message);
    }

    public void Dispose()
    {
        Close();
        _connectedSignal.Dispose();
    }

    private void OnConnected(ILinkObserver observer)
    {
        bool first = !_everConnected, afterOutage = _everConnected && !_connected;
        _connected = true;
        _up = true;
        if (_sink is not null) _sink.LinkDown = false;
        Interlocked.Increment(ref _connects);
        double outageS = (DateTime.UtcNow - OutageSinceUtc).TotalSeconds;
        _everConnected = true;
        _reportedThisOutage.Clear();
        _watchdogReported = false;
        observer.OnConnected(first, afterOutage, outageS);
        _connectedSignal.Set();
    }

    private void OnDisconnected(in MqttLinkEvent e, ILinkObserver observer)
    {
        if (!_connected) return;
        _connected = false;
        _up = false;
        if (_sink is not null) _sink.LinkDown = true; // the tick raises telemetry_loss while samples are dropped on the link
        _connectedSignal.Reset();
        OutageSinceUtc = DateTime.UtcNow;
        _createdTs = Stopwatch.GetTimestamp(); // the watchdog counts from the loss
        observer.OnDisconnected();
        if (e.Unexpected && !_closing)
            Report($"MQTT: connection to {Broker} lost ({e.Text}); broker unreachable since {OutageSinceUtc:HH:mm:ss}Z. " +
                   "Divergence samples are dropped and counted; safety events wait in the safety log.");
    }

    private void TryCreate()
    {
        int gen = ++_generation;
        _createdTs = Stopwatch.GetTimestamp();
        try
        {
            IMqttConnection c = _factory.Create(_connect, e =>
            {
                _events.Enqueue((gen, e));
                if (_wakeOnAck || e.Kind != MqttLinkEventKind.Acked) _wake();
            });
            _connection = c;
            c.Start();
        }
        catch (MosquittoUnavailableException ex)
        {
            // e.g. TLS files the library refuses: say it once, the watchdog tries again later.
            _connection?.Dispose();
            _connection = null;
            Report($"MQTT: cannot set up the client for {Broker}: {ex.Message}");
        }
    }

    private void Retire()
    {
        IMqttConnection? old = _connection;
        _connection = null;
        if (old is null) return;
        // Stopping the network thread may wait for a blocking connect: never on this thread.
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.Dispose(), old, preferLocal: false);
    }

    private static bool IsTlsError(string text) =>
        text.Contains("OpenSSL", StringComparison.OrdinalIgnoreCase) || text.Contains("TLS", StringComparison.Ordinal) ||
        text.Contains("certificate", StringComparison.OrdinalIgnoreCase) || text.Contains("SSL", StringComparison.Ordinal);
}
