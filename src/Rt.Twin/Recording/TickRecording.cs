using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Rt.Core.Divergence;
using Rt.Core.Errors;

namespace Rt.Twin.Recording;

/// <summary>
/// A tick log read fully into memory (<see cref="TickRecordingFormat"/>, or an MCAP recording's /rt/tick channel). The header is validated (magic, version,
/// counts, names, layout) and the body must be a whole number of records: anything else is an
/// <see cref="InputError"/> naming the byte offset. Not real-time safe.
/// </summary>
public sealed class TickRecording
{
    private readonly double[] _data;
    private readonly long[] _ticks;

    private TickRecording(string path, string robot, long periodNs, RecordLayout layout, long[] ticks, double[] data)
    {
        Path = path;
        Robot = robot;
        PeriodNs = periodNs;
        Layout = layout;
        _ticks = ticks;
        _data = data;
    }

    public string Path { get; }
    public string Robot { get; }
    public long PeriodNs { get; }
    public RecordLayout Layout { get; }
    public ChannelLayout Channels => Layout.Channels;
    public IReadOnlyList<string> JointNames => Layout.Channels.JointNames;
    public IReadOnlyList<string> ImuNames => Layout.Channels.ImuNames;

    /// <summary>Number of tick records.</summary>
    public int Count => _ticks.Length;

    public long Tick(int record) => _ticks[record];

    /// <summary>One record's row (<see cref="RecordLayout.Width"/> doubles).</summary>
    public ReadOnlySpan<double> Record(int record) => _data.AsSpan(record * Layout.Width, Layout.Width);

    public double Get(int record, int offset) => _data[record * Layout.Width + offset];

    /// <summary>One column over all records, e.g. <c>Series(Layout.Joint(2, JointField.Position))</c>.</summary>
    public double[] Series(int offset)
    {
        var s = new double[Count];
        for (int i = 0; i < s.Length; i++) s[i] = _data[i * Layout.Width + offset];
        return s;
    }

    public double[] JointSeries(int joint, JointField field) => Series(Layout.Joint(joint, field));

