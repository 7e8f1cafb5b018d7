using Rt.ControlLoop.Scheduling;

namespace Rt.ControlLoop.Tests;

/// <summary>Scheduler logic (not timing: timing figures come from `rt bench loop`).</summary>
public class SchedulerTests
{
    private sealed class Recorder : ITickBody, ISimulatedWorld
    {
        public readonly List<(long Tick, long Time)> Ticks = [];
        public readonly List<long> Advances = [];
        public void Tick(long tick, long timeNs, long wakeLatencyNs) => Ticks.Add((tick, timeNs));
        public void Advance(long periodNs) => Advances.Add(periodNs);
    }

    [Fact]
    public void Lockstep_ticks_run_at_exact_multiples_of_the_period_with_the_world_advanced_between()
    {
        var r = new Recorder();
        var s = new LockstepScheduler(250_000, r, r);
        s.Run(8);
        s.Run(4, 8);
        Assert.Equal(Enumerable.Range(0, 12).Select(k => ((long)k, k * 250_000L)), r.Ticks);
        Assert.Equal(Enumerable.Repeat(250_000L, 12), r.Advances);
    }

    [Fact]
    public void A_probed_lockstep_run_ticks_the_same_and_times_the_plant_and_the_whole_tick_once_per_tick()
    {
        var r = new Recorder();
        var probe = new Rt.ControlLoop.Timing.StageProbe();
        var s = new LockstepScheduler(250_000, r, r) { Probe = probe };
        s.Run(6);
        Assert.Equal(Enumerable.Range(0, 6).Select(k => ((long)k, k * 250_000L)), r.Ticks);
        Assert.Equal(6, r.Advances.Count);
        Assert.Equal(6, probe[Rt.ControlLoop.Timing.TickStage.Plant].Count);
        Assert.Equal(6, probe.Total.Count);
        Assert.Equal(0, probe[Rt.ControlLoop.Timing.TickStage.Bus].Count); // pipeline stages are lapped by the pipeline
    }

    [Fact]
    public void Lockstep_can_be_stopped_from_inside_a_tick()
    {
        LockstepScheduler? s = null;
        var body = new StopAt(5, () => s!.Stop());
        s = new LockstepScheduler(1_000_000, body, null);
        s.Run(100);
        Assert.Equal(6, s.TicksRun);
    }

    private sealed class StopAt(long at, Action stop) : ITickBody
    {
        public void Tick(long tick, long timeNs, long wakeLatencyNs)
        {
            if (tick == at) stop();
        }
    }

    [Fact]
    public void Realtime_ticks_stay_on_the_period_grid_and_stop_at_the_tick_count()
    {
        var r = new Recorder();
        var s = new RealtimeScheduler(new RealtimeOptions { PeriodNs = 1_000_000, Priority = 0, LockMemory = false, NoGcRegionBytes = 0 }, r, r);
        s.Run(50);
        Assert.NotNull(s.Report);
        Assert.NotEmpty(r.Ticks);
        // Overruns on a loaded machine may skip periods, but every tick's time is its index times the period,
        // indices only increase, and none reaches the requested count.
        long last = -1;
        foreach (var (tick, time) in r.Ticks)
        {
            Assert.True(tick > last);
            Assert.Equal(tick * 1_000_000L, time);
            Assert.InRange(tick, 0, 49);
            last = tick;
        }
        Assert.Equal(r.Ticks.Count, r.Advances.Count);
        // Every period up to the requested count was either run or counted as missed.
        Assert.True(r.Ticks.Count + s.Timing.MissedPeriods >= 50, $"{r.Ticks.Count} run + {s.Timing.MissedPeriods} missed < 50");
    }

    /// <summary>Sleeps through many periods on its first tick (as a JIT-heavy first tick does), allocates once on its
    /// second and third ticks run, and once on the <see cref="RealtimeScheduler.WarmupTicks"/>+5-th tick run.</summary>
    private sealed class SlowStart : ITickBody
    {
        public int Run;
        public object? Kept;
        public Action? Stop;

        public void Tick(long tick, long timeNs, long wakeLatencyNs)
        {
            Run++;
            if (Run == 1) Thread.Sleep(150); // 150 periods at 1 kHz: tick numbers jump past the warm-up count
            if (Run is 2 or 3 || Run == RealtimeScheduler.WarmupTicks + 5) Kept = new byte[100];
            if (Run == RealtimeScheduler.WarmupTicks + 10) Stop!();
        }
    }

