using System.Buffers.Binary;

namespace Rt.Drivers.EtherCat.Frame;

/// <summary>
/// One decoded datagram: its header fields and where its data lies in the frame (offsets, no copy). Real-time safe.
/// </summary>
public readonly record struct Datagram(
    EtherCatCommand Command,
    byte Index,
    uint Address,
    int HeaderOffset,
    int DataOffset,
    int DataLength,
    bool Circulating,
    bool More,
    ushort Irq,
    ushort WorkingCounter)
{
    /// <summary>ADP: position (auto-increment) or station address (configured), low half of <see cref="Address"/>.</summary>
    public ushort Adp => (ushort)Address;

    /// <summary>ADO: register offset, high half of <see cref="Address"/>.</summary>
    public ushort Ado => (ushort)(Address >> 16);

    /// <summary>Offset of the working counter in the frame.</summary>
    public int WorkingCounterOffset => DataOffset + DataLength;

    /// <summary>The datagram's data inside <paramref name="frame"/>.</summary>
    public ReadOnlySpan<byte> Data(ReadOnlySpan<byte> frame) => frame.Slice(DataOffset, DataLength);

    /// <summary>Reads a little-endian u16 of the data at <paramref name="at"/>.</summary>
    public ushort DataU16(ReadOnlySpan<byte> frame, int at = 0) => BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(DataOffset + at, 2));
}
