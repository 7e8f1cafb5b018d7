using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.Link;

namespace Rt.Drivers.Capture;

/// <summary>
/// Decorates a link and records every frame sent and received. On the tick path frames are only copied into a
/// preallocated ring of slots (no I/O, no allocation; when the ring is full the frame is counted in
/// <see cref="Dropped"/> instead of blocking). <see cref="Drain"/> writes the queued frames to the pcapng file and must
/// be called off the real-time thread — by the caller (non-RT scans and tests: after each step) or by the background
/// writer started with <see cref="StartBackgroundWriter"/>. Timestamps come from the injected time source.
/// TrySend/TryReceive: real-time safe. Drain/Dispose: not real-time safe.
/// </summary>
public sealed class CapturingLink : IEthernetLink
{
    private readonly IEthernetLink _inner;
    private readonly PcapngWriter _writer;
    private readonly Func<long> _timeNs;
    private readonly byte[][] _slots;
    private readonly int[] _lengths;
    private readonly long[] _times;
    private readonly FrameDirection[] _directions;
    private long _head; // written by the producer (tick thread)
    private long _tail; // written by the consumer (drain)
    private Thread? _thread;
    private volatile bool _stop;
    private bool _disposed;

    public CapturingLink(IEthernetLink inner, PcapngWriter writer, Func<long> timeNs, int ringSlots = 4096)
    {
        _inner = inner;
        _writer = writer;
        _timeNs = timeNs;
        _slots = new byte[ringSlots][];
        for (int i = 0; i < ringSlots; i++) _slots[i] = new byte[FrameLayout.MaximumFrameLength];
        _lengths = new int[ringSlots];
        _times = new long[ringSlots];
        _directions = new FrameDirection[ringSlots];
    }

    /// <summary>Frames that did not fit in the ring and are missing from the capture.</summary>
    public long Dropped { get; private set; }

    public bool IsUp => _inner.IsUp;
    public ReadOnlySpan<byte> MacAddress => _inner.MacAddress;
    public Rt.Core.Time.IMonotonicClock Clock => _inner.Clock;

    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        bool ok = _inner.TrySend(frame);
        if (ok) Record(frame, FrameDirection.Outbound);
        return ok;
    }

    public int TryReceive(Span<byte> buffer)
    {
        int n = _inner.TryReceive(buffer);
        if (n > 0) Record(buffer[..n], FrameDirection.Inbound);
        return n;
    }

    private void Record(ReadOnlySpan<byte> frame, FrameDirection direction)
    {
        long head = Volatile.Read(ref _head);
        if (head - Volatile.Read(ref _tail) >= _slots.Length)
        {
            Dropped++;
            return;
        }
        int slot = (int)(head % _slots.Length);
        int n = Math.Min(frame.Length, FrameLayout.MaximumFrameLength);
        frame[..n].CopyTo(_slots[slot]);
        _lengths[slot] = n;
        _times[slot] = _timeNs();
        _directions[slot] = direction;
        Volatile.Write(ref _head, head + 1);
    }

    /// <summary>Writes every queued frame to the pcapng file. Not real-time safe; call from one thread only.</summary>
    public int Drain()
    {
        int written = 0;
        long tail = Volatile.Read(ref _tail);
        long head = Volatile.Read(ref _head);
        while (tail < head)
        {
            int slot = (int)(tail % _slots.Length);
            _writer.WriteFrame(_slots[slot].AsSpan(0, _lengths[slot]), _times[slot], _directions[slot]);
            tail++;
            written++;
            Volatile.Write(ref _tail, tail);
        }
        return written;
    }

    /// <summary>Starts a background thread that drains the ring every <paramref name="periodMs"/>. Not real-time safe.</summary>
    public void StartBackgroundWriter(int periodMs = 10)
    {
        if (_thread is not null) return;
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                Drain();
                Thread.Sleep(periodMs);
            }
            Drain();
        }) { IsBackground = true, Name = "pcapng writer", Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    /// <summary>Stops the background writer (if any), drains the ring and flushes the file; disposes the inner link and the writer. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop = true;
        _thread?.Join();
        Drain();
        _writer.Dispose();
        _inner.Dispose();
    }
}
