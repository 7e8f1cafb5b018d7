using System.Globalization;
using System.Runtime.InteropServices;

namespace Rt.Telemetry;

/// <summary>
/// Durable on-disk outbox for safety events: one file per event (<c>{key}.json</c>, the exact MQTT payload; the
/// key is <see cref="Key"/>(run, id), so ids that restart with a new host run never overwrite older events),
/// written to a temporary name, fsynced, renamed into place and the folder fsynced, so an event that was accepted
/// survives a broker outage, a crash and a power cut. A file is deleted only after the broker acknowledged the
/// QoS 1 publish (PUBACK), so delivery is at least once; receivers de-duplicate by (run, id).
/// Thread-safe. Not real-time safe (file I/O).
/// </summary>
public sealed partial class SafetyOutbox
{
    private readonly string _dir;
    private readonly Lock _lock = new();

    /// <summary>Not real-time safe. Opens (creating if needed) the outbox folder and discards half-written files.</summary>
    public SafetyOutbox(string directory)
    {
        _dir = Path.GetFullPath(directory);
        Directory.CreateDirectory(_dir);
        foreach (string tmp in Directory.EnumerateFiles(_dir, "*.tmp")) File.Delete(tmp);
    }

    public string Directory_ => _dir;

    /// <summary>Number of events not yet acknowledged by the broker.</summary>
    public int Count
    {
        get { lock (_lock) return Directory.EnumerateFiles(_dir, "*.json").Count(); }
    }

    /// <summary>Not real-time safe. Stores the event durably (returns after fsync of the file and the folder).</summary>
    public void Add(string key, ReadOnlySpan<byte> payload)
    {
        string final = PathOf(key);
        string tmp = final + ".tmp";
        lock (_lock)
        {
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
            {
                f.Write(payload);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, final, overwrite: true);
            FsyncDirectory(_dir);
        }
    }

    /// <summary>Not real-time safe. Removes an acknowledged event; false if it was already gone.</summary>
    public bool Remove(string key)
    {
        lock (_lock)
        {
            string p = PathOf(key);
            if (!File.Exists(p)) return false;
            File.Delete(p);
            return true;
        }
    }

    /// <summary>Not real-time safe. The unacknowledged events, oldest run and id first.</summary>
    public List<(string Key, byte[] Payload)> Pending()
    {
        var list = new List<(string, byte[])>();
        lock (_lock)
        {
            foreach (string f in Directory.EnumerateFiles(_dir, "*.json"))
            {
                string key = Path.GetFileNameWithoutExtension(f);
                try { list.Add((key, File.ReadAllBytes(f))); }
                catch (FileNotFoundException) { } // acknowledged meanwhile
            }
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return list;
    }

    /// <summary>The file key of event <paramref name="id"/> of host run <paramref name="run"/>; sorts by run, then id.</summary>
    public static string Key(long run, long id) =>
        $"{run.ToString("D19", CultureInfo.InvariantCulture)}-{id.ToString("D19", CultureInfo.InvariantCulture)}";

    private string PathOf(string key) => Path.Combine(_dir, key + ".json");

    private static void FsyncDirectory(string dir)
    {
        // A rename is durable only once the folder entry is on disk.
        int fd = Open(dir, 0x10000 /* O_DIRECTORY */ | 0 /* O_RDONLY */);
        if (fd < 0) return;
        try { _ = Fsync(fd); }
        finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
