using Rt.Core.Errors;
using Rt.TestSupport;

namespace Rt.Fuzz.Targets;

/// <summary>
/// The HIL scenario loader (hil/Rt.Hil.Campaign/Scenarios/ScenarioLoader.cs). Input: the scenario file's bytes, parsed as if it sat in hil/scenarios (so robot: ../robots/... resolves).
/// Documented outcome: <see cref="InputError"/>.
/// </summary>
internal static class ScenarioTarget
{
    private static readonly Lazy<string> SourcePath = new(() => RepoPaths.Combine("hil", "scenarios", "fuzz-scenario.yaml"));

    public static FuzzTarget Create() => new("scenario", "HIL scenario YAML (ScenarioLoader)", Run, [typeof(InputError)], Seeds);

    private static void Run(ReadOnlySpan<byte> input)
    {
        var scenario = Rt.Hil.Campaign.Scenarios.ScenarioLoader.Parse(TextInput.Decode(input), SourcePath.Value);
        _ = scenario.ToString();
    }

    private static IEnumerable<(string, byte[])> Seeds() => TextInput.RepoFiles("hil/scenarios", "*.yaml");
}
