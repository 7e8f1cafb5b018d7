using System.Runtime.InteropServices;

namespace Rt.Host.Doctor;

/// <summary>
/// The facts <c>rt doctor</c> reads about the machine: files under /proc and /sys (read relative to a root, so a test
/// can hand it a folder laid out like them), resource limits, and the output of <c>ethtool</c> where it is installed.
/// Not real-time safe (it reads files and may start a process); it runs before any tick.
/// </summary>
public partial class MachineFacts
{
    public MachineFacts(string root = "/") => Root = root;

    /// <summary>Where /proc and /sys are read from ("/" on the machine).</summary>
    public string Root { get; }

    private string Full(string path) => Path.Combine(Root, path.TrimStart('/'));

    /// <summary>The trimmed contents of a file, or null when it does not exist or cannot be read.</summary>
    public virtual string? Read(string path)
    {
        try
        {
            string full = Full(path);
            return File.Exists(full) ? File.ReadAllText(full).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public virtual bool Exists(string path) => Directory.Exists(Full(path)) || File.Exists(Full(path));

    /// <summary>Names of the entries of a folder (empty when it does not exist).</summary>
    public virtual IReadOnlyList<string> List(string path)
    {
        try
        {
            string full = Full(path);
            if (!Directory.Exists(full)) return [];
            var names = Directory.EnumerateFileSystemEntries(full).Select(Path.GetFileName).OfType<string>().ToList();
            names.Sort(StringComparer.Ordinal);
            return names;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>A resource limit (soft, hard); <see cref="ulong.MaxValue"/> is unlimited; null when it cannot be read.</summary>
    public virtual (ulong Soft, ulong Hard)? Limit(LimitKind kind)
    {
        if (!OperatingSystem.IsLinux()) return null;
        return getrlimit((int)kind, out var l) == 0 ? (l.Cur, l.Max) : null;
    }

    /// <summary>What <c>ethtool &lt;flag&gt; &lt;iface&gt;</c> prints, or null when ethtool is not installed or fails.</summary>
    public virtual string? Ethtool(string flag, string iface)
    {
        string? exe = new[] { "/usr/sbin/ethtool", "/sbin/ethtool", "/usr/bin/ethtool" }.FirstOrDefault(File.Exists);
        if (exe == null) return null;
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(exe, [flag, iface])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (p == null) return null;
            string output = p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            if (!p.WaitForExit(5000))
            {
                p.Kill();
                return null;
            }
            return p.ExitCode == 0 ? output : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);
}

/// <summary>Linux resource numbers (asm-generic/resource.h).</summary>
public enum LimitKind
{
    MemLock = 8,
    RtPrio = 14,
}
