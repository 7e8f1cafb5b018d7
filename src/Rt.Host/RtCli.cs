using System.CommandLine;
using System.CommandLine.Invocation;
using Rt.Host.Commands;
using Rt.Session;

namespace Rt.Host;

/// <summary>
/// The <c>rt</c> command line, shared by the robot's binary (no bench) and the bench's (which passes its
/// <see cref="IBenchCommands"/>: <c>--bench</c> on <c>rt run</c>/<c>rt scan</c>, <c>rt hil …</c>, <c>rt bench …</c>).
/// Every failure leaves as one line and a documented exit code (<see cref="ExitCodes"/>), never a stack trace.
/// Not real-time safe.
/// </summary>
public static class RtCli
{
    public static int Run(string[] args, IBenchCommands? bench)
    {
        // A bug on a background thread (telemetry, safety log writer, recorder) must not print a trace either.
        AppDomain.CurrentDomain.UnhandledException += OnUnhandled;
        var root = new RootCommand("Rt: real-time controller host for humanoid-class robots (EtherCAT drives and IMUs, digital twin, safety supervisor, MQTT telemetry).")
        {
            RunCommand.Create(bench),
        };
        foreach (var extra in ExtraCommands.Create(bench)) root.Add(extra);
        if (bench != null)
            foreach (var c in bench.Commands()) root.Add(c);
        InputBounds.Apply(root);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
        {
            // One line per error and exit 2 (System.CommandLine would print help and return 1).
            // "Required command was not provided" only repeats an unrecognised token's error: name the token alone.
            var errors = parse.Errors.Select(e => e.Message).ToList();
            if (errors.Count > 1) errors.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
            foreach (var e in errors) Console.Error.WriteLine($"error: {e}");
            Console.Error.WriteLine($"(see: rt {string.Join(' ', CommandPath(parse.CommandResult.Command, root))} --help)".Replace("rt  --help", "rt --help"));
            return ExitCodes.BadInput;
        }
        // rt run handles SIGINT/SIGTERM itself (orderly stop); no command relies on the library's handler.
        return parse.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
    }

    private static IEnumerable<string> CommandPath(Command command, RootCommand root)
    {
        var path = new List<string>();
        for (Command? c = command; c != null && c != root; c = c.Parents.OfType<Command>().FirstOrDefault()) path.Insert(0, c.Name);
        return path;
    }

    private static void OnUnhandled(object sender, UnhandledExceptionEventArgs e)
    {
        var ex = e.ExceptionObject as Exception;
        Console.Error.WriteLine($"error: unexpected {ex?.GetType().Name ?? "exception"} on thread '{Thread.CurrentThread.Name ?? "unnamed"}': {ex?.Message} (a bug: please report)");
        Console.Error.Flush();
        // The runtime would print the trace and abort (134): leave first, with the contract's code for "could not run".
        Environment.Exit(ExitCodes.Unavailable);
    }
}