    [Fact]
    public void Warm_up_counts_ticks_run_not_tick_numbers_skipped_by_a_slow_first_tick()
    {
        var body = new SlowStart();
        var s = new RealtimeScheduler(new RealtimeOptions { PeriodNs = 1_000_000, Priority = 0, LockMemory = false, NoGcRegionBytes = 0 }, body);
        body.Stop = s.Stop; // stops after a count of ticks run, however many periods a loaded machine skips
        s.Run(long.MaxValue / 2);
        Assert.Equal(RealtimeScheduler.WarmupTicks + 10, body.Run);
        // The allocations on ticks 2 and 3 are warm-up (first calls); the one after warm-up is counted, whatever the tick numbers.
        Assert.InRange(s.AllocatedBytesAfterWarmup, 100, 200);
        Assert.True(s.FirstAllocatingTick > 150, $"first allocating tick {s.FirstAllocatingTick}");
    }

    /// <summary>A DC reference clock 50 ppm fast and 300 µs out of phase, read at each tick's deadline as a cyclic frame's FRMW would.</summary>
    private sealed class DriftingReference : ITickBody
    {
        public readonly Rt.Drivers.EtherCat.DistributedClocks.DcMasterSync Sync = new(1_000_000, shiftNs: 0);
        public readonly List<long> PhaseErrors = [];
        public long Correction;
        private long _first = -1;

        public void Tick(long tick, long timeNs, long wakeLatencyNs)
        {
            long deadline = LinuxRealtime.NowNs() - wakeLatencyNs; // the scheduled deadline, to within the few µs since the wake-up
            if (_first < 0) _first = deadline; // the first deadline lies on the 1 ms grid: the reference starts 300 µs off
            ulong reference = (ulong)(deadline + (deadline - _first) / 20_000 + 300_000); // +50 ppm, +300 µs
            Correction = Sync.Update(reference);
            PhaseErrors.Add(Sync.PhaseErrorNs);
        }
    }

    [Fact]
    public void The_dc_period_correction_phase_locks_the_cycle_to_a_drifting_reference_clock()
    {
        // In process on the real clock, so the lock is judged on the scheduled deadlines (not on when the thread woke)
        // and with generous bounds: unlocked, the phase error would stay near 300 µs and drift 50 ns per tick.
        var r = new DriftingReference();
        var s = new RealtimeScheduler(new RealtimeOptions
        {
            PeriodNs = 1_000_000, Priority = 0, LockMemory = false, NoGcRegionBytes = 0, PeriodCorrectionNs = () => r.Correction,
        }, r);
        s.Run(2000);
        Assert.True(r.PhaseErrors.Count > 500, $"{r.PhaseErrors.Count} ticks ran");
        var tail = r.PhaseErrors.Skip(r.PhaseErrors.Count / 2).Select(Math.Abs).Order().ToList();
        long median = tail[tail.Count / 2];
        Assert.True(median < 50_000, $"median |phase error| over the second half {median} ns");
        Assert.NotEqual(0, s.CorrectionTotalNs);
    }

    [Fact]
    public void Require_realtime_refuses_before_the_first_tick_when_a_privilege_is_missing()
    {
        var r = new Recorder();
        // CPU 63 does not exist on this machine, so affinity is refused whoever runs the test.
        var s = new RealtimeScheduler(new RealtimeOptions { Priority = 0, Cpu = 63, LockMemory = false, NoGcRegionBytes = 0, RequireRealtime = true }, r);
        var e = Assert.Throws<RealtimeUnavailableException>(() => s.Run(10));
        Assert.Contains("CPU affinity 63", e.Message);
        Assert.Empty(r.Ticks);
    }

    [Fact]
    public void Without_require_realtime_a_refused_privilege_is_a_warning_and_the_loop_runs()
    {
        var r = new Recorder();
        var s = new RealtimeScheduler(new RealtimeOptions { Priority = 0, Cpu = 63, LockMemory = false, NoGcRegionBytes = 0 }, r);
        s.Run(5);
        Assert.Contains(s.Report!.Warnings(), w => w.Contains("CPU affinity 63", StringComparison.Ordinal));
        Assert.NotEmpty(r.Ticks);
    }
}