    /// <summary>Not real-time safe. Reads and validates a recording.</summary>
    public static TickRecording Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputError(full, "", $"cannot read the recording: {e.Message}", e);
        }
        return Parse(bytes, full);
    }

    /// <summary>Not real-time safe. Parses recording bytes; <paramref name="source"/> names them in messages.</summary>
    public static TickRecording Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (Mcap.McapReader.HasMagic(bytes)) return Mcap.McapTickRecording.Parse(bytes, source);
        if (bytes.Length < TickRecordingFormat.FixedHeaderBytes)
        {
            if (bytes.Length >= 8 && !bytes[..8].SequenceEqual(TickRecordingFormat.Magic)) throw BadMagic(source, bytes);
            throw new InputError(source, $"offset {bytes.Length}", $"truncated header: the file has {bytes.Length} bytes, the fixed header alone is {TickRecordingFormat.FixedHeaderBytes}");
        }
        if (!bytes[..8].SequenceEqual(TickRecordingFormat.Magic)) throw BadMagic(source, bytes);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (version != TickRecordingFormat.Version)
            throw new InputError(source, "offset 8", $"recording format version {version} is not supported; this build reads version {TickRecordingFormat.Version}");
        uint headerBytes = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        long periodNs = BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]);
        uint joints = BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..]);
        uint imus = BinaryPrimitives.ReadUInt32LittleEndian(bytes[28..]);
        uint channels = BinaryPrimitives.ReadUInt32LittleEndian(bytes[32..]);
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(bytes[36..]);
        if (headerBytes > bytes.Length)
            throw new InputError(source, $"offset {bytes.Length}", $"truncated header: it declares {headerBytes} bytes, the file has {bytes.Length}");
        if (headerBytes < TickRecordingFormat.FixedHeaderBytes) throw new InputError(source, "offset 12", $"header length {headerBytes} is shorter than the fixed header ({TickRecordingFormat.FixedHeaderBytes})");
        if (periodNs <= 0) throw new InputError(source, "offset 16", $"tick period {periodNs} ns must be > 0");
        if (joints > 4096 || imus > 4096) throw new InputError(source, "offset 24", $"implausible counts: {joints} joints, {imus} IMUs");

        int offset = TickRecordingFormat.FixedHeaderBytes;
        var header = bytes[..(int)headerBytes];
        string robot = ReadString(header, ref offset, source, "robot name");
        var jointNames = new string[joints];
        for (int j = 0; j < joints; j++) jointNames[j] = ReadString(header, ref offset, source, $"joint name {j}");
        var imuNames = new string[imus];
        for (int i = 0; i < imus; i++) imuNames[i] = ReadString(header, ref offset, source, $"IMU name {i}");
        var layout = new RecordLayout(new ChannelLayout(jointNames, imuNames));
        if (channels != layout.Channels.Count)
            throw new InputError(source, "offset 32", $"{channels} channels declared; {joints} joints and {imus} IMUs make {layout.Channels.Count}");
        for (int c = 0; c < channels; c++)
        {
            int at = offset;
            string name = ReadString(header, ref offset, source, $"channel name {c}");
            if (name != layout.Channels.Channels[c].Name)
                throw new InputError(source, $"offset {at}", $"channel {c} is '{name}'; this build's layout has '{layout.Channels.Channels[c].Name}' there");
        }
        if (offset != headerBytes) throw new InputError(source, $"offset {offset}", $"header declares {headerBytes} bytes but its names end at {offset}");
        if (width != layout.Width)
            throw new InputError(source, "offset 36", $"record width {width} doubles; this build's layout for {joints} joints and {imus} IMUs is {layout.Width}");

        int recordBytes = TickRecordingFormat.RecordBytes(layout.Width);
        long body = bytes.Length - headerBytes;
        long count = body / recordBytes;
        long rest = body % recordBytes;
        if (rest != 0)
        {
            long at = headerBytes + count * recordBytes;
            throw new InputError(source, $"offset {at}", $"truncated record {count}: {rest} of {recordBytes} bytes present (the recording was cut off; {count} whole records precede it)");
        }
        if (count * layout.Width > Array.MaxLength) throw new InputError(source, "", $"{count} records do not fit in memory at once");
        var ticks = new long[count];
        var data = new double[count * layout.Width];
        var values = MemoryMarshal.Cast<double, byte>(data.AsSpan());
        for (long r = 0; r < count; r++)
        {
            var rec = bytes.Slice((int)(headerBytes + r * recordBytes), recordBytes);
            ticks[r] = BinaryPrimitives.ReadInt64LittleEndian(rec);
            if (BitConverter.IsLittleEndian) rec[8..].CopyTo(values.Slice((int)(r * layout.Width * 8), layout.Width * 8));
            else
                for (int k = 0; k < layout.Width; k++) data[r * layout.Width + k] = BinaryPrimitives.ReadDoubleLittleEndian(rec[(8 + 8 * k)..]);
        }
        return new TickRecording(source, robot, periodNs, layout, ticks, data);
    }

    internal static TickRecording FromRows(string source, string robot, long periodNs, RecordLayout layout, long[] ticks, double[] data) =>
        new(source, robot, periodNs, layout, ticks, data);

    private static InputError BadMagic(string source, ReadOnlySpan<byte> bytes) =>
        new(source, "offset 0", $"not an rt tick recording: magic is {Convert.ToHexString(bytes[..Math.Min(8, bytes.Length)])}, expected {Convert.ToHexString(TickRecordingFormat.Magic)} (\"RTTICKS\\x1A\")");

    private static string ReadString(ReadOnlySpan<byte> header, ref int offset, string source, string what)
    {
        if (offset + 2 > header.Length) throw new InputError(source, $"offset {offset}", $"header ends before the {what}");
        int n = BinaryPrimitives.ReadUInt16LittleEndian(header[offset..]);
        if (offset + 2 + n > header.Length) throw new InputError(source, $"offset {offset}", $"{what} of {n} bytes runs past the header's end at {header.Length}");
        string s;
        try
        {
            s = new UTF8Encoding(false, true).GetString(header.Slice(offset + 2, n));
        }
        catch (DecoderFallbackException e)
        {
            throw new InputError(source, $"offset {offset + 2}", $"{what} is not valid UTF-8", e);
        }
        offset += 2 + n;
        return s;
    }
}
