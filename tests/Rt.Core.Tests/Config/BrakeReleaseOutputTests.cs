using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.TestSupport;
using Xunit;

namespace Rt.Core.Tests.Config;

/// <summary><c>brakes[i].release_output</c>: bound, one line per brake, none shared with a safety line; one line each naming the key.</summary>
public sealed class BrakeReleaseOutputTests
{
    private const string Knee = "  - { joint: l_knee, holding_torque_nm: 140, engage_time_s: 0.02, release_time_s: 0, engage_bit: 16 }";
    private const string Hip = "  - { joint: l_hip_pitch, holding_torque_nm: 110, engage_time_s: 0.02, release_time_s: 0, engage_bit: 16 }";

    private static string Yaml(string knee, string hip = "")
    {
        string text = File.ReadAllText(RepoPaths.Biped12Config);
        Assert.Contains(Knee, text, StringComparison.Ordinal);
        text = text.Replace(Knee, Knee[..^2] + ", release_output: " + knee + " }", StringComparison.Ordinal);
        if (hip.Length > 0) text = text.Replace(Hip, Hip[..^2] + ", release_output: " + hip + " }", StringComparison.Ordinal);
        return text;
    }

    [Fact]
    public void A_release_output_is_read_with_its_keys()
    {
        var cfg = ConfigLoader.Parse(Yaml("{ chip: /dev/gpiochip1, line: 7, active_low: true }"), RepoPaths.Biped12Config);
        var o = cfg.Brakes.Find(b => b.Joint == "l_knee")!.ReleaseOutput!;
        Assert.Equal(("/dev/gpiochip1", 7, true), (o.Chip, o.Line, o.ActiveLow));
        Assert.Equal("/dev/gpiochip1:7", o.Spec);
        Assert.Null(cfg.Brakes.Find(b => b.Joint == "l_hip_pitch")!.ReleaseOutput);
    }

    [Theory]
    [InlineData("{ chip: gpiochip0, line: 1024 }", "", "brakes[3].release_output.line: is 1024; expected a line offset 0 to 1023")]
    [InlineData("{ chip: gpiochip0, line: -1 }", "", "brakes[3].release_output.line: is -1")]
    [InlineData("{ line: 3 }", "", "brakes[3].release_output.chip: is missing")]
    [InlineData("{ chip: gpiochip0, line: 3 }", "{ chip: /dev/gpiochip0, line: 3 }", "releases another brake already")]
    public void A_bad_release_output_is_one_line_naming_the_key(string knee, string hip, string expected)
    {
        var e = Assert.Throws<InputError>(() => ConfigLoader.Parse(Yaml(knee, hip), RepoPaths.Biped12Config));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_release_output_on_the_enable_line_is_refused()
    {
        string yaml = Yaml("{ chip: gpiochip0, line: 17 }").Replace("enable_output: \"\"", "enable_output: gpiochip0:17", StringComparison.Ordinal);
        Assert.Contains("enable_output: gpiochip0:17", yaml, StringComparison.Ordinal);
        var e = Assert.Throws<InputError>(() => ConfigLoader.Parse(yaml, RepoPaths.Biped12Config));
        Assert.Contains("gpiochip0:17 is safety.enable_output already", e.Message, StringComparison.Ordinal);
    }
}
