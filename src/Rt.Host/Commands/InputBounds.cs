using System.CommandLine;
using System.CommandLine.Parsing;

namespace Rt.Host.Commands;

/// <summary>
/// Bounds every command's durations and output paths at parse time, by option name, so a new command gets them too:
/// a duration is finite, positive (or 0 where 0 means "until stopped") and at most <see cref="MaxSeconds"/>; an output
/// file is not a directory and its folder exists; a Unix socket path (<c>--socket</c>, <c>--control</c>) is not empty and
/// fits <c>sun_path</c> (<see cref="Rt.Core.Errors.UnixSocketPath.MaxBytes"/> bytes). A violation is a parse error: one
/// line, exit 2. Not real-time safe.
/// </summary>
internal static class InputBounds
{
    /// <summary>About 11.6 days: longer runs are a typo (or --until-stopped).</summary>
    public const double MaxSeconds = 1e6;

    private static readonly HashSet<string> Durations = ["--duration", "--seconds", "--hours"];
    private static readonly HashSet<string> ZeroMeansUntilStopped = ["--seconds"];
    private static readonly HashSet<string> Outputs = ["--record", "--capture", "--json", "--html", "--junit", "--out", "--control"];
    // Campaign reports are written after the run into folders the runner creates (CI jobs name a fresh out/ folder).
    private static readonly HashSet<string> CreatesFolder = ["--json", "--html", "--junit"];
    // Unix socket paths a command connects to or listens on: the kernel takes at most 107 bytes.
    private static readonly HashSet<string> Sockets = ["--socket", "--control"];

    public static void Apply(Command command)
    {
        foreach (var option in command.Options)
        {
            if (option is Option<double> d && Durations.Contains(d.Name))
            {
                bool zeroOk = ZeroMeansUntilStopped.Contains(d.Name);
                double max = d.Name == "--hours" ? MaxSeconds / 3600 : MaxSeconds;
                d.Validators.Add(r =>
                {
                    if (r.Tokens.Count == 0) return;
                    // The token, not the converted value: a token that is no number already has its conversion error.
                    if (!double.TryParse(r.Tokens[0].Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v)) return;
                    if (!double.IsFinite(v) || v < 0 || (v == 0 && !zeroOk) || v > max)
                        r.AddError($"{d.Name}: expected {(zeroOk ? "0 (until stopped) or a positive number" : "a positive number")} of {(d.Name == "--hours" ? "hours" : "seconds")} up to {max:G}, got {r.Tokens[0].Value}");
                });
            }
            else if (Outputs.Contains(option.Name) && option is Option<FileInfo> or Option<FileInfo?>)
            {
                var name = option.Name;
                option.Validators.Add(r =>
                {
                    if (r.Tokens.Count == 0) return;
                    string? problem = OutputProblem(r.Tokens[0].Value, createsFolder: CreatesFolder.Contains(name));
                    if (problem != null) r.AddError($"{name} {r.Tokens[0].Value}: {problem}");
                });
            }
        }
        foreach (var option in command.Options)
        {
            if (!Sockets.Contains(option.Name)) continue;
            var name = option.Name;
            option.Validators.Add(r =>
            {
                if (r.Tokens.Count == 0) return;
                string value = r.Tokens[0].Value;
                if (value.Contains("://", StringComparison.Ordinal)) return; // a network address: the command says why it refuses it
                if (SocketProblem(value) is { } problem) r.AddError($"{name}: {problem}");
            });
        }
        foreach (var sub in command.Subcommands) Apply(sub);
    }

    /// <summary>Why <paramref name="path"/> (made absolute, as the commands use it) cannot name a Unix socket, or null.</summary>
    public static string? SocketProblem(string path)
    {
        if (Rt.Core.Errors.UnixSocketPath.Problem(path) is { } empty) return empty;
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"not a usable path ({e.Message})";
        }
        return Rt.Core.Errors.UnixSocketPath.Problem(full);
    }

    /// <summary>Why <paramref name="path"/> cannot be written as a file, or null if it can be tried.</summary>
    public static string? OutputProblem(string path, bool createsFolder = false)
    {
        if (string.IsNullOrWhiteSpace(path)) return "expected a file name";
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"not a usable path ({e.Message})";
        }
        if (Directory.Exists(full) || path.EndsWith('/')) return "is a directory, expected a file to write";
        var folder = Path.GetDirectoryName(full);
        if (string.IsNullOrEmpty(folder) || Directory.Exists(folder)) return null;
        if (!createsFolder) return $"folder {folder} does not exist";
        // The folder will be created: its nearest existing ancestor must be a folder, not a file.
        for (var up = Path.GetDirectoryName(folder); !string.IsNullOrEmpty(up); up = Path.GetDirectoryName(up))
        {
            if (Directory.Exists(up)) break;
            if (File.Exists(up)) return $"folder {folder} cannot be created: {up} is a file";
        }
        return null;
    }
}
