using Rt.Core.Errors;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.CoE;
using Rt.Drivers.EtherCat.Devices;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.SubDevices;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Segment;

namespace Rt.Drivers.Tests.EtherCat;

public sealed class BringUpFaultTests
{
    [Fact]
    public void A_corrupted_sii_checksum_is_an_input_error_naming_word_7()
    {
        var segment = new EscSegment([new ServoDriveDevice(new SlaveOptions { CorruptSiiChecksum = true })]);
        using var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        var e = Assert.Throws<InputError>(master.Initialize);
        Assert.Equal("word 0x0007", e.Location);
        Assert.Contains("position 0", e.Message);
        Assert.Contains("checksum", e.Problem);
    }

    [Fact]
    public void An_unknown_identity_refuses_op_naming_position_and_both_identities()
    {
        var segment = EscBenchSegment.Create(1, 1);
        using var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        var expected = BringUpTests.BenchIdentities(2, 0); // position 1 is configured as a drive but is an IMU
        var e = Assert.Throws<IdentityMismatchException>(() => master.BringUp(expected, 0, 1_000_000));
        Assert.Equal(1, e.Position);
        Assert.Contains("position 1", e.Message);
        Assert.Contains("product 0x00000402", e.Message);
        Assert.Contains("product 0x00000100", e.Message);
        Assert.All(master.SubDevices, s => Assert.NotEqual(AlState.Op, s.Status.State));
    }

    [Fact]
    public void A_missing_slave_is_an_identity_mismatch()
    {
        var segment = EscBenchSegment.Create(1, 0);
        using var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        var e = Assert.Throws<IdentityMismatchException>(() => master.BringUp(BringUpTests.BenchIdentities(2, 0), 0, 1_000_000));
        Assert.Null(e.Found);
        Assert.Contains("no slave at that position", e.Message);
    }

    [Fact]
    public void A_mailbox_abort_is_reported_with_its_code_by_name()
    {
        var segment = EscBenchSegment.Create(1, 0);
        using var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        master.Initialize();
        master.ToPreOp();
        var sdo = master.SubDevices[0].Sdo!;
        var e = Assert.Throws<SdoAbortException>(() => sdo.Upload(0x5555, 0));
        Assert.Equal(SdoAbortCode.ObjectDoesNotExist, e.Abort);
        Assert.Contains("0x06020000 the object does not exist in the object dictionary", e.Message);
        var e2 = Assert.Throws<SdoAbortException>(() => sdo.Download(0x6060, 0, [0x7F])); // mode 127 is out of range
        Assert.Equal(0x06090030u, e2.Code);
        Assert.Contains("value range", e2.Message);
    }

    [Fact]
    public void Sdo_upload_and_download_work_expedited_and_segmented()
    {
        var segment = EscBenchSegment.Create(1, 0);
        using var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        master.Initialize();
        master.ToPreOp();
        var sdo = master.SubDevices[0].Sdo!;
        Assert.Equal(BenchDevices.Vendor, sdo.UploadU32(0x1018, 1));
        sdo.Download(0x6060, 0, [8]);
        Assert.Equal(8, sdo.UploadU8(0x6060, 0));
        var name = System.Text.Encoding.ASCII.GetString(sdo.Upload(0x1008, 0)); // device name: longer than 4 bytes
        Assert.Contains("servo", name, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_slave_refusing_a_state_change_reports_the_al_status_code_by_name()
    {
        var segment = EscBenchSegment.Create(1, 0);
        using var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        master.Initialize();
        master.ToPreOp();
        var e = Assert.Throws<AlStateRefusedException>(() => master.RequestStateDirect(master.SubDevices[0], AlState.Op));
        Assert.Equal(AlStatusCode.InvalidRequestedStateChange, e.Code);
        Assert.Contains("0x0011 invalid requested state change", e.Message);
        Assert.Contains("position 0", e.Message);
        // The error was acknowledged: the slave is usable again.
        master.ReadStates();
        Assert.False(master.SubDevices[0].Status.Error);
    }

    [Fact]
    public void A_wrong_output_sync_manager_is_refused_with_invalid_output_configuration()
    {
        var segment = EscBenchSegment.Create(1, 0);
        using var link = new LoopbackLink(segment);
        var options = BringUpTests.FastOptions();
        options.DistributedClocks = false;
        var master = new EtherCatMaster(link, options);
        master.Initialize();
        master.ToPreOp();
        master.ConfigureProcessData();
        var sm = new byte[8];
        EtherCatMaster.WriteSyncManager(sm, 0x1100, 19, 0x64, false); // start/length can only change while disabled
        master.Bus.Write(0x1001, 0x0810, sm);
        EtherCatMaster.WriteSyncManager(sm, 0x1100, 3, 0x64, true); // 3 bytes instead of 19
        master.Bus.Write(0x1001, 0x0810, sm);
        var e = Assert.Throws<AlStateRefusedException>(() => master.RequestState(AlState.SafeOp));
        Assert.Equal(AlStatusCode.InvalidOutputConfiguration, e.Code);
        Assert.Contains("invalid output configuration", e.Message);
    }

    [Fact]
    public void A_link_that_is_down_during_bring_up_says_so()
    {
        var segment = EscBenchSegment.Create(1, 0);
        using var link = new LoopbackLink(segment) { IsUp = false };
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        var e = Assert.Throws<EtherCatException>(master.Initialize);
        Assert.Contains("link is down", e.Message);
    }

    [Fact]
    public void An_empty_line_says_no_slave_answered()
    {
        var segment = new EscSegment([]);
        using var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        var e = Assert.Throws<EtherCatException>(master.Initialize);
        Assert.Contains("no EtherCAT slave answered", e.Message);
    }
}
