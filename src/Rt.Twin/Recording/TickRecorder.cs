using Rt.Core.Concurrency;
using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Twin.Recording;

/// <summary>
/// Records every tick to a file without touching the disk on the real-time thread: <see cref="Enqueue"/> copies the
/// tick into a preallocated <see cref="SpscSlotRing"/> slot; a background thread drains the ring into a
/// <see cref="TickRecordingWriter"/>. When the writer falls behind the ring fills and ticks are dropped (counted in
/// <see cref="Dropped"/>), never waited for. Dispose drains what is queued, flushes and closes.
/// Construction and Dispose are not real-time safe; <see cref="Enqueue"/> is.
/// </summary>
public sealed class TickRecorder : ITickRecorder
{
    private readonly SpscSlotRing _ring;
    private readonly RecordLayout _layout;
    private readonly TickRecordingWriter _writer;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private bool _disposed;
    private long _written;

    /// <summary>Not real-time safe: creates the file, writes the header and starts the writer thread.</summary>
    /// <param name="capacity">Ring slots (ticks of slack for the disk), rounded up to a power of two.</param>
    public TickRecorder(string path, string robot, ChannelLayout channels, long periodNs, int capacity = 8192)
    {
        _layout = new RecordLayout(channels);
        _ring = new SpscSlotRing(capacity, _layout.Width);
        _writer = new TickRecordingWriter(path, robot, _layout, periodNs);
        _thread = new Thread(Drain) { IsBackground = true, Name = "rt-recorder", Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    public RecordLayout Layout => _layout;
    public string Path => _writer.Path;

    /// <summary>Ticks refused because the ring was full.</summary>
    public long Dropped => _ring.Dropped;

    /// <summary>Records written to the file so far (writer side).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>The I/O error that stopped the writer thread, if any (the recording is then incomplete).</summary>
    public Exception? Error { get; private set; }

    /// <summary>Real-time safe, allocation-free: one slot copy; drops (and counts) when the ring is full.</summary>
    public void Enqueue(TickState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var slot = _ring.TryBeginWrite(state.Tick);
        if (slot.IsEmpty) return;
        _layout.Fill(state, slot);
        _ring.CommitWrite();
    }

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
                    _writer.Append(tick, buffer);
                    Interlocked.Increment(ref _written);
                    n++;
                }
                if (stopping) break;
                if (n == 0) Thread.Sleep(2);
            }
            _writer.Flush();
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

    /// <summary>Not real-time safe: waits for the writer to drain the ring, then flushes and closes the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stopping = true;
        _thread.Join();
        _writer.Dispose();
    }
}
