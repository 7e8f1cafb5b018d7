using Rt.Core.Errors;
using Rt.TestSupport;

namespace Rt.Fuzz.Targets;

/// <summary>
/// The HIL scenario loader. It lives in the host today (src/Rt.Host/Campaign/Scenarios/ScenarioLoader.cs, namespace
/// Rt.Host.Campaign); when it moves (hil/Rt.Hil.Campaign) only this file and the project reference in Rt.Fuzz.csproj
/// change. Input: the scenario file's bytes, parsed as if it sat in hil/scenarios (so robot: ../robots/... resolves).
/// Documented outcome: <see cref="InputError"/>.
/// </summary>
internal static class ScenarioTarget
{
    private static readonly Lazy<string> SourcePath = new(() => RepoPaths.Combine("hil", "scenarios", "fuzz-scenario.yaml"));

    public static FuzzTarget Create() => new("scenario", "HIL scenario YAML (ScenarioLoader)", Run, [typeof(InputError)], Seeds);

    private static void Run(ReadOnlySpan<byte> input)
    {
        var scenario = Rt.Host.Campaign.ScenarioLoader.Parse(TextInput.Decode(input), SourcePath.Value);
        _ = scenario.ToString();
    }

    private static IEnumerable<(string, byte[])> Seeds() => TextInput.RepoFiles("hil/scenarios", "*.yaml");
}
