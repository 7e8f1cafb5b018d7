using Rt.Twin.Isolation;

namespace Rt.Twin.Tests;

/// <summary>
/// The window fit's model of the drives' feedback skew (FaultIsolator.SkewVariance): each drive's feedback has its own
/// unknown age, so the momentum Σⱼ Mᵢⱼ q̇ⱼ mixes velocities of different instants and a stop's changing accelerations put
/// a residual on joints no contact loads.
/// </summary>
public class IsolationSkewTests
{
    // Hip pitch and knee of one leg (model order 0, 1): M(q) and the change of the filtered accelerations over a 15 ms
    // window in which a contact on the thigh stops the hip.
    private static readonly double[] Mass = [2.0, 0.4, 0.4, 0.3];
    private static readonly double[] DeltaAcc = [-300, 50];
    private const double WindowS = 0.015, SkewS = 0.0005;

    [Fact]
    public void The_knees_skew_variance_is_what_the_hips_acceleration_change_puts_on_it()
    {
        // c = M_kh·Δq̈_h = −120 N·m; Var = (δ/T)²/4·(c² + c²) = (1/30)²/4·2·14 400 = 8 N·m² (σ 2.8 N·m: the 4.22 N·m the
        // right-thigh obstacle leaves on the knee is then 1.5 σ, not 5).
        Assert.Equal(8.0, FaultIsolator.SkewVariance(Mass, DeltaAcc, 1, 2, WindowS, SkewS), 9);
        // The joint's own acceleration does not count: its own feedback is consistent with itself.
        Assert.Equal(8.0, FaultIsolator.SkewVariance(Mass, [-300, 5000], 1, 2, WindowS, SkewS), 9);
        // No skew, no window, or no acceleration change: nothing.
        Assert.Equal(0, FaultIsolator.SkewVariance(Mass, DeltaAcc, 1, 2, WindowS, 0));
        Assert.Equal(0, FaultIsolator.SkewVariance(Mass, DeltaAcc, 1, 2, 0, SkewS));
        Assert.Equal(0, FaultIsolator.SkewVariance(Mass, [0, 50], 1, 2, WindowS, SkewS));
    }

    [Fact]
    public void The_skew_variance_bounds_the_spread_of_the_mean_residual_over_any_drawn_ages()
    {
        // Three joints, every age 0 or δ (the bench's draw, the distribution with the largest variance for a bounded age):
        // the mean residual's error −Σⱼ Mᵢⱼ(δⱼ − δᵢ)Δq̈ⱼ/T over all 8 equally likely draws has exactly the modelled variance;
        // ages uniform on [0, δ] spread less.
        double[] m = [2.0, 0.4, 0.05, 0.4, 0.3, 0.04, 0.05, 0.04, 0.02];
        double[] da = [-300, 50, 120];
        const int n = 3;
        for (int i = 0; i < n; i++)
        {
            double sum = 0, sumSq = 0;
            for (int draw = 0; draw < 8; draw++)
            {
                double e = Error(m, da, i, n, j => ((draw >> j) & 1) * SkewS);
                sum += e;
                sumSq += e * e;
            }
            double variance = sumSq / 8 - (sum / 8) * (sum / 8);
            double model = FaultIsolator.SkewVariance(m, da, i, n, WindowS, SkewS);
            Assert.Equal(model, variance, 6);

            var rng = new Random(1234 + i);
            double uSum = 0, uSq = 0;
            const int draws = 20_000;
            for (int k = 0; k < draws; k++)
            {
                double d0 = rng.NextDouble() * SkewS, d1 = rng.NextDouble() * SkewS, d2 = rng.NextDouble() * SkewS;
                double e = Error(m, da, i, n, j => j == 0 ? d0 : j == 1 ? d1 : d2);
                uSum += e;
                uSq += e * e;
            }
            double uniform = uSq / draws - (uSum / draws) * (uSum / draws);
            Assert.True(uniform <= model, $"joint {i}: uniform ages spread {uniform:G4} N·m², over the bound {model:G4}");
        }
    }

    [Fact]
    public void A_joint_carrying_a_skew_residual_weighs_less_in_the_window_fit()
    {
        double noise = 1 / (0.83 * 0.83);
        double w = FaultIsolator.WindowWeight(noise, 41.0 * 41.0, 8.0);
        Assert.Equal(1 / (0.83 * 0.83 + 0.1 * 0.1 * 41.0 * 41.0 + 8.0), w, 12);
        Assert.Equal(FaultIsolator.WindowWeight(noise, 41.0 * 41.0), FaultIsolator.WindowWeight(noise, 41.0 * 41.0, 0));
        Assert.Equal(0, FaultIsolator.WindowWeight(0, 41.0 * 41.0, 8.0));
    }

    /// <summary>The mean residual's error on joint i for the drives' ages <paramref name="age"/>: −Σⱼ Mᵢⱼ(δⱼ − δᵢ)Δq̈ⱼ/T.</summary>
    private static double Error(double[] m, double[] da, int i, int n, Func<int, double> age)
    {
        double e = 0;
        for (int j = 0; j < n; j++) e -= m[i * n + j] * (age(j) - age(i)) * da[j];
        return e / WindowS;
    }
}
