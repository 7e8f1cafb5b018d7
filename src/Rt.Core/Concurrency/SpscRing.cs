using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rt.Core.Concurrency;

/// <summary>
/// Lock-free single-producer/single-consumer ring of unmanaged values, sized once at construction.
/// The producer (the real-time tick) calls <see cref="TryPush"/>: wait-free, no allocation; when the ring is full
/// the value is not written and <see cref="Dropped"/> counts it, so the tick never waits on a slow consumer.
/// The consumer (a non-real-time thread) calls <see cref="TryPop"/>.
/// Capacity is rounded up to a power of two so indices wrap with a mask.
/// </summary>
public sealed class SpscRing<T> where T : unmanaged
{
    private readonly T[] _slots;
    private readonly long _mask;
    private PaddedLong _head; // next slot the producer writes; written only by the producer
    private PaddedLong _tail; // next slot the consumer reads; written only by the consumer
    private long _dropped;

    public SpscRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _slots = GC.AllocateArray<T>(size, pinned: true);
        _mask = size - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>Values refused because the ring was full (producer side count).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    public int Count => (int)(Volatile.Read(ref _head.Value) - Volatile.Read(ref _tail.Value));

    /// <summary>Real-time safe. Producer only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPush(in T value)
    {
        long head = _head.Value;
        if (head - Volatile.Read(ref _tail.Value) >= _slots.Length)
        {
            _dropped++;
            return false;
        }
        _slots[head & _mask] = value;
        Volatile.Write(ref _head.Value, head + 1); // release: the slot is visible before the index moves
        return true;
    }

    /// <summary>Consumer only.</summary>
    public bool TryPop(out T value)
    {
        long tail = _tail.Value;
        if (tail == Volatile.Read(ref _head.Value))
        {
            value = default;
            return false;
        }
        value = _slots[tail & _mask];
        Volatile.Write(ref _tail.Value, tail + 1);
        return true;
    }
}

/// <summary>
/// A ring index on its own cache line (plus the adjacent line, for the prefetcher) so producer and consumer indices
/// do not false-share. Outside the generic ring because a generic type cannot have explicit layout.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedLong
{
    [FieldOffset(64)] public long Value;
}

/// <summary>
/// SPSC ring of fixed-width slots of doubles plus a tick header, for records whose width is known only at start
/// (e.g. a divergence record: one score per channel). The producer fills a slot in place through
/// <see cref="TryBeginWrite"/>/<see cref="CommitWrite"/>; nothing is allocated after construction.
/// </summary>
public sealed class SpscSlotRing
{
    private readonly double[] _data;
    private readonly long[] _ticks;
    private readonly long _mask;
    private readonly int _width;
    private PaddedLong _head;
    private PaddedLong _tail;
    private long _dropped;

    public SpscSlotRing(int capacity, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _data = GC.AllocateArray<double>(size * width, pinned: true);
        _ticks = GC.AllocateArray<long>(size, pinned: true);
        _mask = size - 1;
        _width = width;
    }

    public int Width => _width;
    public int Capacity => _ticks.Length;
    public long Dropped => Volatile.Read(ref _dropped);
    public int Count => (int)(Volatile.Read(ref _head.Value) - Volatile.Read(ref _tail.Value));

    /// <summary>Real-time safe. Producer only. Returns an empty span (and counts a drop) when full.</summary>
    public Span<double> TryBeginWrite(long tick)
    {
        long head = _head.Value;
        if (head - Volatile.Read(ref _tail.Value) >= _ticks.Length)
        {
            _dropped++;
            return Span<double>.Empty;
        }
        long slot = head & _mask;
        _ticks[slot] = tick;
        return _data.AsSpan((int)slot * _width, _width);
    }

    /// <summary>Publishes the slot returned by the last successful <see cref="TryBeginWrite"/>.</summary>
    public void CommitWrite() => Volatile.Write(ref _head.Value, _head.Value + 1);

    /// <summary>Consumer only: copies the oldest slot out.</summary>
    public bool TryRead(out long tick, Span<double> destination)
    {
        long tail = _tail.Value;
        if (tail == Volatile.Read(ref _head.Value))
        {
            tick = 0;
            return false;
        }
        long slot = tail & _mask;
        tick = _ticks[slot];
        _data.AsSpan((int)slot * _width, _width).CopyTo(destination);
        Volatile.Write(ref _tail.Value, tail + 1);
        return true;
    }
}
