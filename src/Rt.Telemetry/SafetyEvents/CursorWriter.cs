namespace Rt.Telemetry.SafetyEvents;

/// <summary>
/// Stores the safety cursor on its own thread ("rt-telemetry-cursor"), at most once per
/// <see cref="TelemetryOptions.CursorSaveIntervalS"/>, always the newest state offered. Why: each save is a temporary
/// file, an fsync, a rename and a folder fsync (~1 ms of CPU and, on a busy disk, tens of ms of waiting); done on the
/// safety publisher's thread for every acknowledgement it cost half of that thread's CPU and held back the next
/// event while the disk was slow. A later save only means that after a crash a few more acknowledged events go again
/// (receivers de-duplicate by run and id): never one lost, since the cursor only ever names acknowledged events.
/// <see cref="Close"/> stores the last state before the service stops. Not real-time safe.
/// </summary>
internal sealed class CursorWriter : IDisposable
{
    private readonly SafetyCursor _file;
    private readonly TimeSpan _interval;
    private readonly Action<string> _log;
    private readonly AutoResetEvent _wake = new(false);
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Lock _gate = new();
    private SafetyCursorState _latest;
    private bool _pending;
    private long _savedPosition, _saves, _cpuNs;
    private Thread? _thread;
    private bool _failed;

    public CursorWriter(SafetyCursor file, TimeSpan interval, Action<string> log, long savedPosition)
    {
        _file = file;
        _interval = interval;
        _log = log;
        _savedPosition = savedPosition;
    }

    /// <summary>Before the first save: the position of the cursor loaded from disk.</summary>
    public void Loaded(long position) => Volatile.Write(ref _savedPosition, position);

    /// <summary>Any thread: the position of the cursor on disk (events before it are acknowledged and stay so after a restart).</summary>
    public long SavedPosition => Volatile.Read(ref _savedPosition);

    /// <summary>Cursor files written so far.</summary>
    public long Saves => Interlocked.Read(ref _saves);

    /// <summary>CPU time of the writer thread so far, ns.</summary>
    public long CpuNs => Interlocked.Read(ref _cpuNs);

    /// <summary>Any thread, never waits on the disk: <paramref name="state"/> is the newest cursor to store.</summary>
    public void Offer(in SafetyCursorState state)
    {
        if (_stop.IsSet) return; // after Close: the events go again after a restart, never lost
        lock (_gate)
        {
            _latest = state;
            _pending = true;
        }
        if (_thread is null)
        {
            _thread = new Thread(Main) { IsBackground = true, Name = "rt-telemetry-cursor" };
            _thread.Start();
        }
        _wake.Set();
    }

    /// <summary>Stops the thread and stores what is still pending on the calling thread (shutdown).</summary>
    public void Close()
    {
        _stop.Set();
        _wake.Set();
        if (_thread is not null && !_thread.Join(TimeSpan.FromSeconds(10))) _log("MQTT: safety cursor writer did not stop within 10 s");
        SavePending();
    }

    public void Dispose()
    {
        Close();
        _wake.Dispose();
        _stop.Dispose();
    }

    private void Main()
    {
        NonRealtimeThread.Apply();
        while (!_stop.IsSet)
        {
            _wake.WaitOne();
            if (_stop.IsSet) break;
            SavePending();
            Interlocked.Exchange(ref _cpuNs, NonRealtimeThread.ThreadCpuNs());
            _stop.Wait(_interval); // at most one save per interval; what arrives meanwhile is saved next, newest only
        }
        Interlocked.Exchange(ref _cpuNs, NonRealtimeThread.ThreadCpuNs());
    }

    private void SavePending()
    {
        SafetyCursorState s;
        lock (_gate)
        {
            if (!_pending) return;
            s = _latest;
            _pending = false;
        }
        try
        {
            _file.Save(s);
            Volatile.Write(ref _savedPosition, s.Position);
            Interlocked.Increment(ref _saves);
            _failed = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The events stay after the old cursor and go again after a restart: said once per failing spell.
            if (!_failed) _log($"MQTT: cannot store the safety cursor {_file.FilePath}: {e.Message}; acknowledged events will be published again after a restart");
            _failed = true;
        }
    }
}
