using System.Text;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.CoE;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.SubDevices;
using Rt.Drivers.EtherCat.Transport;
using Rt.Hil.Esc.Segment;

namespace Rt.Drivers.Tests.EtherCat;

public sealed class ProtocolTests
{
    private static EtherCatMaster PreOp(int drives = 1, int imus = 0)
    {
        var link = new LoopbackLink(EscBenchSegment.Create(drives, imus));
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        master.Initialize();
        master.ToPreOp();
        return master;
    }

    [Fact]
    public void Segmented_upload_reads_a_text_longer_than_the_mailbox()
    {
        var sdo = PreOp().SubDevices[0].Sdo!;
        var text = Encoding.ASCII.GetString(sdo.Upload(0x2001, 0));
        Assert.StartsWith("Emulated by Rt.Hil.Esc", text);
        Assert.EndsWith("it has no other meaning.", text);
        Assert.True(text.Length > 128);
    }

    [Fact]
    public void Segmented_download_writes_a_text_longer_than_the_mailbox_and_reads_it_back()
    {
        var sdo = PreOp().SubDevices[0].Sdo!;
        var label = string.Concat(Enumerable.Repeat("left knee pitch drive, bench unit 7; ", 5)); // 185 bytes
        sdo.Download(0x2002, 0, Encoding.ASCII.GetBytes(label));
        Assert.Equal(label, Encoding.ASCII.GetString(sdo.Upload(0x2002, 0)));
        // Lengths around the 7-byte minimum segment.
        foreach (int n in new[] { 5, 7, 8, 113, 114, 120, 121, 127 })
        {
            var text = new string('x', n - 1) + "!";
            sdo.Download(0x2002, 0, Encoding.ASCII.GetBytes(text));
            Assert.Equal(text, Encoding.ASCII.GetString(sdo.Upload(0x2002, 0)));
        }
    }

    [Fact]
    public void Without_coe_mapping_the_sii_pdo_categories_give_the_same_layout()
    {
        var link = new LoopbackLink(EscBenchSegment.Create(2, 1));
        var options = BringUpTests.FastOptions();
        options.MappingViaCoe = false;
        var master = new EtherCatMaster(link, options);
        master.BringUp(BringUpTests.BenchIdentities(2, 1), 0, 1_000_000);
        Assert.All(master.SubDevices, s => Assert.Equal("SII", s.MappingSource));
        Assert.Equal(25 * 8, master.SubDevices[0].OutputBits);
        Assert.Equal(32 * 8, master.SubDevices[2].InputBits);
        Assert.All(master.SubDevices, s => Assert.Equal(AlState.Op, s.Status.State));
    }

    [Fact]
    public void Esm_allows_only_single_steps_up_and_any_step_down()
    {
        Assert.True(AlTransitions.Check(AlState.Init, AlState.PreOp).Allowed);
        Assert.True(AlTransitions.Check(AlState.Op, AlState.Init).Allowed);
        Assert.False(AlTransitions.Check(AlState.Init, AlState.SafeOp).Allowed);
        Assert.False(AlTransitions.Check(AlState.PreOp, AlState.Op).Allowed);
        Assert.False(AlTransitions.Check(AlState.Boot, AlState.PreOp).Allowed);
        Assert.Contains("0x0011", AlTransitions.Check(AlState.PreOp, AlState.Op).Reason);
        Assert.Equal(AlState.PreOp, AlTransitions.NextStep(AlState.Init, AlState.Op));
        Assert.Equal(AlState.SafeOp, AlTransitions.NextStep(AlState.PreOp, AlState.Op));
        Assert.Equal(AlState.Op, AlTransitions.NextStep(AlState.SafeOp, AlState.Op));
        Assert.Equal(AlState.Init, AlTransitions.NextStep(AlState.Boot, AlState.Op));
        Assert.Equal(AlState.Init, AlTransitions.NextStep(AlState.Op, AlState.Init));
        var status = new AlStatus(0x0014, 0x001B);
        Assert.Equal(AlState.SafeOp, status.State);
        Assert.True(status.Error);
        Assert.Equal("SafeOp with error 0x001B sync manager watchdog", status.ToString());
    }

