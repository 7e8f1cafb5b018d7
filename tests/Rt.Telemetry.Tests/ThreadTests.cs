using System.Runtime.InteropServices;
using Rt.Perf;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>The MQTT threads must not inherit a real-time caller's SCHED_FIFO priority or CPU pinning.</summary>
public sealed partial class ThreadTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("threads");

    [Fact]
    public void Started_from_a_pinned_fifo_thread_the_publisher_and_the_runtime_threads_doing_network_io_are_ordinary()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var log = new Fixtures.Log(output);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir), Fixtures.Layout(), "r1", log.Add, Fixtures.FastOptions);
        Exception? failure = null;
        int callerPolicy = -1;
        var caller = new Thread(() =>
        {
            try
            {
                // Make this thread look like the tick: SCHED_FIFO 10, pinned to CPU 0.
                int prio = 10;
                unsafe
                {
                    Assert.Equal(0, SchedSetScheduler(0, 1 /* SCHED_FIFO */, &prio));
                    ulong mask = 1;
                    Assert.Equal(0, SchedSetAffinity(0, sizeof(ulong), &mask));
                }
                callerPolicy = SchedGetScheduler(0);
                svc.Start();
            }
            catch (Exception e) { failure = e; }
        });
        caller.Start();
        caller.Join();
        Assert.Null(failure);
        Assert.Equal(1, callerPolicy);
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)));

        // The publisher ("rt-telemetry") and the runtime's threads MQTTnet's network I/O runs on (thread-pool workers
        // ".NET TP Worker", the socket engine ".NET SocketEngine", timers): none may have inherited the caller's setting.
        var threads = Directory.GetDirectories("/proc/self/task")
            .Select(t => (Tid: int.Parse(Path.GetFileName(t), System.Globalization.CultureInfo.InvariantCulture), Name: Comm(t)))
            // "rt-telemetry-sa…": the safety publisher thread (comm is cut at 15 characters), when there is a safety log.
            .Where(t => t.Name.StartsWith("rt-telemetry", StringComparison.Ordinal) || t.Name.StartsWith(".NET", StringComparison.Ordinal)).ToList();
        Assert.Contains(threads, t => t.Name == "rt-telemetry");
        Assert.Contains(threads, t => t.Name.StartsWith(".NET Sock", StringComparison.Ordinal) || t.Name.StartsWith(".NET TP", StringComparison.Ordinal));
        var tids = threads.Select(t => t.Tid).ToList();
        foreach (int tid in tids)
        {
            int policy = SchedGetScheduler(tid);
            ulong mask = 0;
            int affinity;
            unsafe { affinity = SchedGetAffinity(tid, sizeof(ulong), &mask); }
            if ((policy < 0 || affinity != 0) && !Directory.Exists($"/proc/self/task/{tid}")) continue; // a pool thread that ended meanwhile
            Assert.Equal(0 /* SCHED_OTHER */, policy);
            Assert.Equal(0, affinity);
            ulong all = (1UL << Environment.ProcessorCount) - 1;
            Assert.Equal(all, mask & all);
        }
    }

    /// <summary>A thread's name, or "" when it ended between the listing and the read (the pool retires idle workers).</summary>
    private static string Comm(string task)
    {
        try { return File.ReadAllText(Path.Combine(task, "comm")).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler")]
    private static unsafe partial int SchedSetScheduler(int pid, int policy, int* param);

    [LibraryImport("libc", EntryPoint = "sched_getscheduler")]
    private static partial int SchedGetScheduler(int pid);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
    private static unsafe partial int SchedSetAffinity(int pid, nuint size, ulong* mask);

    [LibraryImport("libc", EntryPoint = "sched_getaffinity")]
    private static unsafe partial int SchedGetAffinity(int pid, nuint size, ulong* mask);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
