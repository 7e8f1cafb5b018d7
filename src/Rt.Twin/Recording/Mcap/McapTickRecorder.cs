using Rt.Core.Concurrency;
using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Twin.Recording.Mcap;

/// <summary>
/// Records every tick to an MCAP file (<see cref="McapTickWriter"/>) without touching the disk, the serialiser or
/// the allocator on the real-time thread: <see cref="Enqueue"/> copies the tick into a preallocated
/// <see cref="SpscSlotRing"/> slot exactly as <see cref="TickRecorder"/> does; the writer thread drains the ring and
/// serialises. Supervisor events arrive from the safety log's thread through <see cref="AddSafetyEvent"/> (their own
/// SPSC ring). A full ring drops and counts (<see cref="Dropped"/>), never waits. Construction and Dispose are not
/// real-time safe; <see cref="Enqueue"/> is.
/// </summary>
public sealed class McapTickRecorder : ITickRecorder
{
    private readonly SpscSlotRing _ring;
    private readonly SpscRing<SafetyEvent> _events = new(1024);
    private readonly RecordLayout _layout;
    private readonly McapTickWriter _writer;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private bool _disposed;
    private long _written;

    /// <summary>Not real-time safe: creates the file, writes the schemas and channels, starts the writer thread.</summary>
    /// <param name="robotDescription">The URDF text for /robot_description, or null.</param>
    /// <param name="capacity">Ring slots (ticks of slack for the writer), rounded up to a power of two.</param>
    public McapTickRecorder(string path, string robot, ChannelLayout channels, long periodNs, string? robotDescription, int capacity = 8192)
    {
        _layout = new RecordLayout(channels);
        _ring = new SpscSlotRing(capacity, _layout.Width);
        _writer = new McapTickWriter(path, robot, _layout, periodNs, robotDescription);
        _thread = new Thread(Drain) { IsBackground = true, Name = "rt-recorder", Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    public RecordLayout Layout => _layout;
    public string Path => _writer.Path;

    /// <summary>Ticks and safety events refused because a ring was full.</summary>
    public long Dropped => _ring.Dropped + _events.Dropped;

    public long Written => Interlocked.Read(ref _written);

    public Exception? Error { get; private set; }

    /// <summary>Bytes in the file so far (writer side; final after Dispose).</summary>
    public long Bytes => _writer.Bytes;

    /// <summary>Real-time safe, allocation-free: one slot copy; drops (and counts) when the ring is full.</summary>
    public void Enqueue(TickState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var slot = _ring.TryBeginWrite(state.Tick);
        if (slot.IsEmpty) return;
        _layout.Fill(state, slot);
        _ring.CommitWrite();
    }

    /// <summary>Real-time safe (one ring push); call from a single thread (the safety log's forwarder).</summary>
    public void AddSafetyEvent(SafetyEvent e) => _events.TryPush(e);

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
                while (_events.TryPop(out var e))
                {
                    _writer.WriteSafetyEvent(e);
                    n++;
                }
                if (stopping) break;
                if (n == 0) Thread.Sleep(2);
            }
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

    /// <summary>Not real-time safe: drains the rings, writes the summary and footer, closes the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stopping = true;
        _thread.Join();
        try
        {
            _writer.Dispose();
        }
        catch (IOException e)
        {
            Error ??= e;
        }
    }
}
