using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Twin.CrossCheck;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>The cross-check's lag-1 whitening z = ((e − b) − ρ(e_prev − b))/σ and its priming after a reset.</summary>
public sealed class CrossCheckWhiteningTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);

    /// <summary>One joint: four 1-dof channels (position, velocity, torque, external torque), no IMU.</summary>
    private static readonly ChannelLayout Layout = new(["knee"], []);

    private static NoiseModel Model(double sigma, double rho, double bias = 0)
    {
        var noise = new NoiseModel(Layout);
        for (int c = 0; c < Layout.Count; c++)
        {
            noise.Set(c, [sigma], [bias]);
            noise.SetAr1(c, [rho]);
        }
        return noise;
    }

    private sealed record Run(double MeanNis, long CusumAlarms, double ExpectedCusumAlarms);

    /// <summary>Scores <paramref name="ticks"/> ticks of four independent AR(1) series (ρ, unit innovations) with the given model.</summary>
    private static Run Score(NoiseModel noise, double rho, int ticks, int seed)
    {
        // A high configured rate (one alarm per 2 s per channel: ARL0 = 2000 ticks) so that alarms can be counted.
        var twin = new TwinSection { FalseAlarmEveryHours = 2.0 / 3600, MinDetectableShiftSigma = 3 };
        var evaluator = new CrossCheckEvaluator(Layout, noise, twin, Millisecond, new CrossCheckOptions { AfterAlarm = CusumAfterAlarm.Restart });
        var record = new DivergenceRecord(Layout);
        var rng = new CrossCheckGaussian(seed);
        var e = new double[evaluator.ComponentCount];
        // Start each series in its stationary distribution (variance 1/(1 − ρ²)).
        for (int i = 0; i < e.Length; i++) e[i] = rng.Next() / Math.Sqrt(1 - rho * rho);
        double nis = 0;
        long alarms = 0, scored = 0;
        for (int t = 0; t < ticks; t++)
        {
            for (int i = 0; i < e.Length; i++) e[i] = rho * e[i] + rng.Next();
            evaluator.Evaluate(e, record);
            for (int c = 0; c < Layout.Count; c++)
            {
                if (record.Detector[c] > record.Threshold[c]) alarms++;
                if (t > 0)
                {
                    nis += record.Score[c];
                    scored++;
                }
            }
        }
        // The CUSUMs get half of each channel's budget: ticks / (2·ARL0) alarms per channel.
        return new Run(nis / scored, alarms, Layout.Count * ticks / (2 * evaluator.ArlTicks));
    }

    [Fact]
    public void An_ar1_innovation_scored_with_its_rho_is_white_and_holds_the_false_alarm_rate_without_it_the_cusum_alarms_far_more()
    {
        const double rho = 0.9;
        const int ticks = 400_000;
        var whitened = Score(Model(sigma: 1, rho), rho, ticks, seed: 4);
        // Without ρ, the honest σ is the series' own (marginal) σ = 1/√(1 − ρ²): the per-sample NIS is still χ²₁ on
        // average, but successive samples are not independent, and the CUSUM sums them.
        var plain = Score(Model(sigma: 1 / Math.Sqrt(1 - rho * rho), 0), rho, ticks, seed: 4);
        output.WriteLine($"with ρ: mean NIS {whitened.MeanNis:F4}, CUSUM alarms {whitened.CusumAlarms} (expected {whitened.ExpectedCusumAlarms:F0})");
        output.WriteLine($"ρ = 0 : mean NIS {plain.MeanNis:F4}, CUSUM alarms {plain.CusumAlarms}");

        Assert.InRange(whitened.MeanNis, 0.98, 1.02);
        Assert.InRange(plain.MeanNis, 0.95, 1.05);
        // Whitened: the configured rate (Poisson, 4σ).
        double lambda = whitened.ExpectedCusumAlarms;
        Assert.InRange(whitened.CusumAlarms, lambda - 4 * Math.Sqrt(lambda), lambda + 4 * Math.Sqrt(lambda));
        // Un-whitened: an order of magnitude more false alarms at the same NIS.
        Assert.True(plain.CusumAlarms > 10 * lambda, $"un-whitened CUSUM alarms {plain.CusumAlarms}, expected ≫ {lambda:F0}");
    }

    [Fact]
    public void The_first_sample_of_a_series_is_scored_against_the_stationary_distribution_then_each_sample_is_whitened_with_the_previous_one()
    {
        const double sigma = 0.5, rho = 0.8, bias = 0.1;
        var twin = new TwinSection { FalseAlarmEveryHours = 1000, MinDetectableShiftSigma = 3 };
        var evaluator = new CrossCheckEvaluator(Layout, Model(sigma, rho, bias), twin, Millisecond);
        var record = new DivergenceRecord(Layout);
        var e = new double[evaluator.ComponentCount];

        // The first innovation has no predecessor: it is scored against the AR(1) process's stationary distribution,
        // z = (e − b)·√(1 − ρ²)/σ, so a large one alarms even though nothing was seen before it.
        double marginal = Math.Sqrt(1 - rho * rho);
        Array.Fill(e, 50.0);
        evaluator.Evaluate(e, record);
        double z0 = (50.0 - bias) * marginal / sigma;
        Assert.Equal(50.0, record.Innovation[0]);
        Assert.Equal(z0 * z0, record.Score[0], 9);
        Assert.True(record.OverThreshold[0], "a 60σ first sample is over the χ² gate");

        // The second is whitened with the first: z = ((e − b) − ρ(e_prev − b))/σ.
        Array.Fill(e, 40.3);
        evaluator.Evaluate(e, record);
        double z = ((40.3 - bias) - rho * (50.0 - bias)) / sigma;
        Assert.Equal(z * z, record.Score[0], 12);

        // A non-finite sample leaves the lag alone: the next sample is whitened with the last finite one.
        e[0] = double.NaN;
        evaluator.Evaluate(e, record);
        Assert.Equal(0, record.Score[0]);
        e[0] = 30.0;
        evaluator.Evaluate(e, record);
        z = ((30.0 - bias) - rho * (40.3 - bias)) / sigma;
        Assert.Equal(z * z, record.Score[0], 12);

        // Reset forgets the lag: the next sample is the first of a new series again.
        evaluator.Reset();
        Array.Fill(e, 7.0);
        evaluator.Evaluate(e, record);
        double z1 = (7.0 - bias) * marginal / sigma;
        Assert.Equal(z1 * z1, record.Score[0], 9);

        // So is the first sample after an exclusion ends (the lag kept moving while excluded, but a change that happened
        // meanwhile must be seen in full).
        evaluator.SetExcluded(0, true);
        Array.Fill(e, 8.0);
        evaluator.Evaluate(e, record);
        evaluator.SetExcluded(0, false);
        Array.Fill(e, 9.0);
        evaluator.Evaluate(e, record);
        double z2 = (9.0 - bias) * marginal / sigma;
        Assert.Equal(z2 * z2, record.Score[0], 9);
    }

    [Fact]
    public void With_rho_zero_nothing_is_primed_the_first_sample_scores_at_once()
    {
        const double sigma = 0.5, bias = 0.1;
        var twin = new TwinSection { FalseAlarmEveryHours = 1000, MinDetectableShiftSigma = 3 };
        var evaluator = new CrossCheckEvaluator(Layout, Model(sigma, 0, bias), twin, Millisecond);
        var record = new DivergenceRecord(Layout);
        var e = new double[evaluator.ComponentCount];
        Array.Fill(e, 50.0);
        evaluator.Evaluate(e, record);
        double z = (50.0 - bias) / sigma;
        Assert.Equal(z * z, record.Score[0], 9);
        Assert.True(record.OverThreshold[0]);
    }
}
