using System.Text;
using Rt.Core.Description;
using Rt.Core.Errors;

namespace Rt.Core.Config;

/// <summary>
/// Reads the host's YAML configuration (snake_case keys), binds it onto <see cref="RtConfig"/>, loads the URDF it names
/// into <see cref="RtConfig.Description"/>, and validates everything with <see cref="ConfigValidator"/>.
/// Syntax errors, unknown keys and wrong value types stop at the first one; rule violations are collected and reported
/// together in one <see cref="InputError"/> (one "line N, key a.b[3].c: problem" per line), so the host can print them and refuse to move.
/// Not real-time safe (file I/O, reflection, allocation): call while preparing.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Not real-time safe. Loads, binds and validates the config at <paramref name="path"/>.</summary>
    public static RtConfig Load(string path)
    {
        string full = Path.GetFullPath(path);
        return Parse(YamlInput.ReadFile(full, "the configuration"), full);
    }

    /// <summary>
    /// Not real-time safe. Parses YAML text as if it were the file <paramref name="sourcePath"/> (used in messages and
    /// to resolve <c>robot.description</c>); binds, loads the URDF and validates.
    /// </summary>
    public static RtConfig Parse(string yaml, string sourcePath)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        string source = Path.GetFullPath(sourcePath);
        var lines = new ConfigKeyLines();
        var config = Bind(yaml, source, lines);
        config.SourcePath = source;

        var problems = new List<(int Line, string Location, string Message)>();
        // A description path that is not an existing file is reported by the validator's path rule; only a usable one is parsed.
        if (!string.IsNullOrWhiteSpace(config.Robot.Description) && ConfigValidator.PathProblem(config, "robot.description") is null)
        {
            try
            {
                config.Description = UrdfParser.Load(config.Resolve(config.Robot.Description));
            }
            catch (InputError e)
            {
                // The joint and IMU rules need the URDF; report why it failed and check the rest.
                problems.Add((lines.LineOf("robot.description"), lines.Locate("robot.description"), $"cannot use the robot description: {e.Message}"));
            }
        }
        foreach (var p in ConfigValidator.Validate(config))
        {
            problems.Add((lines.LineOf(p.Key), lines.Locate(p.Key), p.Message));
        }
        if (problems.Count == 1) throw new InputError(source, problems[0].Location, problems[0].Message);
        if (problems.Count > 1)
        {
            var text = new StringBuilder($"{problems.Count} problems in the configuration:");
            foreach (var p in problems.OrderBy(p => p.Line)) text.Append("\n  ").Append(p.Location).Append(": ").Append(p.Message);
            throw new InputError(source, "", text.ToString());
        }
        return config;
    }

    /// <summary>
    /// Not real-time safe. The <c>motion:</c> section of a YAML file (a file with only that section, or a whole robot
    /// config), bound and checked by the same binder and motion rules as the configuration: one reader for both.
    /// </summary>
    public static MotionSection LoadMotion(string path)
    {
        string full = Path.GetFullPath(path);
        var lines = new ConfigKeyLines();
        var config = Bind(YamlInput.ReadFile(full, "the motion file"), full, lines);
        if (!lines.Written("motion")) throw new InputError(full, "", "no motion: section; expected a mapping with a motion: section");
        var problems = ConfigValidator.ValidateMotion(config.Motion);
        if (problems.Count > 0) throw new InputError(full, lines.Locate(problems[0].Key), problems[0].Message);
        return config.Motion;
    }

    /// <summary>Not real-time safe. Binds YAML onto a fresh <see cref="RtConfig"/> without loading the URDF or validating.</summary>
    public static RtConfig Bind(string yaml, string sourcePath, ConfigKeyLines lines)
    {
        var root = YamlInput.Parse(yaml, sourcePath, "the configuration is empty; expected sections robot:, loop:, joints:, ...");
        var config = new YamlBinder(sourcePath, lines).BindRoot<RtConfig>(root);
        config.SourcePath = sourcePath;
        return config;
    }
}
