using System.Globalization;
using System.Runtime.InteropServices;

namespace Rt.Safety;

/// <summary>Group lookup (/etc/group) and chown of a path's group, for the reset socket's operator group. Not real-time safe.</summary>
internal static partial class UnixGroups
{
    /// <summary>A group number, or a group name found in /etc/group.</summary>
    public static bool TryResolve(string nameOrId, out int gid)
    {
        if (int.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out gid)) return true;
        if (File.Exists("/etc/group"))
        {
            foreach (var line in File.ReadLines("/etc/group"))
            {
                var f = line.Split(':');
                if (f.Length >= 3 && f[0] == nameOrId && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out gid)) return true;
            }
        }
        gid = -1;
        return false;
    }

    /// <summary>Gives <paramref name="path"/> to group <paramref name="gid"/> (owner unchanged).</summary>
    public static void SetGroup(string path, int gid)
    {
        if (Chown(path, -1, gid) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot give {path} to group {gid.ToString(CultureInfo.InvariantCulture)}: {Marshal.GetPInvokeErrorMessage(errno)} " +
                                  "(the process must be root or a member of that group)");
        }
    }

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Chown(string path, int owner, int group);
}
