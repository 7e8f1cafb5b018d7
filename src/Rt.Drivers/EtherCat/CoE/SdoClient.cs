using System.Buffers.Binary;
using Rt.Drivers.EtherCat.Mailbox;

namespace Rt.Drivers.EtherCat.CoE;

/// <summary>A CoE emergency message (CoE service 1): error code, error register and 5 manufacturer bytes.</summary>
public readonly record struct CoeEmergency(int Position, ushort ErrorCode, byte ErrorRegister, ulong ManufacturerData)
{
    public override string ToString() => $"emergency from position {Position}: error code 0x{ErrorCode:X4}, register 0x{ErrorRegister:X2}, data 0x{ManufacturerData:X10}";
}

/// <summary>
/// CoE SDO client over a <see cref="SlaveMailbox"/>: upload (read) and download (write), expedited (≤ 4 bytes) and
/// normal with segments (toggle bit checked). Aborts throw <see cref="SdoAbortException"/> with the code by name;
/// emergencies that arrive while waiting are collected in <see cref="Emergencies"/>. Not real-time safe.
/// </summary>
public sealed class SdoClient
{
    private const int CoeHeader = 2;
    private const ushort ServiceEmergency = 1;
    private const ushort ServiceSdoRequest = 2;
    private const ushort ServiceSdoResponse = 3;
    private readonly SlaveMailbox _mailbox;
    private readonly List<CoeEmergency> _emergencies = [];

    public SdoClient(SlaveMailbox mailbox, int maxObjectBytes = 65536)
    {
        _mailbox = mailbox;
        MaxObjectBytes = maxObjectBytes;
    }

    public int MaxObjectBytes { get; }

    /// <summary>SDO responses for another object that were skipped (stale replies to an earlier request).</summary>
    public int StaleResponses { get; private set; }

    /// <summary>Emergency messages received so far.</summary>
    public IReadOnlyList<CoeEmergency> Emergencies => _emergencies;

    private int Position => _mailbox.Position;

    /// <summary>Reads object <paramref name="index"/>:<paramref name="subIndex"/>.</summary>
    public byte[] Upload(ushort index, byte subIndex)
    {
        Span<byte> req = stackalloc byte[8];
        req.Clear();
        WriteSdoHeader(req, 0x40, index, subIndex);
        SendSdo(req);
        var sdo = ReceiveSdo(index, subIndex, upload: true, initiate: true);
        byte cmd = sdo[0];
        if ((cmd & 0xE0) != 0x40) throw Unexpected(index, subIndex, cmd, "upload initiate response (0x4x)");
        if ((cmd & 0x02) != 0)
        {
            int size = (cmd & 0x01) != 0 ? 4 - ((cmd >> 2) & 0x03) : 4;
            if (sdo.Length < 4 + size) throw Short(index, subIndex, sdo.Length);
            return sdo.Slice(4, size).ToArray();
        }
        if (sdo.Length < 8) throw Short(index, subIndex, sdo.Length);
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(sdo[4..]);
        if (total > MaxObjectBytes)
            throw new EtherCatException($"slave at position {Position}: SDO 0x{index:X4}:{subIndex:X2} announces {total} bytes, more than {MaxObjectBytes}");
        var result = new byte[total];
        int have = Math.Min((int)total, sdo.Length - 8);
        sdo.Slice(8, have).CopyTo(result);
        byte toggle = 0;
        Span<byte> seg = stackalloc byte[8];
        while (have < total)
        {
            seg.Clear();
            seg[0] = (byte)(0x60 | toggle);
            SendSdo(seg);
            var r = ReceiveSdo(index, subIndex, upload: true);
            byte c = r[0];
            if ((c & 0xE0) != 0x00) throw Unexpected(index, subIndex, c, "upload segment response (0x0x/0x1x)");
            if ((c & 0x10) != toggle)
                throw new SdoAbortException(Position, index, subIndex, (uint)SdoAbortCode.ToggleBitNotChanged, upload: true);
            int segLength = r.Length - 1;
            if (segLength == 7) segLength = 7 - ((c >> 1) & 0x07); // a minimum-size segment says how many of its 7 bytes are unused
            segLength = Math.Min(segLength, (int)total - have);
            r.Slice(1, segLength).CopyTo(result.AsSpan(have));
            have += segLength;
            toggle ^= 0x10;
            if ((c & 0x01) != 0) break;
        }
        if (have != total)
            throw new EtherCatException($"slave at position {Position}: SDO 0x{index:X4}:{subIndex:X2} upload ended after {have} of {total} bytes");
        return result;
    }

