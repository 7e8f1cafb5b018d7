using System.Buffers.Binary;

namespace Rt.Drivers.EtherCat.Frame;

/// <summary>
/// Builds one EtherCAT frame in a caller's buffer: Ethernet header, EtherCAT header and any number of datagrams,
/// setting the M (more) bit of the previous datagram when another is appended. Real-time safe: no allocation;
/// a datagram that does not fit is refused with a false return, not an exception.
/// </summary>
public ref struct FrameWriter
{
    private readonly Span<byte> _buffer;
    private int _position;
    private int _lastHeader;

    /// <summary>Starts a frame: broadcast destination, <paramref name="sourceMac"/> as source, EtherType 0x88A4.</summary>
    public FrameWriter(Span<byte> buffer, ReadOnlySpan<byte> sourceMac)
    {
        _buffer = buffer;
        FrameLayout.BroadcastMac.CopyTo(buffer);
        var source = buffer.Slice(EthernetHeader.Source, EthernetHeader.MacLength);
        if (sourceMac.Length >= EthernetHeader.MacLength) sourceMac[..EthernetHeader.MacLength].CopyTo(source);
        else source.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(buffer.Slice(EthernetHeader.EtherType, 2), FrameLayout.EtherType);
        _position = FrameLayout.FirstDatagramOffset;
        _lastHeader = -1;
        DatagramCount = 0;
    }

    /// <summary>Number of datagrams appended so far.</summary>
    public int DatagramCount { get; private set; }

    /// <summary>Bytes left for further datagrams (data + 12 bytes overhead each).</summary>
    public readonly int Remaining => Math.Min(_buffer.Length, FrameLayout.MaximumFrameLength) - _position;

    /// <summary>
    /// Appends a datagram with <paramref name="dataLength"/> zeroed data bytes and WKC 0; returns the data span to fill
    /// and the datagram's header offset (for later reply matching). False if it does not fit.
    /// </summary>
    public bool TryAppend(EtherCatCommand command, byte index, uint address, int dataLength, out Span<byte> data, out int headerOffset)
    {
        headerOffset = _position;
        if (dataLength < 0 || dataLength > FrameLayout.LengthMask || FrameLayout.DatagramOverhead + dataLength > Remaining)
        {
            data = default;
            return false;
        }

        if (_lastHeader >= 0)
        {
            var word = _buffer.Slice(_lastHeader + DatagramHeader.LengthWord, 2);
            BinaryPrimitives.WriteUInt16LittleEndian(word, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(word) | FrameLayout.MoreBit));
        }

        var h = _buffer.Slice(_position, FrameLayout.DatagramHeaderLength);
        h[DatagramHeader.Command] = (byte)command;
        h[DatagramHeader.Index] = index;
        BinaryPrimitives.WriteUInt32LittleEndian(h.Slice(DatagramHeader.Address, 4), address);
        BinaryPrimitives.WriteUInt16LittleEndian(h.Slice(DatagramHeader.LengthWord, 2), (ushort)dataLength);
        BinaryPrimitives.WriteUInt16LittleEndian(h.Slice(DatagramHeader.Irq, 2), 0);
        data = _buffer.Slice(_position + FrameLayout.DatagramHeaderLength, dataLength);
        data.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.Slice(_position + FrameLayout.DatagramHeaderLength + dataLength, DatagramHeader.WorkingCounterSize), 0);
        _lastHeader = _position;
        _position += FrameLayout.DatagramOverhead + dataLength;
        DatagramCount++;
        return true;
    }

    /// <summary>Appends a datagram and copies <paramref name="payload"/> into it.</summary>
    public bool TryAppend(EtherCatCommand command, byte index, uint address, ReadOnlySpan<byte> payload, out int headerOffset)
    {
        if (!TryAppend(command, index, address, payload.Length, out var data, out headerOffset)) return false;
        payload.CopyTo(data);
        return true;
    }

    /// <summary>Writes the EtherCAT header length, pads to the 60-byte Ethernet minimum and returns the frame length.</summary>
    public readonly int Finish()
    {
        int payload = _position - FrameLayout.FirstDatagramOffset;
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.Slice(FrameLayout.EthernetHeaderLength, 2),
            (ushort)((payload & FrameLayout.LengthMask) | (FrameLayout.TypeDatagrams << EtherCatHeader.TypeShift)));
        int length = _position;
        if (length < FrameLayout.MinimumFrameLength)
        {
            _buffer[length..FrameLayout.MinimumFrameLength].Clear();
            length = FrameLayout.MinimumFrameLength;
        }
        return length;
    }
}
