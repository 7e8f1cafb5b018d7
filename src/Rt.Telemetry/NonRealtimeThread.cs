using System.Runtime.InteropServices;

namespace Rt.Telemetry;

/// <summary>
/// Makes the calling thread an ordinary time-shared thread on every CPU. Threads created from it (the runtime's
/// network thread) inherit affinity and scheduling policy, so they must never be started from a pinned SCHED_FIFO
/// thread. Not real-time safe.
/// </summary>
internal static unsafe partial class NonRealtimeThread
{
    public static void Apply()
    {
        Span<ulong> all = stackalloc ulong[16]; // 1024 CPUs; bits for absent CPUs are ignored by the kernel
        all.Fill(ulong.MaxValue);
        fixed (ulong* p = all) _ = SchedSetAffinity(0, (nuint)(all.Length * sizeof(ulong)), p);
        int param = 0;
        _ = SchedSetScheduler(0, 0 /* SCHED_OTHER */, &param);
    }

    /// <summary>CPU time consumed by the calling thread, ns.</summary>
    public static long ThreadCpuNs()
    {
        long* ts = stackalloc long[2];
        return ClockGetTime(3 /* CLOCK_THREAD_CPUTIME_ID */, ts) == 0 ? ts[0] * 1_000_000_000L + ts[1] : 0;
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
    private static partial int SchedSetAffinity(int pid, nuint size, ulong* mask);

    [LibraryImport("libc", EntryPoint = "sched_setscheduler")]
    private static partial int SchedSetScheduler(int pid, int policy, int* param);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, long* ts);
}
