using System.Diagnostics;
using Rt.Hil.Campaign.Realtime;
using Xunit;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests.Realtime;

public sealed class CpuHogTests
{
    [Fact]
    public void Hog_threads_spin_once_started_and_are_gone_after_stop()
    {
        using var hog = new CpuHog(threads: 2, cpu: 0);
        Assert.False(hog.Running);
        Assert.Equal(0, hog.Spins);
        hog.Start();
        Assert.True(hog.Running);
        // Wait for the condition (both threads spinning and counting), bounded, not a fixed sleep.
        var sw = Stopwatch.StartNew();
        while ((hog.Spinning < 2 || hog.Spins < 1000) && sw.Elapsed < TimeSpan.FromSeconds(10)) Thread.Yield();
        Assert.Equal(2, hog.Spinning);
        Assert.True(hog.Spins >= 1000, $"spins {hog.Spins}");
        Assert.Empty(hog.Refused); // CPU 0 always exists

        hog.Stop();
        Assert.False(hog.Running);
        long after = hog.Spins;
        Thread.Sleep(20); // the threads were joined: nothing may count any more
        Assert.Equal(after, hog.Spins);
        Assert.Throws<InvalidOperationException>(hog.Start);
    }

    [Fact]
    public void Default_is_one_thread_per_core_and_stop_before_start_is_harmless()
    {
        using var hog = new CpuHog();
        Assert.Equal(Environment.ProcessorCount, hog.Threads);
        Assert.Equal(-1, hog.Cpu);
        hog.Stop();
        Assert.False(hog.Running);
    }
}
