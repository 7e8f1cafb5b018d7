using System.Globalization;
using Rt.Core.Config;
using Rt.Core.Divergence;

namespace Rt.Twin.CrossCheck;

/// <summary>
/// The smallest step the cross-check detects within 5 ms and within 50 ms, per channel group, with the configured
/// robot's noise model (σ, bias, lag-1 ρ per component) and thresholds (<c>rt bench detect</c>). Each trial feeds every
/// channel its own AR(1) innovation series (the model the whitening assumes), steps one component of every channel by
/// Δ·σ after a 300-tick run-in, and records the first alarm. A step size counts as detected within L ms when at least
/// 90 % of the trials alarm on or before the L-th tick from the step (the step's own tick is 1 ms). Step sizes are a
/// geometric grid (×1.05) in units of the component's σ (the whitened innovation's σ, the unit of
/// <c>twin.min_detectable_shift_sigma</c>). Seeded: a rerun prints the same figures. Not real-time safe (benchmark).
/// </summary>
public static class StepDetectionPerf
{
    public sealed record Group(ChannelKind Kind, string Unit, double Worst5Sigma, double Worst50Sigma, string Worst50Component, double Worst50Rho,
        double Worst50Physical, double White5Sigma, double White50Sigma);

    public sealed record Result(IReadOnlyList<Group> Groups, int Trials, double GlrThresholdSigma, long FalseAlarmsBeforeStep, long RunInTicks)
    {
        /// <summary>`name: value unit` lines (worst component of each group; "white": components with |ρ| &lt; 0.5).</summary>
        public IEnumerable<string> Lines(string prefix)
        {
            var inv = CultureInfo.InvariantCulture;
            foreach (var g in Groups)
            {
                string n = g.Kind.ToString().ToLowerInvariant();
                yield return string.Create(inv, $"{prefix}_{n}_5ms: {g.Worst5Sigma:F2} sigma");
                yield return string.Create(inv, $"{prefix}_{n}_50ms: {g.Worst50Sigma:F2} sigma");
                yield return string.Create(inv, $"{prefix}_{n}_50ms_physical: {g.Worst50Physical:G4} {g.Unit}");
                yield return string.Create(inv, $"# {prefix}_{n}: worst component {g.Worst50Component} (rho {g.Worst50Rho:F3})");
                if (g.White5Sigma > 0)
                {
                    yield return string.Create(inv, $"{prefix}_{n}_white_5ms: {g.White5Sigma:F2} sigma");
                    yield return string.Create(inv, $"{prefix}_{n}_white_50ms: {g.White50Sigma:F2} sigma");
                }
            }
            yield return string.Create(inv, $"{prefix}_step_glr_threshold: {GlrThresholdSigma:F3} sigma");
            yield return string.Create(inv, $"{prefix}_false_alarms_in_run_in: {FalseAlarmsBeforeStep} count ({RunInTicks} channel-ticks)");
        }
    }

    private const int RunIn = 300;
    private const int After = 50;
    private const double Coverage = 0.9;

