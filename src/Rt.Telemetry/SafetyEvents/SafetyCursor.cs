using System.Globalization;
using System.Runtime.InteropServices;

namespace Rt.Telemetry.SafetyEvents;

/// <summary>
/// Where telemetry stands in the safety journal: everything before <see cref="Position"/> was acknowledged by the
/// broker (PUBACK). <see cref="Record"/>/<see cref="LastId"/> name the last acknowledged record (to check the cursor
/// still fits the journal) and <see cref="Run"/> is that record's host run (so run numbering carries on after it).
/// </summary>
public readonly record struct SafetyCursorState(long Position, long Record, long LastId, long Run)
{
    public static readonly SafetyCursorState Start = new(0, -1, 0, 0);
}

/// <summary>
/// The durable cursor file (<c>safety.cursor</c> in the telemetry folder, <c>telemetry.outbox_path</c>): one text line,
/// replaced atomically (temporary file, fsync, rename, folder fsync), mode 0640, folder 0750. Only the publisher
/// thread writes it. Not real-time safe (file I/O).
/// </summary>
public sealed partial class SafetyCursor
{
    public const string FileName = "safety.cursor";
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                              UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
    private const string Tag = "rt-safety-cursor v1";

    private readonly string _dir;

    /// <summary>Not real-time safe. Creates the folder (0750) if needed and drops a temporary file left by a crash.</summary>
    public SafetyCursor(string directory)
    {
        _dir = Path.GetFullPath(directory);
        if (!Directory.Exists(_dir))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(_dir);
            else Directory.CreateDirectory(_dir, DirectoryMode);
        }
        string tmp = FilePath + ".tmp";
        if (File.Exists(tmp)) File.Delete(tmp);
    }

    public string FilePath => Path.Combine(_dir, FileName);

    /// <summary>
    /// Not real-time safe. The stored cursor; <see cref="SafetyCursorState.Start"/> if there is none. A file that does
    /// not parse yields the start too, with <paramref name="problem"/> saying why (re-publishing loses nothing).
    /// </summary>
    public SafetyCursorState Load(out string? problem)
    {
        problem = null;
        if (!File.Exists(FilePath)) return SafetyCursorState.Start;
        string text;
        try { text = File.ReadAllText(FilePath).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{FilePath}: cannot read it ({e.Message})";
            return SafetyCursorState.Start;
        }
        if (TryParse(text, out SafetyCursorState s)) return s;
        problem = $"{FilePath}: expected '{Tag} position=N record=N id=N run=N', got '{(text.Length > 80 ? text[..80] + "…" : text)}'";
        return SafetyCursorState.Start;
    }

    /// <summary>Not real-time safe. Stores the cursor durably (returns after fsync of the file and the folder).</summary>
    public void Save(in SafetyCursorState s)
    {
        string tmp = FilePath + ".tmp";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{Tag} position={s.Position} record={s.Record} id={s.LastId} run={s.Run}\n");
        var options = new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode; // created so, never widened after the fact
        using (var f = new FileStream(tmp, options))
        {
            f.Write(System.Text.Encoding.ASCII.GetBytes(line));
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, FilePath, overwrite: true);
        FsyncDirectory(_dir);
    }

    internal static bool TryParse(ReadOnlySpan<char> text, out SafetyCursorState s)
    {
        s = SafetyCursorState.Start;
        if (!text.StartsWith(Tag, StringComparison.Ordinal)) return false;
        long position = -1, record = -2, id = -1, run = -1;
        foreach (Range r in text[Tag.Length..].Split(' '))
        {
            ReadOnlySpan<char> field = text[Tag.Length..][r];
            if (field.IsEmpty) continue;
            int eq = field.IndexOf('=');
            if (eq < 0 || !long.TryParse(field[(eq + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return false;
            switch (field[..eq])
            {
                case "position": position = v; break;
                case "record": record = v; break;
                case "id": id = v; break;
                case "run": run = v; break;
                default: return false;
            }
        }
        if (position < 0 || record < -1 || record >= position || id < 0 || run < 0) return false;
        s = new SafetyCursorState(position, record, id, run);
        return true;
    }

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
