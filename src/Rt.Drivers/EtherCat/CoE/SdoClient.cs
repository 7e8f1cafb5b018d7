using System.Buffers.Binary;
using Rt.Drivers.EtherCat.Frame;
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
    private const int CoeHeaderSize = Frame.CoeHeader.Size;
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
        Span<byte> req = stackalloc byte[SdoHeader.InitiateSize];
        req.Clear();
        WriteSdoHeader(req, 0x40, index, subIndex);
        SendSdo(req);
        var sdo = ReceiveSdo(index, subIndex, upload: true, initiate: true);
        byte cmd = sdo[SdoHeader.Command];
        if ((cmd & 0xE0) != 0x40) throw Unexpected(index, subIndex, cmd, "upload initiate response (0x4x)");
        if ((cmd & 0x02) != 0)
        {
            int size = (cmd & 0x01) != 0 ? 4 - ((cmd >> 2) & 0x03) : 4;
            if (sdo.Length < SdoHeader.Data + size) throw Short(index, subIndex, sdo.Length);
            return sdo.Slice(SdoHeader.Data, size).ToArray();
        }
        if (sdo.Length < SdoHeader.NormalData) throw Short(index, subIndex, sdo.Length);
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(sdo[SdoHeader.Data..]);
        if (total > MaxObjectBytes)
            throw new EtherCatException($"slave at position {Position}: SDO 0x{index:X4}:{subIndex:X2} announces {total} bytes, more than {MaxObjectBytes}");
        var result = new byte[total];
        int have = Math.Min((int)total, sdo.Length - SdoHeader.NormalData);
        sdo.Slice(SdoHeader.NormalData, have).CopyTo(result);
        byte toggle = 0;
        Span<byte> seg = stackalloc byte[SdoHeader.SegmentData + SdoHeader.MinimumSegmentData];
        while (have < total)
        {
            seg.Clear();
            seg[SdoHeader.Command] = (byte)(0x60 | toggle);
            SendSdo(seg);
            var r = ReceiveSdo(index, subIndex, upload: true);
            byte c = r[SdoHeader.Command];
            if ((c & 0xE0) != 0x00) throw Unexpected(index, subIndex, c, "upload segment response (0x0x/0x1x)");
            if ((c & 0x10) != toggle)
                throw new SdoAbortException(Position, index, subIndex, (uint)SdoAbortCode.ToggleBitNotChanged, upload: true);
            int segLength = r.Length - SdoHeader.SegmentData;
            if (segLength == SdoHeader.MinimumSegmentData) segLength = SdoHeader.MinimumSegmentData - ((c >> 1) & 0x07); // a minimum-size segment says how many of its 7 bytes are unused
            segLength = Math.Min(segLength, (int)total - have);
            r.Slice(SdoHeader.SegmentData, segLength).CopyTo(result.AsSpan(have));
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
        int capacity = _mailbox.OutLength - SlaveMailbox.HeaderLength - CoeHeaderSize;
        if (data.Length <= 4)
        {
            Span<byte> req = stackalloc byte[SdoHeader.InitiateSize];
            req.Clear();
            WriteSdoHeader(req, (byte)(0x23 | ((4 - data.Length) << 2)), index, subIndex);
            data.CopyTo(req[SdoHeader.Data..]);
            SendSdo(req);
            ExpectDownloadAck(index, subIndex, 0x60);
            return;
        }

        int first = Math.Min(data.Length, capacity - SdoHeader.NormalData);
        var init = new byte[SdoHeader.NormalData + first];
        WriteSdoHeader(init, 0x21, index, subIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(init.AsSpan(SdoHeader.Data), (uint)data.Length);
        data[..first].CopyTo(init.AsSpan(SdoHeader.NormalData));
        SendSdo(init);
        ExpectDownloadAck(index, subIndex, 0x60);
        int sent = first;
        byte toggle = 0;
        while (sent < data.Length)
        {
            int n = Math.Min(data.Length - sent, capacity - SdoHeader.SegmentData);
            bool last = sent + n == data.Length;
            int padded = Math.Max(n, SdoHeader.MinimumSegmentData);
            var seg = new byte[SdoHeader.SegmentData + padded];
            seg[SdoHeader.Command] = (byte)(toggle | (last ? 0x01 : 0x00) | (n < SdoHeader.MinimumSegmentData ? (SdoHeader.MinimumSegmentData - n) << 1 : 0));
            data.Slice(sent, n).CopyTo(seg.AsSpan(SdoHeader.SegmentData));
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
        Span<byte> msg = stackalloc byte[CoeHeaderSize + sdo.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(msg, ServiceSdoRequest << Frame.CoeHeader.ServiceShift);
        sdo.CopyTo(msg[CoeHeaderSize..]);
        _mailbox.Send(MailboxType.CoE, msg);
    }

    private static void WriteSdoHeader(Span<byte> sdo, byte cmd, ushort index, byte subIndex)
    {
        sdo[SdoHeader.Command] = cmd;
        BinaryPrimitives.WriteUInt16LittleEndian(sdo[SdoHeader.Index..], index);
        sdo[SdoHeader.SubIndex] = subIndex;
    }

    /// <summary>Receives the next SDO response (skipping and recording emergencies); returns the SDO body (command byte first).</summary>
    private ReadOnlySpan<byte> ReceiveSdo(ushort index, byte subIndex, bool upload, bool initiate = false)
    {
        for (int guard = 0; guard < 16; guard++)
        {
            var payload = _mailbox.Receive(out var type);
            if (type == MailboxType.Error)
            {
                // Mailbox error body: type u16 (1 = mailbox command), detail u16.
                ushort detail = payload.Length >= 4 ? BinaryPrimitives.ReadUInt16LittleEndian(payload[2..]) : (ushort)0;
                throw new EtherCatException($"slave at position {Position}: mailbox error {detail} ({SlaveMailbox.ErrorName(detail)}) during SDO 0x{index:X4}:{subIndex:X2}");
            }
            if (type != MailboxType.CoE || payload.Length < CoeHeaderSize + 1) continue;
            int service = BinaryPrimitives.ReadUInt16LittleEndian(payload) >> Frame.CoeHeader.ServiceShift;
            var body = payload[CoeHeaderSize..];
            if (service == ServiceEmergency)
            {
                if (body.Length >= EmergencyBody.Size)
                {
                    ulong manufacturer = 0;
                    for (int i = 0; i < EmergencyBody.ManufacturerLength; i++) manufacturer |= (ulong)body[EmergencyBody.Manufacturer + i] << (8 * i);
                    _emergencies.Add(new CoeEmergency(Position, BinaryPrimitives.ReadUInt16LittleEndian(body[EmergencyBody.ErrorCode..]), body[EmergencyBody.ErrorRegister], manufacturer));
                }
                continue;
            }
            if (service is not (ServiceSdoResponse or ServiceSdoRequest)) continue;
            if ((body[SdoHeader.Command] & 0xE0) == 0x80)
            {
                uint code = body.Length >= SdoHeader.InitiateSize ? BinaryPrimitives.ReadUInt32LittleEndian(body[SdoHeader.Data..]) : 0;
                throw new SdoAbortException(Position, index, subIndex, code, upload);
            }
            // Initiate responses name their object: one for another object is a stale reply to an earlier request.
            if (initiate && body.Length >= SdoHeader.Size && (BinaryPrimitives.ReadUInt16LittleEndian(body[SdoHeader.Index..]) != index || body[SdoHeader.SubIndex] != subIndex))
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
