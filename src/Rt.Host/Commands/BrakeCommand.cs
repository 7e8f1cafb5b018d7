using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Session;

namespace Rt.Host.Commands;

/// <summary>
/// <c>rt brake release --joint J</c>: opens a joint's holding brake by hand on the running host, hold-to-run over the
/// local reset socket (the command is the button: the brake is released while it runs and engaged again when Ctrl+C or
/// the process dying lets go, the host judging the hold on its own clock); <c>rt brake engage --joint J|--all</c>
/// closes brakes at once. Local only: an SSH session or a network address is refused. Exit 0 done; 1 the host engaged
/// the brake on its own (hold lost, robot about to move, fault); 2 bad input or refused (unknown joint, joint without a
/// brake release output, robot enabled); 3 no socket / no answer. Not real-time safe.
/// </summary>
internal static class BrakeCommand
{
    public static Command Create()
    {
        var cmd = new Command("brake", "Release (hold-to-run) or engage a joint's holding brake by hand, through the running host's local reset socket");
        cmd.Subcommands.Add(Sub("release", "Release a joint's brake while this command runs (hold-to-run); Ctrl+C engages it again", all: false));
        cmd.Subcommands.Add(Sub("engage", "Engage a joint's brake (or every brake with --all) now", all: true));
        return cmd;
    }

    private static Command Sub(string verb, string description, bool all)
    {
        var config = CommandOptions.ConfigOption();
        var socket = new Option<string?>("--socket") { Description = "The running host's reset socket (default: safety.reset_socket of --config, under --state-dir)" };
        var stateDir = new Option<DirectoryInfo?>("--state-dir") { Description = "The running host's state folder, where a relative reset socket lives (default ./rt-state)" };
        var joint = new Option<string?>("--joint") { Description = "The braked joint (one with brakes[].release_output or release_by_drive in the config)", Required = !all };
        var allOption = new Option<bool>("--all") { Description = "Every brake with a release output" };
        var cmd = new Command(verb, description) { config, socket, stateDir, joint };
        if (all) cmd.Options.Add(allOption);
        cmd.SetAction(r => CommandRunner.Guard(() => Run(verb, r.GetValue(config)!, r.GetValue(socket), r.GetValue(stateDir), r.GetValue(joint), all && r.GetValue(allOption))));
        return cmd;
    }

    private static int Run(string verb, FileInfo configFile, string? socketOption, DirectoryInfo? stateDir, string? joint, bool all)
    {
        HomingCommands.LocalOnly($"rt brake {verb}", socketOption);
        if (all == (joint != null))
            throw new InputError("command line", "--joint", all ? "--joint and --all together; expected one of them" : "is missing; expected --joint <joint> or --all");
        var cfg = CommandOptions.LoadConfig(configFile);
        var braked = cfg.Brakes.Where(b => b.HostReleasable).Select(b => b.Joint).ToList();
        if (joint != null)
        {
            if (!cfg.Joints.Exists(j => j.Name == joint))
                throw new InputError("command line", "--joint", $"unknown joint '{joint}'; expected one of {string.Join(", ", cfg.Joints.Select(j => j.Name))}");
            if (!braked.Contains(joint))
                throw new InputError("command line", "--joint", $"'{joint}' has no brake the host can release (brakes[].release_output or release_by_drive in {cfg.SourcePath})"
                    + (braked.Count > 0 ? $"; braked joints: {string.Join(", ", braked)}" : "; no brake has one"));
        }
        string path = JogCommands.ResolveSocket(cfg, socketOption, stateDir);

        // The signals are the operator letting go: registered before the release is asked, so none falls in between.
        var letGo = new StrongBox<int>();
        void LetGo(PosixSignalContext c)
        {
            c.Cancel = true;
            Interlocked.Exchange(ref letGo.Value, 1);
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, LetGo);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, LetGo);
        using var s = HomingCommands.Connect(path);
        using var stream = new NetworkStream(s, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string first = JogCommands.Exchange(s, reader, $"brake {verb} {joint ?? "all"}") ?? throw new HostUnavailableException($"the reset socket {path} closed without a reply");
        if (first.StartsWith("error: unknown command", StringComparison.Ordinal))
            throw new HostUnavailableException($"the host at {path} takes no brake commands ({first}); update it");
        if (first.StartsWith("no answer", StringComparison.Ordinal))
            throw new HostUnavailableException($"the host at {path}: {first}");
        if (first.StartsWith("error: ", StringComparison.Ordinal) || first.StartsWith("refused: ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine(first.StartsWith("error: ", StringComparison.Ordinal) ? first : $"error: brake {verb} {first}");
            return ExitCodes.BadInput; // nothing released
        }
        if (verb == "engage")
        {
            Console.WriteLine(first);
            return ExitCodes.Ok;
        }
        if (!first.StartsWith("released ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"error: the reset socket answered: {first}");
            return ExitCodes.Unavailable;
        }
        Console.WriteLine(first);
        return Hold(s, reader, first, letGo);
    }

    /// <summary>The renewals, a quarter of the hold timeout apart, until Ctrl+C lets go or the host engages the brake.</summary>
    private static int Hold(Socket s, StreamReader reader, string started, StrongBox<int> letGo)
    {
        double holdS = 0.25;
        int at = started.LastIndexOf("renew within ", StringComparison.Ordinal);
        if (at >= 0 && double.TryParse(started.AsSpan(at + 13).TrimEnd(" s".AsSpan()), NumberStyles.Float, CultureInfo.InvariantCulture, out double h) && h > 0) holdS = h;
        var renew = TimeSpan.FromSeconds(holdS / 4);
        var time = TimeProvider.System;
        long lastPrint = time.GetTimestamp();
        while (true)
        {
            Thread.Sleep(renew);
            bool ending = Volatile.Read(ref letGo.Value) != 0;
            string? line = JogCommands.Exchange(s, reader, ending ? "release" : "hold");
            if (line == null)
            {
                Console.Error.WriteLine("error: the host closed the brake connection (the brake is engaged)");
                return ExitCodes.Unavailable;
            }
            if (line.StartsWith("engaged: ", StringComparison.Ordinal))
            {
                if (ending)
                {
                    Console.WriteLine(line);
                    return ExitCodes.Ok;
                }
                Console.Error.WriteLine($"error: brake {line}");
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
