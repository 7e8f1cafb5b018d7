using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Session;

namespace Rt.Host.Commands;

/// <summary>
/// <c>rt jog</c>: recovering a robot by hand. Hold-to-run over the running host's local reset socket: the command is the
/// button, renewing the request well inside <c>jog.hold_timeout_s</c> while it runs; Ctrl+C, the end of
/// <c>--duration</c> or the process dying lets go (the host stops the joint when the renewals stop, on its own clock).
/// Never from the network: the socket is a Unix socket, and an SSH session or a network address is refused (exit 2).
/// Exit 0 the jog ran and ended (reached the range, released), 1 stopped by the supervisor (tripped, drive did not
/// follow), 2 bad input or refused by the host (nothing moved, as <c>rt home</c> and <c>rt brake</c>), 3 no socket /
/// no answer. Not real-time safe.
/// </summary>
internal static class JogCommands
{
    public static Command Create()
    {
        var config = CommandOptions.ConfigOption();
        var socket = new Option<string?>("--socket") { Description = "The running host's reset socket (default: safety.reset_socket of --config, under --state-dir)" };
        var stateDir = new Option<DirectoryInfo?>("--state-dir") { Description = "The running host's state folder, where a relative reset socket lives (default ./rt-state)" };
        var joint = new Option<string>("--joint") { Description = "The joint to move (a name under joints: in the config)", Required = true };
        var direction = new Option<string>("--direction") { Description = "+ or -: toward larger or smaller joint angles (outside its range only toward the range)", Required = true };
        var speed = new Option<double?>("--speed") { Description = "rad/s (default jog.speed_rad_s; at most jog.max_speed_rad_s, itself at most 0.1)" };
        var duration = new Option<double?>("--duration") { Description = "Let go after this many seconds (default: hold until the jog ends or Ctrl+C)" };
        var cmd = new Command("jog", "Move one joint by hand at reduced speed, hold-to-run, through the running host's local reset socket (recovering a robot outside its range)")
            { config, socket, stateDir, joint, direction, speed, duration };
        cmd.SetAction(r => CommandRunner.Guard(() => Run(r.GetValue(config)!, r.GetValue(socket), r.GetValue(stateDir), r.GetValue(joint)!,
            r.GetValue(direction)!, r.GetValue(speed), r.GetValue(duration))));
        return cmd;
    }

