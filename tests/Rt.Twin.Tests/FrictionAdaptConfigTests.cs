using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.TestSupport;

namespace Rt.Twin.Tests;

/// <summary><c>twin.adapt.friction*</c>: off by default, binds, and each safety-relevant bound is refused naming its key.</summary>
public sealed class FrictionAdaptConfigTests
{
    private static string WithAdapt(string adapt)
    {
        string yaml = File.ReadAllText(RepoPaths.Biped12Config);
        const string anchor = "  observer_gain: 200\n";
        Assert.Contains(anchor, yaml, StringComparison.Ordinal);
        return yaml.Replace(anchor, anchor + "  adapt: " + adapt + "\n", StringComparison.Ordinal);
    }

    [Fact]
    public void Friction_adaptation_is_off_by_default_and_binds_its_keys()
    {
        var nominal = ConfigLoader.Load(RepoPaths.Biped12Config);
        Assert.False(nominal.Twin.Adapt.Friction);
        Assert.Null(new DigitalTwin(nominal, new Rt.Core.Divergence.ChannelLayout(nominal.Joints.Select(j => j.Name).ToList(), nominal.Imus.Select(i => i.Name).ToList())).FrictionAdaptation);
        var c = ConfigLoader.Parse(WithAdapt("{ friction: true, friction_rate_per_s: 0.01, friction_min_scale: 0.7, friction_max_scale: 1.5, friction_min_speed_rad_s: 0.1, friction_gain_per_s: 1, friction_log_step: 0.05 }"), RepoPaths.Biped12Config);
        var a = c.Twin.Adapt;
        Assert.True(a.Friction);
        Assert.False(a.Enabled); // the payload stays off: the two are independent
        Assert.Equal(0.01, a.FrictionRatePerS);
        Assert.Equal(0.7, a.FrictionMinScale);
        Assert.Equal(1.5, a.FrictionMaxScale);
        Assert.Equal(0.1, a.FrictionMinSpeedRadS);
        Assert.Equal(1, a.FrictionGainPerS);
        Assert.Equal(0.05, a.FrictionLogStep);
    }

    [Theory]
    [InlineData("{ friction_rate_per_s: 0.5 }", "twin.adapt.friction_rate_per_s")]
    [InlineData("{ friction_rate_per_s: 0 }", "twin.adapt.friction_rate_per_s")]
    [InlineData("{ friction_min_scale: 0.01 }", "twin.adapt.friction_min_scale")]
    [InlineData("{ friction_min_scale: 1.5 }", "twin.adapt.friction_min_scale")]
    [InlineData("{ friction_max_scale: 0.9 }", "twin.adapt.friction_max_scale")]
    [InlineData("{ friction_max_scale: 50 }", "twin.adapt.friction_max_scale")]
    [InlineData("{ friction_min_speed_rad_s: 0 }", "twin.adapt.friction_min_speed_rad_s")]
    [InlineData("{ friction_gain_per_s: 0 }", "twin.adapt.friction_gain_per_s")]
    [InlineData("{ friction_log_step: 0 }", "twin.adapt.friction_log_step")]
    public void A_friction_bound_outside_its_range_is_refused_naming_the_key(string adapt, string key)
    {
        var error = Assert.Throws<InputError>(() => ConfigLoader.Parse(WithAdapt(adapt), RepoPaths.Biped12Config));
        Assert.Contains("key " + key, error.Message, StringComparison.Ordinal);
    }
}
