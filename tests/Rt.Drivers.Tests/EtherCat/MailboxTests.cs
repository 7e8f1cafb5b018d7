using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Mailbox;
using Rt.Hil.Esc.Segment;

namespace Rt.Drivers.Tests.EtherCat;

/// <summary>A link decorator that loses the reply to the first frame matching a predicate (fault injection for tests).</summary>
internal sealed class LosingLink(IEthernetLink inner, Func<Datagram, bool> lose) : IEthernetLink
{
    private readonly Datagram[] _d = new Datagram[8];
    private bool _armed = true;
    private bool _swallow;
    public int Lost { get; private set; }
    public bool IsUp => inner.IsUp;
    public ReadOnlySpan<byte> MacAddress => inner.MacAddress;
    public Rt.Core.Time.IMonotonicClock Clock => inner.Clock;

    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        if (_armed && !FrameReader.TryDecode(frame, _d, out int n).IsError && n > 0 && lose(_d[0]))
        {
            _armed = false;
            _swallow = true;
        }
        return inner.TrySend(frame);
    }

    public int TryReceive(Span<byte> buffer)
    {
        int n = inner.TryReceive(buffer);
        if (n > 0 && _swallow)
        {
            _swallow = false;
            Lost++;
            return 0;
        }
        return n;
    }

    public void Dispose() => inner.Dispose();
}

public sealed class MailboxTests
{
    [Fact]
    public void The_mailbox_counter_cycles_1_to_7_and_skips_0()
    {
        var bus = new Rt.Drivers.EtherCat.Transport.EtherCatTransport(new LoopbackLink(EscBenchSegment.Create(0, 0)));
        var mb = new SlaveMailbox(bus, 0, 0x1001, 0x1000, 128, 0x1080, 128);
        var seen = Enumerable.Range(0, 15).Select(_ => mb.NextCounter()).ToArray();
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1 }, seen);
    }

    [Fact]
    public void A_lost_mailbox_read_is_recovered_with_a_repeat_request()
    {
        var segment = EscBenchSegment.Create(1, 0);
        // Lose the reply to the first FPRD of the SM1 buffer (0x1080): the slave has already emptied its mailbox.
        var link = new LosingLink(new LoopbackLink(segment), d => d.Command == EtherCatCommand.Fprd && d.Ado == 0x1080);
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        master.Initialize();
        master.ToPreOp(); // reads the PDO mapping over CoE: the first SDO response is the one lost
        Assert.Equal(1, link.Lost);
        Assert.True(master.SubDevices[0].Mailbox!.RepeatRequests >= 1);
        Assert.Equal("CoE", master.SubDevices[0].MappingSource);
        Assert.Equal(25 * 8, master.SubDevices[0].OutputBits);
    }
}

public sealed class EmergencyTests
{
    [Fact]
    public void An_emergency_waiting_in_the_mailbox_is_recorded_and_the_sdo_reply_still_arrives()
    {
        var segment = EscBenchSegment.Create(1, 0);
        var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        master.Initialize();
        master.ToPreOp();
        // CoE emergency: mailbox header (length 10, type CoE, counter 1), CoE header service 1, error code 0x2310
        // (continuous over-current), error register 0x03, manufacturer bytes 1..5.
        byte[] msg = [10, 0, 0, 0, 0, 0x13, 0x00, 0x10, 0x10, 0x23, 0x03, 1, 2, 3, 4, 5];
        Assert.True(segment.Slaves[0].Esc.PdiWriteMailbox(1, msg));
        var sdo = master.SubDevices[0].Sdo!;
        Assert.Equal(Rt.Drivers.EtherCat.Devices.BenchDevices.Vendor, sdo.UploadU32(0x1018, 1));
        var e = Assert.Single(sdo.Emergencies);
        Assert.Equal(0x2310, e.ErrorCode);
        Assert.Equal(0x03, e.ErrorRegister);
        Assert.Equal(0x0504030201UL, e.ManufacturerData);
        Assert.Equal(0, e.Position);
    }
}
