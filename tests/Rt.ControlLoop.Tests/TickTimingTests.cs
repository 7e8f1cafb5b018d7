using Rt.ControlLoop.Timing;
using Rt.Core.Faults;

namespace Rt.ControlLoop.Tests;

/// <summary>The overrun policy with a fake clock: times are handed in, nothing is slept.</summary>
public class TickTimingTests
{
    private const long Period = 1_000_000;

    [Fact]
    public void On_time_ticks_keep_the_deadline_on_the_grid()
    {
        var t = new TickTiming(Period, 3);
        long deadline = 0;
        for (int k = 0; k < 10; k++)
        {
            long next = t.Complete(deadline, deadline + 20_000, deadline + 300_000);
            Assert.Equal(deadline + Period, next);
            deadline = next;
        }
        Assert.Equal(0, t.Overruns);
        Assert.Equal(10, t.Ticks);
        Assert.InRange(t.WakeLatency.Percentile(0.5), 19_000, 21_000);
    }

    [Fact]
    public void A_tick_ending_after_the_next_deadline_skips_the_missed_periods_and_counts_them()
    {
        var t = new TickTiming(Period, 3);
        // Woke on time, but the work ran 2.5 periods: deadlines 1 ms and 2 ms are gone; the next is 3 ms.
        long next = t.Complete(0, 0, 2_500_000);
        Assert.Equal(3 * Period, next);
        Assert.Equal(1, t.Overruns);
        Assert.Equal(2, t.MissedPeriods);
        Assert.Equal(0, next % Period); // still on the grid
    }

    [Fact]
    public void N_consecutive_overruns_raise_one_loop_overrun_fault()
    {
        var t = new TickTiming(Period, 3);
        long d = 0;
        d = t.Complete(d, d, d + Period + 1);
        d = t.Complete(d, d, d + Period + 1);
        Assert.False(t.TakePendingFault(5, out _));
        d = t.Complete(d, d, d + Period + 1);
        Assert.True(t.TakePendingFault(7, out var fault));
        Assert.Equal(FaultCode.LoopOverrun, fault.Code);
        Assert.Equal(3, fault.Expected);
        Assert.Equal(3, fault.Received);
        Assert.Equal(7, fault.Tick);
        Assert.False(t.TakePendingFault(8, out _)); // handed over once
    }

    [Fact]
    public void An_on_time_tick_breaks_the_run_of_overruns()
    {
        var t = new TickTiming(Period, 3);
        long d = 0;
        d = t.Complete(d, d, d + Period + 1);
        d = t.Complete(d, d, d + Period + 1);
        d = t.Complete(d, d, d + 10);
        d = t.Complete(d, d, d + Period + 1);
        d = t.Complete(d, d, d + Period + 1);
        Assert.False(t.TakePendingFault(0, out _));
        Assert.Equal(4, t.Overruns);
        Assert.Equal(2, t.ConsecutiveOverruns);
    }

    [Fact]
    public void Histogram_percentiles_are_within_bucket_precision()
    {
        var h = new LatencyHistogram();
        for (int i = 1; i <= 100_000; i++) h.Record(i * 10L); // 10 ns .. 1 ms uniformly
        Assert.InRange(h.Percentile(0.5), 500_000 * 0.97, 500_000 * 1.04);
        Assert.InRange(h.Percentile(0.99), 990_000 * 0.97, 990_000 * 1.04);
        Assert.Equal(1_000_000, h.Max);
        Assert.Equal(1_000_000, h.Percentile(1.0));
        Assert.Equal(100_000, h.Count);
    }

    [Fact]
    public void Histogram_bucket_edges_cover_every_value()
    {
        var rng = new Random(3);
        for (int i = 0; i < 100_000; i++)
        {
            long v = (long)(rng.NextDouble() * rng.NextDouble() * 5e9);
            int idx = LatencyHistogram.IndexOf(v);
            Assert.True(LatencyHistogram.UpperEdge(idx) >= v, $"value {v} above its bucket's upper edge");
            if (idx > 0) Assert.True(LatencyHistogram.UpperEdge(idx - 1) < v, $"value {v} belongs to an earlier bucket");
        }
    }

    [Fact]
    public void Recording_allocates_nothing()
    {
        var t = new TickTiming(Period, 3);
        t.Complete(0, 1, 2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long d = Period;
        for (int i = 0; i < 100_000; i++) d = t.Complete(d, d + i % 5000, d + 100_000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
