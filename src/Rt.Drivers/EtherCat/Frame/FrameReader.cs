using System.Buffers.Binary;

namespace Rt.Drivers.EtherCat.Frame;

/// <summary>
/// Decodes an Ethernet frame carrying EtherCAT datagrams. Try-style over spans: returns a structured
/// <see cref="FrameError"/> (reason + byte offset) for bad wire data and never throws. Real-time safe.
/// </summary>
public static class FrameReader
{
    /// <summary>
    /// Decodes every datagram of <paramref name="frame"/> into <paramref name="datagrams"/> and sets <paramref name="count"/>.
    /// Padding after the EtherCAT payload (minimum frame size) is ignored.
    /// </summary>
    public static FrameError TryDecode(ReadOnlySpan<byte> frame, Span<Datagram> datagrams, out int count)
    {
        count = 0;
        if (frame.Length < FrameLayout.FirstDatagramOffset)
            return new FrameError(FrameErrorKind.TooShortForHeader, 0, frame.Length);

        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12, 2));
        if (etherType != FrameLayout.EtherType) return new FrameError(FrameErrorKind.NotEtherCat, 12, etherType);

        ushort header = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(FrameLayout.EthernetHeaderLength, 2));
        int type = header >> 12;
        if (type != FrameLayout.TypeDatagrams) return new FrameError(FrameErrorKind.UnsupportedType, FrameLayout.EthernetHeaderLength, type);
        int payloadLength = header & FrameLayout.LengthMask;
        int end = FrameLayout.FirstDatagramOffset + payloadLength;
        if (end > frame.Length) return new FrameError(FrameErrorKind.HeaderLengthPastEnd, FrameLayout.EthernetHeaderLength, payloadLength);

        int position = FrameLayout.FirstDatagramOffset;
        while (true)
        {
            if (end - position < FrameLayout.DatagramHeaderLength)
                return new FrameError(FrameErrorKind.TruncatedDatagramHeader, position, end - position);
            byte cmd = frame[position];
            if (!EtherCatCommands.IsDefined(cmd)) return new FrameError(FrameErrorKind.UnknownCommand, position, cmd);
            ushort lengthWord = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(position + 6, 2));
            int dataLength = lengthWord & FrameLayout.LengthMask;
            int dataOffset = position + FrameLayout.DatagramHeaderLength;
            if (dataOffset + dataLength + FrameLayout.WorkingCounterLength > end)
                return new FrameError(FrameErrorKind.DatagramLengthPastEnd, position, dataLength);
            if (count >= datagrams.Length) return new FrameError(FrameErrorKind.TooManyDatagrams, position, datagrams.Length);
            bool more = (lengthWord & FrameLayout.MoreBit) != 0;
            datagrams[count++] = new Datagram(
                (EtherCatCommand)cmd,
                frame[position + 1],
                BinaryPrimitives.ReadUInt32LittleEndian(frame.Slice(position + 2, 4)),
                position,
                dataOffset,
                dataLength,
                (lengthWord & FrameLayout.CirculatingBit) != 0,
                more,
                BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(position + 8, 2)),
                BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(dataOffset + dataLength, 2)));
            position = dataOffset + dataLength + FrameLayout.WorkingCounterLength;
            if (!more) break;
        }

        if (position != end) return new FrameError(FrameErrorKind.LengthMismatch, position, payloadLength);
        return FrameError.None;
    }

    /// <summary>
    /// Checks that a reply datagram answers a request: same command, index and data length.
    /// Real-time safe.
    /// </summary>
    public static FrameError MatchReply(in Datagram request, in Datagram reply)
    {
        if (reply.Index != request.Index) return new FrameError(FrameErrorKind.ReplyMismatch, reply.HeaderOffset, 1);
        if (reply.Command != request.Command) return new FrameError(FrameErrorKind.ReplyMismatch, reply.HeaderOffset, 2);
        if (reply.DataLength != request.DataLength) return new FrameError(FrameErrorKind.ReplyMismatch, reply.HeaderOffset, 3);
        return FrameError.None;
    }
}
