using Rt.Core.Concurrency;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// The non-real-time thread behind the durable safety log: drains the supervisor's <see cref="SafetyEvent"/> ring,
/// appends and fsyncs each batch (<see cref="SafetyLogWriter"/>), then fans the events out (to telemetry, say)
/// through an optional callback and/or a second ring, and writes the flight recorder to disk when a trip asked for it.
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
    public SafetyLog(string path, SpscRing<SafetyEvent> events, FlightRecorder? recorder = null, string? flightDirectory = null,
        Action<SafetyEvent>? forward = null, SpscRing<SafetyEvent>? forwardRing = null, TimeSpan? pollInterval = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        _events = events;
        _writer = new SafetyLogWriter(path);
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
    public int DrainOnce()
    {
        int n = 0;
        long wall = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        Span<SafetyEvent> batch = stackalloc SafetyEvent[64];
        while (true)
        {
            int k = 0;
            while (k < batch.Length && _events.TryPop(out var e)) batch[k++] = e;
            if (k == 0) break;
            for (int i = 0; i < k; i++) _writer.Append(batch[i], wall);
            _writer.Flush(); // durable before anyone else hears of it
            for (int i = 0; i < k; i++)
            {
                _forwardRing?.TryPush(batch[i]);
                _forward?.Invoke(batch[i]);
            }
            n += k;
            Interlocked.Add(ref _written, k);
        }
        if (_recorder is not null)
        {
            string? dump = _recorder.TryDump(_flightDirectory);
            if (dump is not null) lock (_dumps) _dumps.Add(dump);
        }
        return n;
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
