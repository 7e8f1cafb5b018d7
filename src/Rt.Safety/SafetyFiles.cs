namespace Rt.Safety;

/// <summary>
/// How Rt.Safety creates files and folders: the safety log and flight recordings tell how the robot moved and why it
/// stopped, so they are never world-readable: files 0640 (owner writes, the operator group reads), folders 0750.
/// A file that already exists keeps its owner and group bits but loses any "other" bits. Not real-time safe.
/// </summary>
public static class SafetyFiles
{
    public const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
    private const UnixFileMode Other = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the file's folder (0750) if missing and opens the file for writing, created 0640.</summary>
    public static FileStream Open(string path, System.IO.FileMode mode, int bufferSize = 4096)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) CreateDirectory(dir);
        var options = new FileStreamOptions
        {
            Mode = mode, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = bufferSize,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFileMode;
        var fs = new FileStream(path, options);
        if (!OperatingSystem.IsWindows())
        {
            var current = File.GetUnixFileMode(fs.SafeFileHandle);
            if ((current & Other) != 0) File.SetUnixFileMode(fs.SafeFileHandle, current & ~Other); // an older, world-readable file
        }
        return fs;
    }

    /// <summary>Creates a folder (and its parents) 0750 if missing; an existing folder is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, DirectoryMode);
    }
}
