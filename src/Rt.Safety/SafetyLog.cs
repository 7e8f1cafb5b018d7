using Rt.Core.Concurrency;
using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// The non-real-time thread behind the durable safety log: drains the supervisor's <see cref="SafetyEvent"/> ring,
/// appends and fsyncs each batch (<see cref="SafetyLogWriter"/>), then fans the events out (to telemetry, say)
/// through an optional callback and/or a second ring, and writes the flight recorder to disk when a trip asked for it.
/// A session's first record is the policy digest it runs. Events the supervisor could not push (the ring's
/// <see cref="SpscRing{T}.Dropped"/> count; each one already stopped motion) are recorded as a
/// <see cref="FaultCode.SafetyEventLost"/> record carrying the number lost, so a loss is never silent.
/// Not real-time safe; runs beside the tick, never in it.
/// </summary>
public sealed class SafetyLog : IDisposable
{
    private readonly SpscRing<SafetyEvent> _events;
    private readonly SafetyLogWriter _writer;
    private readonly FlightRecorder? _recorder;
    private readonly string _flightDirectory;
    private readonly Action<SafetyEvent>? _forward;
    private readonly SpscRing<SafetyEvent>? _forwardRing;
    private readonly TimeSpan _poll;
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly List<string> _dumps = [];
    private Thread? _thread;
    private Exception? _failure;

    /// <param name="path">Log file (appended to).</param>
    /// <param name="events">The supervisor's event ring (this thread is its only consumer).</param>
    /// <param name="recorder">Flight recorder to dump on trips, or null.</param>
    /// <param name="flightDirectory">Where flight recordings go; default: the log's folder.</param>
    /// <param name="forward">Called on this thread for every event after it is durable (e.g. telemetry).</param>
    /// <param name="forwardRing">Every event is also pushed here after it is durable (dropped if full, counted by the ring).</param>
    /// <param name="pollInterval">How often to drain; default 5 ms.</param>
    /// <param name="policyDigest">The session's <see cref="SafetyPolicy.Digest"/>: written (and fsynced) now, as the session's first record.</param>
    public SafetyLog(string path, SpscRing<SafetyEvent> events, FlightRecorder? recorder = null, string? flightDirectory = null,
        Action<SafetyEvent>? forward = null, SpscRing<SafetyEvent>? forwardRing = null, TimeSpan? pollInterval = null,
        string? policyDigest = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        _events = events;
        _writer = new SafetyLogWriter(path);
        if (!string.IsNullOrEmpty(policyDigest))
        {
            _writer.AppendSession(policyDigest, WallNs());
            _writer.Flush();
        }
        _recorder = recorder;
        _flightDirectory = flightDirectory ?? Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        _forward = forward;
        _forwardRing = forwardRing;
        _poll = pollInterval ?? TimeSpan.FromMilliseconds(5);
    }

    /// <summary>Events made durable so far.</summary>
    public long Written => Interlocked.Read(ref _written);
    private long _written;

    /// <summary>Flight recordings written so far (paths).</summary>
    public IReadOnlyList<string> FlightRecordings { get { lock (_dumps) return [.. _dumps]; } }

    /// <summary>The exception that stopped the thread, if any (a full disk, say); the host should stop the robot.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public void Start()
    {
        if (_thread is not null) return;
        _thread = new Thread(Run) { IsBackground = true, Name = "rt-safety-log", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Drains everything pending now (also usable without the thread, e.g. in tests and at shutdown).</summary>
    /// <summary>Events the supervisor lost (ring full) that this log has recorded as a loss record.</summary>
    public long LossesRecorded => Interlocked.Read(ref _lossesRecorded);
    private long _lossesRecorded;
    private long _lastTick;

    private static long WallNs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;

    public int DrainOnce()
    {
        int n = 0;
        long wall = WallNs();
        Span<SafetyEvent> batch = stackalloc SafetyEvent[64];
        while (true)
        {
            int k = 0;
            while (k < batch.Length && _events.TryPop(out var e)) batch[k++] = e;
            if (k == 0) break;
            for (int i = 0; i < k; i++) _writer.Append(batch[i], wall);
            _lastTick = batch[k - 1].Tick;
            _writer.Flush(); // durable before anyone else hears of it
            for (int i = 0; i < k; i++)
            {
                _forwardRing?.TryPush(batch[i]);
                _forward?.Invoke(batch[i]);
            }
            n += k;
            Interlocked.Add(ref _written, k);
        }
        RecordLosses(wall);
        if (_recorder is not null)
        {
            string? dump = _recorder.TryDump(_flightDirectory);
            if (dump is not null) lock (_dumps) _dumps.Add(dump);
        }
        return n;
    }

    /// <summary>
    /// The supervisor's pushes that did not fit: one record (id 0, from/to Faulted, reaction Cat 0, value = events lost
    /// since the last such record, threshold = the ring's capacity) after the events that did fit.
    /// </summary>
    private void RecordLosses(long wall)
    {
        long dropped = _events.Dropped;
        long recorded = Interlocked.Read(ref _lossesRecorded);
        if (dropped <= recorded) return;
        var loss = new SafetyEvent(0, _lastTick, 0, SafetyState.Faulted, SafetyState.Faulted, FaultCode.SafetyEventLost, -1,
            StopCategory.Cat0, dropped - recorded, _events.Capacity);
        _writer.Append(loss, wall);
        _writer.Flush();
        Interlocked.Exchange(ref _lossesRecorded, dropped);
        _forwardRing?.TryPush(loss);
        _forward?.Invoke(loss);
    }

    private void Run()
    {
        try
        {
            while (!_stop.Wait(_poll)) DrainOnce();
            DrainOnce();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Volatile.Write(ref _failure, ex);
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread?.Join();
        if (_thread is null) DrainOnce();
        _writer.Dispose();
        _stop.Dispose();
    }
}
