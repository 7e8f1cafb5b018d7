using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Safety;
using Rt.Telemetry;

// A stand-in host that tests kill with SIGKILL.
// Usage: Rt.Telemetry.Child <broker-uri> <robot-id> <outbox-dir> [<mode> N <safety-log>]
//   default: connect, print "connected", wait to be killed (last-will test);
//   events N: log N safety events (ids 1..N) as the host does (fsync, then tell telemetry) without waiting for a
//             broker, print "stored", wait;
//   gap N:    connect; log events 1..N/2 as the host does and wait for their PUBACKs; then fsync N/2+1..N in the
//             safety log without telling telemetry (the kill lands between fsync and publish), print "fsynced", wait;
//   stream N: connect, print "running", then log events 1..N as the host does, one every 2 ms, until killed.
if (args.Length is not (3 or 6))
{
    Console.Error.WriteLine("usage: Rt.Telemetry.Child <broker-uri> <robot-id> <outbox-dir> [events|gap|stream N <safety-log>]");
    return 2;
}
var layout = new ChannelLayout(["j0", "j1"], []);
var section = new TelemetrySection { Enabled = true, Broker = args[0], RobotId = args[1], OutboxPath = args[2], BatchSize = 1 };
SafetyLogWriter? writer = args.Length == 6 ? new SafetyLogWriter(args[5]) : null;
using var svc = new TelemetryService(section, layout, args[1], line => Console.Error.WriteLine(line),
    new TelemetryOptions { KeepAliveS = 5, ConnectWatchdogS = 5 }, journal: args.Length == 6 ? new SafetyLogJournal(args[5]) : null);
svc.Start();

void Fsync(long id)
{
    writer!.Append(new SafetyEvent(id, id * 10, id * 10_000_000L, SafetyState.Operational, SafetyState.Stopped,
        Rt.Core.Faults.FaultCode.EStop, -1, StopCategory.Cat0, 1, 0), (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
    writer.Flush();
}

void Log(long id)
{
    Fsync(id);
    svc.PublishSafetyEvent(new SafetyEvent(id, id * 10, id * 10_000_000L, SafetyState.Operational, SafetyState.Stopped,
        Rt.Core.Faults.FaultCode.EStop, -1, StopCategory.Cat0, 1, 0));
}

void Say(string line)
{
    Console.WriteLine(line);
    Console.Out.Flush();
}

if (args.Length == 6)
{
    int n = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
    switch (args[3])
    {
        case "events":
            for (int id = 1; id <= n; id++) Log(id);
            Say("stored");
            break;
        case "gap":
            if (!svc.WaitConnected(TimeSpan.FromSeconds(20))) { Console.Error.WriteLine("not connected"); return 1; }
            for (int id = 1; id <= n / 2; id++) Log(id);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (svc.Stats.OutboxPending > 0 && DateTime.UtcNow < deadline) Thread.Sleep(10);
            if (svc.Stats.OutboxPending > 0) { Console.Error.WriteLine("first half not acknowledged"); return 1; }
            for (int id = n / 2 + 1; id <= n; id++) Fsync(id);
            Say("fsynced");
            break;
        case "stream":
            if (!svc.WaitConnected(TimeSpan.FromSeconds(20))) { Console.Error.WriteLine("not connected"); return 1; }
            Log(1); // before "running": every killed run has logged at least one event, however slow the machine
            Say("running");
            for (int id = 2; id <= n; id++) { Log(id); Thread.Sleep(2); }
            break;
        default:
            Console.Error.WriteLine($"unknown mode '{args[3]}'");
            return 2;
    }
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
Say("connected");
Thread.Sleep(Timeout.Infinite);
return 0;