    /// <summary>Writes <paramref name="data"/> to object <paramref name="index"/>:<paramref name="subIndex"/>.</summary>
    public void Download(ushort index, byte subIndex, ReadOnlySpan<byte> data)
    {
        int capacity = _mailbox.OutLength - SlaveMailbox.HeaderLength - CoeHeader;
        if (data.Length <= 4)
        {
            Span<byte> req = stackalloc byte[8];
            WriteSdoHeader(req, (byte)(0x23 | ((4 - data.Length) << 2)), index, subIndex);
            data.CopyTo(req[4..]);
            SendSdo(req);
            ExpectDownloadAck(index, subIndex, 0x60);
            return;
        }

        int first = Math.Min(data.Length, capacity - 8);
        var init = new byte[8 + first];
        WriteSdoHeader(init, 0x21, index, subIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(init.AsSpan(4), (uint)data.Length);
        data[..first].CopyTo(init.AsSpan(8));
        SendSdo(init);
        ExpectDownloadAck(index, subIndex, 0x60);
        int sent = first;
        byte toggle = 0;
        while (sent < data.Length)
        {
            int n = Math.Min(data.Length - sent, capacity - 1);
            bool last = sent + n == data.Length;
            int padded = Math.Max(n, 7);
            var seg = new byte[1 + padded];
            seg[0] = (byte)(toggle | (last ? 0x01 : 0x00) | (n < 7 ? (7 - n) << 1 : 0));
            data.Slice(sent, n).CopyTo(seg.AsSpan(1));
            SendSdo(seg);
            ExpectDownloadAck(index, subIndex, (byte)(0x20 | toggle));
            sent += n;
            toggle ^= 0x10;
        }
    }

    public byte UploadU8(ushort index, byte sub) => Upload(index, sub) is { Length: >= 1 } b ? b[0] : throw Short(index, sub, 0);
    public ushort UploadU16(ushort index, byte sub) => Upload(index, sub) is { Length: >= 2 } b ? BinaryPrimitives.ReadUInt16LittleEndian(b) : throw Short(index, sub, 0);
    public uint UploadU32(ushort index, byte sub) => Upload(index, sub) is { Length: >= 4 } b ? BinaryPrimitives.ReadUInt32LittleEndian(b) : throw Short(index, sub, 0);

    private void ExpectDownloadAck(ushort index, byte subIndex, byte expected)
    {
        var r = ReceiveSdo(index, subIndex, upload: false, initiate: expected == 0x60);
        if (expected == 0x60 ? r[0] != 0x60 : (r[0] & 0xF0) != (expected & 0xF0))
            throw Unexpected(index, subIndex, r[0], $"download response 0x{expected:X2}");
        if (expected != 0x60 && (r[0] & 0x10) != (expected & 0x10))
            throw new SdoAbortException(Position, index, subIndex, (uint)SdoAbortCode.ToggleBitNotChanged, upload: false);
    }

    private void SendSdo(ReadOnlySpan<byte> sdo)
    {
        Span<byte> msg = stackalloc byte[CoeHeader + sdo.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(msg, ServiceSdoRequest << 12);
        sdo.CopyTo(msg[CoeHeader..]);
        _mailbox.Send(MailboxType.CoE, msg);
    }

    private static void WriteSdoHeader(Span<byte> sdo, byte cmd, ushort index, byte subIndex)
    {
        sdo[0] = cmd;
        BinaryPrimitives.WriteUInt16LittleEndian(sdo[1..], index);
        sdo[3] = subIndex;
    }

    /// <summary>Receives the next SDO response (skipping and recording emergencies); returns the SDO body (command byte first).</summary>
    private ReadOnlySpan<byte> ReceiveSdo(ushort index, byte subIndex, bool upload, bool initiate = false)
    {
        for (int guard = 0; guard < 16; guard++)
        {
            var payload = _mailbox.Receive(out var type);
            if (type == MailboxType.Error)
            {
                ushort detail = payload.Length >= 4 ? BinaryPrimitives.ReadUInt16LittleEndian(payload[2..]) : (ushort)0;
                throw new EtherCatException($"slave at position {Position}: mailbox error {detail} ({SlaveMailbox.ErrorName(detail)}) during SDO 0x{index:X4}:{subIndex:X2}");
            }
            if (type != MailboxType.CoE || payload.Length < CoeHeader + 1) continue;
            int service = BinaryPrimitives.ReadUInt16LittleEndian(payload) >> 12;
            var body = payload[CoeHeader..];
            if (service == ServiceEmergency)
            {
                if (body.Length >= 8)
                {
                    ulong manufacturer = 0;
                    for (int i = 0; i < 5; i++) manufacturer |= (ulong)body[3 + i] << (8 * i);
                    _emergencies.Add(new CoeEmergency(Position, BinaryPrimitives.ReadUInt16LittleEndian(body), body[2], manufacturer));
                }
                continue;
            }
            if (service is not (ServiceSdoResponse or ServiceSdoRequest)) continue;
            if ((body[0] & 0xE0) == 0x80)
            {
                uint code = body.Length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(body[4..]) : 0;
                throw new SdoAbortException(Position, index, subIndex, code, upload);
            }
            // Initiate responses name their object: one for another object is a stale reply to an earlier request.
            if (initiate && body.Length >= 4 && (BinaryPrimitives.ReadUInt16LittleEndian(body[1..]) != index || body[3] != subIndex))
            {
                StaleResponses++;
                continue;
            }
            return body;
        }
        throw new EtherCatException($"slave at position {Position}: no SDO response to 0x{index:X4}:{subIndex:X2} among 16 mailbox messages");
    }

    private EtherCatException Unexpected(ushort index, byte sub, byte cmd, string expected) =>
        new($"slave at position {Position}: SDO 0x{index:X4}:{sub:X2}: command byte 0x{cmd:X2}, expected {expected}");

    private EtherCatException Short(ushort index, byte sub, int length) =>
        new($"slave at position {Position}: SDO 0x{index:X4}:{sub:X2}: response of {length} bytes is too short");
}
