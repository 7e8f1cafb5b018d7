using System.Globalization;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

// Appends safety events to a log forever, fsyncing each one, and prints "wrote <id>" after each is durable, so the
// test can kill -9 it at any moment. With "split", each record goes out in two write() calls to widen the torn window.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Rt.Safety.LogChild <log path> [split] [first id]");
    return 2;
}
bool split = args.Length > 1 && args[1] == "split";
long id = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 1;
using var writer = new SafetyLogWriter(args[0], batchCapacity: 1, splitWritesForCrashTests: split);
var stdout = Console.Out;
for (; ; id++)
{
    var e = new SafetyEvent(id, id * 10, id * 1_000_000, SafetyState.Operational, SafetyState.Stopping,
        FaultCode.Collision, (short)(id % 7), StopCategory.Cat2, id * 0.5, 12.5);
    writer.Append(e, id);
    writer.Flush();
    stdout.WriteLine($"wrote {id.ToString(CultureInfo.InvariantCulture)}");
    stdout.Flush();
}