    /// <summary>Measures with <paramref name="noise"/> and the config's rate; <paramref name="options"/> selects the tests (e.g. the step GLR).</summary>
    public static Result Run(ChannelLayout layout, NoiseModel noise, TwinSection twin, CrossCheckOptions? options = null, int trials = 40, int seed = 13)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(noise);
        var evaluator = new CrossCheckEvaluator(layout, noise, twin, TimeSpan.FromMilliseconds(1), options);
        var record = new DivergenceRecord(layout);
        int nc = layout.Count, ncomp = evaluator.ComponentCount;
        var grid = new List<double>();
        for (double d = 0.5; d < 200; d *= 1.05) grid.Add(d);
        // smallest grid step detected per component, within 5 and within 50 ms (NaN: none on the grid)
        var best5 = new double[ncomp];
        var best50 = new double[ncomp];
        Array.Fill(best5, double.NaN);
        Array.Fill(best50, double.NaN);
        var e = new double[ncomp];
        var state = new double[ncomp];
        var latency = new int[nc];
        long falseAlarms = 0, runInTicks = 0;
        var marginal = new double[ncomp];
        for (int i = 0; i < ncomp; i++) marginal[i] = 1 / Math.Sqrt(1 - noise.Ar1[i] * noise.Ar1[i]);
        for (int axis = 0; axis < 3; axis++)
        {
            foreach (double delta in grid)
            {
                bool done = true;
                for (int c = 0; c < nc; c++)
                    if (axis < noise.Dimensions[c] && (double.IsNaN(best5[noise.Offsets[c] + axis]) || double.IsNaN(best50[noise.Offsets[c] + axis]))) done = false;
                if (done) break;
                var within5 = new int[nc];
                var within50 = new int[nc];
                var rng = new SeededGaussian(seed + 7919 * axis); // common random numbers across step sizes: monotone curves
                for (int t = 0; t < trials; t++)
                {
                    evaluator.Reset();
                    for (int i = 0; i < ncomp; i++) state[i] = rng.Next() * marginal[i];
                    Array.Fill(latency, -1);
                    for (int k = 0; k < RunIn + After; k++)
                    {
                        for (int i = 0; i < ncomp; i++)
                        {
                            state[i] = noise.Ar1[i] * state[i] + rng.Next();
                            e[i] = noise.Bias[i] + noise.Sigma[i] * state[i];
                        }
                        if (k >= RunIn)
                            for (int c = 0; c < nc; c++)
                                if (axis < noise.Dimensions[c]) e[noise.Offsets[c] + axis] += delta * noise.Sigma[noise.Offsets[c] + axis];
                        evaluator.Evaluate(e, record);
                        for (int c = 0; c < nc; c++)
                        {
                            if (!record.OverThreshold[c]) continue;
                            if (k < RunIn) { falseAlarms++; continue; }
                            if (latency[c] < 0) latency[c] = k - RunIn + 1;
                        }
                    }
                    runInTicks += (long)RunIn * nc;
                    for (int c = 0; c < nc; c++)
                    {
                        if (latency[c] > 0 && latency[c] <= 5) within5[c]++;
                        if (latency[c] > 0 && latency[c] <= 50) within50[c]++;
                    }
                }
                for (int c = 0; c < nc; c++)
                {
                    if (axis >= noise.Dimensions[c]) continue;
                    int comp = noise.Offsets[c] + axis;
                    if (double.IsNaN(best5[comp]) && within5[c] >= Coverage * trials) best5[comp] = delta;
                    if (double.IsNaN(best50[comp]) && within50[c] >= Coverage * trials) best50[comp] = delta;
                }
            }
        }

        var groups = new List<Group>();
        foreach (var kind in Enum.GetValues<ChannelKind>())
        {
            double w5 = 0, w50 = 0, wr = 0, wp = 0, white5 = 0, white50 = 0;
            string wname = "", unit = "";
            bool any = false;
            for (int c = 0; c < nc; c++)
            {
                var ch = layout.Channels[c];
                if (ch.Kind != kind) continue;
                any = true;
                unit = ch.Unit;
                for (int a = 0; a < noise.Dimensions[c]; a++)
                {
                    int comp = noise.Offsets[c] + a;
                    double s5 = double.IsNaN(best5[comp]) ? double.PositiveInfinity : best5[comp];
                    double s50 = double.IsNaN(best50[comp]) ? double.PositiveInfinity : best50[comp];
                    w5 = Math.Max(w5, s5);
                    if (s50 > w50 || wname.Length == 0)
                    {
                        w50 = Math.Max(w50, s50);
                        wname = noise.Dimensions[c] == 1 ? ch.Name : $"{ch.Name}[{"xyz"[a]}]";
                        wr = noise.Ar1[comp];
                        wp = s50 * noise.Sigma[comp];
                    }
                    if (Math.Abs(noise.Ar1[comp]) < 0.5)
                    {
                        white5 = Math.Max(white5, s5);
                        white50 = Math.Max(white50, s50);
                    }
                }
            }
            if (any) groups.Add(new Group(kind, unit, w5, w50, wname, wr, wp, white5, white50));
        }
        return new Result(groups, trials, evaluator.StepGlrThreshold, falseAlarms, runInTicks);
    }
}