    [Theory]
    [InlineData(0x0011, "invalid requested state change")]
    [InlineData(0x0012, "unknown requested state")]
    [InlineData(0x0016, "invalid mailbox configuration (PREOP)")]
    [InlineData(0x001B, "sync manager watchdog")]
    [InlineData(0x001D, "invalid output configuration")]
    [InlineData(0x001E, "invalid input configuration")]
    [InlineData(0x002C, "fatal sync error")]
    [InlineData(0x0030, "invalid DC SYNC configuration")]
    [InlineData(0x0777, "unknown AL status code")]
    public void Al_status_codes_have_their_names(int code, string name) => Assert.Equal(name, AlStatusCodes.Name((ushort)code));

    [Theory]
    [InlineData(0x05030000u, "toggle bit not changed")]
    [InlineData(0x05040000u, "SDO protocol timeout")]
    [InlineData(0x06010000u, "unsupported access to an object")]
    [InlineData(0x06020000u, "the object does not exist in the object dictionary")]
    [InlineData(0x06040041u, "the object cannot be mapped into the PDO")]
    [InlineData(0x06090011u, "subindex does not exist")]
    [InlineData(0x08000000u, "general error")]
    [InlineData(0x12345678u, "unknown abort code")]
    public void Sdo_abort_codes_have_their_names(uint code, string name) => Assert.Equal(name, SdoAbortCodes.Name(code));

    [Fact]
    public void The_transport_drops_a_late_reply_and_matches_by_index()
    {
        var link = new LoopbackLink(EscBenchSegment.Create(2, 0));
        var bus = new EtherCatTransport(link, new TransportOptions { ReplyTimeoutNs = 3_000, Retries = 1 });
        link.LateDelivery = true;
        var data = new byte[2];
        var lost = bus.Execute(EtherCatCommand.Brd, 0, data);
        Assert.False(lost.Received);
        link.LateDelivery = false;
        var ok = bus.Execute(EtherCatCommand.Brd, 0, data);
        Assert.True(ok.Received);
        Assert.Equal(2, ok.WorkingCounter);
        Assert.Equal(1, bus.StaleReplies);
        Assert.Equal(1, bus.LostFrames);
    }
}

public sealed class BatchTests
{
    [Fact]
    public void Several_datagrams_in_one_frame_are_matched_by_index_with_their_own_working_counters()
    {
        var link = new LoopbackLink(EscBenchSegment.Create(2, 1));
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        master.Initialize(); // station addresses 0x1001..0x1003
        var data = new byte[2 + 2 + 2 + 2];
        DatagramRequest[] batch =
        [
            new(EtherCatCommand.Brd, EtherCatCommands.Physical(0, EscRegister.AlStatus), 0, 2),
            new(EtherCatCommand.Fprd, EtherCatCommands.Physical(0x1002, EscRegister.StationAddress), 2, 2),
            new(EtherCatCommand.Fprd, EtherCatCommands.Physical(0x7777, EscRegister.StationAddress), 4, 2), // nobody
            new(EtherCatCommand.Aprd, EtherCatCommands.AutoIncrement(2, EscRegister.StationAddress), 6, 2),
        ];
        var wkc = new ushort[4];
        Assert.True(master.Bus.ExecuteMany(batch, data, wkc));
        Assert.Equal(new ushort[] { 3, 1, 0, 1 }, wkc);
        Assert.Equal(0x01, data[0]); // all in INIT
        Assert.Equal(0x1002, BitConverter.ToUInt16(data, 2));
        Assert.Equal(0x1003, BitConverter.ToUInt16(data, 6));
    }
}
