using System.Buffers.Binary;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.ProcessData;
using Rt.Drivers.EtherCat.Transport;

namespace Rt.Fuzz.Targets;

/// <summary>
/// The EtherCAT frame decoder (src/Rt.Drivers/EtherCat/Frame/FrameReader.cs) and the two places that trust what it
/// decoded: the cyclic process-data exchange (CyclicFrame) and the bring-up transport (EtherCatTransport). The input is
/// a received Ethernet frame. Documented outcome for bad frames: a FrameError value; the decoder never throws.
/// Oracle: a decoded datagram lies inside the frame, headers and data follow each other, an error offset lies in the frame.
/// </summary>
internal static class FrameTarget
{
    // The master's own source MAC (processed bit clear); seeds mark their source MAC processed, as a slave does.
    private static readonly byte[] Mac = EthernetHeader.MasterMac.ToArray();
    private static readonly ProcessDataLayout Layout = new(0x0001_0000, 16, 24, 2, 3);
    private static readonly ushort[] Stations = [0x1001, 0x1002, 0x1003];

    public static FuzzTarget Create() => new("frame", "EtherCAT frames (FrameReader, CyclicFrame reply, transport reply)", Run, [], Seeds);

    private static void Run(ReadOnlySpan<byte> input)
    {
        Span<Datagram> datagrams = stackalloc Datagram[16];
        var error = FrameReader.TryDecode(input, datagrams, out int count);
        if (error.IsError)
        {
            if (error.Offset < 0 || error.Offset > input.Length) throw new FuzzInvariantException($"error offset {error.Offset} outside the {input.Length}-byte frame: {error}");
            _ = error.ToString();
        }
        else
        {
            if (count < 1) throw new FuzzInvariantException("a frame decoded without error holds no datagram");
            int expectHeader = FrameLayout.FirstDatagramOffset;
            for (int i = 0; i < count; i++)
            {
                var d = datagrams[i];
                if (d.HeaderOffset != expectHeader || d.DataOffset != d.HeaderOffset + FrameLayout.DatagramHeaderLength)
                    throw new FuzzInvariantException($"datagram {i} header at {d.HeaderOffset}, data at {d.DataOffset}; expected header at {expectHeader}");
                if (d.DataLength < 0 || d.WorkingCounterOffset + FrameLayout.WorkingCounterLength > input.Length)
                    throw new FuzzInvariantException($"datagram {i} data {d.DataOffset}+{d.DataLength} + WKC runs past the {input.Length}-byte frame");
                _ = d.Data(input);
                if (BinaryPrimitives.ReadUInt16LittleEndian(input.Slice(d.WorkingCounterOffset, 2)) != d.WorkingCounter)
                    throw new FuzzInvariantException($"datagram {i} working counter differs from the bytes at {d.WorkingCounterOffset}");
                _ = FrameReader.MatchReply(datagrams[0], d);
                expectHeader = d.WorkingCounterOffset + FrameLayout.WorkingCounterLength;
            }
        }

        // The same bytes as the reply to a cyclic frame (index 1: a fresh CyclicFrame's first exchange)...
        var buffer = input.ToArray();
        var cyclic = new CyclicFrame(Layout, Stations, Mac, dcReferenceStation: 0x1001);
        var replyLink = new OneReplyLink(buffer, buffer.Length);
        var result = cyclic.Exchange(replyLink, replyLink.Clock, replyTimeoutNs: 2_000_000);
        if (result.Received)
        {
            _ = cyclic.Inputs.Length + cyclic.ReplyImage.Length;
            _ = result.WorkingCounterOk;
        }
        _ = result.LastDropReason.ToString();

        // ...and as the reply to a bring-up read (index 0, FPRD of 2 bytes: the transport's first datagram).
        var transport = new EtherCatTransport(new OneReplyLink(buffer, buffer.Length), new TransportOptions { ReplyTimeoutNs = 2_000_000, Retries = 1 });
        Span<byte> data = stackalloc byte[2];
        var r = transport.Execute(EtherCatCommand.Fprd, EtherCatCommands.Physical(0x1001, 0x0130), data);
        _ = r.Error.ToString();
    }

    /// <summary>Valid replies the master expects (so mutations start deep in the decoder) plus a few odd shapes.</summary>
    private static IEnumerable<(string, byte[])> Seeds()
    {
        // The cyclic frame as sent is also a well-formed reply: LRW + FRMW + BRD + FPRD probe, index 1.
        var capture = new OneReplyLink([], 0);
        new CyclicFrame(Layout, Stations, Mac, dcReferenceStation: 0x1001).Exchange(capture, capture.Clock, replyTimeoutNs: 1_000_000);
        yield return ("cyclic-reply", Processed(capture.Sent));

        // The transport's first request, FPRD 2 bytes index 0, answered with WKC 1.
        var t = new OneReplyLink([], 0);
        new EtherCatTransport(t, new TransportOptions { ReplyTimeoutNs = 1_000_000, Retries = 1 }).Execute(EtherCatCommand.Fprd, EtherCatCommands.Physical(0x1001, 0x0130), new byte[2]);
        var fprd = t.Sent;
        var decoded = new Datagram[4];
        if (!FrameReader.TryDecode(fprd, decoded, out _).IsError)
            BinaryPrimitives.WriteUInt16LittleEndian(fprd.AsSpan(decoded[0].WorkingCounterOffset), 1);
        yield return ("transport-reply", Processed(fprd));

        // Several datagrams of different commands, built with the writer.
        var frame = new byte[FrameLayout.MaximumFrameLength];
        var w = new FrameWriter(frame, Mac);
        w.TryAppend(EtherCatCommand.Brd, 7, EtherCatCommands.Physical(0, 0x0130), new byte[2], out _);
        w.TryAppend(EtherCatCommand.Aprd, 8, EtherCatCommands.AutoIncrement(1, 0x0000), new byte[4], out _);
        w.TryAppend(EtherCatCommand.Lrw, 9, 0x0001_0000, new byte[40], out _);
        w.TryAppend(EtherCatCommand.Nop, 10, 0, ReadOnlySpan<byte>.Empty, out _);
        yield return ("four-datagrams", Processed(frame.AsSpan(0, w.Finish()).ToArray()));

        // Minimum-size padded frame with one datagram.
        var small = new byte[FrameLayout.MaximumFrameLength];
        var s = new FrameWriter(small, Mac);
        s.TryAppend(EtherCatCommand.Fpwr, 1, EtherCatCommands.Physical(0x1001, 0x0120), new byte[2] { 0x02, 0x00 }, out _);
        int n = Math.Max(s.Finish(), 60);
        yield return ("padded", Processed(small.AsSpan(0, n).ToArray()));
    }

    /// <summary>Sets the "processed by a slave" bit of the source MAC (byte 6), as every ESC does on the way.</summary>
    private static byte[] Processed(byte[] frame)
    {
        if (frame.Length > 6) frame[6] |= 0x02;
        return frame;
    }
}
