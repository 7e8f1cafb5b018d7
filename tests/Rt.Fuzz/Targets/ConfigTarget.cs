using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.TestSupport;

namespace Rt.Fuzz.Targets;

/// <summary>
/// The host config reader (src/Rt.Core/Config/ConfigLoader.cs: YAML, binding, URDF named by it, validation). Input: the
/// config file's bytes, parsed as if the file sat beside the sample robot (so robot.description: biped12.urdf resolves).
/// Documented outcome for a bad config: <see cref="InputError"/>.
/// </summary>
internal static class ConfigTarget
{
    private static readonly Lazy<string> SourcePath = new(() => Path.Combine(RepoPaths.Biped12Dir, "fuzz-config.yaml"));

    public static FuzzTarget Create() => new("config", "host configuration YAML (ConfigLoader)", Run, [typeof(InputError)], Seeds);

    private static void Run(ReadOnlySpan<byte> input)
    {
        var config = ConfigLoader.Parse(TextInput.Decode(input), SourcePath.Value);
        _ = config.ToString();
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        foreach (var (name, bytes) in TextInput.RepoFiles("hil/robots", "*.yaml"))
            if (!name.EndsWith(".twin", StringComparison.Ordinal)) yield return (name, bytes);
    }
}
