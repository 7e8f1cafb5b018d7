using System.Buffers.Binary;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// The safety log (<see cref="SafetyLogWriter"/>'s file) read as an <see cref="ISafetyJournal"/>: entries from a
/// byte position on, in chunks, so a consumer catching up from its cursor reads only the tail. Never writes.
/// Thread-safe (each call opens the file). Not real-time safe.
/// </summary>
public sealed class SafetyLogJournal(string path) : ISafetyJournal
{
    private const int ChunkBytes = 64 * 1024;

    public string Name { get; } = Path.GetFullPath(path);

    public long Length
    {
        get
        {
            var info = new FileInfo(Name);
            return info.Exists ? info.Length : 0;
        }
    }

    public int ReadFrom(long from, int max, List<SafetyJournalEntry> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (max <= 0) return 0;
        FileStream fs;
        try { fs = new FileStream(Name, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete); }
        catch (FileNotFoundException) { return 0; }
        catch (DirectoryNotFoundException) { return 0; }
        using (fs)
        {
            int added = 0;
            long pos = Math.Max(0, from);
            if (pos >= fs.Length) return 0;
            // No bigger than what is left to read: a caller counting a short tail reads a few records, not 64 kB.
            byte[] chunk = new byte[(int)Math.Min(ChunkBytes, fs.Length - pos)];
            while (added < max && pos < fs.Length)
            {
                fs.Position = pos;
                int n = fs.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
                if (n == 0) break;
                bool atEnd = pos + n >= fs.Length;
                SafetyLogContents c = SafetyLogReader.Parse(chunk.AsSpan(0, n));
                long next = -1;
                foreach (SafetyLogRecord r in c.Records)
                {
                    int len = BinaryPrimitives.ReadUInt16LittleEndian(chunk.AsSpan((int)r.Offset + 4));
                    next = pos + r.Offset + 6 + len + 4;
                    into.Add(new SafetyJournalEntry(r.Event, r.WallUnixNs, pos + r.Offset, next));
                    if (++added == max) return added;
                }
                if (atEnd) break;
                // Go on after the last whole record; a chunk of damage only is skipped, keeping an overlap so a record
                // cut by the chunk's end is read whole next time.
                pos = next > pos ? next : pos + n - SafetyLogFormat.RecordLength + 1;
            }
            return added;
        }
    }
}
