using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.TestSupport;
using Rt.Twin.Parameters;

namespace Rt.Fuzz.Targets;

/// <summary>
/// The twin-parameter reader (src/Rt.Twin/Parameters/TwinParameterFile.cs), checked against the sample robot's config
/// and URDF as the host does. Input: the parameter file's bytes. Documented outcome: <see cref="InputError"/>.
/// </summary>
internal static class TwinParameterTarget
{
    private static readonly Lazy<RtConfig> Config = new(() => ConfigLoader.Load(RepoPaths.Biped12Config));

    public static FuzzTarget Create() => new("twin", "twin-parameter YAML (TwinParameterFile)", Run, [typeof(InputError)], Seeds);

    private static void Run(ReadOnlySpan<byte> input)
    {
        var config = Config.Value;
        var parameters = TwinParameterFile.Parse(TextInput.Decode(input), "/fuzz/robot.twin.yaml", config, config.Description);
        _ = parameters.ToString();
    }

    private static IEnumerable<(string, byte[])> Seeds() => TextInput.RepoFiles("hil/robots", "*.twin.yaml");
}
