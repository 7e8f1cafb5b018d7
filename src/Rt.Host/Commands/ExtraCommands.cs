using System.CommandLine;
using Rt.Core.Config;
using Rt.Core.Errors;
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
        yield return JogCommands.Create();
        yield return HomingCommands.Create();
        yield return BrakeCommand.Create();
        yield return RecordingCommand.Create();
        yield return DashboardCommand.Create();
        foreach (var c in BusCommands(bench)) yield return c;
        yield return BusUpCommand.Create(bench);
        yield return PreflightCommand.Create();
        yield return HealthCommand.Create();
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
        var healthDb = new Option<FileInfo?>("--health-db") { Description = "Also add this calibration to the health history in this SQLite file (rt health)" };
        var cmd = new Command("calibrate", "Identify the twin's parameters (servo models, friction, link dynamics, noise) from a recording") { recording, config, output, noiseFrom, healthDb };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
            // A bad health database is refused before the calibration's minutes (nothing is created until its entry).
            if (r.GetValue(healthDb) is { } checkDb) HealthAfterRun.Check(checkDb.FullName);
            var extra = (r.GetValue(noiseFrom) ?? []).Select(f => Rt.Twin.Recording.TickRecording.Open(f.FullName)).ToList();
            var result = Calibrator.CalibrateFile(r.GetValue(recording)!.FullName, cfg, r.GetValue(output)!.FullName, new CalibrationOptions { NoiseRecordings = extra });
            Console.WriteLine(result.Summary());
            Console.WriteLine($"wrote {r.GetValue(output)!.FullName}");
            // The parameter file is written: a failed health entry is one line and leaves the exit code alone, by the
            // same path as rt run and rt hil run; the entry is estimated with the parameters just written.
            if (r.GetValue(healthDb) is { } hdb)
                HealthAfterRun.TryAdd(hdb.FullName, r.GetValue(recording)!.FullName, () => cfg, "calibrate", tripped: null, Console.Out, Console.Error,
                    parametersPath: r.GetValue(output)!.FullName);
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
        var html = new Option<FileInfo?>("--html") { Description = "Also write the reality-gap report as self-contained HTML (inline SVG plots) to this file" };
        var cmd = new Command("validate", "Twin accuracy per channel on a held-out recording (RMS, max, bias) and the reality gap per group: kinematic, dynamic, sensor noise, energy") { recording, config, parameters, json, html };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
            var report = TwinValidator.RunFile(r.GetValue(recording)!.FullName, cfg, r.GetValue(parameters)?.FullName);
            Console.WriteLine(report.ToTable());
            if (report.Gap is { } gap) Console.WriteLine(gap.ToText());
            if (r.GetValue(html) is { } h && report.Gap is { } g)
            {
                File.WriteAllText(h.FullName, g.ToHtml(report));
                Console.WriteLine($"wrote {h.FullName}");
            }
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
        var broker = new Option<string?>("--broker") { Description = "mqtt://host:port or mqtts://host:port (default: the config's telemetry.broker, else mqtt://127.0.0.1:1883)" };
        var robot = new Option<string?>("--robot") { Description = "Robot id (default: the config's telemetry.robot_id or robot name)" };
        var config = new Option<FileInfo?>("--config") { Description = "Host config to take the broker, robot, prefix, CA file and credentials from" };
        var prefix = new Option<string?>("--prefix") { Description = "Topic prefix, one or more levels (default: the config's telemetry.topic_prefix, else rt)" };
        var ca = new Option<FileInfo?>("--ca") { Description = "CA certificate (PEM) the broker's certificate must chain to (mqtts://)" };
        var credentials = new Option<FileInfo?>("--credentials") { Description = "File with username:password on its first line (chmod 600)" };
        var seconds = new Option<double>("--seconds") { Description = "Stop after this many seconds (0: until Ctrl+C)" };
        var cmd = new Command("monitor", "Watch a robot's live divergence per channel and its safety events (read-only subscriber)")
            { broker, robot, config, prefix, ca, credentials, seconds };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            RtConfig? cfg = r.GetValue(config) is { } c ? CommandOptions.LoadConfig(c) : null;
            TelemetrySection? t = cfg?.Telemetry;
            string Resolved(string p) => cfg is null || string.IsNullOrEmpty(p) ? p : cfg.Resolve(p);
            var uri = BrokerUri.Parse(r.GetValue(broker) ?? t?.Broker ?? "mqtt://127.0.0.1:1883", r.GetValue(broker) is null && t is not null ? "config" : "command line",
                r.GetValue(broker) is null && t is not null ? "telemetry.broker" : "--broker");
            string robotId = r.GetValue(robot) ?? (t is null ? null : string.IsNullOrEmpty(t.RobotId) ? cfg!.Robot.Name : t.RobotId)
                ?? throw new InputError("command line", "--robot", "give the robot id, or --config to take it from");
            string topicPrefix = r.GetValue(prefix) ?? t?.TopicPrefix ?? "rt";
            if (!TelemetryTopics.IsValidPrefix(topicPrefix)) throw new InputError("command line", "--prefix", $"'{topicPrefix}' must be topic levels separated by '/' (no '+', '#')");
            if (!TelemetryTopics.IsValidLevel(robotId)) throw new InputError("command line", "--robot", $"'{robotId}' must be one topic level (no '/', '+', '#')");
            var options = new MonitorOptions
            {
                TopicPrefix = topicPrefix,
                CaFile = r.GetValue(ca)?.FullName ?? Resolved(t?.CaFile ?? ""),
                CertFile = Resolved(t?.CertFile ?? ""),
                KeyFile = Resolved(t?.KeyFile ?? ""),
                CredentialsFile = r.GetValue(credentials)?.FullName ?? Resolved(t?.CredentialsFile ?? ""),
            };
            if (options.CaFile.Length > 0 && !File.Exists(options.CaFile)) throw new InputError(options.CaFile, "--ca", "file not found");
            using var cts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
            double s = r.GetValue(seconds);
            if (s > 0) cts.CancelAfter(TimeSpan.FromSeconds(s));
            try
            {
                TelemetryMonitor.RunAsync(uri, robotId, Console.Out, cts.Token, options).GetAwaiter().GetResult();
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
