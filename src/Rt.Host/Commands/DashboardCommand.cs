using System.CommandLine;
using System.Net;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Session;
using Rt.Telemetry;
using Rt.Telemetry.Dashboard;

namespace Rt.Host.Commands;

/// <summary>
/// <c>rt dashboard --broker ws://h:p --port N [--prefix p] [--robot r]</c>: serves the live browser dashboard (a static
/// page: MQTT over WebSocket straight from the browser to the broker) on a local HTTP port until Ctrl+C / SIGTERM or
/// <c>--seconds</c>. The page is read-only: it subscribes, never publishes. Exit 0, 2 bad input, 3 port not available.
/// Not real-time safe.
/// </summary>
internal static class DashboardCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "The broker's MQTT-over-WebSocket listener as the browser reaches it: ws://host:port or wss://host:port", Required = true };
        var port = new Option<int>("--port") { Description = "HTTP port to serve the page on", DefaultValueFactory = _ => 8080 };
        var bind = new Option<string>("--bind") { Description = "Address to listen on (127.0.0.1; 0.0.0.0 for every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var robot = new Option<string?>("--robot") { Description = "Robot id (default: the config's telemetry.robot_id or robot name)" };
        var prefix = new Option<string?>("--prefix") { Description = "Topic prefix, one or more levels (default: the config's telemetry.topic_prefix, else rt)" };
        var config = new Option<FileInfo?>("--config") { Description = "Host config to take the robot and prefix from" };
        var seconds = new Option<double>("--seconds") { Description = "Stop after this many seconds (0: until Ctrl+C)" };
        var cmd = new Command("dashboard", "Serve the live browser dashboard (safety state, last trip, divergence plots, drops, loop timing) for a robot's telemetry")
            { broker, port, bind, robot, prefix, config, seconds };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            RtConfig? cfg = r.GetValue(config) is { } c ? CommandOptions.LoadConfig(c) : null;
            TelemetrySection? t = cfg?.Telemetry;
            string ws = r.GetValue(broker)!.Trim();
            if (!(ws.StartsWith("ws://", StringComparison.OrdinalIgnoreCase) || ws.StartsWith("wss://", StringComparison.OrdinalIgnoreCase))
                || !Uri.TryCreate(ws, UriKind.Absolute, out Uri? wsUri) || wsUri.Host.Length == 0)
                throw new InputError("command line", "--broker", $"'{ws}' must be the broker's WebSocket listener, ws://host:port or wss://host:port (mosquitto: listener 9001 + protocol websockets)");
            int p = r.GetValue(port);
            if (p is < 1 or > 65535) throw new InputError("command line", "--port", $"expected 1..65535, got {p}");
            string host = r.GetValue(bind)!;
            if (!IPAddress.TryParse(host, out _)) throw new InputError("command line", "--bind", $"'{host}' must be an IP address (127.0.0.1, 0.0.0.0)");
            string robotId = r.GetValue(robot) ?? (t is null ? null : string.IsNullOrEmpty(t.RobotId) ? cfg!.Robot.Name : t.RobotId)
                ?? throw new InputError("command line", "--robot", "give the robot id, or --config to take it from");
            string topicPrefix = r.GetValue(prefix) ?? t?.TopicPrefix ?? "rt";
            if (!TelemetryTopics.IsValidPrefix(topicPrefix)) throw new InputError("command line", "--prefix", $"'{topicPrefix}' must be topic levels separated by '/' (no '+', '#')");
            if (!TelemetryTopics.IsValidLevel(robotId)) throw new InputError("command line", "--robot", $"'{robotId}' must be one topic level (no '/', '+', '#')");
            double s = r.GetValue(seconds);
            if (!(s >= 0 && s <= 1e7)) throw new InputError("command line", "--seconds", $"expected 0 <= seconds <= 1e7, got {s}");

            using var server = new DashboardServer(ws, topicPrefix, robotId, p, host);
            try
            {
                server.Start();
            }
            catch (HttpListenerException e)
            {
                Console.Error.WriteLine($"error: cannot serve on {host}:{p}: {e.Message}");
                return ExitCodes.Unavailable;
            }
            using var stop = new ManualResetEventSlim();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
            using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
            Console.WriteLine($"dashboard: {server.Url} (broker {ws}, topics {topicPrefix}/{robotId}/…); Ctrl+C to stop");
            Console.Out.Flush();
            if (s > 0) stop.Wait(TimeSpan.FromSeconds(s));
            else stop.Wait();
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
