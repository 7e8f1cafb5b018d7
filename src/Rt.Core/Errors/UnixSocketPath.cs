using System.Text;

namespace Rt.Core.Errors;

/// <summary>
/// The limit of a Unix socket's path: Linux's <c>sun_path</c> holds 108 bytes with the terminating NUL, so a path is
/// at most <see cref="MaxBytes"/> bytes of UTF-8. Checked before a socket is bound or connected, so an unusable path is
/// bad input (one line naming where it came from), not an exception from the socket layer. Not real-time safe.
/// </summary>
public static class UnixSocketPath
{
    /// <summary>Bytes of a socket path, without the terminating NUL (sizeof(sun_path) − 1 on Linux).</summary>
    public const int MaxBytes = 107;

    /// <summary>Why <paramref name="path"/> cannot name a Unix socket, or null if it can.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return "expected a socket path, got an empty one";
        if (path.Contains('\0', StringComparison.Ordinal)) return "a socket path cannot contain a NUL character";
        int bytes = Encoding.UTF8.GetByteCount(path);
        return bytes > MaxBytes
            ? $"{path} is {bytes} bytes; a Unix socket path is at most {MaxBytes} bytes (sun_path): use a shorter folder"
            : null;
    }

    /// <summary>Throws <see cref="InputError"/> (source, location) when <paramref name="path"/> cannot name a Unix socket.</summary>
    public static void Check(string? path, string source, string location)
    {
        if (Problem(path) is { } problem) throw new InputError(source, location, problem);
    }
}
