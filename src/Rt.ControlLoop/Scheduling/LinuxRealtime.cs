using System.Runtime.InteropServices;

namespace Rt.ControlLoop.Scheduling;

/// <summary>
/// The few Linux calls a real-time thread needs, through libc. <see cref="NowNs"/> and <see cref="SleepUntil"/> are
/// real-time safe; the privilege calls are made once, at thread start.
/// </summary>
internal static partial class LinuxRealtime
{
    public const int ClockMonotonic = 1;
    private const int TimerAbstime = 1;
    private const int SchedFifo = 1;
    private const int McCurrent = 1;
    private const int McFuture = 2;
    private const int Eintr = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int clock_gettime(int clockId, out Timespec ts);

    // Returns the error number directly (not -1/errno).
    [LibraryImport("libc")]
    private static partial int clock_nanosleep(int clockId, int flags, in Timespec request, IntPtr remain);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, in int priority);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nuint cpusetsize, in ulong mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mlockall(int flags);

    /// <summary>CLOCK_MONOTONIC in nanoseconds. Real-time safe.</summary>
    public static long NowNs()
    {
        clock_gettime(ClockMonotonic, out var ts);
        return ts.Seconds * 1_000_000_000L + ts.Nanoseconds;
    }

    /// <summary>Sleeps until the absolute CLOCK_MONOTONIC time <paramref name="deadlineNs"/>. Real-time safe.</summary>
    public static void SleepUntil(long deadlineNs)
    {
        var ts = new Timespec { Seconds = deadlineNs / 1_000_000_000L, Nanoseconds = deadlineNs % 1_000_000_000L };
        while (clock_nanosleep(ClockMonotonic, TimerAbstime, ts, IntPtr.Zero) == Eintr)
        {
            // A signal woke us early; the deadline is absolute, so simply sleep again.
        }
    }

    /// <summary>SCHED_FIFO at <paramref name="priority"/> for the calling thread. Returns an error text or null.</summary>
    public static string? TrySetFifo(int priority)
    {
        int p = priority;
        return sched_setscheduler(0, SchedFifo, p) == 0 ? null : Marshal.GetLastPInvokeErrorMessage();
    }

    /// <summary>Pins the calling thread to one CPU. Returns an error text or null.</summary>
    public static string? TrySetAffinity(int cpu)
    {
        if (cpu < 0 || cpu >= 64) return $"CPU {cpu} is outside 0..63";
        ulong mask = 1UL << cpu;
        return sched_setaffinity(0, sizeof(ulong), mask) == 0 ? null : Marshal.GetLastPInvokeErrorMessage();
    }

    /// <summary>Locks current and future pages in RAM so the tick never page-faults. Returns an error text or null.</summary>
    public static string? TryLockMemory() =>
        mlockall(McCurrent | McFuture) == 0 ? null : Marshal.GetLastPInvokeErrorMessage();
}
