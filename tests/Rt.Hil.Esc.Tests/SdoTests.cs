using System.Buffers.Binary;
using System.Text;
using Rt.Hil.Esc.Mailbox;

namespace Rt.Hil.Esc.Tests;

public class SdoTests
{
    private static Bench PreOp()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        return b;
    }

    [Fact]
    public void Expedited_upload_of_identity()
    {
        var b = PreOp();
        var (abort, data) = b.Bus.Upload(0x1001, 0x1018, 2);
        Assert.Equal(0u, abort);
        Assert.Equal(0x402u, BinaryPrimitives.ReadUInt32LittleEndian(data));
        Assert.Equal(new byte[] { 4 }, b.Bus.Upload(0x1001, 0x1018, 0).Data);
    }

    [Fact]
    public void Expedited_upload_uses_the_size_coded_command_byte()
    {
        var b = PreOp();
        Assert.Equal(0x4F, b.Bus.Transact(0x1001, TestBus.SdoRequest(0x40, 0x1C00, 0))[8]);
        Assert.Equal(0x4B, b.Bus.Transact(0x1001, TestBus.SdoRequest(0x40, 0x6040, 0))[8]);
        Assert.Equal(0x43, b.Bus.Transact(0x1001, TestBus.SdoRequest(0x40, 0x1000, 0))[8]);
        Assert.Equal(0x3, b.Bus.Transact(0x1001, TestBus.SdoRequest(0x40, 0x1000, 0))[7] >> 4); // CoE service 3 = response
    }

    [Fact]
    public void Normal_upload_of_the_device_name()
    {
        var b = PreOp();
        var reply = b.Bus.Transact(0x1001, TestBus.SdoRequest(0x40, 0x1008, 0));
        Assert.Equal(0x41, reply[8]);
        var (abort, data) = b.Bus.Upload(0x1001, 0x1008, 0);
        Assert.Equal(0u, abort);
        Assert.Equal("Rt bench servo drive", Encoding.ASCII.GetString(data));
    }

    [Fact]
    public void Segmented_upload_of_a_long_string_with_toggle()
    {
        var b = PreOp();
        var (abort, data) = b.Bus.Upload(0x1001, 0x2001, 0);
        Assert.Equal(0u, abort);
        Assert.True(data.Length > 112);
        Assert.StartsWith("Emulated by Rt.Hil.Esc: Rt bench servo drive.", Encoding.ASCII.GetString(data), StringComparison.Ordinal);
        Assert.EndsWith("no other meaning.", Encoding.ASCII.GetString(data), StringComparison.Ordinal);
    }

    [Fact]
    public void Upload_segment_with_the_wrong_toggle_aborts_0x05030000()
    {
        var b = PreOp();
        Assert.Equal(0x41, b.Bus.Transact(0x1001, TestBus.SdoRequest(0x40, 0x2001, 0))[8]);
        var r = b.Bus.Transact(0x1001, TestBus.SdoRequest(0x70, 0, 0)); // toggle 1 first: wrong
        Assert.Equal(0x80, r[8]);
        Assert.Equal(SdoAbort.ToggleBit, BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(12)));
    }

    [Fact]
    public void Expedited_download_and_read_back()
    {
        var b = PreOp();
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x6060, 0, 8, 1));
        Assert.Equal(new byte[] { 8 }, b.Bus.Upload(0x1001, 0x6060, 0).Data);
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x607A, 0, 0xDEADBEEF, 4));
        Assert.Equal(0xDEADBEEFu, BinaryPrimitives.ReadUInt32LittleEndian(b.Bus.Upload(0x1001, 0x607A, 0).Data));
    }

    [Fact]
    public void Segmented_download_with_toggle()
    {
        var b = PreOp();
        string label = new string('L', 150) + "-end";
        var bytes = Encoding.ASCII.GetBytes(label);
        // Initiate: normal download with the size and the first 118 - 10 bytes in this mailbox (mailbox 128 - 6 header).
        int first = 122 - 10;
        var init = TestBus.SdoRequest(0x21, 0x2002, 0, (uint)bytes.Length, bytes.AsSpan(0, first).ToArray());
        Assert.Equal(0x60, b.Bus.Transact(0x1001, init)[8]);
        int sent = first, toggle = 0;
        while (sent < bytes.Length)
        {
            int n = Math.Min(bytes.Length - sent, 122 - 3);
            bool last = sent + n == bytes.Length;
            int pad = n < 7 ? 7 - n : 0;
            var seg = new byte[3 + n + pad];
            BinaryPrimitives.WriteUInt16LittleEndian(seg, 2 << 12);
            seg[2] = (byte)((toggle << 4) | (pad << 1) | (last ? 1 : 0));
            bytes.AsSpan(sent, n).CopyTo(seg.AsSpan(3));
            var r = b.Bus.Transact(0x1001, seg);
            Assert.Equal(0x20 | (toggle << 4), r[8]);
            sent += n;
            toggle ^= 1;
        }

        Assert.Equal(label, Encoding.ASCII.GetString(b.Bus.Upload(0x1001, 0x2002, 0).Data));
    }

    [Fact]
    public void Download_segment_with_the_wrong_toggle_aborts()
    {
        var b = PreOp();
        var bytes = new byte[150];
        var init = TestBus.SdoRequest(0x21, 0x2002, 0, (uint)bytes.Length, bytes.AsSpan(0, 20).ToArray());
        Assert.Equal(0x60, b.Bus.Transact(0x1001, init)[8]);
        var seg = new byte[3 + 20];
        BinaryPrimitives.WriteUInt16LittleEndian(seg, 2 << 12);
        seg[2] = 0x10; // toggle 1 first: wrong
        var r = b.Bus.Transact(0x1001, seg);
        Assert.Equal(0x80, r[8]);
        Assert.Equal(SdoAbort.ToggleBit, BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(12)));
    }

    [Theory]
    [InlineData(0x40, 0x5555, 0, SdoAbort.NoObject)]
    [InlineData(0x40, 0x1018, 9, SdoAbort.NoSubIndex)]
    [InlineData(0x40, 0x2003, 0, SdoAbort.WriteOnly)]
    [InlineData(0x2B, 0x1000, 0, SdoAbort.ReadOnly)]
    [InlineData(0x50, 0x1018, 0, SdoAbort.CompleteAccessUnsupported)]
    [InlineData(0x2B, 0x607A, 0, SdoAbort.TypeLengthMismatch)]
    [InlineData(0x2F, 0x6060, 0, SdoAbort.ValueRange)]
    [InlineData(0xA0, 0x1000, 0, SdoAbort.CommandSpecifier)]
    [InlineData(0x60, 0x1000, 0, SdoAbort.CommandSpecifier)]
    public void Aborts(byte cmd, ushort index, byte sub, uint expected)
    {
        var b = PreOp();
        var r = b.Bus.Transact(0x1001, TestBus.SdoRequest(cmd, index, sub, 5));
        Assert.Equal(0x80, r[8]);
        Assert.Equal(2, r[7] >> 4); // abort travels as an SDO request
        if (cmd >> 5 is 1 or 2) Assert.Equal(index, BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(9)));
        Assert.Equal(expected, BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(12)));
    }

    [Fact]
    public void Short_SDO_request_aborts_with_general_error()
    {
        var b = PreOp();
        var r = b.Bus.Transact(0x1001, new byte[] { 0x00, 0x20, 0x40, 0x00 });
        Assert.Equal(0x80, r[8]);
        Assert.Equal(SdoAbort.General, BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(12)));
    }

    [Fact]
    public void Mapping_is_writable_in_PREOP_with_sub0_rule_and_refused_in_SAFEOP()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        Assert.Equal(SdoAbort.Sub0MustBeZero, b.Bus.Download(0x1001, 0x1600, 1, 0x60400010, 4));
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x1600, 0, 0, 1));
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x1600, 1, 0x60400010, 4));
        Assert.Equal(SdoAbort.CannotBeMapped, b.Bus.Download(0x1001, 0x1600, 2, 0x60410010, 4)); // TxPDO object
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x1600, 2, 0x607A0020, 4));
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x1600, 0, 2, 1));
        Assert.Equal(6, b.Segment.Slaves[0].OutputBytes);

        b.Bus.ToSafeOp(0x1001, 6, 15, 0x10000, 0x20000);
        Assert.Equal(SdoAbort.DeviceState, b.Bus.Download(0x1001, 0x1600, 0, 0, 1));
        Assert.Equal(SdoAbort.DeviceState, b.Bus.Download(0x1001, 0x1C12, 0, 0, 1));
    }
}
