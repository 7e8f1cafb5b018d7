using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Telemetry;

// A stand-in host that tests kill with SIGKILL.
// Usage: Rt.Telemetry.Child <broker-uri> <robot-id> <outbox-dir> [events N]
//   default: connect, print "connected", wait to be killed (last-will test);
//   events N: store N safety events (ids 1..N) without waiting for a broker, print "stored", wait (outbox test).
if (args.Length is not (3 or 5))
{
    Console.Error.WriteLine("usage: Rt.Telemetry.Child <broker-uri> <robot-id> <outbox-dir> [events N]");
    return 2;
}
var layout = new ChannelLayout(["j0", "j1"], []);
var section = new TelemetrySection { Enabled = true, Broker = args[0], RobotId = args[1], OutboxPath = args[2], BatchSize = 1 };
using var svc = new TelemetryService(section, layout, args[1], line => Console.Error.WriteLine(line),
    new TelemetryOptions { KeepAliveS = 5, ConnectWatchdogS = 5 });
svc.Start();
if (args.Length == 5)
{
    int n = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
    for (int id = 1; id <= n; id++)
        svc.PublishSafetyEvent(new SafetyEvent(id, id * 10, id * 10_000_000L, SafetyState.Operational, SafetyState.Stopped,
            Rt.Core.Faults.FaultCode.EStop, -1, StopCategory.Cat0, 1, 0));
    Console.WriteLine("stored");
    Console.Out.Flush();
    Thread.Sleep(Timeout.Infinite);
    return 0;
}
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
