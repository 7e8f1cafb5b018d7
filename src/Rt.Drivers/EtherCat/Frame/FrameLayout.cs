namespace Rt.Drivers.EtherCat.Frame;

/// <summary>Byte offsets and sizes of an EtherCAT frame on Ethernet (ETG.1000.4; ESC datasheet section I, "EtherCAT frame structure").</summary>
public static class FrameLayout
{
    /// <summary>EtherType of EtherCAT.</summary>
    public const ushort EtherType = 0x88A4;

    /// <summary>Destination MAC, source MAC, EtherType.</summary>
    public const int EthernetHeaderLength = EthernetHeader.Size;

    /// <summary>EtherCAT header: 11-bit length, reserved bit, 4-bit type.</summary>
    public const int EtherCatHeaderLength = EtherCatHeader.Size;

    /// <summary>Offset of the first datagram.</summary>
    public const int FirstDatagramOffset = EthernetHeaderLength + EtherCatHeaderLength;

    /// <summary>Datagram header: cmd, idx, address (4), length word (2), IRQ (2).</summary>
    public const int DatagramHeaderLength = DatagramHeader.Size;

    /// <summary>Working counter after each datagram's data.</summary>
    public const int WorkingCounterLength = DatagramHeader.WorkingCounterSize;

    /// <summary>Header + WKC: what each datagram costs besides its data.</summary>
    public const int DatagramOverhead = DatagramHeaderLength + WorkingCounterLength;

    /// <summary>EtherCAT type value for "datagrams" (type 1) in the EtherCAT header.</summary>
    public const int TypeDatagrams = EtherCatHeader.TypeDatagrams;

    /// <summary>Minimum Ethernet frame without FCS; shorter frames are padded with zeros.</summary>
    public const int MinimumFrameLength = 60;

    /// <summary>Maximum Ethernet frame without FCS (1500-byte payload).</summary>
    public const int MaximumFrameLength = 1514;

    /// <summary>Largest datagram data a single frame can carry.</summary>
    public const int MaximumDatagramData = MaximumFrameLength - FirstDatagramOffset - DatagramOverhead;

    /// <summary>Mask of the 11-bit length in the EtherCAT header and in the datagram length word.</summary>
    public const ushort LengthMask = EtherCatHeader.LengthMask;

    /// <summary>Datagram length word: circulating-frame bit.</summary>
    public const ushort CirculatingBit = 0x4000;

    /// <summary>Datagram length word: more datagrams follow.</summary>
    public const ushort MoreBit = 0x8000;

    /// <summary>Broadcast destination MAC used by masters.</summary>
    public static ReadOnlySpan<byte> BroadcastMac => [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
}
