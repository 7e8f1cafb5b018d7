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
            byte[] chunk = [];
            while (added < max)
            {
                // Sized to what is there now (the writer appends while we read): a caller reading a short tail reads a
                // few records, not 64 kB, and a chunk never stops short of a whole record that is already on disk.
                long length = fs.Length;
                if (pos >= length) break;
                int want = (int)Math.Min(ChunkBytes, length - pos);
                if (chunk.Length < want) chunk = new byte[want];
                fs.Position = pos;
                int n = fs.ReadAtLeast(chunk.AsSpan(0, want), want, throwOnEndOfStream: false);
                if (n == 0) break;
                SafetyLogContents c = SafetyLogReader.Parse(chunk.AsSpan(0, n));
                foreach (SafetyLogRecord r in c.Records)
                {
                    int len = BinaryPrimitives.ReadUInt16LittleEndian(chunk.AsSpan((int)r.Offset + 4));
                    into.Add(new SafetyJournalEntry(r.Event, r.WallUnixNs, pos + r.Offset, pos + r.Offset + 6 + len + 4));
                    if (++added == max) return added;
                }
                long consumed = Consumed(c, n);
                if (consumed > 0) { pos += consumed; continue; }
                // Nothing whole in the chunk. At the file's end that is a record being appended right now: it is read
                // next time. Inside the file it is damage without a magic in 64 kB: skipped, keeping 3 bytes so a magic
                // cut by the chunk's end is found.
                if (pos + n >= fs.Length || n <= 3) break;
                pos += n - 3;
            }
            return added;
        }
    }

    /// <summary>
    /// Bytes of <paramref name="n"/> that are whole items (events, session records, damage followed by a magic): up to
    /// the torn tail if there is one, else all. Session records count, so a reader never stops on (or steps back over)
    /// the session's first record.
    /// </summary>
    private static long Consumed(SafetyLogContents c, int n)
    {
        if (!c.TornTail || c.Damage.Count == 0) return n;
        return c.Damage[^1].Offset;
    }
}
