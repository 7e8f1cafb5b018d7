using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Rt.Drivers.Tests.EtherCat;

/// <summary>A network namespace with a veth pair made by tools/netns-veth.sh; torn down on dispose.</summary>
internal sealed partial class NetNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private NetNamespace(string name, string master, string slave)
    {
        Name = name;
        MasterInterface = master;
        SlaveInterface = slave;
    }

    public string Name { get; }
    public string MasterInterface { get; }
    public string SlaveInterface { get; }

    /// <summary>Creates the namespace, or returns null and the reason (not root, no iproute2, ...).</summary>
    public static NetNamespace? TryCreate(out string reason)
    {
        string name = $"c1ec{Environment.ProcessId % 10000}{Random.Shared.Next(100)}";
        if (name.Length > 13) name = name[..13];
        var script = Path.Combine(RepoRoot(), "tools", "netns-veth.sh");
        var (code, stdout, stderr) = Run(script, $"up {name}");
        if (code != 0)
        {
            reason = $"cannot create network namespace with {script}: exit {code}: {stderr.Trim()}";
            Run(script, $"down {name}");
            return null;
        }
        var parts = stdout.Trim().Split(' ');
        reason = "";
        return new NetNamespace(name, parts[0], parts[1]);
    }

    /// <summary>Moves the calling OS thread into the namespace (only that thread). Returns false with errno on failure.</summary>
    public bool EnterOnThisThread(out int errno)
    {
        using var fd = File.OpenHandle($"/run/netns/{Name}", FileMode.Open, FileAccess.Read);
        int r = SetNs((int)fd.DangerousGetHandle(), CloneNewNet);
        errno = r == 0 ? 0 : Marshal.GetLastPInvokeError();
        return r == 0;
    }

    public void Dispose() => Run(Path.Combine(RepoRoot(), "tools", "netns-veth.sh"), $"down {Name}");

    internal static (int code, string stdout, string stderr) Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using var p = Process.Start(psi)!;
            string o = p.StandardOutput.ReadToEnd();
            string e = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, o, e);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", e.Message);
        }
    }

    internal static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Rt.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root (Rt.sln) not found above " + AppContext.BaseDirectory);
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
