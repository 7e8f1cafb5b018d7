using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Rt.Drivers.EtherCat.Frame;

namespace Rt.Drivers.Tests.EtherCat;

public sealed class FrameCodecTests
{
    private static readonly byte[] Mac = [0x02, 0, 0, 0, 0, 1];

    public static TheoryData<byte> AllCommands()
    {
        var d = new TheoryData<byte>();
        for (byte c = 0; c <= 14; c++) d.Add(c);
        return d;
    }

    [Theory]
    [MemberData(nameof(AllCommands))]
    public void Every_command_round_trips_through_encode_and_decode(byte code)
    {
        var cmd = (EtherCatCommand)code;
        var buffer = new byte[FrameLayout.MaximumFrameLength];
        var w = new FrameWriter(buffer, Mac);
        uint address = EtherCatCommands.IsLogical(cmd) ? 0x0001_2345u : EtherCatCommands.Physical(0x1003, 0x0130);
        Assert.True(w.TryAppend(cmd, 0x5A, address, [1, 2, 3, 4, 5], out _));
        Assert.True(w.TryAppend(EtherCatCommand.Brd, 0x5B, 0, 2, out var second, out _));
        second[0] = 0xAA;
        int length = w.Finish();

        Assert.Equal(FrameLayout.MinimumFrameLength, length); // 16 + 17 + 14 = 47, padded to 60
        var datagrams = new Datagram[4];
        var error = FrameReader.TryDecode(buffer.AsSpan(0, length), datagrams, out int count);
        Assert.False(error.IsError, error.ToString());
        Assert.Equal(2, count);
        Assert.Equal(cmd, datagrams[0].Command);
        Assert.Equal(0x5A, datagrams[0].Index);
        Assert.Equal(address, datagrams[0].Address);
        Assert.True(datagrams[0].More);
        Assert.False(datagrams[1].More);
        Assert.Equal([1, 2, 3, 4, 5], datagrams[0].Data(buffer).ToArray());
        Assert.Equal(0xAA, datagrams[1].Data(buffer)[0]);
        Assert.Equal(0, datagrams[0].WorkingCounter);
        // EtherCAT header: length 31 (17 + 14), type 1.
        Assert.Equal(31 | (1 << 12), BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(14)));
        Assert.Equal(0x88A4, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(12)));
    }

    /// <summary>A frame written by hand from the datasheet layout: APRD position 0, register 0x0130, 2 bytes, WKC 1.</summary>
    [Fact]
    public void A_hand_built_reply_decodes_field_by_field()
    {
        byte[] frame =
        [
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x03, 0, 0, 0, 0, 1, 0x88, 0xA4,
            0x0E, 0x10, // EtherCAT header: 14 bytes, type 1
            0x01, 0x07, 0x00, 0x00, 0x30, 0x01, 0x02, 0x00, 0x00, 0x00, // APRD idx 7 ADP 0 ADO 0x0130 len 2
            0x08, 0x00, // data: OP
            0x01, 0x00, // WKC 1
        ];
        var d = new Datagram[2];
        Assert.False(FrameReader.TryDecode(frame, d, out int n).IsError);
        Assert.Equal(1, n);
        Assert.Equal(EtherCatCommand.Aprd, d[0].Command);
        Assert.Equal(7, d[0].Index);
        Assert.Equal(0x0130, d[0].Ado);
        Assert.Equal(0, d[0].Adp);
        Assert.Equal(8, d[0].DataU16(frame));
        Assert.Equal(1, d[0].WorkingCounter);
    }

    [Fact]
    public void Truncated_frames_are_reported_with_offset_and_reason()
    {
        var frame = Valid();
        var d = new Datagram[4];
        Assert.Equal(FrameErrorKind.TooShortForHeader, FrameReader.TryDecode(frame.AsSpan(0, 10), d, out _).Kind);
        var e = FrameReader.TryDecode(frame.AsSpan(0, 30), d, out _);
        Assert.Equal(FrameErrorKind.HeaderLengthPastEnd, e.Kind);
        Assert.Equal(14, e.Offset);
        Assert.Contains("offset 14", e.ToString());
    }

    [Fact]
    public void A_datagram_length_past_the_payload_is_reported_at_its_header()
    {
        var frame = Valid();
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(16 + 6), 200); // first datagram claims 200 bytes
        var e = FrameReader.TryDecode(frame, new Datagram[4], out _);
        Assert.Equal(FrameErrorKind.DatagramLengthPastEnd, e.Kind);
        Assert.Equal(16, e.Offset);
    }

    [Fact]
    public void A_wrong_length_that_still_fits_is_a_length_mismatch()
    {
        var frame = Valid();
        // Shorten the first datagram by 2 without touching the header: the datagrams no longer add up.
        ushort word = BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(16 + 6));
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(16 + 6), (ushort)(word & 0x8000 | 0));
        var e = FrameReader.TryDecode(frame, new Datagram[4], out _);
        Assert.True(e.IsError);
    }

    [Fact]
    public void Unknown_command_and_not_ethercat_are_reported()
    {
        var frame = Valid();
        frame[16] = 0x20;
        var e = FrameReader.TryDecode(frame, new Datagram[4], out _);
        Assert.Equal(FrameErrorKind.UnknownCommand, e.Kind);
        Assert.Equal(0x20, e.Detail);
        frame = Valid();
        frame[12] = 0x08;
        frame[13] = 0x00;
        Assert.Equal(FrameErrorKind.NotEtherCat, FrameReader.TryDecode(frame, new Datagram[4], out _).Kind);
    }

    [Fact]
    public void A_reply_with_the_wrong_index_does_not_match_its_request()
    {
        var frame = Valid();
        var req = new Datagram[4];
        FrameReader.TryDecode(frame, req, out _);
        var reply = (byte[])frame.Clone();
        reply[17] = 0x99;
        var rep = new Datagram[4];
        FrameReader.TryDecode(reply, rep, out _);
        var e = FrameReader.MatchReply(req[0], rep[0]);
        Assert.Equal(FrameErrorKind.ReplyMismatch, e.Kind);
        Assert.False(FrameReader.MatchReply(req[1], rep[1]).IsError);
    }

    [Fact]
    public void A_datagram_that_does_not_fit_is_refused_not_thrown()
    {
        var buffer = new byte[FrameLayout.MaximumFrameLength];
        var w = new FrameWriter(buffer, Mac);
        Assert.True(w.TryAppend(EtherCatCommand.Lrw, 1, 0, 1400, out _, out _));
        Assert.False(w.TryAppend(EtherCatCommand.Brd, 2, 0, 200, out _, out _));
        Assert.Equal(1, w.DatagramCount);
    }

    [Fact]
    public void Random_bytes_never_make_the_decoder_throw()
    {
        var d = new Datagram[8];
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            FrameReader.TryDecode(bytes ?? [], d, out int n);
            return n >= 0 && n <= d.Length;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Mutated_valid_frames_never_make_the_decoder_throw_and_offsets_stay_inside()
    {
        var valid = Valid();
        var d = new Datagram[8];
        var gen = from pos in Gen.Choose(0, valid.Length - 1)
                  from value in Gen.Choose(0, 255)
                  from cut in Gen.Choose(0, valid.Length)
                  select (pos, (byte)value, cut);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var f = (byte[])valid.Clone();
            f[t.pos] = t.Item2;
            var span = f.AsSpan(0, t.cut);
            var e = FrameReader.TryDecode(span, d, out int n);
            if (e.IsError) return true;
            for (int i = 0; i < n; i++)
                if (d[i].DataOffset + d[i].DataLength + 2 > span.Length) return false;
            return true;
        }).QuickCheckThrowOnFailure();
    }

    private static byte[] Valid()
    {
        var buffer = new byte[FrameLayout.MaximumFrameLength];
        var w = new FrameWriter(buffer, Mac);
        w.TryAppend(EtherCatCommand.Lrw, 1, 0x10000, 20, out _, out _);
        w.TryAppend(EtherCatCommand.Brd, 2, EtherCatCommands.Physical(0, 0x130), 2, out _, out _);
        w.TryAppend(EtherCatCommand.Fprd, 3, EtherCatCommands.Physical(0x1001, 0x130), 2, out _, out _);
        int n = w.Finish();
        return buffer.AsSpan(0, n).ToArray();
    }
}
