using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Session;
using Rt.Session.Preflight;

namespace Rt.Host.Commands;

/// <summary>
/// <c>rt preflight</c>: plays a motion through the twin's rigid-body model faster than real time and refuses it, one
/// line per joint (its first violation), if it would exceed a limit or leave less than the supervisor's stop distance.
/// Exit 0 feasible, 2 infeasible or bad input. Not real-time safe.
/// </summary>
internal static class PreflightCommand
{

    public static Command Create()
    {
        var config = CommandOptions.ConfigOption();
        var motion = new Option<string?>("--motion", "-m") { Description = "hold, sine or march, or a YAML file whose `motion:` section replaces the config's (default: the config's motion)" };
        var from = new Option<string?>("--from") { Description = "Start positions in rad, comma-separated in the config's joint order (default: the motion's neutral pose)" };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds of motion after the settle (default: one period of the motion)" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON instead of text" };
        var cmd = new Command("preflight", "Try a motion on the twin before the robot moves: position, velocity, acceleration, torque and stop-distance limits per joint")
        {
            config, motion, from, duration, json,
        };
        cmd.SetAction(r => CommandRunner.Guard(() => Run(r.GetValue(config)!, r.GetValue(motion), r.GetValue(from), r.GetValue(duration), r.GetValue(json))));
        return cmd;
    }

    private static int Run(FileInfo configFile, string? motion, string? from, double durationS, bool json)
    {
        var cfg = CommandOptions.LoadConfig(configFile);
        if (motion != null) ApplyMotion(cfg, motion);
        var preflight = new MotionPreflight(cfg);
        double[] start = from != null ? ParseFrom(from, cfg) : preflight.Neutral();
        double motionS = durationS > 0 ? durationS : preflight.Horizon(double.PositiveInfinity);
        var wall = Stopwatch.StartNew();
        var result = preflight.Run(start, motionS);
        wall.Stop();
        if (json)
        {
            // Written field by field (no reflection): the robot's binary is NativeAOT.
            using var stdout = Console.OpenStandardOutput();
            using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteBoolean("feasible", result.Feasible);
                w.WriteNumber("horizon_s", result.HorizonS);
                w.WriteNumber("samples", result.Samples);
                w.WriteBoolean("torque_checked", preflight.ChecksTorque);
                w.WriteNumber("wall_s", wall.Elapsed.TotalSeconds);
                w.WriteNumber("stop_deceleration_rad_s2", cfg.Safety.StopDecelerationRadS2);
                w.WriteStartArray("violations");
                foreach (var v in result.Violations)
                {
                    w.WriteStartObject();
                    w.WriteString("joint", v.JointName);
                    w.WriteNumber("time_s", v.TimeS);
                    w.WriteString("phase", v.Phase);
                    w.WriteString("reason", v.Reason.ToString());
                    w.WriteNumber("value", v.Value);
                    w.WriteNumber("limit", v.Limit);
                    w.WriteString("unit", v.Unit);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("joints");
                for (int j = 0; j < result.JointNames.Length; j++)
                {
                    w.WriteStartObject();
                    w.WriteString("name", result.JointNames[j]);
                    w.WriteNumber("peak_velocity_rad_s", result.PeakVelocityRadS[j]);
                    w.WriteNumber("peak_torque_nm", result.PeakTorqueNm[j]);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            stdout.WriteByte((byte)'\n');
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pre-flight: motion {cfg.Motion.Kind}, {result.HorizonS:0.###} s ({result.Samples} samples at {cfg.Loop.RateHz:0} Hz), {cfg.Joints.Count} joints, torque {(preflight.ChecksTorque ? "checked" : "not checked (no robot description)")}, {wall.Elapsed.TotalSeconds:0.000} s wall"));
            foreach (var line in PreflightGate.Lines(result)) Console.Error.WriteLine(line);
            Console.WriteLine(result.Feasible ? "feasible" : $"infeasible: {result.Violations.Count} joint(s) refused");
        }
        return result.Feasible ? ExitCodes.Ok : ExitCodes.BadInput;
    }

    private static double[] ParseFrom(string text, RtConfig cfg)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != cfg.Joints.Count)
            throw new InputError("command line", "--from", $"expected {cfg.Joints.Count} positions (rad, comma-separated, in the config's joint order), got {parts.Length}");
        var q = new double[parts.Length];
        for (int j = 0; j < q.Length; j++)
        {
            if (!double.TryParse(parts[j], NumberStyles.Float, CultureInfo.InvariantCulture, out q[j]) || !double.IsFinite(q[j]))
                throw new InputError("command line", $"--from value {j + 1} ({cfg.Joints[j].Name})", $"expected a finite number of rad, got '{parts[j]}'");
        }
        return q;
    }

    private static void ApplyMotion(RtConfig cfg, string motion)
    {
        if (Enum.TryParse<MotionKind>(motion, ignoreCase: true, out var kind) && !motion.Contains('.') && !motion.Contains('/'))
        {
            cfg.Motion.Kind = kind;
            return;
        }
        var path = Path.GetFullPath(motion);
        if (!File.Exists(path)) throw new InputError("command line", "--motion", $"expected hold, sine, march or a YAML file with a motion: section; no file {path}");
        cfg.Motion = ConfigLoader.LoadMotion(path);
    }
}
