using Rt.Telemetry.Link;
using Rt.Telemetry.Native;

namespace Rt.Telemetry.SafetyEvents;

/// <summary>
/// The safety path of telemetry: its own MQTT connection (client id "{bulk id}-safety", no last will), its own
/// thread ("rt-telemetry-safety") and its own wake-up, carrying only the safety events and the retained last trip at
/// QoS 1. Nothing of the bulk data (divergence, summary, ROS topics, birth/state) is ever queued on this connection or
/// this thread, so a broker-side or client-side backlog of bulk data cannot delay a safety event, and the bulk
/// connection may be dropped or rebuilt without touching it. Its outbox is the fsynced safety log itself
/// (<see cref="SafetyEventPublisher"/>: a durable cursor, everything after it goes again on every connect), so it
/// never loses an event. The connection is quiet in the log: the bulk link reports the broker's outages once.
/// Not real-time safe.
/// </summary>
internal sealed class SafetyChannel : IDisposable
{
    private readonly TelemetryLink _link;
    private readonly AutoResetEvent _wake = new(false);
    private readonly Action<string> _log;
    private readonly int _pollMs;
    private SafetyEventPublisher? _publisher;
    private Thread? _thread;
    private volatile bool _stopping;
    private long _cpuNs;

    public SafetyChannel(IMqttConnectionFactory factory, MqttConnectOptions bulk, TelemetryOptions options, Action<string> log)
    {
        _log = log;
        // Outages are the bulk link's to report (same broker, same configuration): one line per outage, not two.
        var connect = bulk with { ClientId = bulk.ClientId + "-safety", WillTopic = null, WillPayload = null, WillContentType = null };
        _link = new TelemetryLink(factory, connect, options, sink: null, log: _ => { }, wake: () => _wake.Set());
        // The thread sleeps until an event is nudged or the connection reports; the timeout only paces the watchdog.
        _pollMs = Math.Max(options.PollIntervalMs, 50);
    }

    /// <summary>The connection the publisher sends on (it is built before the thread starts).</summary>
    public TelemetryLink Link => _link;

    public bool IsUp => _link.IsUp;
    public long Connects => _link.Connects;
    public long Rebuilds => _link.Rebuilds;
    public long Messages => _link.Messages;

    /// <summary>CPU time so far, ns: the safety thread, its cursor writer and the publishing done on the safety log's thread (<see cref="Nudge"/>).</summary>
    public long CpuNs => Interlocked.Read(ref _cpuNs) + (_publisher?.CursorCpuNs ?? 0) + Interlocked.Read(ref _callerCpuNs);

    /// <summary>Not real-time safe. Starts the thread, which connects and then publishes what <paramref name="publisher"/> reads.</summary>
    public void Start(SafetyEventPublisher publisher)
    {
        _publisher = publisher;
        _thread = new Thread(Main) { IsBackground = true, Name = "rt-telemetry-safety" };
        _thread.Start();
    }

