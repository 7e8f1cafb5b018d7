using System.CommandLine;
using Rt.Safety;
using Rt.Session;

namespace Rt.Host.Commands;

/// <summary>
/// <c>rt reset</c>: a deliberate local reset over the running host's reset socket (<c>safety.reset_socket</c>, resolved
/// against <c>--state-dir</c>), for operators without a reset button. Prints the supervisor's answer. Exit 0 accepted
/// (or nothing latched: with <c>rt run --start-disabled</c> that raises the operator enable), 1 refused, 3 no socket or
/// no answer, 2 bad input. Not real-time safe.
/// </summary>
internal static class ResetCommand
{
    public static Command Create()
    {
        var socket = new Option<string?>("--socket") { Description = "The reset socket (default: safety.reset_socket of --config, under --state-dir)" };
        var config = CommandOptions.ConfigOption();
        var stateDir = new Option<DirectoryInfo?>("--state-dir") { Description = "The running host's state folder, where a relative reset socket lives (default ./rt-state)" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the supervisor's answer", DefaultValueFactory = _ => 5 };
        var cmd = new Command("reset", "Send a local reset to the running host's safety supervisor (over its reset socket) and print the answer") { socket, config, stateDir, timeout };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            double t = r.GetValue(timeout);
            if (!(t > 0 && t <= 600))
                throw new Core.Errors.InputError("command line", "--timeout", $"expected 0 < seconds <= 600, got {t}");
            // --socket needs no config; without it the config names the socket (relative to --state-dir).
            string path = r.GetValue(socket) is { } s
                ? JogCommands.SocketFromOption(s)
                : JogCommands.ResolveSocket(CommandOptions.LoadConfig(r.GetValue(config)!), null, r.GetValue(stateDir), takes: "reset");
            var reply = LocalResetClient.Send(path, TimeSpan.FromSeconds(t));
            switch (reply.Kind)
            {
                case ResetReplyKind.Accepted:
                case ResetReplyKind.Ignored:
                    Console.WriteLine($"reset: {reply.Message}");
                    return ExitCodes.Ok;
                case ResetReplyKind.Refused:
                    Console.WriteLine($"reset: {reply.Message}");
                    return ExitCodes.RunFaulted;
                case ResetReplyKind.Error:
                    Console.Error.WriteLine($"error: the reset socket answered: {reply.Message}");
                    return ExitCodes.BadInput;
                default:
                    Console.Error.WriteLine($"error: {reply.Message}");
                    return ExitCodes.Unavailable;
            }
        }));
        return cmd;
    }
}
