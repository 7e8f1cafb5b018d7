using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Telemetry;

// Usage: Rt.Telemetry.Child <broker-uri> <robot-id> <outbox-dir>
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: Rt.Telemetry.Child <broker-uri> <robot-id> <outbox-dir>");
    return 2;
}
var layout = new ChannelLayout(["j0", "j1"], []);
var section = new TelemetrySection { Enabled = true, Broker = args[0], RobotId = args[1], OutboxPath = args[2], BatchSize = 1 };
using var svc = new TelemetryService(section, layout, args[1], line => Console.Error.WriteLine(line),
    new TelemetryOptions { KeepAliveS = 5, ConnectWatchdogS = 5 });
svc.Start();
if (!svc.WaitConnected(TimeSpan.FromSeconds(20)))
{
    Console.Error.WriteLine("not connected");
    return 1;
}
var state = new TickState(2, 0, layout) { SafetyState = SafetyState.Operational, Tick = 1 };
svc.Sink.Enqueue(state);
Console.WriteLine("connected");
Console.Out.Flush();
Thread.Sleep(Timeout.Infinite);
return 0;
