using Rt.ControlLoop.Scheduling;

namespace Rt.ControlLoop.Tests;

/// <summary>loop.no_gc_region_mb: as configured, or sized from an hour of telemetry and capped.</summary>
public sealed class NoGcRegionTests
{
    [Fact]
    public void A_configured_size_is_used_as_given_and_zero_means_none()
    {
        Assert.Equal(512L << 20, RealtimeOptions.NoGcRegionFor(512, perHourBytes: 5L << 30, maxMb: 16384));
        Assert.Equal(0, RealtimeOptions.NoGcRegionFor(0, perHourBytes: 5L << 30, maxMb: 16384));
    }

    [Fact]
    public void Auto_is_the_default_plus_an_hour_of_telemetry_capped_at_the_bound_and_a_quarter_of_memory()
    {
        Assert.Equal(RealtimeOptions.DefaultNoGcRegionBytes, RealtimeOptions.NoGcRegionFor(-1, perHourBytes: 0, maxMb: 16384));
        long quarter = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;
        long expected = Math.Min(RealtimeOptions.DefaultNoGcRegionBytes + (100L << 20), Math.Max(RealtimeOptions.DefaultNoGcRegionBytes, quarter));
        Assert.Equal(expected, RealtimeOptions.NoGcRegionFor(-1, perHourBytes: 100L << 20, maxMb: 16384));
        long capped = RealtimeOptions.NoGcRegionFor(-1, perHourBytes: 1L << 40, maxMb: 300); // a terabyte an hour
        Assert.InRange(capped, RealtimeOptions.DefaultNoGcRegionBytes, 300L << 20);
    }
}
