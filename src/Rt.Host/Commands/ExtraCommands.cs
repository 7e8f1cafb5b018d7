using System.CommandLine;
using Rt.Telemetry;
using Rt.Telemetry.Monitoring;
using Rt.Twin.Calibration;
using Rt.Twin.Validation;
using Rt.Session;

namespace Rt.Host.Commands;

/// <summary>Commands beyond run: calibrate, validate, monitor, safety-log, scan.</summary>
internal static partial class ExtraCommands
{
    public static IEnumerable<Command> Create(IBenchCommands? bench)
    {
        yield return Calibrate();
        yield return Validate();
        yield return Monitor();
        yield return SafetyLogCommand();
        yield return DoctorCommand.Create();
        yield return ResetCommand.Create();
        foreach (var c in BusCommands(bench)) yield return c;
        yield return BusUpCommand.Create(bench);
        yield return PreflightCommand.Create();
    }

    private static Command Calibrate()
    {
        var recording = new Argument<FileInfo>("recording") { Description = "A tick recording of an excitation run (rt run --record)" };
        var config = CommandOptions.ConfigOption();
        var output = new Option<FileInfo>("--out", "-o") { Description = "Twin-parameter file to write", Required = true };
        var noiseFrom = new Option<FileInfo[]>("--noise-from")
        {
            Description = "More recordings whose replayed twin innovations also set the noise model (the motions and plant variations the robot will really see)",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("calibrate", "Identify the twin's parameters (servo models, friction, link dynamics, noise) from a recording") { recording, config, output, noiseFrom };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
            var extra = (r.GetValue(noiseFrom) ?? []).Select(f => Rt.Twin.Recording.TickRecording.Open(f.FullName)).ToList();
            var result = Calibrator.CalibrateFile(r.GetValue(recording)!.FullName, cfg, r.GetValue(output)!.FullName, new CalibrationOptions { NoiseRecordings = extra });
            Console.WriteLine(result.Summary());
            Console.WriteLine($"wrote {r.GetValue(output)!.FullName}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Validate()
    {
        var recording = new Argument<FileInfo>("recording") { Description = "A held-out tick recording" };
        var config = CommandOptions.ConfigOption();
        var parameters = new Option<FileInfo?>("--params", "-p") { Description = "Twin-parameter file (default: the config's twin.parameters, else nominal)" };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the report as JSON to this file" };
        var cmd = new Command("validate", "Twin accuracy per channel on a held-out recording: RMS, max, bias") { recording, config, parameters, json };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
            var report = TwinValidator.RunFile(r.GetValue(recording)!.FullName, cfg, r.GetValue(parameters)?.FullName);
            Console.WriteLine(report.ToTable());
            if (r.GetValue(json) is { } j)
            {
                File.WriteAllText(j.FullName, report.ToJson());
                Console.WriteLine($"wrote {j.FullName}");
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Monitor()
    {
        var broker = new Option<string>("--broker") { Description = "mqtt://host:port or mqtts://host:port", DefaultValueFactory = _ => "mqtt://127.0.0.1:1883" };
        var robot = new Option<string>("--robot") { Description = "Robot id (the config's robot name by default)", DefaultValueFactory = _ => "biped12" };
        var seconds = new Option<double>("--seconds") { Description = "Stop after this many seconds (0: until Ctrl+C)" };
        var cmd = new Command("monitor", "Watch a robot's live divergence per channel and its safety events (read-only subscriber)") { broker, robot, seconds };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var uri = BrokerUri.Parse(r.GetValue(broker)!, "command line", "--broker");
            using var cts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
            double s = r.GetValue(seconds);
            if (s > 0) cts.CancelAfter(TimeSpan.FromSeconds(s));
            try
            {
                TelemetryMonitor.RunAsync(uri, r.GetValue(robot)!, Console.Out, cts.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or --seconds: a normal end.
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static partial IEnumerable<Command> BusCommands(IBenchCommands? benchCommands);
}
