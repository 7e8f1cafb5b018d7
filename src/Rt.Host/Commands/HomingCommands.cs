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
/// <c>rt home</c>: homes a joint with an incremental encoder by its drive's CiA 402 homing mode, on the running host,
/// hold-to-run over the local reset socket (the command is the button: Ctrl+C or the process dying interrupts it, the
/// host stopping the joint on its own clock). Never from the network: an SSH session or a network address is refused.
/// Exit 0 attained; 1 failed, timed out or stopped by the supervisor; 2 bad input or refused (unknown joint, joint
/// without homing set-up, method other than the drive's set-up, robot enabled or moving); 3 no socket / no answer.
/// Not real-time safe.
/// </summary>
internal static class HomingCommands
{
    public static Command Create()
    {
        var config = CommandOptions.ConfigOption();
        var socket = new Option<string?>("--socket") { Description = "The running host's reset socket (default: safety.reset_socket of --config, under --state-dir)" };
        var stateDir = new Option<DirectoryInfo?>("--state-dir") { Description = "The running host's state folder, where a relative reset socket lives (default ./rt-state)" };
        var joint = new Option<string>("--joint") { Description = "The joint to home (one listed under homing.joints: in the config)", Required = true };
        var method = new Option<int?>("--method") { Description = "The DS402 homing method (1..35, 37); must be the one the drive was set up with (homing.joints[].method)" };
        var cmd = new Command("home", "Home a joint with an incremental encoder (CiA 402 homing mode), hold-to-run, through the running host's local reset socket")
            { config, socket, stateDir, joint, method };
        cmd.SetAction(r => CommandRunner.Guard(() => Run(r.GetValue(config)!, r.GetValue(socket), r.GetValue(stateDir), r.GetValue(joint)!, r.GetValue(method))));
        return cmd;
    }

    private static int Run(FileInfo configFile, string? socketOption, DirectoryInfo? stateDir, string joint, int? method)
    {
        LocalOnly("rt home", socketOption);
        if (method is { } m && !HomingSection.IsMethod(m))
            throw new InputError("command line", "--method", $"{m}; expected a DS402 homing method 1..35 or 37");
        var cfg = CommandOptions.LoadConfig(configFile);
        if (!cfg.Joints.Exists(j => j.Name == joint))
            throw new InputError("command line", "--joint", $"unknown joint '{joint}'; expected one of {string.Join(", ", cfg.Joints.Select(j => j.Name))}");
        var h = cfg.Homing.For(joint)
            ?? throw new InputError("command line", "--joint", $"'{joint}' has no homing set-up (homing.joints in {cfg.SourcePath}): its encoder is taken as absolute"
                + (cfg.Homing.Joints.Count > 0 ? $"; joints with one: {string.Join(", ", cfg.Homing.Joints.Select(j => j.Joint))}" : ""));
        if (method is { } mm && mm != h.Method)
            throw new InputError("command line", "--method", string.Create(CultureInfo.InvariantCulture,
                $"{mm}, but the drive of {joint} was set up with method {h.Method} when the host started (homing.joints[].method); change the config and restart the host"));
        string path = JogCommands.ResolveSocket(cfg, socketOption, stateDir);

        using var s = Connect(path);
        using var stream = new NetworkStream(s, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string first = JogCommands.Exchange(s, reader, $"home {joint}") ?? throw new HostUnavailableException($"the reset socket {path} closed without a reply");
        if (first.StartsWith("error: unknown command", StringComparison.Ordinal))
            throw new HostUnavailableException($"the host at {path} has no homing ({first}); update it");
        if (first.StartsWith("error: ", StringComparison.Ordinal) || first.StartsWith("refused: ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine(first.StartsWith("error: ", StringComparison.Ordinal) ? first : $"error: home {first}");
            return ExitCodes.BadInput; // nothing moved
        }
        if (!first.StartsWith("homing ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"error: the reset socket answered: {first}");
            return ExitCodes.Unavailable;
        }
        Console.WriteLine(first);
        return Hold(s, reader, first);
    }

    /// <summary>Refuses an SSH session and a network address: manual motion is for an operator at the robot.</summary>
    internal static void LocalOnly(string what, string? socketOption)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SSH_CONNECTION")))
            throw new InputError("command line", what, $"this shell is an SSH session (SSH_CONNECTION is set): {what} is local only, never from the network; run it at the robot's own console");
        if (socketOption != null && socketOption.Contains("://", StringComparison.Ordinal))
            throw new InputError("command line", "--socket", $"'{socketOption}' is a network address: {what} is local only, over the host's Unix reset socket; expected a socket path");
    }

    internal static Socket Connect(string path)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 5000, SendTimeout = 5000 };
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(path));
            return s;
        }
        catch (SocketException e)
        {
            s.Dispose();
            throw new HostUnavailableException($"cannot reach the reset socket {path}: {e.Message} (is `rt run` running with safety.reset_socket?)");
        }
    }

    /// <summary>The renewals, a quarter of the hold timeout apart, until the homing ends or Ctrl+C lets go.</summary>
    private static int Hold(Socket s, StreamReader reader, string started)
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
        long lastPrint = time.GetTimestamp();
        while (true)
        {
            Thread.Sleep(renew);
            string? line = JogCommands.Exchange(s, reader, Volatile.Read(ref released) != 0 ? "release" : "hold");
            if (line == null)
            {
                Console.Error.WriteLine("error: the host closed the homing connection");
                return ExitCodes.Unavailable;
            }
            if (line.StartsWith("attained: ", StringComparison.Ordinal))
            {
                Console.WriteLine(line);
                return ExitCodes.Ok;
            }
            if (line.StartsWith("stopped: ", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"error: homing {line}");
                return ExitCodes.RunFaulted;
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
}
