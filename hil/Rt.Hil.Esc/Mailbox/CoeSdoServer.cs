using System.Buffers.Binary;
using Rt.Hil.Esc.ObjectDictionary;

namespace Rt.Hil.Esc.Mailbox;

/// <summary>SDO abort codes (ETG.1000.6 / CiA 301).</summary>
public static class SdoAbort
{
    public const uint ToggleBit = 0x05030000;
    public const uint CommandSpecifier = 0x05040001;
    public const uint UnsupportedAccess = 0x06010000;
    public const uint WriteOnly = 0x06010001;
    public const uint ReadOnly = 0x06010002;
    public const uint Sub0MustBeZero = 0x06010003;
    public const uint CompleteAccessUnsupported = 0x06010004;
    public const uint NoObject = 0x06020000;
    public const uint CannotBeMapped = 0x06040041;
    public const uint MappingTooLong = 0x06040042;
    public const uint TypeLengthMismatch = 0x06070010;
    public const uint LengthTooLong = 0x06070012;
    public const uint NoSubIndex = 0x06090011;
    public const uint ValueRange = 0x06090030;
    public const uint General = 0x08000000;
    public const uint DeviceState = 0x08000022;
}

/// <summary>
/// Decides whether an SDO write may happen (state, value range, mapping rules) and reacts to it.
/// Called from the mailbox inside frame processing: implementations must be real-time safe.
/// </summary>
public interface IObjectWriteHandler
{
    /// <summary>0 to accept, else the SDO abort code.</summary>
    uint CheckWrite(OdEntry entry, ReadOnlySpan<byte> value);

    /// <summary>Called after the value was stored.</summary>
    void AfterWrite(OdEntry entry);
}

/// <summary>
/// The CoE SDO server of one device: expedited, normal and segmented upload and download with the toggle bit, and
/// SDO aborts. Works on preallocated buffers; real-time safe. Complete access is not supported (aborted with
/// 0x06010004) and not advertised in the SII.
/// </summary>
public sealed class CoeSdoServer
{
    private const int CoeService_SdoRequest = 2, CoeService_SdoResponse = 3;
    private readonly CoeObjectDictionary _od;
    private readonly IObjectWriteHandler _writes;
    private readonly byte[] _transfer;

    private OdEntry? _uploadEntry;
    private int _uploadOffset, _uploadToggle;
    private OdEntry? _downloadEntry;
    private int _downloadSize, _downloadReceived, _downloadToggle;

    public CoeSdoServer(CoeObjectDictionary od, IObjectWriteHandler writes, int maxObjectBytes = 1024)
    {
        _od = od;
        _writes = writes;
        _transfer = new byte[maxObjectBytes];
    }

    /// <summary>
    /// Handles one CoE message (from the CoE header on) and writes the reply (from the CoE header on) into
    /// <paramref name="reply"/>; returns the reply length, 0 for no reply (e.g. a client abort), or -1 if the CoE
    /// service is not supported (the mailbox answers with a mailbox error). Real-time safe.
    /// </summary>
    public int Handle(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        if (request.Length < 2) return -1;
        int service = BinaryPrimitives.ReadUInt16LittleEndian(request) >> 12;
        if (service != CoeService_SdoRequest) return -1;
        if (request.Length < 10) return Abort(reply, 0, 0, SdoAbort.General);
        byte cmd = request[2];
        ushort index = BinaryPrimitives.ReadUInt16LittleEndian(request.Slice(3));
        byte sub = request[5];
        return (cmd >> 5) switch
        {
            1 => InitiateDownload(cmd, index, sub, request, reply),
            2 => InitiateUpload(cmd, index, sub, reply),
            3 => UploadSegment(cmd, reply),
            0 => DownloadSegment(cmd, request, reply),
            4 => CancelTransfers(),
            _ => Abort(reply, index, sub, SdoAbort.CommandSpecifier),
        };
    }

    private int CancelTransfers()
    {
        _uploadEntry = null;
        _downloadEntry = null;
        return 0;
    }

    private uint Lookup(ushort index, byte sub, out OdEntry? entry)
    {
        entry = null;
        var obj = _od.Find(index);
        if (obj is null) return SdoAbort.NoObject;
        entry = obj.Find(sub);
        return entry is null ? SdoAbort.NoSubIndex : 0;
    }

    private int InitiateUpload(byte cmd, ushort index, byte sub, Span<byte> reply)
    {
        _uploadEntry = null;
        if ((cmd & 0x10) != 0) return Abort(reply, index, sub, SdoAbort.CompleteAccessUnsupported);
        uint code = Lookup(index, sub, out var entry);
        if (code != 0) return Abort(reply, index, sub, code);
        if (!entry!.CanRead) return Abort(reply, index, sub, SdoAbort.WriteOnly);
        var data = entry.Current;
        Header(reply, CoeService_SdoResponse, index, sub);
        if (data.Length <= 4 && data.Length > 0)
        {
            reply[2] = (byte)(0x43 | ((4 - data.Length) << 2));
            reply.Slice(6, 4).Clear();
            data.CopyTo(reply.Slice(6));
            return 10;
        }

        reply[2] = 0x41;
        BinaryPrimitives.WriteUInt32LittleEndian(reply.Slice(6), (uint)data.Length);
        int room = reply.Length - 10;
        int n = Math.Min(room, data.Length);
        data.Slice(0, n).CopyTo(reply.Slice(10));
        if (n < data.Length)
        {
            _uploadEntry = entry;
            _uploadOffset = n;
            _uploadToggle = 0;
        }

        return 10 + n;
    }