    private static int Run(FileInfo configFile, string? socketOption, DirectoryInfo? stateDir, string joint, string direction, double? speed, double? duration)
    {
        // Hold-to-run needs an operator who sees the robot: a shell over SSH is the network.
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SSH_CONNECTION")))
            throw new InputError("command line", "rt jog", "this shell is an SSH session (SSH_CONNECTION is set): jog is local only, never from the network; run it at the robot's own console");
        if (socketOption != null && socketOption.Contains("://", StringComparison.Ordinal))
            throw new InputError("command line", "--socket", $"'{socketOption}' is a network address: jog is local only, over the host's Unix reset socket; expected a socket path");
        if (direction is not ("+" or "-"))
            throw new InputError("command line", "--direction", $"'{direction}'; expected + or -");
        if (duration is { } d && !(d > 0 && d <= InputBounds.MaxSeconds))
            throw new InputError("command line", "--duration", $"must be a positive number of seconds, got {d}");
        var cfg = CommandOptions.LoadConfig(configFile);
        var jc = cfg.Joints.Find(j => j.Name == joint)
            ?? throw new InputError("command line", "--joint", $"unknown joint '{joint}'; expected one of {string.Join(", ", cfg.Joints.Select(j => j.Name))}");
        double max = cfg.Jog.MaxSpeedFor(jc.Name);
        if (speed is { } v && !(v > 0 && v <= max))
            throw new InputError("command line", "--speed", string.Create(CultureInfo.InvariantCulture,
                $"{v} rad/s for {joint}; expected more than 0 and at most {max} rad/s (jog.max_speed_rad_s / jog.joint_max_speed_rad_s, never above {JogSection.SpeedBoundRadS})"));
        string path = ResolveSocket(cfg, socketOption, stateDir);

        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 5000, SendTimeout = 5000 };
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            throw new HostUnavailableException($"cannot reach the reset socket {path}: {e.Message} (is `rt run` running with safety.reset_socket?)");
        }
        using var stream = new NetworkStream(s, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string request = speed is { } sp ? string.Create(CultureInfo.InvariantCulture, $"jog {joint} {direction} {sp}") : $"jog {joint} {direction}";
        string? first = Exchange(s, reader, request);
        if (first == null) throw new HostUnavailableException($"the reset socket {path} closed without a reply");
        if (first.StartsWith("error: unknown command", StringComparison.Ordinal))
            throw new HostUnavailableException($"the host at {path} has no jog ({first}); update it");
        if (first.StartsWith("error: ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine(first);
            return ExitCodes.BadInput;
        }
        if (first.StartsWith("refused: ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"error: jog {first}");
            return ExitCodes.BadInput; // nothing moved (as rt home and rt brake); 1 is kept for the supervisor stopping a jog
        }
        if (!first.StartsWith("jogging ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"error: the reset socket answered: {first}");
            return ExitCodes.Unavailable;
        }
        Console.WriteLine(first);
        return Hold(s, reader, first, duration);
    }

    /// <summary>The renewals: a quarter of the hold timeout apart, until the jog ends, Ctrl+C or --duration.</summary>
    private static int Hold(Socket s, StreamReader reader, string started, double? duration)
    {
        double holdS = 0.25;
        int at = started.LastIndexOf("renew within ", StringComparison.Ordinal);
        if (at >= 0 && double.TryParse(started.AsSpan(at + 13).TrimEnd(" s".AsSpan()), NumberStyles.Float, CultureInfo.InvariantCulture, out double h) && h > 0) holdS = h;
        var renew = TimeSpan.FromSeconds(holdS / 4);
        int released = 0;
        void LetGo(PosixSignalContext c)
        {
            c.Cancel = true;
            Interlocked.Exchange(ref released, 1);
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, LetGo);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, LetGo);
        var time = TimeProvider.System;
        long start = time.GetTimestamp(), lastPrint = start;
        while (true)
        {
            Thread.Sleep(renew);
            bool letGo = Volatile.Read(ref released) != 0 || (duration is { } d && time.GetElapsedTime(start).TotalSeconds >= d);
            string? line = Exchange(s, reader, letGo ? "release" : "hold");
            if (line == null)
            {
                Console.Error.WriteLine("error: the host closed the jog connection");
                return ExitCodes.Unavailable;
            }
            if (line.StartsWith("stopped: ", StringComparison.Ordinal))
            {
                Console.WriteLine(line);
                return line.Contains("tripped", StringComparison.Ordinal) || line.Contains("drive did not", StringComparison.Ordinal)
                    ? ExitCodes.RunFaulted : ExitCodes.Ok;
            }
            if (line.StartsWith("error: ", StringComparison.Ordinal))
            {
                Console.Error.WriteLine(line);
                return ExitCodes.Unavailable;
            }
            if (time.GetElapsedTime(lastPrint) >= TimeSpan.FromSeconds(1))
            {
                lastPrint = time.GetTimestamp();
                Console.WriteLine(line);
            }
        }
    }

    internal static string? Exchange(Socket s, StreamReader reader, string line)
    {
        try
        {
            s.Send(Encoding.ASCII.GetBytes(line + "\n"));
            return reader.ReadLine();
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return null;
        }
    }

    /// <summary><c>--socket</c> made absolute; empty or over <see cref="UnixSocketPath.MaxBytes"/> bytes is bad input.</summary>
    internal static string SocketFromOption(string socketOption)
    {
        if (InputBounds.SocketProblem(socketOption) is { } problem) throw new InputError("command line", "--socket", problem);
        return Path.GetFullPath(socketOption);
    }

    /// <summary>
    /// The reset socket's path: <c>--socket</c>, else <c>safety.reset_socket</c> under <c>--state-dir</c>. An empty path or
    /// one over <see cref="UnixSocketPath.MaxBytes"/> bytes is bad input naming where it came from.
    /// </summary>
    internal static string ResolveSocket(RtConfig cfg, string? socketOption, DirectoryInfo? stateDir, string takes = "jog")
    {
        if (socketOption != null) return SocketFromOption(socketOption);
        if (string.IsNullOrEmpty(cfg.Safety.ResetSocket))
            throw new InputError(cfg.SourcePath, "safety.reset_socket", $"is not set: the host opens no reset socket, so it takes no {takes}; set it or pass --socket");
        string dir = stateDir?.FullName ?? Path.Combine(Environment.CurrentDirectory, "rt-state");
        string path = Path.IsPathRooted(cfg.Safety.ResetSocket) ? cfg.Safety.ResetSocket : Path.Combine(dir, cfg.Safety.ResetSocket);
        UnixSocketPath.Check(path, cfg.SourcePath, Path.IsPathRooted(cfg.Safety.ResetSocket) ? "safety.reset_socket" : "safety.reset_socket (under --state-dir)");
        return path;
    }
}

/// <summary><c>rt run --bench --initial-pose &lt;joint&gt;=&lt;rad&gt;…</c>: the emulated robot's start pose. Not real-time safe.</summary>
internal static class JogPose
{
    /// <summary>Null when none is given; a malformed pair is one line, exit 2.</summary>
    public static IReadOnlyDictionary<string, double>? Parse(string[]? pairs)
    {
        if (pairs is null || pairs.Length == 0) return null;
        var pose = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var p in pairs)
        {
            int eq = p.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !double.TryParse(p.AsSpan(eq + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double q) || !double.IsFinite(q))
                throw new InputError("command line", "--initial-pose", $"'{p}'; expected <joint>=<angle in rad>, e.g. l_knee=-0.12");
            pose[p[..eq]] = q;
        }
        return pose;
    }

    /// <summary>Every name a configured joint, every angle within the config's joint bound; on the bench only.</summary>
    public static void Check(IReadOnlyDictionary<string, double> pose, RtConfig config, bool bench)
    {
        if (!bench) throw new InputError("command line", "--initial-pose", "the start pose is set on the bench only (--bench), never on a robot");
        foreach (var (name, q) in pose)
        {
            if (!config.Joints.Exists(j => j.Name == name))
                throw new InputError("command line", "--initial-pose", $"unknown joint '{name}'; expected one of {string.Join(", ", config.Joints.Select(j => j.Name))}");
            if (Math.Abs(q) > ConfigBounds.MaxJointPositionRad)
                throw new InputError("command line", "--initial-pose", string.Create(CultureInfo.InvariantCulture, $"{name}={q} rad; expected |angle| <= {ConfigBounds.MaxJointPositionRad} rad"));
        }
    }
}
