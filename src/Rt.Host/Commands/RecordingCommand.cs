using System.CommandLine;
using Rt.Session;
using Rt.Twin.Recording;
using Rt.Twin.Recording.Mcap;

namespace Rt.Host.Commands;

/// <summary>
/// <c>rt recording convert &lt;in&gt; &lt;out&gt;</c>: a tick log to MCAP (by the output's ".mcap" extension) or an
/// MCAP recording back to the tick log, record for record. Not real-time safe (offline tool).
/// </summary>
internal static class RecordingCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("input") { Description = "A recording: tick log (rt run --record f.rtticks) or MCAP (rt run --record f.mcap)" };
        var output = new Argument<FileInfo>("output") { Description = "The converted recording: .mcap writes MCAP, any other extension the tick log" };
        var config = new Option<FileInfo?>("--config", "-c") { Description = "Host configuration whose robot description (URDF) goes on /robot_description (MCAP output only)" };
        var convert = new Command("convert", "Convert a recording between the tick log and MCAP") { input, output, config };
        convert.SetAction(r => CommandRunner.Guard(() =>
        {
            var rec = TickRecording.Open(r.GetValue(input)!.FullName);
            string outPath = r.GetValue(output)!.FullName;
            string? urdf = null;
            if (r.GetValue(config) is { } c)
            {
                var cfg = CommandOptions.LoadConfig(c);
                urdf = File.ReadAllText(cfg.Resolve(cfg.Robot.Description));
            }
            if (TickRecorders.IsMcapPath(outPath))
            {
                using var w = new McapTickWriter(outPath, rec.Robot, rec.Layout, rec.PeriodNs, urdf);
                for (int i = 0; i < rec.Count; i++) w.Append(rec.Tick(i), rec.Record(i));
            }
            else
            {
                using var w = new TickRecordingWriter(outPath, rec.Robot, rec.Layout, rec.PeriodNs);
                for (int i = 0; i < rec.Count; i++) w.Append(rec.Tick(i), rec.Record(i));
            }
            Console.WriteLine($"wrote {outPath}: {rec.Count} ticks of {rec.Robot} ({new FileInfo(outPath).Length} bytes)");
            return ExitCodes.Ok;
        }));
        return new Command("recording", "Recordings: convert between the tick log and MCAP") { convert };
    }
}
