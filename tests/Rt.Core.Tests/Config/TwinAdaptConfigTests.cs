using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.TestSupport;

namespace Rt.Core.Tests.Config;

/// <summary><c>twin.adapt:</c> binds, defaults off, and each safety-relevant bound is refused naming its key.</summary>
public sealed class TwinAdaptConfigTests
{
    private static string WithAdapt(string adapt)
    {
        string yaml = File.ReadAllText(RepoPaths.Biped12Config);
        const string anchor = "  observer_gain: 200\n";
        Assert.Contains(anchor, yaml, StringComparison.Ordinal);
        return yaml.Replace(anchor, anchor + "  adapt: " + adapt + "\n", StringComparison.Ordinal);
    }

    [Fact]
    public void Adaptation_is_off_by_default_and_binds_its_keys()
    {
        Assert.False(ConfigLoader.Load(RepoPaths.Biped12Config).Twin.Adapt.Enabled);
        var c = ConfigLoader.Parse(WithAdapt("{ enabled: true, payload_rate_kg_s: 0.3, payload_max_kg: 3, hold_off_s: 0.5 }"), RepoPaths.Biped12Config);
        Assert.True(c.Twin.Adapt.Enabled);
        Assert.Equal(0.3, c.Twin.Adapt.PayloadRateKgS);
        Assert.Equal(3, c.Twin.Adapt.PayloadMaxKg);
        Assert.Equal(0.5, c.Twin.Adapt.HoldOffS);
    }

    [Theory]
    [InlineData("{ payload_rate_kg_s: 50 }", "twin.adapt.payload_rate_kg_s")]
    [InlineData("{ payload_rate_kg_s: 0 }", "twin.adapt.payload_rate_kg_s")]
    [InlineData("{ payload_min_kg: 2, payload_max_kg: 1 }", "twin.adapt.payload_max_kg")]
    [InlineData("{ payload_max_kg: 1000 }", "twin.adapt.payload_max_kg")]
    [InlineData("{ freeze_fraction: 1.5 }", "twin.adapt.freeze_fraction")]
    [InlineData("{ hold_off_s: -1 }", "twin.adapt.hold_off_s")]
    [InlineData("{ gain_per_s: 0 }", "twin.adapt.gain_per_s")]
    [InlineData("{ log_step_kg: 0 }", "twin.adapt.log_step_kg")]
    public void A_bound_outside_its_range_is_refused_naming_the_key(string adapt, string key)
    {
        var error = Assert.Throws<InputError>(() => ConfigLoader.Parse(WithAdapt(adapt), RepoPaths.Biped12Config));
        Assert.Contains("key " + key, error.Message, StringComparison.Ordinal);
    }
}
