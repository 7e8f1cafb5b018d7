using System.Buffers.Binary;
using System.Text;

namespace Rt.Twin.Recording;

/// <summary>
/// The tick-log file format (little-endian):
/// <code>
/// header: magic "RTTICKS\x1A" (8 bytes) | u32 version | u32 header_bytes (whole header, incl. magic)
///         | i64 period_ns | u32 joints | u32 imus | u32 channels | u32 width (doubles per record)
///         | str robot | joints × str | imus × str | channels × str        (str = u16 byte length + UTF-8)
/// records: (i64 tick | width × f64) × N — fixed size 8 + 8·width; the file size fixes N.
/// </code>
/// The record columns are <see cref="RecordLayout"/>'s. Not real-time safe.
/// </summary>
public static class TickRecordingFormat
{
    public static ReadOnlySpan<byte> Magic => "RTTICKS\x1A"u8;

    public const uint Version = 1;

    /// <summary>Bytes before the strings: magic, version, header length, period, four counts.</summary>
    public const int FixedHeaderBytes = 8 + 4 + 4 + 8 + 4 * 4;

    public static int RecordBytes(int width) => 8 + 8 * width;

    /// <summary>The whole header for a recording of <paramref name="layout"/>.</summary>
    public static byte[] BuildHeader(string robot, RecordLayout layout, long periodNs)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var strings = new List<string> { robot };
        strings.AddRange(layout.Channels.JointNames);
        strings.AddRange(layout.Channels.ImuNames);
        foreach (var c in layout.Channels.Channels) strings.Add(c.Name);
        int total = FixedHeaderBytes;
        foreach (var s in strings)
        {
            int n = Encoding.UTF8.GetByteCount(s);
            if (n > ushort.MaxValue) throw new ArgumentException($"name too long for the recording header: '{s[..40]}…'");
            total += 2 + n;
        }
        var header = new byte[total];
        var span = header.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)total);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], periodNs);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)layout.JointCount);
        BinaryPrimitives.WriteUInt32LittleEndian(span[28..], (uint)layout.ImuCount);
        BinaryPrimitives.WriteUInt32LittleEndian(span[32..], (uint)layout.Channels.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[36..], (uint)layout.Width);
        int offset = FixedHeaderBytes;
        foreach (var s in strings)
        {
            int n = Encoding.UTF8.GetBytes(s, span[(offset + 2)..]);
            BinaryPrimitives.WriteUInt16LittleEndian(span[offset..], (ushort)n);
            offset += 2 + n;
        }
        return header;
    }
}
