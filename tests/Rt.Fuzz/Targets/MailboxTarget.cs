using System.Buffers.Binary;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.CoE;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Mailbox;
using Rt.Drivers.EtherCat.ProcessData;
using Rt.Drivers.EtherCat.Transport;

namespace Rt.Fuzz.Targets;

/// <summary>
/// The mailbox and CoE decoders (src/Rt.Drivers/EtherCat/Mailbox/Mailbox.cs, CoE/SdoClient.cs, and
/// ProcessData/PdoMappingReader.ReadAssigned on top): the master talks to a <see cref="ScriptedMailboxSlave"/> whose
/// replies are the input. Input: byte 0 picks the operation (low 2 bits) and the download size (upper 6 bits), byte 1
/// the mailbox size (16 + b % 240 bytes), then the slave's script. Documented outcome for bad replies:
/// <see cref="EtherCatException"/> (including <see cref="SdoAbortException"/>).
/// </summary>
internal static class MailboxTarget
{
    public static FuzzTarget Create() => new("mailbox", "mailbox / CoE SDO replies (SlaveMailbox, SdoClient, PdoMappingReader)", Run, [typeof(EtherCatException)], Seeds);

    private static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2) return;
        byte op = input[0];
        ushort size = (ushort)(16 + input[1] % 240);
        var slave = new ScriptedMailboxSlave(input.ToArray(), 2);
        var bus = new EtherCatTransport(new LoopbackLink(slave), new TransportOptions { ReplyTimeoutNs = 2_000_000, Retries = 1 });
        var mailbox = new SlaveMailbox(bus, 0, ScriptedMailboxSlave.Station, ScriptedMailboxSlave.OutStart, size, ScriptedMailboxSlave.InStart, size, timeoutNs: 4_000_000);
        var sdo = new SdoClient(mailbox, maxObjectBytes: 4096);
        switch (op & 0x03)
        {
            case 0:
                _ = sdo.Upload(0x1008, 0);
                break;
            case 1:
                var data = new byte[op >> 2];
                for (int i = 0; i < data.Length; i++) data[i] = (byte)i;
                sdo.Download(0x2000, 1, data);
                break;
            case 2:
                _ = PdoMappingReader.ReadAssigned(sdo, 0x1C13, 3, null);
                break;
            default:
                _ = sdo.UploadU32(0x6064, 0) + sdo.UploadU16(0x6041, 0) + sdo.UploadU8(0x6061, 0);
                break;
        }
        foreach (var e in sdo.Emergencies) _ = e.ToString();
    }

    // ------------------------------------------------------------------ seeds: well-formed replies per operation

    private static IEnumerable<(string, byte[])> Seeds()
    {
        const byte Size = 128 - 16;
        yield return ("upload-expedited", Script(0, Size, Sdo(0x4B, 0x1008, 0, [0x52, 0x74, 0, 0])));
        yield return ("upload-segmented", Script(0, Size,
            Sdo(0x41, 0x1008, 0, [20, 0, 0, 0]),
            Segment(0x00, "Rt bench"u8),
            Segment(0x10, "servo dr"u8),
            Segment(0x01 | (3 << 1), "ive\0"u8)));
        yield return ("upload-normal-in-one", Script(0, Size, Sdo(0x41, 0x1008, 0, [6, 0, 0, 0, .. "RT-IMU"u8])));
        yield return ("download-expedited", Script(1 | (4 << 2), Size, Sdo(0x60, 0x2000, 1, [0, 0, 0, 0])));
        yield return ("download-segmented", Script(1 | (40 << 2), 16, Sdo(0x60, 0x2000, 1, [0, 0, 0, 0]),
            Ack(0x20), Ack(0x30), Ack(0x20), Ack(0x30), Ack(0x20), Ack(0x30), Ack(0x20)));
        yield return ("pdo-assignment", Script(2, Size,
            Sdo(0x4F, 0x1C13, 0, [1, 0, 0, 0]),
            Sdo(0x4B, 0x1C13, 1, [0x00, 0x1A, 0, 0]),
            Sdo(0x4F, 0x1A00, 0, [2, 0, 0, 0]),
            Sdo(0x43, 0x1A00, 1, [0x10, 0x00, 0x41, 0x60]),
            Sdo(0x43, 0x1A00, 2, [0x20, 0x00, 0x64, 0x60])));
        yield return ("emergency-then-abort", Script(3, Size,
            Coe(1, [0x10, 0x23, 0x04, 1, 2, 3, 4, 5]),
            Sdo(0x80, 0x6064, 0, [0x00, 0x00, 0x02, 0x06])));
        yield return ("lost-then-repeat", [3, Size, 0x01, 0, .. Sdo(0x43, 0x6064, 0, [1, 2, 3, 4]),
            .. Sdo(0x4B, 0x6041, 0, [0x37, 0x02, 0, 0]), .. Sdo(0x4F, 0x6061, 0, [8, 0, 0, 0])]);
        yield return ("mailbox-error", Script(0, Size, Message(0, [0x01, 0x00, 0x02, 0x00])));
    }

    private static byte[] Script(int op, byte size, params byte[][] messages)
    {
        var s = new List<byte> { (byte)op, size };
        foreach (var m in messages) s.AddRange(m);
        return [.. s];
    }

    /// <summary>Control byte 0, length, mailbox header + body.</summary>
    private static byte[] Message(int type, ReadOnlySpan<byte> body)
    {
        var m = new byte[2 + SlaveMailbox.HeaderLength + body.Length];
        m[1] = (byte)(SlaveMailbox.HeaderLength + body.Length);
        SlaveMailbox.WriteHeader(m.AsSpan(2), body.Length, (MailboxType)type, 1);
        body.CopyTo(m.AsSpan(2 + SlaveMailbox.HeaderLength));
        return m;
    }

    private static byte[] Coe(int service, ReadOnlySpan<byte> body)
    {
        var b = new byte[2 + body.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)(service << 12));
        body.CopyTo(b.AsSpan(2));
        return Message((int)MailboxType.CoE, b);
    }

    private static byte[] Sdo(byte cmd, ushort index, byte sub, ReadOnlySpan<byte> data)
    {
        var b = new byte[4 + data.Length];
        b[0] = cmd;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(1), index);
        b[3] = sub;
        data.CopyTo(b.AsSpan(4));
        return Coe(3, b);
    }

    private static byte[] Segment(byte cmd, ReadOnlySpan<byte> data) => Coe(3, [cmd, .. data]);

    private static byte[] Ack(byte cmd) => Coe(3, [cmd, 0, 0, 0, 0, 0, 0, 0]);
}
