using System.Diagnostics;
using Rt.Core.Config;
using Rt.Core.Divergence;

namespace Rt.Twin.CrossCheck;

/// <summary>
/// The cross-check's part of <c>rt bench twin</c>: median time of <see cref="CrossCheckEvaluator.Evaluate(ReadOnlySpan{double}, DivergenceRecord)"/>
/// and bytes allocated per call, for a robot of the given size. Not real-time safe (reads the clock; benchmark only).
/// </summary>
public static class CrossCheckPerf
{
    public sealed record Result(int Channels, double MedianNs, double P99Ns, double AllocatedBytesPerCall, double ThresholdDerivationMs)
    {
        /// <summary>`name: value unit` lines for the bench output.</summary>
        public IEnumerable<string> Lines()
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            yield return string.Create(inv, $"crosscheck_channels: {Channels} count");
            yield return string.Create(inv, $"crosscheck_evaluate_median: {MedianNs / 1000:F3} us");
            yield return string.Create(inv, $"crosscheck_evaluate_p99: {P99Ns / 1000:F3} us");
            yield return string.Create(inv, $"crosscheck_evaluate_allocated: {AllocatedBytesPerCall:F0} bytes");
            yield return string.Create(inv, $"crosscheck_threshold_derivation: {ThresholdDerivationMs:F1} ms");
        }
    }

    /// <summary>Runs <paramref name="samples"/> timed batches of <paramref name="batch"/> calls after a warm-up.</summary>
    public static Result Run(int joints = 12, int imus = 3, int samples = 2001, int batch = 100)
    {
        var layout = new ChannelLayout(Enumerable.Range(0, joints).Select(i => $"joint{i}").ToArray(), Enumerable.Range(0, imus).Select(i => $"imu{i}").ToArray());
        var noise = new NoiseModel(layout);
        var sw = Stopwatch.StartNew();
        var evaluator = new CrossCheckEvaluator(layout, noise, new TwinSection(), TimeSpan.FromMilliseconds(1));
        double deriveMs = sw.Elapsed.TotalMilliseconds;
        var record = new DivergenceRecord(layout);
        var components = new double[evaluator.ComponentCount];
        var rng = new Random(1);
        for (int i = 0; i < components.Length; i++) components[i] = rng.NextDouble() - 0.5;
        for (int i = 0; i < 20_000; i++) evaluator.Evaluate(components, record);
        var times = new double[samples];
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 0; s < samples; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int b = 0; b < batch; b++)
            {
                components[b % components.Length] = -components[b % components.Length];
                evaluator.Evaluate(components, record);
            }
            times[s] = (Stopwatch.GetTimestamp() - t0) * 1e9 / Stopwatch.Frequency / batch;
        }
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Array.Sort(times);
        return new Result(layout.Count, times[samples / 2], times[(int)(samples * 0.99)], (double)allocated / (samples * batch), deriveMs);
    }
}
