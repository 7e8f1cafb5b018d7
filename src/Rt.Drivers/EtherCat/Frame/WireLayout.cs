namespace Rt.Drivers.EtherCat.Frame;

// Named offsets of every header the master reads or writes, each with its Size, so no byte offset of a wire format is a
// bare literal in the code (ETG.1000.4 frame and datagram; ETG.1000.6 mailbox and CoE; ESC datasheet section I).

/// <summary>Ethernet II header: destination MAC, source MAC, EtherType (big-endian).</summary>
public static class EthernetHeader
{
    public const int Destination = 0;
    public const int Source = 6;
    public const int EtherType = 12;
    public const int MacLength = 6;
    public const int Size = 14;

    /// <summary>
    /// Bit of the first source-MAC byte an ESC sets on every frame it processes (the locally-administered bit;
    /// ESC datasheet section I "SOURCE_MAC[1] is set"; ethercrab pdu_rx). A reply without it never passed a slave.
    /// </summary>
    public const byte ProcessedBit = 0x02;

    /// <summary>
    /// Source MAC the master sends from (ethercrab's choice): unicast, globally administered, so the processed bit is
    /// clear on the way out and a frame that comes back with it set has passed a slave. The interface's own MAC is
    /// not used because a veth or virtual NIC usually has the locally-administered bit set already.
    /// </summary>
    public static ReadOnlySpan<byte> MasterMac => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10];
}

/// <summary>EtherCAT header (little-endian u16): 11-bit length of the datagrams, reserved bit, 4-bit type.</summary>
public static class EtherCatHeader
{
    public const int Offset = EthernetHeader.Size;
    public const int Size = 2;
    public const ushort LengthMask = 0x07FF;
    public const int TypeShift = 12;

    /// <summary>Type 1: EtherCAT datagrams.</summary>
    public const int TypeDatagrams = 1;
}

/// <summary>
/// Datagram header: cmd u8, idx u8, address u32 (ADP u16 + ADO u16, or a logical address), length word u16 (11-bit
/// length, circulating bit 14, more bit 15), IRQ u16; then the data and the working counter u16.
/// </summary>
public static class DatagramHeader
{
    public const int Command = 0;
    public const int Index = 1;
    public const int Address = 2;
    public const int Adp = 2;
    public const int Ado = 4;
    public const int LengthWord = 6;
    public const int Irq = 8;
    public const int Size = 10;
    public const int WorkingCounterSize = 2;
}

/// <summary>Mailbox header (ETG.1000.6 / ESC datasheet I "Mailbox header"): length u16, address u16, channel/priority u8, type/counter u8.</summary>
public static class MailboxHeader
{
    public const int Length = 0;
    public const int Address = 2;
    public const int Channel = 4;
    public const int TypeCounter = 5;
    public const int Size = 6;
    public const byte TypeMask = 0x0F;
    public const int CounterShift = 4;
    public const byte CounterMask = 0x07;
}

/// <summary>CoE header (u16): number in bits 0–8, service in bits 12–15.</summary>
public static class CoeHeader
{
    public const int Size = 2;
    public const int ServiceShift = 12;
}

/// <summary>SDO header after the CoE header: command specifier u8, index u16, subindex u8, then 4 data bytes (expedited) or the u32 size.</summary>
public static class SdoHeader
{
    public const int Command = 0;
    public const int Index = 1;
    public const int SubIndex = 3;
    public const int Data = 4;
    public const int Size = 4;

    /// <summary>Initiate request/response: header + 4 data/size bytes.</summary>
    public const int InitiateSize = 8;

    /// <summary>A normal (not expedited) initiate carries its first data bytes after the header and the u32 size.</summary>
    public const int NormalData = 8;

    /// <summary>Segment: command byte, then data.</summary>
    public const int SegmentData = 1;

    /// <summary>Smallest segment data part; shorter data is padded and the unused count goes into bits 1–3.</summary>
    public const int MinimumSegmentData = 7;
}

/// <summary>CoE emergency body: error code u16, error register u8, 5 manufacturer bytes.</summary>
public static class EmergencyBody
{
    public const int ErrorCode = 0;
    public const int ErrorRegister = 2;
    public const int Manufacturer = 3;
    public const int ManufacturerLength = 5;
    public const int Size = 8;
}

/// <summary>Sync manager register block (0x0800 + 8n): start u16, length u16, control u8, status u8, activate u8, PDI control u8.</summary>
public static class SyncManagerRegisters
{
    public const int Start = 0;
    public const int Length = 2;
    public const int Control = 4;
    public const int Status = 5;
    public const int Activate = 6;
    public const int PdiControl = 7;
    public const int Size = 8;
}

/// <summary>FMMU register block (0x0600 + 16n): logical start u32, length u16, start bit, stop bit, physical start u16, physical bit, type, activate, 3 reserved.</summary>
public static class FmmuRegisters
{
    public const int LogicalStart = 0;
    public const int Length = 4;
    public const int LogicalStartBit = 6;
    public const int LogicalStopBit = 7;
    public const int PhysicalStart = 8;
    public const int PhysicalStartBit = 10;
    public const int Type = 11;
    public const int Activate = 12;
    public const int Size = 16;
}
