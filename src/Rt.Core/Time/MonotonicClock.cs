using System.Runtime.InteropServices;

namespace Rt.Core.Time;

/// <summary>
/// A monotonic time source in nanoseconds, injected wherever something waits with a timeout: real runs read
/// CLOCK_MONOTONIC (<see cref="MonotonicClock"/>), lockstep and test runs a clock they advance themselves
/// (<see cref="ManualClock"/>), so a timeout is a duration, never a count of polls, and lockstep runs repeat bit for bit.
/// Implementations are real-time safe: reading <see cref="NowNs"/> never allocates, blocks or throws.
/// </summary>
public interface IMonotonicClock
{
    /// <summary>Nanoseconds on this clock's monotonic time line (arbitrary origin).</summary>
    long NowNs { get; }
}

/// <summary>CLOCK_MONOTONIC through clock_gettime (a vDSO call, no syscall on x86-64/arm64). Real-time safe.</summary>
public sealed partial class MonotonicClock : IMonotonicClock
{
    private const int ClockMonotonic = 1;

    /// <summary>The one instance (the clock has no state).</summary>
    public static MonotonicClock Instance { get; } = new();

    private MonotonicClock() { }

    public long NowNs
    {
        get
        {
            clock_gettime(ClockMonotonic, out var ts);
            return ts.Seconds * 1_000_000_000L + ts.Nanoseconds;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc")]
    private static partial int clock_gettime(int clockId, out Timespec ts);
}

/// <summary>
/// A clock that moves only when told to: tests and lockstep runs own the time line. Optionally advances by
/// <see cref="AutoAdvanceNs"/> on every read, so a bounded wait on it ends after a known number of reads.
/// Real-time safe; not thread-safe (one owner thread).
/// </summary>
public sealed class ManualClock(long startNs = 0) : IMonotonicClock
{
    private long _now = startNs;

    /// <summary>Nanoseconds added after each read of <see cref="NowNs"/> (0 = time stands still until <see cref="Advance"/>).</summary>
    public long AutoAdvanceNs { get; set; }

    /// <summary>Reads of <see cref="NowNs"/> so far.</summary>
    public long Reads { get; private set; }

    public long NowNs
    {
        get
        {
            Reads++;
            long now = _now;
            _now += AutoAdvanceNs;
            return now;
        }
    }

    /// <summary>Moves the clock forward by <paramref name="ns"/> (ignored if negative: the clock is monotonic).</summary>
    public void Advance(long ns)
    {
        if (ns > 0) _now += ns;
    }

    /// <summary>Current time without counting a read or auto-advancing.</summary>
    public long Peek => _now;
}
