using System.Buffers.Binary;
using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>One record of the durable safety log: the event plus the wall-clock time the log thread stamped on it.</summary>
public readonly record struct SafetyLogRecord(SafetyEvent Event, long WallUnixNs, long Offset);

/// <summary>A session's first record: when it started and the digest of the safety policy it ran (lowercase hex).</summary>
public readonly record struct SafetyLogSession(string PolicyDigest, long WallUnixNs, long Offset);

/// <summary>
/// On-disk format of the safety log. Each record is self-delimiting and checked:
/// <c>"RTSL" | u16 payload length | payload | u32 CRC-32 over (length, payload)</c>, little-endian.
/// Payload v1 (56 bytes): u8 version, i64 id, i64 tick, i64 time_ns (injected clock), i64 wall_unix_ns, u8 from,
/// u8 to, u16 trigger (FaultCode), i16 channel, u8 reaction (StopCategory), f64 value, f64 threshold.
/// Payload v3 (62 bytes), every event record written now: v1's fields, then the isolated cause (issue 13):
/// u8 class (FaultClass), u8 site (FaultSite), i16 location, i8 axis, u8 test (DetectionTest). v1 records still read
/// (their diagnosis is "not isolated").
/// Payload v2 (41 bytes), the first record of every session: u8 version (2), i64 wall_unix_ns, 32 bytes SHA-256 of
/// the effective safety policy (<see cref="SafetyPolicy.Digest"/>).
/// A record torn by a crash fails its length or CRC check; the reader skips it and resynchronises on the next magic.
/// The file is only ever appended to.
/// </summary>
public static class SafetyLogFormat
{
    public const uint Magic = 0x4C535452; // "RTSL" little-endian
    public const byte Version = 3;
    public const int PayloadLength = 62;
    public const byte Version1 = 1;
    public const int Version1PayloadLength = 56;
    public const int RecordLength = 4 + 2 + PayloadLength + 4;
    public const byte SessionVersion = 2;
    public const int SessionPayloadLength = 1 + 8 + 32;
    public const int SessionRecordLength = 4 + 2 + SessionPayloadLength + 4;

    /// <summary>Encodes a session record (digest: 64 hex digits). Not real-time safe (parses hex).</summary>
    public static int EncodeSession(string policyDigest, long wallUnixNs, Span<byte> dst)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(dst, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(dst[4..], SessionPayloadLength);
        var p = dst.Slice(6, SessionPayloadLength);
        p[0] = SessionVersion;
        BinaryPrimitives.WriteInt64LittleEndian(p[1..], wallUnixNs);
        Convert.FromHexString(policyDigest).AsSpan(0, 32).CopyTo(p[9..]);
        uint crc = Crc32.Compute(dst.Slice(4, 2 + SessionPayloadLength));
        BinaryPrimitives.WriteUInt32LittleEndian(dst[(6 + SessionPayloadLength)..], crc);
        return SessionRecordLength;
    }

    internal static SafetyLogSession DecodeSession(ReadOnlySpan<byte> payload, long offset) =>
        new(Convert.ToHexStringLower(payload.Slice(9, 32)), BinaryPrimitives.ReadInt64LittleEndian(payload[1..]), offset);

    /// <summary>Encodes one record into <paramref name="dst"/> (at least <see cref="RecordLength"/> bytes). Real-time safe.</summary>
    public static int Encode(in SafetyEvent e, long wallUnixNs, Span<byte> dst)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(dst, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(dst[4..], PayloadLength);
        var p = dst.Slice(6, PayloadLength);
        p[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(p[1..], e.Id);
        BinaryPrimitives.WriteInt64LittleEndian(p[9..], e.Tick);
        BinaryPrimitives.WriteInt64LittleEndian(p[17..], e.TimeNs);
        BinaryPrimitives.WriteInt64LittleEndian(p[25..], wallUnixNs);
        p[33] = (byte)e.From;
        p[34] = (byte)e.To;
        BinaryPrimitives.WriteUInt16LittleEndian(p[35..], (ushort)e.Trigger);
        BinaryPrimitives.WriteInt16LittleEndian(p[37..], e.Channel);
        p[39] = (byte)e.Reaction;
        BinaryPrimitives.WriteDoubleLittleEndian(p[40..], e.Value);
        BinaryPrimitives.WriteDoubleLittleEndian(p[48..], e.Threshold);
        var d = e.Diagnosis;
        p[56] = (byte)d.Class;
        p[57] = (byte)d.Site;
        BinaryPrimitives.WriteInt16LittleEndian(p[58..], d.Location);
        p[60] = (byte)d.Axis;
        p[61] = (byte)d.Test;
        uint crc = Crc32.Compute(dst.Slice(4, 2 + PayloadLength));
        BinaryPrimitives.WriteUInt32LittleEndian(dst[(6 + PayloadLength)..], crc);
        return RecordLength;
    }

    /// <summary>Whether a payload with this version byte and length is an event record this reader understands.</summary>
    internal static bool IsEvent(byte version, int length) =>
        (version == Version && length >= PayloadLength) || (version == Version1 && length >= Version1PayloadLength);

    internal static SafetyLogRecord Decode(ReadOnlySpan<byte> payload, long offset)
    {
        var diagnosis = payload[0] == Version
            ? new FaultDiagnosis((FaultClass)payload[56], (FaultSite)payload[57], BinaryPrimitives.ReadInt16LittleEndian(payload[58..]),
                (sbyte)payload[60], (DetectionTest)payload[61])
            : default;
        var e = new SafetyEvent(
            BinaryPrimitives.ReadInt64LittleEndian(payload[1..]),
            BinaryPrimitives.ReadInt64LittleEndian(payload[9..]),
            BinaryPrimitives.ReadInt64LittleEndian(payload[17..]),
            (SafetyState)payload[33],
            (SafetyState)payload[34],
            (FaultCode)BinaryPrimitives.ReadUInt16LittleEndian(payload[35..]),
            BinaryPrimitives.ReadInt16LittleEndian(payload[37..]),
            (StopCategory)payload[39],
            BinaryPrimitives.ReadDoubleLittleEndian(payload[40..]),
            BinaryPrimitives.ReadDoubleLittleEndian(payload[48..]),
            diagnosis);
        return new SafetyLogRecord(e, BinaryPrimitives.ReadInt64LittleEndian(payload[25..]), offset);
    }
}
