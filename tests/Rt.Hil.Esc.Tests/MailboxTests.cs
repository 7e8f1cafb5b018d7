using System.Buffers.Binary;

namespace Rt.Hil.Esc.Tests;

public class MailboxTests
{
    private static Bench PreOp()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        return b;
    }

    [Fact]
    public void Read_of_an_empty_mailbox_gives_no_working_counter()
    {
        var b = PreOp();
        Assert.Null(b.Bus.MailboxRead(0x1001));
        Assert.Equal(0, b.Bus.FprdU16(0x1001, 0x080D) & 0x08);
    }

    [Fact]
    public void Write_to_a_full_mailbox_gives_no_working_counter_until_the_firmware_took_it()
    {
        var b = PreOp();
        var slave = b.Segment.Slaves[0];
        var req = TestBus.SdoRequest(0x40, 0x1018, 1);
        // Frame with two writes: the second hits the mailbox the first just filled (firmware runs after the frame).
        var f = new TestFrame();
        var m = new byte[128];
        BinaryPrimitives.WriteUInt16LittleEndian(m, (ushort)req.Length);
        m[5] = 0x13;
        req.CopyTo(m, 6);
        int first = f.Add(TestBus.FPWR, 0x1001, 0x1000, m);
        int second = f.Add(TestBus.FPWR, 0x1001, 0x1000, m);
        var buf = f.Build();
        b.Segment.Process(buf, f.Length);
        Assert.Equal(1, f.Wkc(first));
        Assert.Equal(0, f.Wkc(second));
        Assert.Equal(1, slave.Mailbox.RequestsHandled);
        // After the frame, the firmware consumed it: the master may write again.
        Assert.Equal(0, b.Bus.FprdU16(0x1001, 0x0805) & 0x08);
    }

    [Fact]
    public void Reply_stays_until_read_and_the_mailbox_empties_on_its_last_byte()
    {
        var b = PreOp();
        Assert.Equal(1, b.Bus.MailboxWrite(0x1001, 3, TestBus.SdoRequest(0x40, 0x1018, 1)));
        b.Bus.Send(TestBus.NOP, 0, 0, new byte[1]);
        Assert.Equal(0x08, b.Bus.FprdU16(0x1001, 0x080D) & 0x08);
        var (wkc, part) = b.Bus.Fprd(0x1001, 0x1080, 16); // not the last byte: stays full
        Assert.Equal(1, wkc);
        Assert.Equal(0x4B & 0xF3, part[8] & 0xF3);
        Assert.Equal(0x08, b.Bus.FprdU16(0x1001, 0x080D) & 0x08);
        var reply = b.Bus.MailboxRead(0x1001);
        Assert.NotNull(reply);
        Assert.Equal(0x0E7Au, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(12)));
        Assert.Null(b.Bus.MailboxRead(0x1001));
    }

    [Fact]
    public void Repeat_request_rewrites_the_last_reply_and_toggles_the_acknowledge()
    {
        var b = PreOp();
        var first = b.Bus.Transact(0x1001, TestBus.SdoRequest(0x40, 0x1018, 2));
        Assert.Null(b.Bus.MailboxRead(0x1001)); // reply "lost"
        byte activate = b.Bus.Fprd(0x1001, 0x080E, 1).Data[0];
        Assert.Equal(1, b.Bus.Fpwr(0x1001, 0x080E, (byte)(activate ^ 0x02)));
        b.Bus.Send(TestBus.NOP, 0, 0, new byte[1]);
        Assert.Equal((activate ^ 0x02) & 0x02, b.Bus.Fprd(0x1001, 0x080F, 1).Data[0] & 0x02);
        var again = b.Bus.MailboxRead(0x1001);
        Assert.NotNull(again);
        Assert.Equal(first, again);
    }

    [Fact]
    public void Unsupported_protocol_gets_a_mailbox_error_reply()
    {
        var b = PreOp();
        Assert.Equal(1, b.Bus.MailboxWrite(0x1001, 4, new byte[] { 1, 0, 0, 0, 0, 0 })); // FoE
        b.Bus.Send(TestBus.NOP, 0, 0, new byte[1]);
        var reply = b.Bus.MailboxRead(0x1001);
        Assert.NotNull(reply);
        Assert.Equal(0, reply[5] & 0x0F); // type 0: error
        Assert.Equal(0x0001, BinaryPrimitives.ReadUInt16LittleEndian(reply.AsSpan(6)));
        Assert.Equal(0x0002, BinaryPrimitives.ReadUInt16LittleEndian(reply.AsSpan(8))); // unsupported protocol
    }

    [Fact]
    public void A_mailbox_header_claiming_more_than_the_mailbox_gets_invalid_size()
    {
        var b = PreOp();
        var m = new byte[128];
        BinaryPrimitives.WriteUInt16LittleEndian(m, 500);
        m[5] = 0x13;
        Assert.Equal(1, b.Bus.Fpwr(0x1001, 0x1000, m));
        b.Bus.Send(TestBus.NOP, 0, 0, new byte[1]);
        var reply = b.Bus.MailboxRead(0x1001);
        Assert.NotNull(reply);
        Assert.Equal(0x0008, BinaryPrimitives.ReadUInt16LittleEndian(reply.AsSpan(8)));
    }

    [Fact]
    public void Reply_echoes_the_request_counter_and_continues_its_own_1_to_7_sequence_for_counter_0()
    {
        var b = PreOp();
        var seen = new List<int>();
        foreach (byte c in new byte[] { 3, 5, 0, 0, 6 })
        {
            Assert.Equal(1, b.Bus.MailboxWrite(0x1001, 3, TestBus.SdoRequest(0x40, 0x1000, 0), c));
            b.Bus.Send(TestBus.NOP, 0, 0, new byte[1]);
            seen.Add((b.Bus.MailboxRead(0x1001)![5] >> 4) & 7);
        }

        Assert.Equal(new[] { 3, 5, 6, 7, 6 }, seen); // own sequence continues after the last echoed counter
    }

    [Fact]
    public void A_repeated_counter_is_a_duplicate_and_gets_no_second_reply()
    {
        var b = PreOp();
        Assert.Equal(1, b.Bus.MailboxWrite(0x1001, 3, TestBus.SdoRequest(0x40, 0x1000, 0), 4));
        b.Bus.Send(TestBus.NOP, 0, 0, new byte[1]);
        Assert.NotNull(b.Bus.MailboxRead(0x1001));
        Assert.Equal(1, b.Bus.MailboxWrite(0x1001, 3, TestBus.SdoRequest(0x40, 0x1000, 0), 4));
        b.Bus.Send(TestBus.NOP, 0, 0, new byte[1]);
        Assert.Null(b.Bus.MailboxRead(0x1001));
    }
}
