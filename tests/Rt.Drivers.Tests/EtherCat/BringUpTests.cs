using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Devices;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.SubDevices;
using Rt.Hil.Esc.Segment;
using Xunit.Abstractions;

namespace Rt.Drivers.Tests.EtherCat;

public sealed class BringUpTests(ITestOutputHelper output)
{
    // Timeouts in the loopback's virtual time (20 µs per frame, 1 µs per empty poll): longer than 3 lost datagrams (3 × 50 ms).
    internal static MasterOptions FastOptions() => new() { DcStaticDriftFrames = 200, StateTimeoutNs = 500_000_000, MailboxTimeoutNs = 500_000_000 };

    internal static List<SlaveIdentityConfig> BenchIdentities(int drives, int imus)
    {
        var list = new List<SlaveIdentityConfig>();
        for (int i = 0; i < drives + imus; i++)
            list.Add(new SlaveIdentityConfig
            {
                Position = i,
                Vendor = BenchDevices.Vendor,
                Product = i < drives ? BenchDevices.DriveProduct : BenchDevices.ImuProduct,
                Revision = i < drives ? BenchDevices.DriveRevision : BenchDevices.ImuRevision,
            });
        return list;
    }

    [Fact]
    public void Master_brings_the_emulated_bench_to_op_and_reads_identities_and_mappings()
    {
        var segment = EscBenchSegment.Create(2, 1);
        using var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, FastOptions());
        master.BringUp(BenchIdentities(2, 1), masterTimeNs: 5_000_000_000, cycleNs: 1_000_000);

        Assert.Equal(3, master.SubDevices.Count);
        foreach (var s in master.SubDevices) Assert.Equal(AlState.Op, s.Status.State);
        Assert.Equal(0x1001, master.SubDevices[0].StationAddress);
        Assert.Equal(BenchDevices.DriveProduct, master.SubDevices[1].Identity.Product);
        Assert.Equal(BenchDevices.ImuProduct, master.SubDevices[2].Identity.Product);
        Assert.Equal("CoE", master.SubDevices[0].MappingSource);
        Assert.Equal(25 * 8, master.SubDevices[0].OutputBits);
        Assert.Equal(15 * 8, master.SubDevices[0].InputBits);
        Assert.Equal(32 * 8, master.SubDevices[2].InputBits);
        Assert.Equal(2 * 2 + 3, master.Layout!.ExpectedWorkingCounter);
        output.WriteLine(master.Dc?.ToString() ?? "no DC");
    }

    [Fact]
    public void Op_is_reached_when_the_slaves_insist_on_valid_outputs_first()
    {
        var segment = EscBenchSegment.Create(2, 1, new EscBenchOptions { RequireOutputsBeforeOp = true });
        using var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, FastOptions());
        master.BringUp(BenchIdentities(2, 1), 0, 1_000_000);
        Assert.All(master.SubDevices, s => Assert.Equal(AlState.Op, s.Status.State));
    }
}