    private int UploadSegment(byte cmd, Span<byte> reply)
    {
        var entry = _uploadEntry;
        if (entry is null) return Abort(reply, 0, 0, SdoAbort.CommandSpecifier);
        int toggle = (cmd >> 4) & 1;
        if (toggle != _uploadToggle)
        {
            _uploadEntry = null;
            return Abort(reply, entry.Index, entry.SubIndex, SdoAbort.ToggleBit);
        }

        var data = entry.Current;
        int remaining = data.Length - _uploadOffset;
        int room = reply.Length - 3;
        int n = Math.Min(room, remaining);
        bool last = n == remaining;
        BinaryPrimitives.WriteUInt16LittleEndian(reply, CoeService_SdoResponse << 12);
        int unused = n < 7 ? 7 - n : 0;
        reply[2] = (byte)((toggle << 4) | (unused << 1) | (last ? 1 : 0));
        reply.Slice(3, Math.Max(n, 7)).Clear();
        data.Slice(_uploadOffset, n).CopyTo(reply.Slice(3));
        _uploadOffset += n;
        _uploadToggle ^= 1;
        if (last) _uploadEntry = null;
        return 3 + Math.Max(n, 7);
    }

    private int InitiateDownload(byte cmd, ushort index, byte sub, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        _downloadEntry = null;
        if ((cmd & 0x10) != 0) return Abort(reply, index, sub, SdoAbort.CompleteAccessUnsupported);
        uint code = Lookup(index, sub, out var entry);
        if (code != 0) return Abort(reply, index, sub, code);
        if (!entry!.CanWrite) return Abort(reply, index, sub, SdoAbort.ReadOnly);

        if ((cmd & 0x02) != 0)
        {
            int size = (cmd & 0x01) != 0 ? 4 - ((cmd >> 2) & 3) : Math.Min(4, entry.Value.Length);
            return Store(entry, request.Slice(6, size), reply);
        }

        uint total = BinaryPrimitives.ReadUInt32LittleEndian(request.Slice(6));
        if (total > entry.Value.Length) return Abort(reply, index, sub, entry.IsString ? SdoAbort.LengthTooLong : SdoAbort.TypeLengthMismatch);
        int here = Math.Min(request.Length - 10, (int)total);
        if (here >= total) return Store(entry, request.Slice(10, (int)total), reply);

        request.Slice(10, here).CopyTo(_transfer);
        _downloadEntry = entry;
        _downloadSize = (int)total;
        _downloadReceived = here;
        _downloadToggle = 0;
        Header(reply, CoeService_SdoResponse, index, sub);
        reply[2] = 0x60;
        reply.Slice(6, 4).Clear();
        return 10;
    }

    private int DownloadSegment(byte cmd, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var entry = _downloadEntry;
        if (entry is null) return Abort(reply, 0, 0, SdoAbort.CommandSpecifier);
        int toggle = (cmd >> 4) & 1;
        if (toggle != _downloadToggle)
        {
            _downloadEntry = null;
            return Abort(reply, entry.Index, entry.SubIndex, SdoAbort.ToggleBit);
        }

        int n = request.Length - 3;
        if (n <= 7) n = 7 - ((cmd >> 1) & 7);
        if (_downloadReceived + n > _downloadSize)
        {
            _downloadEntry = null;
            return Abort(reply, entry.Index, entry.SubIndex, SdoAbort.TypeLengthMismatch);
        }

        request.Slice(3, n).CopyTo(_transfer.AsSpan(_downloadReceived));
        _downloadReceived += n;
        _downloadToggle ^= 1;
        bool last = (cmd & 0x01) != 0;
        if (last)
        {
            _downloadEntry = null;
            if (_downloadReceived != _downloadSize) return Abort(reply, entry.Index, entry.SubIndex, SdoAbort.TypeLengthMismatch);
            uint code = CheckAndStore(entry, _transfer.AsSpan(0, _downloadSize));
            if (code != 0) return Abort(reply, entry.Index, entry.SubIndex, code);
        }

        BinaryPrimitives.WriteUInt16LittleEndian(reply, CoeService_SdoResponse << 12);
        reply[2] = (byte)(0x20 | (toggle << 4));
        reply.Slice(3, 7).Clear();
        return 10;
    }

    private int Store(OdEntry entry, ReadOnlySpan<byte> value, Span<byte> reply)
    {
        uint code = CheckAndStore(entry, value);
        if (code != 0) return Abort(reply, entry.Index, entry.SubIndex, code);
        Header(reply, CoeService_SdoResponse, entry.Index, entry.SubIndex);
        reply[2] = 0x60;
        reply.Slice(6, 4).Clear();
        return 10;
    }

    private uint CheckAndStore(OdEntry entry, ReadOnlySpan<byte> value)
    {
        if (entry.IsString ? value.Length > entry.Value.Length : value.Length != entry.Value.Length) return SdoAbort.TypeLengthMismatch;
        uint code = _writes.CheckWrite(entry, value);
        if (code != 0) return code;
        value.CopyTo(entry.Value);
        entry.Length = value.Length;
        _writes.AfterWrite(entry);
        return 0;
    }

    private static void Header(Span<byte> reply, int service, ushort index, byte sub)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(reply, (ushort)(service << 12));
        BinaryPrimitives.WriteUInt16LittleEndian(reply.Slice(3), index);
        reply[5] = sub;
    }

    private static int Abort(Span<byte> reply, ushort index, byte sub, uint code)
    {
        Header(reply, CoeService_SdoRequest, index, sub);
        reply[2] = 0x80;
        BinaryPrimitives.WriteUInt32LittleEndian(reply.Slice(6), code);
        return 10;
    }
}
