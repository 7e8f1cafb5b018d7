namespace Rt.Core.Errors;

/// <summary>
/// Bad input from outside the process (config, robot description, EEPROM image, parameter file, frame capture).
/// Carries where the problem is and what was expected, so the host can print one clear line and refuse to move.
/// Not real-time safe: thrown only while preparing, never inside the tick.
/// </summary>
public sealed class InputError : Exception
{
    public InputError(string source, string location, string problem)
        : base(Format(source, location, problem))
    {
        Source_ = source;
        Location = location;
        Problem = problem;
    }

    public InputError(string source, string location, string problem, Exception inner)
        : base(Format(source, location, problem), inner)
    {
        Source_ = source;
        Location = location;
        Problem = problem;
    }

    /// <summary>The file (or device, or stream) the input came from.</summary>
    public string Source_ { get; }

    /// <summary>Line/column, YAML key path, XML element, byte offset: whatever pins the problem down.</summary>
    public string Location { get; }

    /// <summary>What is wrong and what was expected instead.</summary>
    public string Problem { get; }

    private static string Format(string source, string location, string problem) =>
        string.IsNullOrEmpty(location) ? $"{source}: {problem}" : $"{source}: {location}: {problem}";
}
