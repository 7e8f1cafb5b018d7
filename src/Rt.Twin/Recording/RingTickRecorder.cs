using Rt.Core.Concurrency;
using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Twin.Recording;

/// <summary>
/// What every tick recorder shares: <see cref="Enqueue"/> copies the tick into a preallocated <see cref="SpscSlotRing"/>
/// slot on the real-time thread; a background thread drains the ring into the format's writer (<see cref="WriteTick"/>).
/// A full ring drops and counts (<see cref="Dropped"/>), never waits. An I/O error stops the writer thread and is kept
/// in <see cref="Error"/>. Construction, <see cref="Start"/> and Dispose are not real-time safe; <see cref="Enqueue"/> is.
/// </summary>
public abstract class RingTickRecorder : ITickRecorder
{
    private readonly SpscSlotRing _ring;
    private readonly RecordLayout _layout;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private bool _started;
    private bool _disposed;
    private long _written;

    /// <param name="capacity">Ring slots (ticks of slack for the writer), rounded up to a power of two.</param>
    protected RingTickRecorder(ChannelLayout channels, int capacity)
    {
        _layout = new RecordLayout(channels);
        _ring = new SpscSlotRing(capacity, _layout.Width);
        _thread = new Thread(Drain) { IsBackground = true, Name = "rt-recorder", Priority = ThreadPriority.BelowNormal };
    }

    public RecordLayout Layout => _layout;

    public abstract string Path { get; }

    /// <summary>Ticks refused because the ring was full (plus whatever else the format queues and drops).</summary>
    public virtual long Dropped => _ring.Dropped;

    /// <summary>Records written so far (writer side).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>The I/O error that stopped the writer thread, if any (the recording is then incomplete).</summary>
    public Exception? Error { get; private set; }

    /// <summary>Not real-time safe: starts the writer thread; the derived constructor calls it once its writer exists.</summary>
    protected void Start()
    {
        _started = true;
        _thread.Start();
    }

    /// <summary>Real-time safe, allocation-free: one slot copy; drops (and counts) when the ring is full.</summary>
    public void Enqueue(TickState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var slot = _ring.TryBeginWrite(state.Tick);
        if (slot.IsEmpty) return;
        _layout.Fill(state, slot);
        _ring.CommitWrite();
    }

    /// <summary>Writer thread: one drained tick to the file.</summary>
    protected abstract void WriteTick(long tick, double[] record);

    /// <summary>Writer thread: anything else the format queues (e.g. safety events); returns how many it wrote.</summary>
    protected virtual int DrainOther() => 0;

    /// <summary>Writer thread, after the last drain: flush what the format buffers.</summary>
    protected virtual void Finish()
    {
    }

    /// <summary>Not real-time safe: closes the format's writer after the thread has drained and stopped.</summary>
    protected abstract void CloseWriter();

    private void Drain()
    {
        var buffer = new double[_layout.Width];
        try
        {
            while (true)
            {
                bool stopping = _stopping; // read before draining so nothing committed before Dispose is missed
                int n = 0;
                while (_ring.TryRead(out long tick, buffer))
                {
                    WriteTick(tick, buffer);
                    Interlocked.Increment(ref _written);
                    n++;
                }
                n += DrainOther();
                if (stopping) break;
                if (n == 0) Thread.Sleep(2);
            }
            Finish();
        }
        catch (IOException e)
        {
            Error = e;
        }
        catch (UnauthorizedAccessException e)
        {
            Error = e;
        }
    }

    /// <summary>Not real-time safe: waits for the writer thread to drain the ring, then closes the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stopping = true;
        if (_started) _thread.Join();
        try
        {
            CloseWriter();
        }
        catch (IOException e)
        {
            Error ??= e;
        }
        GC.SuppressFinalize(this);
    }
}
