using System.CommandLine;
using System.Globalization;
using Rt.Core.Tick;
using Rt.Session;
using Rt.Safety;

namespace Rt.Host.Commands;

internal static partial class ExtraCommands
{
    /// <summary>
/// <c>rt safety-log &lt;file&gt;</c>: prints the durable safety log for a post-mortem, and any damaged ranges. A file
/// with no intact record at all (empty, or not a safety log) is bad input: one line, exit 2.
/// </summary>
    private static Command SafetyLogCommand()
    {
        var file = new Argument<FileInfo>("log") { Description = "A safety log (safety.log_path, under rt-state/ by default)" };
        var cmd = new Command("safety-log", "Print a safety log: every state change with its trigger, channel, values and reaction") { file };
        cmd.SetAction(r => HealthCommand.Guard(() => // bad input is one line (nothing here moves)
        {
            var path = r.GetValue(file)!.FullName;
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such safety log");
            var contents = SafetyLogReader.Read(path);
            // A file with nothing intact in it is not a log to report on (an empty file, another file named by mistake).
            if (contents.Length == 0)
                throw new Core.Errors.InputError(path, "", "the file is empty; expected a safety log (safety.log_path), which starts with a session record");
            if (contents.Records.Count == 0 && contents.Sessions.Count == 0)
                throw new Core.Errors.InputError(path, "offset 0", $"not a safety log: no intact record in {contents.Length} bytes (no record magic 'RTSL' that checks); expected a file rt run wrote (safety.log_path)");
            foreach (var rec in contents.Records)
            {
                var e = rec.Event;
                var wall = DateTimeOffset.FromUnixTimeMilliseconds(rec.WallUnixNs / 1_000_000).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
                if (Rt.Safety.Jog.ManualEventCode.Describe(e) is { } manual) { Console.WriteLine($"#{e.Id} {wall} tick {e.Tick}: {manual}"); continue; }
                // The twin's refined cause of the trip before it (its evidence window), a record of its own since issue 13.
                if (e.Trigger == Core.Faults.FaultCode.IsolationRefined)
                {
                    Console.WriteLine($"#{e.Id} {wall} tick {e.Tick}: refined cause {e.Diagnosis.Class} at {e.Diagnosis.Site} {e.Diagnosis.Location}" +
                                      $"{(e.Diagnosis.Axis >= 0 ? $" axis {"xyz"[e.Diagnosis.Axis]}" : "")} (trigger {e.Trigger}, 0x{(ushort)e.Trigger:X4}); " +
                                      $"evidence channel {e.Channel} value {e.Value.ToString("G6", CultureInfo.InvariantCulture)} (threshold {e.Threshold.ToString("G6", CultureInfo.InvariantCulture)})");
                    continue;
                }
                // A brake the collision hold closed under power (docs/SAFETY.md, "Brake under power"): a record of its own, never a trigger.
                if (e.Trigger == Core.Faults.FaultCode.HoldBrakeClosed)
                {
                    Console.WriteLine($"#{e.Id} {wall} tick {e.Tick}: {e.From}: brake closed under power on joint {e.Channel} (trigger {e.Trigger}, 0x{(ushort)e.Trigger:X4}); " +
                                      $"drive torque {e.Value.ToString("G6", CultureInfo.InvariantCulture)} N·m, travel {e.Threshold.ToString("G6", CultureInfo.InvariantCulture)} rad since the trip");
                    continue;
                }
                Console.WriteLine($"#{e.Id} {wall} tick {e.Tick}: {e.From} → {e.To}; trigger {e.Trigger} (0x{(ushort)e.Trigger:X4}) channel {e.Channel}; " +
                                  $"reaction {e.Reaction}; value {e.Value.ToString("G6", CultureInfo.InvariantCulture)} (threshold {e.Threshold.ToString("G6", CultureInfo.InvariantCulture)})" +
                                  (e.Diagnosis.Class == FaultClass.Unknown ? "" :
                                      $"; cause {e.Diagnosis.Class} at {e.Diagnosis.Site} {e.Diagnosis.Location}{(e.Diagnosis.Axis >= 0 ? $" axis {"xyz"[e.Diagnosis.Axis]}" : "")} ({e.Diagnosis.Test})"));
            }
            foreach (var d in contents.Damage) Console.WriteLine($"damaged: offset {d.Offset}, {d.Length} bytes: {d.Reason}");
            if (contents.TornTail) Console.WriteLine("the last record is torn (the writer stopped mid-record); everything before it is intact");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
