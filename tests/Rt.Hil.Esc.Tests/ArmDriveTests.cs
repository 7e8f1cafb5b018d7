using Rt.Core.Config;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.CoE;
using Rt.Drivers.EtherCat.Esi;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.ProcessData;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Devices.Esi;
using Rt.Hil.Esc.Segment;
using Rt.TestSupport;

namespace Rt.Hil.Esc.Tests;

/// <summary>
/// arm6's emulated drives (vendor 0x00000ABC "Armature Motion"), built by the emulator's factory from the ESI file
/// shipped with the robot alone, against the project's master in PREOP: they boot with a position-only map, the
/// startup commands of the same file remap them through 0x1C12/0x1C13 and 0x1600/0x1A00, and the wrist model refuses
/// what it does not have.
/// </summary>
public class ArmDriveTests
{
    private static readonly string EsiPath = RepoPaths.Combine("hil", "robots", "arm6", "esi", "ArmatureMotion-AXM.xml");

    internal const uint Vendor = 0x00000ABC, Axm150Product = 0x00001501, Axm30Product = 0x00000301, Revision = 0x00020003;
    private const uint EncoderIncrements = 524_288, GearMotorRevolutions = 100;

    /// <summary>The drive model with <paramref name="product"/>, as the bench builds it from the ESI file.</summary>
    internal static ServoDriveDevice Arm(uint product, uint serial = 1)
    {
        var library = EsiSlaveLibrary.Load([EsiPath]);
        var description = library.Find(Vendor, product, Revision)!;
        return Assert.IsType<ServoDriveDevice>(EsiSlaveLibrary.Create(description, new SlaveOptions { SerialNumber = serial }));
    }

