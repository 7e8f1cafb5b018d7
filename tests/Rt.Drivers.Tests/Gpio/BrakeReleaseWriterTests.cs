using Rt.Core.Hardware;
using Rt.Drivers.Gpio;
using Rt.Drivers.Tests.Models;

namespace Rt.Drivers.Tests.Gpio;

/// <summary>
/// Brake release outputs (GpioController over the driver model): written off the tick from per-joint slots; energised =
/// released; de-energised at open, on close, on a write fault and while the tick's heartbeat is lost (injected clock).
/// </summary>
public sealed class BrakeReleaseWriterTests
{
    private static (BrakeReleaseWriter Writer, GpioDriverModel Driver, ManualClock Clock) Open(bool activeLow = false)
    {
        var driver = new GpioDriverModel(32);
        var clock = new ManualClock();
        var lines = new IDigitalOutput?[3];
        // Joint 0: no brake; joints 1 and 2 on lines 5 and 6 of the same chip model.
        lines[1] = GpioLines.OpenOutput("gpiochip0:5", "/etc/rt/rt.yaml", "brakes[0].release_output",
            new GpioLineOptions { Consumer = "rt-brake", ActiveLow = activeLow, ReadMode = GpioReadMode.Direct }, (_, _, _, _) => driver);
        lines[2] = GpioLines.OpenOutput("gpiochip0:6", "/etc/rt/rt.yaml", "brakes[1].release_output",
            new GpioLineOptions { Consumer = "rt-brake", ActiveLow = activeLow, ReadMode = GpioReadMode.Direct }, (_, _, _, _) => driver);
        var w = new BrakeReleaseWriter(lines, clock, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(2), startThread: false);
        return (w, driver, clock);
    }

    /// <summary>One tick: the tick's slot and heartbeat, 1 ms of the clock, then a writer pass.</summary>
    private static void Tick(BrakeReleaseWriter w, ManualClock clock, bool beat = true)
    {
        if (beat) w.Beat();
        clock.Advance(TimeSpan.FromMilliseconds(1));
        w.FlushOnce();
    }

    [Fact]
    public void Lines_open_de_energised_and_follow_the_slots_only_through_the_writer()
    {
        var (w, driver, clock) = Open();
        using var _ = w;
        Assert.False(driver.Level(5));
        Assert.False(driver.Level(6));
        Assert.False(w.HasOutput(0));
        Assert.True(w.HasOutput(1));
        w.Set(0, true); // no output: ignored
        Assert.False(w.IsSet(0));

        w.Set(1, true);
        Assert.False(driver.Level(5)); // the tick only stores: no I/O until the writer runs
        Tick(w, clock);
        Assert.True(driver.Level(5));
        Assert.True(w.IsEnergised(1));
        Assert.False(driver.Level(6));
        w.Set(1, false);
        Tick(w, clock);
        Assert.False(driver.Level(5));
    }

    [Fact]
    public void An_active_low_line_is_high_when_engaged()
    {
        var (w, driver, clock) = Open(activeLow: true);
        Assert.True(driver.Level(5)); // opened de-energised: high
        w.Set(1, true);
        Tick(w, clock);
        Assert.False(driver.Level(5));
        w.Dispose();
        Assert.True(driver.Level(5)); // closed: de-energised
    }

    [Fact]
    public void A_lost_heartbeat_engages_every_brake_after_the_timeout_on_the_injected_clock_and_a_beat_resumes()
    {
        var (w, driver, clock) = Open();
        using var _ = w;
        w.Set(1, true);
        w.Set(2, true);
        Tick(w, clock);
        Assert.True(driver.Level(5) && driver.Level(6));
        // The tick stops beating: the lines stay energised up to the timeout (50 ms), however often the writer runs...
        for (int i = 0; i < 50; i++) Tick(w, clock, beat: false);
        Assert.True(driver.Level(5));
        Assert.False(w.HeartbeatLost);
        // ...and are de-energised in the first pass past it.
        Tick(w, clock, beat: false);
        Assert.True(w.HeartbeatLost);
        Assert.False(driver.Level(5));
        Assert.False(driver.Level(6));
        Assert.True(w.IsSet(1)); // the slot is the tick's: the writer overrides it, never rewrites it
        // Many passes without time: still engaged (judged by duration, not by a count of passes).
        for (int i = 0; i < 1000; i++) w.FlushOnce();
        Assert.False(driver.Level(5));
        Tick(w, clock); // the tick is back
        Assert.True(driver.Level(5));
    }

    [Fact]
    public void A_write_fault_engages_every_brake_and_latches()
    {
        var (w, driver, clock) = Open();
        w.Set(1, true);
        w.Set(2, true);
        Tick(w, clock);
        Assert.True(driver.Level(5) && driver.Level(6));
        driver.FailWritesOn = 6;
        Tick(w, clock);
        Assert.True(w.Faulted);
        Assert.Contains("joint 2", w.Fault, StringComparison.Ordinal);
        Assert.False(driver.Level(5)); // the healthy line is de-energised too
        driver.FailWritesOn = -1;
        for (int i = 0; i < 10; i++) Tick(w, clock);
        Assert.False(driver.Level(5)); // latched until the host restarts
        Assert.False(driver.Level(6));
        w.Dispose();
        Assert.True(driver.Disposed);
    }

    [Fact]
    public void The_tick_side_allocates_nothing()
    {
        var (w, _, clock) = Open();
        using var __ = w;
        for (int i = 0; i < 100; i++) { w.Set(1, (i & 1) == 0); w.Beat(); _ = w.IsSet(1); }
        long a0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) { w.Set(1, (i & 1) == 0); w.Beat(); _ = w.IsSet(1); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - a0);
        Tick(w, clock);
    }

    [Fact]
    public void A_heartbeat_timeout_beyond_its_bound_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BrakeReleaseWriter([], new ManualClock(), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(2), false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BrakeReleaseWriter([], new ManualClock(), TimeSpan.Zero, TimeSpan.FromMilliseconds(2), false));
    }
}
