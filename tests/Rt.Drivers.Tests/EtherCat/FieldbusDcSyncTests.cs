using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Hil.Esc.Segment;

namespace Rt.Drivers.Tests.EtherCat;

/// <summary>Master DC-sync mode in the fieldbus: each cycle's FRMW reference time feeds the cycle lock, whose period correction the scheduler applies.</summary>
public sealed class FieldbusDcSyncTests
{
    [Fact]
    public void With_dc_sync_on_the_fieldbus_reports_a_bounded_period_correction_from_the_reference_time()
    {
        var segment = EscBenchSegment.Create(2, 0);
        var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        var op = master.BringUp(BringUpTests.BenchIdentities(2, 0), 5_000_000_000, 1_000_000);
        var fieldbus = new EtherCatFieldbus(op, [0, 1], [], new FieldbusOptions { DcCycleNs = 1_000_000, DcShiftNs = 0 });
        var state = new TickState(2, 0, new ChannelLayout(["a", "b"], []));
        long t = 0;
        for (int k = 0; k < 200; k++)
        {
            // The bench's time moves one period plus the correction asked for, as the scheduler would.
            t += 1_000_000 + fieldbus.DcPeriodCorrectionNs;
            segment.SetTime(t);
            fieldbus.Exchange(state);
            Assert.InRange(Math.Abs(fieldbus.DcPeriodCorrectionNs), 0, 100_000);
        }
        Assert.NotEqual(0UL, fieldbus.ReferenceTimeNs);
        Assert.InRange(Math.Abs(fieldbus.DcPhaseErrorNs), 0, 1000);

        var off = new EtherCatFieldbus(op, [0, 1], [], new FieldbusOptions());
        off.Exchange(state);
        Assert.Equal(0, off.DcPeriodCorrectionNs);
    }
}
