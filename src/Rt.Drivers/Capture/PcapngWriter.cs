using System.Buffers.Binary;

namespace Rt.Drivers.Capture;

/// <summary>Which way a captured frame went, as pcapng's epb_flags direction bits say it.</summary>
public enum FrameDirection
{
    Inbound = 1,
    Outbound = 2,
}

/// <summary>
/// Writes a pcapng file (IETF draft-ietf-opsawg-pcapng): one Section Header Block, one Interface Description Block
/// (LINKTYPE_ETHERNET = 1, if_tsresol = 9 so timestamps are nanoseconds) and one Enhanced Packet Block per frame with an
/// epb_flags option carrying the direction. Wireshark/tshark decode the EtherCAT datagrams from it.
/// Not real-time safe (stream I/O): the tick records through <see cref="CapturingLink"/>'s ring instead.
/// </summary>
public sealed class PcapngWriter : IDisposable
{
    private const uint BlockShb = 0x0A0D0D0A;
    private const uint BlockIdb = 0x00000001;
    private const uint BlockEpb = 0x00000006;
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _block = new byte[2048];
    private bool _disposed;

    public PcapngWriter(Stream stream, string interfaceName = "ethercat", bool leaveOpen = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        WriteSectionHeader();
        WriteInterface(interfaceName);
    }

    /// <summary>Opens (creates/truncates) a file. Not real-time safe.</summary>
    public static PcapngWriter Create(string path, string interfaceName = "ethercat") =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read), interfaceName);

    public long FramesWritten { get; private set; }

    /// <summary>Appends one Ethernet frame with its timestamp (ns on the injected clock) and direction.</summary>
    public void WriteFrame(ReadOnlySpan<byte> frame, long timestampNs, FrameDirection direction)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int padded = (frame.Length + 3) & ~3;
        int total = 28 + padded + 8 + 4 + 4; // header..orig len, data, epb_flags (4+4), end-of-options (4), trailing length
        var b = total <= _block.Length ? _block.AsSpan(0, total) : new byte[total];
        b.Clear();
        ulong ts = (ulong)timestampNs;
        BinaryPrimitives.WriteUInt32LittleEndian(b, BlockEpb);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], 0); // interface 0
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], (uint)(ts >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], (uint)ts);
        BinaryPrimitives.WriteUInt32LittleEndian(b[20..], (uint)frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], (uint)frame.Length);
        frame.CopyTo(b[28..]);
        int o = 28 + padded;
        BinaryPrimitives.WriteUInt16LittleEndian(b[o..], 2); // epb_flags
        BinaryPrimitives.WriteUInt16LittleEndian(b[(o + 2)..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(b[(o + 4)..], (uint)direction);
        o += 8;
        BinaryPrimitives.WriteUInt32LittleEndian(b[o..], 0); // opt_endofopt
        o += 4;
        BinaryPrimitives.WriteUInt32LittleEndian(b[o..], (uint)total);
        _stream.Write(b);
        FramesWritten++;
    }

    public void Flush() => _stream.Flush();

    /// <summary>Flushes and (unless left open) closes the stream. Idempotent: a second call does nothing.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stream.Flush();
        if (!_leaveOpen) _stream.Dispose();
    }

    private void WriteSectionHeader()
    {
        Span<byte> b = stackalloc byte[28];
        BinaryPrimitives.WriteUInt32LittleEndian(b, BlockShb);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], 28);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], 0x1A2B3C4D);
        BinaryPrimitives.WriteUInt16LittleEndian(b[12..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(b[14..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(b[16..], -1); // section length unknown
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], 28);
        _stream.Write(b);
    }

    private void WriteInterface(string name)
    {
        var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
        int namePadded = (nameBytes.Length + 3) & ~3;
        int total = 16 + (4 + namePadded) + 8 + 4 + 4; // header, if_name, if_tsresol, end-of-options, trailing length
        var b = new byte[total];
        BinaryPrimitives.WriteUInt32LittleEndian(b, BlockIdb);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)total);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), 1); // LINKTYPE_ETHERNET
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), 0); // snaplen: no limit
        int o = 16;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(o), 2); // if_name
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(o + 2), (ushort)nameBytes.Length);
        nameBytes.CopyTo(b, o + 4);
        o += 4 + namePadded;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(o), 9); // if_tsresol
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(o + 2), 1);
        b[o + 4] = 9; // 10^-9 s
        o += 8;
        o += 4; // opt_endofopt (zeros)
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(o), (uint)total);
        _stream.Write(b);
    }
}
