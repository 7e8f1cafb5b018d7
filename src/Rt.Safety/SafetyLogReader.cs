using System.Buffers.Binary;

namespace Rt.Safety;

/// <summary>A byte range of the log that is not a valid record (torn by a crash, or damaged).</summary>
public readonly record struct SafetyLogDamage(long Offset, long Length, string Reason);

/// <summary>
/// What reading a safety log found: every intact event record, the damaged ranges, whether the tail is torn, and the
/// session records (each session's policy digest) in file order.
/// </summary>
public sealed record SafetyLogContents(IReadOnlyList<SafetyLogRecord> Records, IReadOnlyList<SafetyLogDamage> Damage, bool TornTail, long Length)
{
    public IReadOnlyList<SafetyLogSession> Sessions { get; init; } = [];
}

/// <summary>
/// Reads the durable safety log. Never modifies it: damaged ranges (a record torn by kill -9, a flipped bit) are
/// reported and skipped by resynchronising on the next record magic. Not real-time safe.
/// </summary>
public static class SafetyLogReader
{
    public static SafetyLogContents Read(string path)
    {
        byte[] data;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            data = new byte[fs.Length];
            fs.ReadExactly(data);
        }
        return Parse(data);
    }

    public static SafetyLogContents Parse(ReadOnlySpan<byte> data)
    {
        var records = new List<SafetyLogRecord>();
        var damage = new List<SafetyLogDamage>();
        var sessions = new List<SafetyLogSession>();
        bool tornTail = false;
        long pos = 0;
        while (pos < data.Length)
        {
            var rest = data[(int)pos..];
            string? problem = null;
            if (rest.Length < 6) problem = "record header cut short";
            else if (BinaryPrimitives.ReadUInt32LittleEndian(rest) != SafetyLogFormat.Magic) problem = "no record magic";
            else
            {
                int len = BinaryPrimitives.ReadUInt16LittleEndian(rest[4..]);
                int total = 6 + len + 4;
                if (len < 1) problem = "empty payload";
                else if (rest.Length < total) problem = "record cut short";
                else if (Crc32.Compute(rest.Slice(4, 2 + len)) != BinaryPrimitives.ReadUInt32LittleEndian(rest[(6 + len)..]))
                    problem = "CRC mismatch";
                else if (rest[6] == SafetyLogFormat.SessionVersion && len >= SafetyLogFormat.SessionPayloadLength)
                {
                    sessions.Add(SafetyLogFormat.DecodeSession(rest.Slice(6, len), pos));
                    pos += total;
                    continue;
                }
                else if (!SafetyLogFormat.IsEvent(rest[6], len))
                    problem = $"unknown record version {rest[6]}";
                else
                {
                    records.Add(SafetyLogFormat.Decode(rest.Slice(6, len), pos));
                    pos += total;
                    continue;
                }
            }
            // Skip to the next magic: the damaged range is reported, never rewritten.
            long next = FindMagic(data, pos + 1);
            if (next < 0)
            {
                damage.Add(new SafetyLogDamage(pos, data.Length - pos, problem));
                tornTail = true;
                break;
            }
            damage.Add(new SafetyLogDamage(pos, next - pos, problem));
            pos = next;
        }
        return new SafetyLogContents(records, damage, tornTail, data.Length) { Sessions = sessions };
    }

    private static long FindMagic(ReadOnlySpan<byte> data, long from)
    {
        ReadOnlySpan<byte> magic = [0x52, 0x54, 0x53, 0x4C];
        if (from >= data.Length) return -1;
        int i = data[(int)from..].IndexOf(magic);
        return i < 0 ? -1 : from + i;
    }
}
