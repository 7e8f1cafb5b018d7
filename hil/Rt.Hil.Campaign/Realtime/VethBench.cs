using System.Diagnostics;
using System.Text;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Realtime;

/// <summary>
/// The bench in its own process over a real veth pair: the namespace made by <c>tools/netns-veth.sh up NAME</c>
/// (host end <c>NAME-m</c>, emulator end <c>NAME-s</c> inside namespace NAME, created here if missing and removed
/// again afterwards), and <c>rt hil serve --iface NAME-s --control &lt;socket&gt;</c> running in it. Needs root
/// (namespaces, raw sockets); <see cref="Unavailable"/> says why not. Not real-time safe.
/// </summary>
public sealed class VethBench : IDisposable
{
    private readonly Process _serve;
    private readonly StringBuilder _output = new();
    private readonly bool _createdNamespace;
    private readonly string _script;

    private VethBench(string hostInterface, string ns, string script, bool created, Process serve, ControlSocketClient control, string controlPath)
    {
        HostInterface = hostInterface;
        Namespace = ns;
        _script = script;
        _createdNamespace = created;
        _serve = serve;
        Control = control;
        ControlPath = controlPath;
    }

    public string HostInterface { get; }
    public string Namespace { get; }
    public string EmulatorInterface => Namespace + "-s";
    public ControlSocketClient Control { get; }
    public string ControlPath { get; }

    /// <summary>Process id of `rt hil serve` (to pin it to a CPU).</summary>
    public int ServePid => _serve.Id;

    /// <summary>What the serve process printed so far.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Null if <paramref name="hostInterface"/> is named like the host end of a pair made by tools/netns-veth.sh (NAME-m, NAME ≤ 13 characters), else what was expected.</summary>
    public static string? CheckName(string hostInterface) =>
        hostInterface.EndsWith("-m", StringComparison.Ordinal) && hostInterface.Length is > 2 and <= 15 && !hostInterface.Contains('/')
            ? null
            : $"expected the host end NAME-m of a veth pair made by tools/netns-veth.sh up NAME (NAME: 1 to 13 characters), got '{hostInterface}'";

    /// <summary>Why the veth variant cannot run on this machine (null: it can).</summary>
    public static string? Unavailable(string hostInterface)
    {
        if (!OperatingSystem.IsLinux()) return "the veth bench needs Linux network namespaces";
        if (!Environment.IsPrivilegedProcess) return "the veth bench needs root (network namespace, veth pair, raw sockets, ip link)";
        if (FindScript() == null) return "tools/netns-veth.sh not found above " + AppContext.BaseDirectory;
        return null;
    }

    /// <summary>Brings the pair up if needed and starts the serve process; throws <see cref="InvalidOperationException"/> with its output if it does not come up.</summary>
    public static VethBench Start(string hostInterface, string configPath, ulong seed, string stateDirectory, TimeSpan startTimeout)
    {
        string ns = hostInterface[..^2];
        string script = FindScript() ?? throw new InvalidOperationException("tools/netns-veth.sh not found");
        bool created = false;
        if (!Directory.Exists($"/sys/class/net/{hostInterface}"))
        {
            Exec(script, ["up", ns]);
            created = true;
        }
        string controlPath = Path.Combine(stateDirectory, "hil-control.sock");
        var (exe, prefix) = RtCommand();
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["netns", "exec", ns, exe, .. prefix, "hil", "serve", "--iface", ns + "-s", "--config", configPath,
                     "--seed", unchecked((int)seed).ToString(System.Globalization.CultureInfo.InvariantCulture), "--control", controlPath])
            psi.ArgumentList.Add(a);
        Process? serve = null;
        try
        {
            serve = Process.Start(psi) ?? throw new InvalidOperationException("could not start rt hil serve");
            var sb = new StringBuilder();
            serve.OutputDataReceived += (_, e) => { if (e.Data != null) lock (sb) sb.AppendLine(e.Data); };
            serve.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (sb) sb.AppendLine(e.Data); };
            serve.BeginOutputReadLine();
            serve.BeginErrorReadLine();
            var deadline = DateTime.UtcNow + startTimeout;
            // Ready = the control socket exists and the serve loop is about to read frames ("serving …" is printed after
            // the JIT warm-up, right before it): a loaded machine can take longer than the master's first-contact
            // retries (3 × 50 ms) between the two.
            bool Serving() { lock (sb) return sb.ToString().Contains("serving ", StringComparison.Ordinal); }
            while (!File.Exists(controlPath) || !Serving())
            {
                if (serve.HasExited || DateTime.UtcNow > deadline)
                {
                    string why = serve.HasExited ? $"exited with {serve.ExitCode}" : $"not serving after {startTimeout.TotalSeconds:0} s";
                    lock (sb) throw new InvalidOperationException($"rt hil serve {why}: {sb.ToString().Trim()}");
                }
                Thread.Sleep(20);
            }
            var control = ControlSocketClient.Connect(controlPath, TimeSpan.FromSeconds(5));
            var bench = new VethBench(hostInterface, ns, script, created, serve, control, controlPath);
            lock (sb) bench._output.Append(sb);
            serve.OutputDataReceived += (_, e) => { if (e.Data != null) lock (bench._output) bench._output.AppendLine(e.Data); };
            serve.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (bench._output) bench._output.AppendLine(e.Data); };
            return bench;
        }
        catch
        {
            if (serve is { HasExited: false }) serve.Kill();
            serve?.Dispose();
            if (created) TryExec(script, ["down", ns]);
            throw;
        }
    }

    /// <summary>How to start the bench's rt (next to this assembly, in hil/Rt.Hil.Host's output or a test's): the dotnet muxer and rt.dll, or rt's own executable.</summary>
    private static (string Exe, string[] Prefix) RtCommand()
    {
        string dll = Path.Combine(Path.GetDirectoryName(typeof(VethBench).Assembly.Location)!, "rt.dll");
        string? process = Environment.ProcessPath;
        if (process != null && Path.GetFileNameWithoutExtension(process) == "dotnet") return (process, [dll]);
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return (host, [dll]);
        string apphost = Path.ChangeExtension(dll, null);
        if (File.Exists(apphost)) return (apphost, []);
        return ("dotnet", [dll]);
    }

    private static string? FindScript()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                string p = Path.Combine(d.FullName, "tools", "netns-veth.sh");
                if (File.Exists(p)) return p;
            }
        }
        return null;
    }

    private static void Exec(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({p.ExitCode}): {err.Trim()}");
    }

    private static void TryExec(string file, string[] args)
    {
        try { Exec(file, args); }
        catch (InvalidOperationException) { } // teardown is best effort; the next `up` reports a leftover
    }

    /// <summary>Stops the serve process (and removes the namespace if this run created it).</summary>
    public void Dispose()
    {
        Control.Dispose();
        if (!_serve.HasExited)
        {
            // SIGTERM first: the serve process prints its frame and injection counts (kept in hil-serve.log on a failure).
            TryExec("kill", ["-TERM", _serve.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (!_serve.WaitForExit(3000)) _serve.Kill();
            _serve.WaitForExit(5000);
        }
        _serve.Dispose();
        if (_createdNamespace) TryExec(_script, ["down", Namespace]);
    }
}
