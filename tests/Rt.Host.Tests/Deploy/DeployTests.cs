using System.Diagnostics;
using Rt.TestSupport;

namespace Rt.Host.Tests.Deploy;

/// <summary>
/// The robot's deployment: deploy/rt.service passes systemd's own checker, grants exactly the three capabilities, and
/// tools/install.sh lays out binary, unit, config folder and users (into a staging root, so the test machine keeps its /).
/// </summary>
public sealed class DeployTests
{
    private static string Unit => Path.Combine(RepoPaths.Root, "deploy", "rt.service");

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    private static Dictionary<string, List<string>> Settings()
    {
        var settings = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(Unit))
        {
            string line = raw.Trim();
            int eq = line.IndexOf('=');
            if (line.StartsWith('#') || line.StartsWith('[') || eq <= 0) continue;
            string key = line[..eq];
            if (!settings.TryGetValue(key, out var values)) settings[key] = values = [];
            values.Add(line[(eq + 1)..]);
        }
        return settings;
    }

    [SkippableFact]
    public void The_unit_passes_systemd_analyze_verify()
    {
        Skip.IfNot(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze is not installed (Debian package systemd)");
        // verify also checks that ExecStart's binary exists: point it at a stand-in executable for the check.
        string dir = Directory.CreateTempSubdirectory("rt-unit-").FullName;
        try
        {
            string copy = Path.Combine(dir, "rt.service");
            File.WriteAllText(copy, File.ReadAllText(Unit).Replace("/usr/local/bin/rt ", "/bin/true ", StringComparison.Ordinal));
            var (code, output) = Run("/usr/bin/systemd-analyze", "verify", copy);
            Assert.True(code == 0, output);
            Assert.DoesNotContain("Unknown key", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_service_runs_unprivileged_with_exactly_the_three_capabilities_and_never_restarts_into_motion()
    {
        var s = Settings();
        Assert.Equal("rt", s["User"].Single());
        string[] caps = ["CAP_IPC_LOCK", "CAP_NET_RAW", "CAP_SYS_NICE"];
        Assert.Equal(caps, s["AmbientCapabilities"].Single().Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.Equal(caps, s["CapabilityBoundingSet"].Single().Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.Equal("yes", s["NoNewPrivileges"].Single());
        Assert.Equal("infinity", s["LimitMEMLOCK"].Single());
        Assert.True(int.Parse(s["LimitRTPRIO"].Single(), System.Globalization.CultureInfo.InvariantCulture) >= 80);
        Assert.Equal("strict", s["ProtectSystem"].Single());
        Assert.Equal("rt", s["StateDirectory"].Single());
        string exec = s["ExecStart"].Single();
        Assert.StartsWith("/usr/local/bin/rt run ", exec, StringComparison.Ordinal);
        Assert.Contains("--start-disabled", exec, StringComparison.Ordinal);
        Assert.Contains("--require-rt", exec, StringComparison.Ordinal);
        Assert.Contains("--state-dir /var/lib/rt", exec, StringComparison.Ordinal);
    }

    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Install_lays_out_binary_unit_config_and_users_in_a_staging_root()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root", "install.sh adds system users: needs root");
        Skip.IfNot(File.Exists("/usr/sbin/useradd"), "useradd is not installed (Debian package passwd)");
        string root = Directory.CreateTempSubdirectory("rt-install-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "etc"));
            // The machine's account files without any rt/rt-operator entry, so only install.sh can have added them.
            foreach (var f in new[] { "passwd", "group", "shadow", "gshadow" })
                if (File.Exists("/etc/" + f))
                    File.WriteAllLines(Path.Combine(root, "etc", f), File.ReadAllLines("/etc/" + f)
                        .Where(l => !l.StartsWith("rt:", StringComparison.Ordinal) && !l.StartsWith("rt-operator:", StringComparison.Ordinal)));
            string config = RepoPaths.Biped12Config;
            var (code, output) = Run("/bin/bash", Path.Combine(RepoPaths.Root, "tools", "install.sh"), "--binary", "/bin/true", "--config", config, "--root", root);
            Assert.True(code == 0, output);
            Assert.True(File.Exists(Path.Combine(root, "usr/local/bin/rt")), output);
            Assert.Equal(File.ReadAllText(Unit), File.ReadAllText(Path.Combine(root, "etc/systemd/system/rt.service")));
            Assert.Equal(File.ReadAllText(config), File.ReadAllText(Path.Combine(root, "etc/rt/robot.yaml")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(Path.Combine(root, "etc/rt/robot.yaml")));
            string passwd = File.ReadAllText(Path.Combine(root, "etc/passwd"));
            Assert.Contains("\nrt:", "\n" + passwd, StringComparison.Ordinal);
            Assert.Contains("/usr/sbin/nologin", passwd.Split('\n').Single(l => l.StartsWith("rt:", StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.Contains("\nrt-operator:", "\n" + File.ReadAllText(Path.Combine(root, "etc/group")), StringComparison.Ordinal);
            // A second run keeps the users and the existing config (never overwritten).
            File.WriteAllText(Path.Combine(root, "etc/rt/robot.yaml"), "# edited on the robot\n");
            (code, output) = Run("/bin/bash", Path.Combine(RepoPaths.Root, "tools", "install.sh"), "--binary", "/bin/true", "--config", config, "--root", root);
            Assert.True(code == 0, output);
            Assert.Equal("# edited on the robot\n", File.ReadAllText(Path.Combine(root, "etc/rt/robot.yaml")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Install_refuses_a_missing_binary_with_one_line_and_exit_2()
    {
        var (code, output) = Run("/bin/bash", Path.Combine(RepoPaths.Root, "tools", "install.sh"), "--binary", "/nonexistent/rt", "--root", "/tmp/never");
        if (Environment.UserName != "root") Assert.Equal(4, code);
        else Assert.Equal(2, code);
        Assert.Single(output.Trim().Split('\n'));
    }
}
