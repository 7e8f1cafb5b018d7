using System.Runtime.CompilerServices;

namespace Rt.Core.Concurrency;

/// <summary>
/// One value written by one thread (the tick) and read by any other without a lock (a seqlock): the writer never waits,
/// a reader retries while a write is under way. For a status struct larger than a word that a socket or UI thread reads
/// while the tick keeps writing it. The writer's full fence after the odd sequence number keeps the value's stores from
/// becoming visible before it on weakly ordered CPUs (arm64); on x64 it costs one locked instruction per write.
/// </summary>
public sealed class SeqLockSlot<T> where T : struct
{
    private long _seq;
    private T _value;

    /// <summary>Real-time safe (no allocation, no wait). Single writer only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(in T value)
    {
        long seq = _seq;
        Volatile.Write(ref _seq, seq + 1); // odd: writing
        Interlocked.MemoryBarrier();
        _value = value;
        Volatile.Write(ref _seq, seq + 2);
    }

    /// <summary>Thread-safe, lock-free; spins only while the writer is inside <see cref="Write"/>. Not for the tick.</summary>
    public T Read()
    {
        while (true)
        {
            long s1 = Volatile.Read(ref _seq);
            if ((s1 & 1) != 0) { Thread.SpinWait(1); continue; }
            var value = _value;
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _seq) == s1) return value;
        }
    }
}
