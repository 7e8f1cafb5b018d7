using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Rt.Perf;

/// <summary>
/// A throwaway Debian mosquitto broker on a free loopback port, for the telemetry bench and tests.
/// Can be stopped (SIGTERM, so a persistent broker saves its sessions), restarted on the same port, frozen
/// (SIGSTOP) and thawed. Not real-time safe.
/// </summary>
public sealed partial class LocalBroker : IDisposable
{
    public const string Executable = "/usr/sbin/mosquitto";

    private Process? _process;
    private readonly string _configPath;

    /// <summary>
    /// Not real-time safe. Writes a config into <paramref name="directory"/>. <paramref name="listenerLines"/> are
    /// extra lines under the listener (e.g. cafile/certfile/keyfile); <paramref name="passwordFile"/> switches off
    /// anonymous access; <paramref name="persistence"/> keeps sessions across a restart.
    /// </summary>
    public LocalBroker(string directory, int port = 0, string? passwordFile = null, bool persistence = false,
        IEnumerable<string>? listenerLines = null)
    {
        if (!File.Exists(Executable)) throw new FileNotFoundException($"{Executable} not found: install Debian mosquitto");
        Directory.CreateDirectory(directory);
        Directory_ = directory;
        Port = port == 0 ? FreePort() : port;
        var lines = new List<string>
        {
            "user root",
            "per_listener_settings false",
            $"log_dest file {Path.Combine(directory, "mosquitto.log")}",
            "log_type all",
            "connection_messages true",
        };
        if (persistence)
        {
            lines.Add("persistence true");
            lines.Add($"persistence_location {directory}/");
            lines.Add("autosave_interval 1");
        }
        if (passwordFile is null) lines.Add("allow_anonymous true");
        else
        {
            lines.Add("allow_anonymous false");
            lines.Add($"password_file {passwordFile}");
        }
        lines.Add($"listener {Port.ToString(CultureInfo.InvariantCulture)} 127.0.0.1");
        if (listenerLines is not null) lines.AddRange(listenerLines);
        _configPath = Path.Combine(directory, "mosquitto.conf");
        File.WriteAllLines(_configPath, lines);
    }

    public int Port { get; }
    public string Directory_ { get; }
    public string Uri => $"mqtt://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";
    public bool Running => _process is { HasExited: false };
    public string LogPath => Path.Combine(Directory_, "mosquitto.log");

    /// <summary>Not real-time safe. Starts the broker and waits until it accepts TCP connections.</summary>
    public LocalBroker Start()
    {
        if (Running) return this;
        var psi = new ProcessStartInfo(Executable, ["-c", _configPath])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start mosquitto");
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"mosquitto exited at start (code {_process.ExitCode}); see {LogPath}");
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                return this;
            }
            catch (SocketException)
            {
                Thread.Sleep(20);
            }
        }
        throw new TimeoutException($"mosquitto did not listen on port {Port} within 10 s; see {LogPath}");
    }

    /// <summary>Not real-time safe. SIGTERM (the broker saves persistence) and waits for it to exit.</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 18 /* SIGCONT, in case it is frozen */);
            _ = Kill(_process.Id, 15 /* SIGTERM */);
            if (!_process.WaitForExit(5000)) _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>SIGSTOP: the broker keeps its sockets open but answers nothing.</summary>
    public void Freeze() { if (_process is not null) _ = Kill(_process.Id, 19); }

    /// <summary>SIGCONT.</summary>
    public void Thaw() { if (_process is not null) _ = Kill(_process.Id, 18); }

    public void Dispose() => Stop();

    /// <summary>A currently free TCP port on loopback.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int sig);
}