    private static EtherCatMaster PreOp(out EscSegment segment)
    {
        segment = new EscSegment([
            Arm(Axm150Product, 1),
            Arm(Axm30Product, 2),
        ]);
        var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, new MasterOptions { StateTimeoutNs = 500_000_000, MailboxTimeoutNs = 500_000_000, DistributedClocks = false });
        master.BringUpToPreOp(null);
        return master;
    }

    /// <summary>The ESI's PREOP→SAFEOP CoE InitCmds of the device with <paramref name="product"/>, in file order (read by the project's ESI reader).</summary>
    private static List<(ushort Index, byte Sub, byte[] Data)> InitCmds(uint product)
    {
        var device = EsiReader.ReadFile(EsiPath).Devices.Single(d => d.ProductCode == product);
        return [.. device.InitCmds.Where(c => c.RunsOn("PS")).Select(c => (c.Index, c.SubIndex, c.Data))];
    }

    [Fact]
    public void The_shipped_ESI_describes_both_models_as_the_emulator_builds_them()
    {
        var file = EsiReader.ReadFile(EsiPath);
        Assert.Equal(Vendor, file.VendorId);
        Assert.Equal(2, file.Devices.Count);
        foreach (uint product in new[] { Axm150Product, Axm30Product })
        {
            var emulated = Arm(product);
            var id = emulated.Identity;
            var d = file.Devices.Single(x => x.ProductCode == id.ProductCode);
            Assert.Equal(id.Revision, d.RevisionNo);
            Assert.Equal(id.Name, d.Name);
            // The emulator is built from this file: literal values keep the comparison from being only file against itself.
            Assert.Equal(0x00020003u, id.Revision);
            Assert.Equal(product == Axm150Product ? "Armature Motion AXM-150 servo drive" : "Armature Motion AXM-30 servo drive", id.Name);
            Assert.Equal(0x00020192u, id.DeviceType); // ProfileNo 402, AddInfo 2 (servo)
            // The ESI's default PDOs are the emulator's power-up map.
            Assert.Equal(emulated.RxMap.TotalBytes * 8, d.DefaultPdos(rx: true).Sum(p => p.BitLength));
            Assert.Equal(emulated.TxMap.TotalBytes * 8, d.DefaultPdos(rx: false).Sum(p => p.BitLength));
            Assert.Contains(d.InitCmds, c => c.Index == 0x6060 && c.RunsOn("PS"));
            Assert.Contains(d.InitCmds, c => c.Index == 0x1C12 && c.RunsOn("PS"));
            Assert.Contains(d.InitCmds, c => c.Index == 0x1A00 && c.RunsOn("PS"));
            Assert.True(d.Mailbox!.Coe!.PdoConfig);
        }
    }


    [Fact]
    public void Identity_and_the_position_only_default_map_are_what_the_ESI_says()
    {
        var master = PreOp(out _);
        var big = master.SubDevices[0];
        var wrist = master.SubDevices[1];
        Assert.Equal(Vendor, big.Identity.Vendor);
        Assert.Equal(Axm150Product, big.Identity.Product);
        Assert.Equal(Axm30Product, wrist.Identity.Product);
        foreach (var s in master.SubDevices)
        {
            // 0x6040 + 0x607A out, 0x6041 + 0x6064 in: no mode, no target torque, no velocity or torque actual.
            Assert.Equal([0x6040, 0x607A], s.RxPdos.SelectMany(p => p.Entries).Select(e => (int)e.Index));
            Assert.Equal([0x6041, 0x6064], s.TxPdos.SelectMany(p => p.Entries).Select(e => (int)e.Index));
            Assert.Equal(6, s.OutputBytes);
            Assert.Equal(6, s.InputBytes);
        }
        Assert.Equal(500u, big.Sdo!.UploadU32(0x6076, 0));
        Assert.Equal(100u, wrist.Sdo!.UploadU32(0x6076, 0));
        Assert.Equal(EncoderIncrements, big.Sdo.UploadU32(0x608F, 1));
        Assert.Equal(GearMotorRevolutions, wrist.Sdo.UploadU32(0x6091, 1));
    }

    [Fact]
    public void The_ESI_startup_commands_remap_both_models_in_preop()
    {
        var master = PreOp(out var segment);
        uint[] products = [Axm150Product, Axm30Product];
        for (int i = 0; i < 2; i++)
        {
            var sdo = master.SubDevices[i].Sdo!;
            foreach (var (index, sub, data) in InitCmds(products[i])) sdo.Download(index, sub, data);
            var rx = PdoMappingReader.ReadAssigned(sdo, 0x1C12, 2, null).SelectMany(p => p.Entries).Select(e => (int)e.Index).ToArray();
            var tx = PdoMappingReader.ReadAssigned(sdo, 0x1C13, 3, null).SelectMany(p => p.Entries).Select(e => (int)e.Index).ToArray();
            Assert.Equal([0x6040, 0x6060, 0x607A, 0x60FF, 0x6071, 0x60B1, 0x60B2], rx);
            if (i == 0) Assert.Equal([0x6041, 0x6061, 0x6064, 0x606C, 0x6077, 0x603F], tx);
            else Assert.Equal([0x6041, 0x6061, 0x6064, 0x606C, 0x603F], tx); // AXM-30: no torque actual
            Assert.Equal(8, (sbyte)sdo.UploadU8(0x6060, 0));
        }
        // The emulator's process data follows the new mapping (the SyncManager lengths it will accept for SAFEOP).
        var big = (ServoDriveDevice)segment.Slaves[0];
        var wrist = (ServoDriveDevice)segment.Slaves[1];
        Assert.Equal(19, big.RxMap.TotalBytes);
        Assert.Equal(15, big.TxMap.TotalBytes);
        Assert.Equal(19, wrist.RxMap.TotalBytes);
        Assert.Equal(13, wrist.TxMap.TotalBytes);
    }

    [Fact]
    public void The_wrist_model_refuses_torque_actual_and_csv()
    {
        var master = PreOp(out _);
        var sdo = master.SubDevices[1].Sdo!;
        sdo.Download(0x1C13, 0, [0]);
        sdo.Download(0x1A00, 0, [0]);
        var noTorque = Assert.Throws<SdoAbortException>(() => sdo.Download(0x1A00, 1, BitConverter.GetBytes(0x6077_0010u)));
        Assert.Equal(0x1A00, noTorque.Index);
        Assert.Equal(0x06040041u, noTorque.Code); // object cannot be mapped to the PDO
        var csv = Assert.Throws<SdoAbortException>(() => sdo.Download(0x6060, 0, [9]));
        Assert.Equal(0x06090030u, csv.Code); // value range exceeded
        master.SubDevices[0].Sdo!.Download(0x6060, 0, [9]); // the AXM-150 runs CSV
        var absent = Assert.Throws<SdoAbortException>(() => sdo.UploadU16(0x6077, 0));
        Assert.Equal(0x06020000u, absent.Code); // the AXM-30 has no 0x6077 at all
    }

    [Fact]
    public void Bench_segment_builds_the_arm_drives_named_by_bus_slaves_from_the_ESI()
    {
        var ids = new List<SlaveIdentityConfig>
        {
            new() { Position = 0, Vendor = Vendor, Product = Axm150Product, Revision = Revision },
            new() { Position = 1, Vendor = Vendor, Product = Axm30Product, Revision = Revision },
        };
        var segment = EscBenchSegment.Create(3, 1, ids, esi: EsiSlaveLibrary.Load([EsiPath]));
        Assert.Equal(Axm150Product, segment.Slaves[0].Identity.ProductCode);
        Assert.True(Assert.IsType<ServoDriveDevice>(segment.Slaves[0]).HasTorqueActual);
        Assert.Equal(Axm30Product, segment.Slaves[1].Identity.ProductCode);
        Assert.False(Assert.IsType<ServoDriveDevice>(segment.Slaves[1]).HasTorqueActual);
        Assert.Equal(ServoDriveDevice.ProductCode, segment.Slaves[2].Identity.ProductCode); // not named: the Rt bench drive
        Assert.IsType<ImuDevice>(segment.Slaves[3]);
        Assert.Equal(3, EscBenchSegment.Drives(segment).Count);
    }
}
