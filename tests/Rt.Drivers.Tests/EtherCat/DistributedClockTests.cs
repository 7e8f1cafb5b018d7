using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Hil.Esc.Segment;
using Xunit.Abstractions;

namespace Rt.Drivers.Tests.EtherCat;

public sealed class DistributedClockTests(ITestOutputHelper output)
{
    [Fact]
    public void Delays_grow_along_the_line_and_clocks_agree_after_configuration()
    {
        var segment = EscBenchSegment.Create(3, 1, new EscBenchOptions { LinkDelayNs = 500, SpreadClocks = true });
        using var link = new LoopbackLink(segment);
        var options = BringUpTests.FastOptions();
        options.DcStaticDriftFrames = 1000;
        var master = new EtherCatMaster(link, options);
        master.BringUp(BringUpTests.BenchIdentities(3, 1), 5_000_000_000, 1_000_000);
        var dc = master.Dc!;
        output.WriteLine(dc.ToString());
        Assert.Equal(0, dc.ReferencePosition);
        Assert.Equal(4, dc.Slaves.Count);
        Assert.Equal(0, dc.Slaves[0].PropagationDelayNs);
        for (int i = 1; i < dc.Slaves.Count; i++) Assert.True(dc.Slaves[i].PropagationDelayNs > dc.Slaves[i - 1].PropagationDelayNs, $"delay of position {i}");
        // After offsets, delays and drift compensation every slave's system time is within a microsecond of the reference.
        var reference = segment.Slaves[0].Esc.SystemTimeAt(segment.TimeNs);
        foreach (var s in segment.Slaves)
        {
            long diff = s.Esc.SystemTimeAt(segment.TimeNs) - reference;
            output.WriteLine($"system time difference to reference: {diff} ns");
            Assert.InRange(Math.Abs(diff), 0, 1000);
            Assert.True(s.Esc.Sync0Active);
        }
    }
}
