using Rt.Core.Config;

namespace Rt.Telemetry.Tests;

/// <summary>The telemetry section's encoding, rate and packing keys: bounded, validated, mapped onto the options.</summary>
public sealed class TelemetryConfigTests
{
    private static IReadOnlyList<ConfigProblem> TelemetryProblems(Action<TelemetrySection> edit)
    {
        var config = new RtConfig();
        edit(config.Telemetry);
        return [.. ConfigValidator.Validate(config).Where(p => p.Key.StartsWith("telemetry.", StringComparison.Ordinal))];
    }

    [Theory]
    [InlineData("telemetry.encoding")]
    [InlineData("telemetry.summary_hz")]
    [InlineData("telemetry.ros_hz")]
    [InlineData("telemetry.threshold_repeat_s")]
    public void Out_of_range_values_are_named_by_key(string key)
    {
        Assert.Empty(TelemetryProblems(_ => { }));
        var problems = TelemetryProblems(t =>
        {
            switch (key)
            {
                case "telemetry.encoding": t.Encoding = "xml"; break;
                case "telemetry.summary_hz": t.SummaryHz = 1000; break;
                case "telemetry.ros_hz": t.RosHz = double.NaN; break;
                default: t.ThresholdRepeatS = 0; break;
            }
        });
        var p = Assert.Single(problems);
        Assert.Equal(key, p.Key);
    }

    [Fact]
    public void Section_values_become_the_services_options()
    {
        var o = TelemetryOptions.FromSection(new TelemetrySection { Encoding = "binary", SummaryHz = 2, RosHz = 0, ThresholdRepeatS = 5, PackColumns = false });
        Assert.Equal(PayloadEncoding.Binary, o.Encoding);
        Assert.Equal(2, o.SummaryHz);
        Assert.Equal(0, o.RosHz);
        Assert.Equal(5, o.ThresholdRepeatS);
        Assert.False(o.PackColumns);
        Assert.Equal(PayloadEncoding.Protobuf, TelemetryOptions.FromSection(new TelemetrySection()).Encoding);
    }
}
