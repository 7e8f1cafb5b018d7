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

        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(EthernetHeader.EtherType, 2));
        if (etherType != FrameLayout.EtherType) return new FrameError(FrameErrorKind.NotEtherCat, EthernetHeader.EtherType, etherType);

        ushort header = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(FrameLayout.EthernetHeaderLength, 2));
        int type = header >> EtherCatHeader.TypeShift;
        if (type != FrameLayout.TypeDatagrams) return new FrameError(FrameErrorKind.UnsupportedType, FrameLayout.EthernetHeaderLength, type);
        int payloadLength = header & FrameLayout.LengthMask;
        int end = FrameLayout.FirstDatagramOffset + payloadLength;
        if (end > frame.Length) return new FrameError(FrameErrorKind.HeaderLengthPastEnd, FrameLayout.EthernetHeaderLength, payloadLength);

        int position = FrameLayout.FirstDatagramOffset;
        while (true)
        {
            if (end - position < FrameLayout.DatagramHeaderLength)
                return new FrameError(FrameErrorKind.TruncatedDatagramHeader, position, end - position);
            byte cmd = frame[position + DatagramHeader.Command];
            if (!EtherCatCommands.IsDefined(cmd)) return new FrameError(FrameErrorKind.UnknownCommand, position, cmd);
            ushort lengthWord = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(position + DatagramHeader.LengthWord, 2));
            int dataLength = lengthWord & FrameLayout.LengthMask;
            int dataOffset = position + FrameLayout.DatagramHeaderLength;
            if (dataOffset + dataLength + FrameLayout.WorkingCounterLength > end)
                return new FrameError(FrameErrorKind.DatagramLengthPastEnd, position, dataLength);
            if (count >= datagrams.Length) return new FrameError(FrameErrorKind.TooManyDatagrams, position, datagrams.Length);
            bool more = (lengthWord & FrameLayout.MoreBit) != 0;
            datagrams[count++] = new Datagram(
                (EtherCatCommand)cmd,
                frame[position + DatagramHeader.Index],
                BinaryPrimitives.ReadUInt32LittleEndian(frame.Slice(position + DatagramHeader.Address, 4)),
                position,
                dataOffset,
                dataLength,
                (lengthWord & FrameLayout.CirculatingBit) != 0,
                more,
                BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(position + DatagramHeader.Irq, 2)),
                BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(dataOffset + dataLength, 2)));
            position = dataOffset + dataLength + FrameLayout.WorkingCounterLength;
            if (!more) break;
        }

        if (position != end) return new FrameError(FrameErrorKind.LengthMismatch, position, payloadLength);
        return FrameError.None;
    }

    /// <summary>
    /// Decides whether <paramref name="reply"/> is the answer to the frame whose datagrams were <paramref name="sent"/>
    /// (decoded from the frame as sent). The whole frame must match: it passed a slave (source MAC processed bit), it
    /// decodes, it has as many datagrams, and each has the request's position, command, address and length; then the
    /// indices decide between this request's reply and a late reply to an earlier one (<see cref="ReplyVerdict.Stale"/>).
    /// The decoded reply datagrams are left in <paramref name="decoded"/>. Real-time safe.
    /// </summary>
    public static ReplyVerdict CheckReply(ReadOnlySpan<byte> reply, ReadOnlySpan<byte> masterMac, ReadOnlySpan<Datagram> sent, Span<Datagram> decoded, out FrameError error)
    {
        if (!ProcessedBySlave(reply, masterMac))
        {
            error = new FrameError(FrameErrorKind.NotProcessedBySlave, EthernetHeader.Source, reply.Length > EthernetHeader.Source ? reply[EthernetHeader.Source] : 0);
            return ReplyVerdict.Rejected;
        }
        error = TryDecode(reply, decoded, out int count);
        if (error.IsError) return ReplyVerdict.Rejected;
        if (count != sent.Length)
        {
            error = new FrameError(FrameErrorKind.ReplyMismatch, FrameLayout.FirstDatagramOffset, ReplyMismatchDetail.Count);
            return ReplyVerdict.Rejected;
        }
        for (int i = 0; i < count; i++)
        {
            error = MatchLayout(sent[i], decoded[i]);
            if (error.IsError) return ReplyVerdict.Rejected;
        }
        for (int i = 0; i < count; i++)
            if (decoded[i].Index != sent[i].Index)
            {
                error = new FrameError(FrameErrorKind.ReplyMismatch, decoded[i].HeaderOffset, ReplyMismatchDetail.Index);
                return ReplyVerdict.Stale;
            }
        return ReplyVerdict.Accepted;
    }

    /// <summary>
    /// Checks that a reply datagram answers a request: same index, command, address and data length, at the same place
    /// in the frame. For auto-increment and broadcast commands every slave increments ADP on the way, so only ADO is
    /// compared. Real-time safe.
    /// </summary>
    public static FrameError MatchReply(in Datagram request, in Datagram reply)
    {
        var layout = MatchLayout(request, reply);
        if (layout.IsError) return layout;
        if (reply.Index != request.Index) return new FrameError(FrameErrorKind.ReplyMismatch, reply.HeaderOffset, ReplyMismatchDetail.Index);
        return FrameError.None;
    }

    /// <summary>Like <see cref="MatchReply"/> without the index: whether <paramref name="reply"/> has the request's shape. Real-time safe.</summary>
    public static FrameError MatchLayout(in Datagram request, in Datagram reply)
    {
        if (reply.HeaderOffset != request.HeaderOffset) return new FrameError(FrameErrorKind.ReplyMismatch, reply.HeaderOffset, ReplyMismatchDetail.Offset);
        if (reply.Command != request.Command) return new FrameError(FrameErrorKind.ReplyMismatch, reply.HeaderOffset, ReplyMismatchDetail.Command);
        if (reply.DataLength != request.DataLength) return new FrameError(FrameErrorKind.ReplyMismatch, reply.HeaderOffset, ReplyMismatchDetail.Length);
        bool adpMoves = EtherCatCommands.AdpChangesInTransit(request.Command);
        if (adpMoves ? reply.Ado != request.Ado : reply.Address != request.Address)
            return new FrameError(FrameErrorKind.ReplyMismatch, reply.HeaderOffset, ReplyMismatchDetail.Address);
        return FrameError.None;
    }

    /// <summary>
    /// Whether <paramref name="frame"/> passed at least one slave: an ESC sets <see cref="EthernetHeader.ProcessedBit"/>
    /// of the first source-MAC byte, so the source must be <paramref name="masterMac"/> with that bit set. A frame from
    /// another host, or our own frame echoed without passing a slave, fails. Real-time safe.
    /// </summary>
    public static bool ProcessedBySlave(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> masterMac)
    {
        if (frame.Length < EthernetHeader.Size || masterMac.Length < EthernetHeader.MacLength) return false;
        var source = frame.Slice(EthernetHeader.Source, EthernetHeader.MacLength);
        return source[0] == (masterMac[0] | EthernetHeader.ProcessedBit)
            && (masterMac[0] & EthernetHeader.ProcessedBit) == 0
            && source[1..].SequenceEqual(masterMac[1..EthernetHeader.MacLength]);
    }
}

/// <summary>What a received frame is to the request waiting for it.</summary>
public enum ReplyVerdict : byte
{
    /// <summary>The reply to this request.</summary>
    Accepted,
    /// <summary>Shaped like the reply but carrying another index: a late reply to an earlier request.</summary>
    Stale,
    /// <summary>Not an answer to this request: foreign, forged, unprocessed or malformed.</summary>
    Rejected,
}

/// <summary>Detail codes of <see cref="FrameErrorKind.ReplyMismatch"/>: which field differs from the request.</summary>
public static class ReplyMismatchDetail
{
    public const int Index = 1;
    public const int Command = 2;
    public const int Length = 3;
    public const int Address = 4;
    public const int Count = 5;
    public const int Offset = 6;

    public static string Name(int detail) => detail switch
    {
        Index => "index",
        Command => "command",
        Length => "length",
        Address => "address",
        Count => "number of datagrams",
        Offset => "datagram position",
        _ => "field " + detail.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