    /// <summary>
    /// Called on the safety log's thread right after it made new events durable: publishes them at once on the
    /// calling thread (read from the log, encoded, handed to the client, which writes them to the socket without
    /// waiting), so an event does not wait for this thread to be woken and scheduled — on a loaded machine that hop
    /// was a scheduler's wake-up latency more. The acknowledgements, the cursor and every catch-up after an outage stay
    /// on this channel's thread; both hold <see cref="SafetyEventPublisher.Gate"/>. The caller's CPU for it is counted
    /// in <see cref="CpuNs"/>. Not real-time safe (file read, MQTT client).
    /// </summary>
    public void Nudge()
    {
        SafetyEventPublisher? p = _publisher;
        if (p is null) return;
        p.Nudge();
        if (_stopping || !_link.IsUp)
        {
            _wake.Set(); // the thread publishes after the connect, from the log
            return;
        }
        // Never wait here: the caller is the safety log's thread, which must keep draining the tick's safety-event ring
        // (a full ring is a Cat 0). When this channel's thread holds the gate (acknowledgements, a reconnect, the
        // shutdown), it publishes the new events itself once woken.
        if (!p.Gate.TryEnter())
        {
            _wake.Set();
            return;
        }
        long t0 = NonRealtimeThread.ThreadCpuNs();
        try
        {
            if (_stopping || Volatile.Read(ref _failed) == 1) _wake.Set(); // after an error the thread starts again
            else p.Pump();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Never into the safety log's thread (it must keep draining the tick's ring): this channel's thread
            // starts again from the cursor.
            Failed(ex);
        }
        finally
        {
            p.Gate.Exit();
        }
        Interlocked.Add(ref _callerCpuNs, NonRealtimeThread.ThreadCpuNs() - t0);
    }

    private long _callerCpuNs;

    /// <summary>Not real-time safe. Sends what is pending (bounded), stores the cursor, disconnects, joins the thread.</summary>
    public void Stop()
    {
        if (_thread is null || _stopping) return;
        _stopping = true;
        _wake.Set();
        if (!_thread.Join(TimeSpan.FromSeconds(10))) _log("MQTT: safety publisher thread did not stop within 10 s");
    }

    public void Dispose()
    {
        Stop();
        _link.Dispose();
        _wake.Dispose();
    }

    private void Main()
    {
        NonRealtimeThread.Apply();
        SafetyEventPublisher publisher = _publisher!;
        var observer = new Observer(publisher);
        try
        {
            _link.Open();
            while (!_stopping)
            {
                _wake.WaitOne(_pollMs);
                if (System.Diagnostics.Stopwatch.GetTimestamp() < _retryAt) continue; // not a hot loop on an error that repeats
                try
                {
                    lock (publisher.Gate)
                    {
                        if (Volatile.Read(ref _failed) == 1)
                        {
                            // After an error: everything after the durable cursor goes again (receivers de-duplicate).
                            publisher.OnConnected();
                            Volatile.Write(ref _failed, 0);
                        }
                        _link.Poll(observer);
                        publisher.Pump();
                        if (!_stopping) _link.Watchdog();
                    }
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Failed(ex);
                    _retryAt = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency * RetryAfterErrorMs / 1000;
                }
                Interlocked.Exchange(ref _cpuNs, NonRealtimeThread.ThreadCpuNs());
            }
            // Shutdown: what was read goes out, and the acknowledgements of what is in flight move the cursor (≤ 2 s).
            lock (publisher.Gate)
            {
                _link.BeginClose();
                _link.Poll(observer);
                publisher.Pump();
            }
            var until = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                lock (publisher.Gate)
                {
                    if (!_link.Connected || publisher.InFlight == 0 || until.Elapsed >= TimeSpan.FromSeconds(2)) break;
                }
                _wake.WaitOne(10);
                lock (publisher.Gate) _link.Poll(observer);
            }
            lock (publisher.Gate)
            {
                publisher.CloseCursor();
                _link.Close();
            }
            Interlocked.Exchange(ref _cpuNs, NonRealtimeThread.ThreadCpuNs());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _log($"MQTT: safety event publisher stopped by an error: {ex.Message}");
        }
    }

    private const int RetryAfterErrorMs = 1000;
    private long _retryAt;   // Stopwatch timestamp before which the thread does not try again after an error
    private int _failed;     // 1: an error interrupted publishing; the thread starts again from the cursor
    private long _errors;

    /// <summary>Safety-publishing errors survived so far (each one: publishing went on from the durable cursor).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>
    /// An unexpected error while publishing: said once (then every 100th), and publishing starts again from the durable
    /// cursor on this channel's thread. Nothing is lost: the events stay in the safety log until acknowledged.
    /// </summary>
    private void Failed(Exception ex)
    {
        long n = Interlocked.Increment(ref _errors);
        Volatile.Write(ref _failed, 1);
        _wake.Set();
        if (n == 1 || n % 100 == 0)
            _log($"MQTT: safety event publishing failed ({ex.GetType().Name}: {ex.Message}; {n} so far); going on from the safety cursor");
    }

    private sealed class Observer(SafetyEventPublisher p) : ILinkObserver
    {
        public void OnConnected(bool first, bool afterOutage, double outageS) => p.OnConnected(); // from the cursor again
        public void OnDisconnected() { }
        public void OnAcked(int messageId) => p.OnAcked(messageId);
    }
}
