using Rt.Twin.CrossCheck;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

public sealed class CrossCheckThresholdTests(ITestOutputHelper output)
{
    [Theory]
    // Published zero-state ARLs of the one-sided CUSUM for N(0,1) data (Montgomery, Introduction to Statistical
    // Quality Control, table 9.3 gives the two-sided 168 and 465 at k = 0.5; one-sided is twice that).
    [InlineData(0.5, 4.0, 336.0)]
    [InlineData(0.5, 5.0, 930.0)]
    public void Brook_Evans_reproduces_the_published_cusum_run_lengths(double k, double h, double published)
    {
        double arl = ThresholdDerivation.BrookEvansArl(k, h);
        output.WriteLine($"k={k} h={h}: Brook–Evans {arl:F1}, Siegmund {ThresholdDerivation.SiegmundArl(k, h):F1}, published {published}");
        Assert.InRange(arl, published * 0.99, published * 1.01);
    }

    [Fact]
    public void Siegmund_error_is_quantified_against_the_numerical_run_length()
    {
        // The closed form overestimates slightly at small h (few-% ARL error); at the production point the error in
        // h is what matters. Print both so docs/TWIN.md's numbers are reproducible.
        foreach (var (k, arl) in new[] { (1.5, 4000.0), (1.5, 2.88e10), (0.5, 1000.0), (1.0, 1e6) })
        {
            double hs = ThresholdDerivation.SolveCusumThresholdSiegmund(k, arl);
            double hn = ThresholdDerivation.SolveCusumThresholdNumeric(k, arl);
            double arlAtHs = ThresholdDerivation.BrookEvansArl(k, hs);
            double relArl = arlAtHs / arl - 1;
            output.WriteLine($"k={k} ARL0={arl:G3}: h_siegmund={hs:F4} h_numeric={hn:F4} (Δh={hn - hs:+0.0000;-0.0000}); true ARL at h_siegmund = {arlAtHs:G4} ({relArl:+0.0%;-0.0%})");
            Assert.InRange(Math.Abs(hn - hs), 0, 0.15);
            Assert.InRange(relArl, -0.35, 0.35);
        }
    }

    [Theory]
    [InlineData(1, 0.05, 3.841459)]
    [InlineData(3, 0.05, 7.814728)]
    [InlineData(1, 1e-9, 37.324893)] // mpmath, 30 digits
    [InlineData(3, 1e-10, 49.542156)] // mpmath, 30 digits
    public void Chi_square_quantile_matches_reference_values(int dof, double alpha, double expected)
    {
        double x = ThresholdDerivation.ChiSquareUpperQuantile(dof, alpha);
        Assert.InRange(x, expected * (1 - 2e-4), expected * (1 + 2e-4));
        Assert.InRange(ThresholdDerivation.ChiSquareUpperTail(dof, x) / alpha, 1 - 1e-6, 1 + 1e-6);
    }

    [Fact]
    public void Production_thresholds_for_one_false_alarm_per_1000_hours_at_1_kHz()
    {
        double arl = ThresholdDerivation.AverageRunLengthTicks(1000, 1000);
        Assert.Equal(3.6e9, arl);
        var scalar = ThresholdDerivation.ForChannel(1, arl, 3);
        var vector = ThresholdDerivation.ForChannel(3, arl, 3);
        output.WriteLine($"scalar: {scalar}");
        output.WriteLine($"vector: {vector}");
        Assert.Equal(1.5, scalar.CusumDrift);
        // One-sided ARL = ARL0 / (1 − gate share) · 2d: the channel's CUSUMs together alarm at half the configured rate.
        Assert.Equal(arl * 2 * 2, scalar.OneSidedArlTicks, 1e-6 * arl);
        Assert.InRange(scalar.CusumThreshold, 6, 8);
        Assert.True(vector.CusumThreshold > scalar.CusumThreshold);
        Assert.Equal(1 / (2 * arl), ThresholdDerivation.ChiSquareUpperTail(1, scalar.GateThreshold), 1e-6 / arl);
        Assert.InRange(scalar.ExpectedDetectionDelayTicks, 2, 10);
    }

    [Fact]
    public void Invalid_rates_are_refused_with_a_reason()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ThresholdDerivation.ForChannel(1, 0.5, 3));
        Assert.Contains("run length", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => ThresholdDerivation.ForChannel(1, 1e6, double.NaN));
    }
}
