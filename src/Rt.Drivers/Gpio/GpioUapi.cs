using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rt.Drivers.Gpio;

// The Linux GPIO character-device v2 uAPI (linux/gpio.h), laid out byte for byte. Tests compile a C program against
// the real header and compare every size, offset and ioctl number below.

/// <summary>gpio_v2_line_flag.</summary>
[Flags]
public enum GpioV2LineFlags : ulong
{
    None = 0,
    Used = 1UL << 0,
    ActiveLow = 1UL << 1,
    Input = 1UL << 2,
    Output = 1UL << 3,
    EdgeRising = 1UL << 4,
    EdgeFalling = 1UL << 5,
    OpenDrain = 1UL << 6,
    OpenSource = 1UL << 7,
    BiasPullUp = 1UL << 8,
    BiasPullDown = 1UL << 9,
    BiasDisabled = 1UL << 10,
    EventClockRealtime = 1UL << 11,
    EventClockHte = 1UL << 12,
}

/// <summary>gpio_v2_line_attr_id.</summary>
public enum GpioV2LineAttrId : uint
{
    Flags = 1,
    OutputValues = 2,
    Debounce = 3,
}

/// <summary>struct gpiochip_info (68 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct GpioChipInfo
{
    public fixed byte Name[GpioUapi.MaxNameSize];
    public fixed byte Label[GpioUapi.MaxNameSize];
    public uint Lines;
}

/// <summary>struct gpio_v2_line_values (16 bytes): bit i = line i of the request.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GpioV2LineValues
{
    public ulong Bits;
    public ulong Mask;
}

/// <summary>struct gpio_v2_line_attribute (16 bytes): id plus a union of flags / output values / debounce period.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct GpioV2LineAttribute
{
    [FieldOffset(0)] public uint Id;
    [FieldOffset(4)] public uint Padding;
    [FieldOffset(8)] public ulong Flags;
    [FieldOffset(8)] public ulong Values;
    [FieldOffset(8)] public uint DebouncePeriodUs;
}

/// <summary>struct gpio_v2_line_config_attribute (24 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
public struct GpioV2LineConfigAttribute
{
    [FieldOffset(0)] public GpioV2LineAttribute Attr;
    [FieldOffset(16)] public ulong Mask;
}

/// <summary>attrs[GPIO_V2_LINE_NUM_ATTRS_MAX].</summary>
[InlineArray(GpioUapi.LineNumAttrsMax)]
public struct GpioV2LineConfigAttributes
{
    private GpioV2LineConfigAttribute _element;
}

/// <summary>struct gpio_v2_line_config (272 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 272)]
public unsafe struct GpioV2LineConfig
{
    [FieldOffset(0)] public ulong Flags;
    [FieldOffset(8)] public uint NumAttrs;
    [FieldOffset(12)] public fixed uint Padding[5];
    [FieldOffset(32)] public GpioV2LineConfigAttributes Attrs;
}

/// <summary>struct gpio_v2_line_request (592 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 592)]
public unsafe struct GpioV2LineRequest
{
    [FieldOffset(0)] public fixed uint Offsets[GpioUapi.LinesMax];
    [FieldOffset(256)] public fixed byte Consumer[GpioUapi.MaxNameSize];
    [FieldOffset(288)] public GpioV2LineConfig Config;
    [FieldOffset(560)] public uint NumLines;
    [FieldOffset(564)] public uint EventBufferSize;
    [FieldOffset(568)] public fixed uint Padding[5];
    [FieldOffset(588)] public int Fd;
}

/// <summary>struct gpio_v2_line_event (48 bytes), read from a line fd when edge detection is on.</summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
public unsafe struct GpioV2LineEvent
{
    [FieldOffset(0)] public ulong TimestampNs;
    [FieldOffset(8)] public uint Id;
    [FieldOffset(12)] public uint Offset;
    [FieldOffset(16)] public uint Seqno;
    [FieldOffset(20)] public uint LineSeqno;
    [FieldOffset(24)] public fixed uint Padding[6];
}

/// <summary>Constants and ioctl request numbers of the GPIO v2 uAPI.</summary>
public static class GpioUapi
{
    public const int MaxNameSize = 32;
    public const int LinesMax = 64;
    public const int LineNumAttrsMax = 10;
    public const uint EventRisingEdge = 1, EventFallingEdge = 2;

    private const uint IocWrite = 1, IocRead = 2;
    private const uint GpioMagic = 0xB4;

    /// <summary>The generic _IOC encoding (asm-generic/ioctl.h: nr 8 bits, type 8, size 14, dir 2).</summary>
    public static uint Ioc(uint dir, uint type, uint nr, int size) => (dir << 30) | ((uint)size << 16) | (type << 8) | nr;

    public static uint Ior(uint type, uint nr, int size) => Ioc(IocRead, type, nr, size);

    public static uint Iowr(uint type, uint nr, int size) => Ioc(IocRead | IocWrite, type, nr, size);

    public static readonly uint GetChipInfo = Ior(GpioMagic, 0x01, Unsafe.SizeOf<GpioChipInfo>());
    public static readonly uint V2GetLine = Iowr(GpioMagic, 0x07, Unsafe.SizeOf<GpioV2LineRequest>());
    public static readonly uint V2LineSetConfig = Iowr(GpioMagic, 0x0D, Unsafe.SizeOf<GpioV2LineConfig>());
    public static readonly uint V2LineGetValues = Iowr(GpioMagic, 0x0E, Unsafe.SizeOf<GpioV2LineValues>());
    public static readonly uint V2LineSetValues = Iowr(GpioMagic, 0x0F, Unsafe.SizeOf<GpioV2LineValues>());
}
