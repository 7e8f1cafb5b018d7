using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Twin.CrossCheck;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>The cross-check on a strongly correlated channel (lag-1 ρ = 0.975, the foot gyro's): a step is seen, nominal is quiet; the step GLR keeps its budget and allocates nothing.</summary>
public sealed class CrossCheckStepGlrTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);
    private static readonly ChannelLayout Layout = new(["ankle"], []);
    private const double Rho = 0.975;

    private static NoiseModel Model()
    {
        var noise = new NoiseModel(Layout);
        for (int c = 0; c < Layout.Count; c++)
        {
            noise.Set(c, [1.0], [0.0]);
            noise.SetAr1(c, [Rho]);
        }
        return noise;
    }

    /// <summary>Runs one seeded AR(1) series per channel (unit whitened σ) for <paramref name="ticks"/>, adding <paramref name="step"/> to channel 2 from <paramref name="stepAt"/>; returns the first alarm tick (or -1) and the test that carried it.</summary>
    private static (int FirstAlarm, string Test) Run(CrossCheckEvaluator evaluator, int ticks, int stepAt, double step, int seed)
    {
        var record = new DivergenceRecord(Layout);
        var rng = new CrossCheckGaussian(seed);
        var x = new double[evaluator.ComponentCount];
        var e = new double[evaluator.ComponentCount];
        for (int i = 0; i < x.Length; i++) x[i] = rng.Next() / Math.Sqrt(1 - Rho * Rho);
        for (int t = 0; t < ticks; t++)
        {
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = Rho * x[i] + rng.Next();
                e[i] = x[i];
            }
            if (t >= stepAt) e[2] += step;
            evaluator.Evaluate(e, record);
            if (record.OverCount > 0)
            {
                int c = record.WorstChannel;
                string test = evaluator.StepGlrStatistic(c) > evaluator.StepGlrThreshold ? "step GLR"
                    : record.Score[c] > evaluator.GateThreshold(c) ? "gate" : "CUSUM";
                return (t, test);
            }
        }
        return (-1, "none");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    public void A_3_sigma_step_on_a_rho_0975_series_is_detected_within_50_ms_and_the_same_series_without_it_never_alarms(int glrWindow)
    {
        // Production rate: one false alarm per 1000 h per channel at 1 kHz, δ = 3σ.
        var twin = new TwinSection { FalseAlarmEveryHours = 1000, MinDetectableShiftSigma = 3 };
        var evaluator = new CrossCheckEvaluator(Layout, Model(), twin, Millisecond, new CrossCheckOptions { StepGlrWindowTicks = glrWindow });
        // 3σ of the series itself: its stationary σ is σ_w/√(1 − ρ²) = 4.5 σ_w.
        double step = 3 / Math.Sqrt(1 - Rho * Rho);
        const int stepAt = 5000, ticks = 10_000;
        for (int seed = 1; seed <= 20; seed++)
        {
            evaluator.Reset();
            var quiet = Run(evaluator, ticks, int.MaxValue, 0, seed);
            Assert.True(quiet.FirstAlarm < 0, $"seed {seed}: alarm at tick {quiet.FirstAlarm} ({quiet.Test}) without a step");
            evaluator.Reset();
            var stepped = Run(evaluator, ticks, stepAt, step, seed);
            Assert.True(stepped.FirstAlarm >= stepAt, $"seed {seed}: alarm at tick {stepped.FirstAlarm} ({stepped.Test}) before the step at {stepAt}");
            int latencyMs = stepped.FirstAlarm - stepAt + 1;
            Assert.True(latencyMs <= 50, $"seed {seed}: 3σ step seen after {latencyMs} ms");
            if (seed == 1) output.WriteLine($"window {glrWindow}: step {step:F2} σ_w seen after {latencyMs} ms by the {stepped.Test}");
        }
    }

    [Fact]
    public void The_step_glr_stays_within_its_false_alarm_budget()
    {
        // One alarm per 2 s per channel (ARL0 = 2000 ticks) so that alarms can be counted; the GLR's share is 0.1.
        var twin = new TwinSection { FalseAlarmEveryHours = 2.0 / 3600, MinDetectableShiftSigma = 3 };
        var evaluator = new CrossCheckEvaluator(Layout, Model(), twin, Millisecond, new CrossCheckOptions { StepGlrWindowTicks = 50 });
        var record = new DivergenceRecord(Layout);
        var rng = new CrossCheckGaussian(11);
        var x = new double[evaluator.ComponentCount];
        for (int i = 0; i < x.Length; i++) x[i] = rng.Next() / Math.Sqrt(1 - Rho * Rho);
        const int ticks = 400_000;
        long alarms = 0;
        for (int t = 0; t < ticks; t++)
        {
            for (int i = 0; i < x.Length; i++) x[i] = Rho * x[i] + rng.Next();
            evaluator.Evaluate(x, record);
            for (int c = 0; c < Layout.Count; c++)
                if (evaluator.StepGlrStatistic(c) > evaluator.StepGlrThreshold) alarms++;
        }
        // The threshold makes P(statistic > x) at any tick ≤ share/ARL0 per channel (union bound over onsets and
        // components), so the expected count of alarm ticks is at most the bound. Alarm ticks come in clusters (an
        // outlier stays in the window for up to 50 ticks), hence the loose factor; a threshold 1σ too low would give ~30×.
        double bound = Layout.Count * ticks * evaluator.Options.StepGlrShare / evaluator.ArlTicks;
        output.WriteLine($"step GLR threshold {evaluator.StepGlrThreshold:F3} σ; alarm ticks {alarms}, union bound {bound:F1}");
        Assert.InRange(alarms, 0, 5 * bound);
    }

    [Fact]
    public void The_step_glr_allocates_nothing_per_tick()
    {
        var evaluator = new CrossCheckEvaluator(Layout, Model(), new TwinSection(), Millisecond, new CrossCheckOptions { StepGlrWindowTicks = 50 });
        var record = new DivergenceRecord(Layout);
        var e = new double[evaluator.ComponentCount];
        for (int t = 0; t < 1000; t++) evaluator.Evaluate(e, record);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 100_000; t++)
        {
            e[t % e.Length] = (t % 7) * 0.1;
            evaluator.Evaluate(e, record);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
