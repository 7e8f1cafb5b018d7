using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Twin.CrossCheck;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>
/// The stuck-encoder test on a still joint: an encoder that flickers and then freezes is named; the same flicker
/// without a freeze stays within the configured false-alarm budget; an encoder that never flickers (nothing tells its
/// freeze from a standstill) and a drive that still reports motion never alarm; 0 bytes per tick.
/// </summary>
public sealed class EncoderStuckCheckTests(ITestOutputHelper output)
{
    private const double Count = 4.793689962142629e-7; // rad per count (2^17 × 100 at the joint, biped12's)
    private static readonly ChannelLayout Layout = new(["hip"], []);
    private static readonly int PositionChannel = Layout.IndexOf(ChannelKind.JointPosition, 0);

    private static CrossCheckEvaluator Evaluator()
    {
        var noise = new NoiseModel(Layout);
        for (int c = 0; c < Layout.Count; c++) noise.Set(c, [1.0], [0.0]);
        return new CrossCheckEvaluator(Layout, noise, new TwinSection(), TimeSpan.FromMilliseconds(1));
    }

    /// <summary>
    /// An emulated drive on a still joint at <paramref name="x"/> counts: two encoder samples per tick with Gaussian
    /// noise of <paramref name="sigma"/> counts, the velocity a first-order filter of the count differences (400 Hz at
    /// 2 kHz) rounded to counts/s, as the bench's drive reports it; frozen from tick <paramref name="freezeAt"/>.
    /// </summary>
    private sealed class StillEncoder(double x, double sigma, int seed, int freezeAt)
    {
        private readonly CrossCheckGaussian _rng = new(seed);
        private readonly double _alpha = 1 - Math.Exp(-2 * Math.PI * 400 * 0.0005);
        private int _counts = (int)Math.Round(x);
        private double _velocity;
        public double X = x;

        public (double Q, double Qd) Tick(int tick)
        {
            for (int s = 0; s < 2; s++)
            {
                int c = tick >= freezeAt ? _counts : (int)Math.Round(X + sigma * _rng.Next());
                _velocity += _alpha * ((c - _counts) / 0.0005 - _velocity);
                _counts = c;
            }
            return (_counts * Count, Math.Round(_velocity) * Count);
        }
    }

    /// <summary>Runs the check; returns the first alarm tick (−1: none) and the number of alarm onsets.</summary>
    private static (int First, int Onsets) Run(EncoderStuckCheck check, StillEncoder encoder, int ticks, bool driveSaysMoving = false,
        double driftCountsPerTick = 0)
    {
        var cc = Evaluator();
        var record = new DivergenceRecord(Layout);
        int first = -1, onsets = 0;
        bool was = false;
        for (int t = 0; t < ticks; t++)
        {
            encoder.X += driftCountsPerTick;
            var (q, qd) = encoder.Tick(t);
            check.Observe(0, q, driveSaysMoving ? 1e-3 : qd, usable: true, settled: true);
            record.OverCount = 0;
            record.OverThreshold[PositionChannel] = false;
            record.WorstRatio = 0;
            check.Raise(record, cc, armed: true);
            bool over = record.OverThreshold[PositionChannel];
            if (over && !was)
            {
                onsets++;
                if (first < 0) first = t;
            }
            was = over;
        }
        return (first, onsets);
    }

    [Theory]
    [InlineData(0.0, 0.7)]  // at a count's centre: repeats are likeliest
    [InlineData(0.5, 0.5)]  // on the edge between two counts
    [InlineData(0.3, 1.5)]
    public void A_flickering_encoder_that_freezes_is_named_within_tens_of_ticks_at_the_production_rate(double x, double sigma)
    {
        // Production rate: one false alarm per 1000 h per joint at 1 kHz.
        double arl = 1000 * 3600 * 1000.0;
        var check = new EncoderStuckCheck([PositionChannel], arl);
        const int freezeAt = 20_000;
        var (first, _) = Run(check, new StillEncoder(x, sigma, seed: 7, freezeAt), freezeAt + 500);
        output.WriteLine($"x {x} counts, σ {sigma} counts: first alarm {first - freezeAt} ticks after the freeze (threshold Λ {check.Threshold:F1})");
        Assert.True(first >= freezeAt, $"alarm at tick {first}, before the freeze at {freezeAt}");
        Assert.True(first - freezeAt <= 100, $"the freeze was named {first - freezeAt} ticks after it (expected within 100)");

        var cc = Evaluator();
        var record = new DivergenceRecord(Layout);
        check.Raise(record, cc, armed: true);
        Assert.True(check.NameSole(record));
        Assert.Equal(new FaultDiagnosis(FaultClass.Sensor, FaultSite.Joint, 0, -1, DetectionTest.MeanShift), record.Diagnosis);
        Assert.Equal(PositionChannel, record.EvidenceChannel);
    }

    [Theory]
    [InlineData(0.0, 0.5, 0.0)]
    [InlineData(0.0, 0.3, 0.0)]
    [InlineData(0.2, 0.7, 1e-5)]   // drifting slowly across counts (a joint dragged by its neighbours)
    public void Without_a_freeze_the_alarm_rate_stays_within_the_configured_budget(double x, double sigma, double drift)
    {
        // A short ARL so that the budget is countable in CI time: alarm onsets ≤ ticks · Share / ARL.
        const double arl = 2000;
        const int ticks = 400_000;
        var check = new EncoderStuckCheck([PositionChannel], arl);
        var (_, onsets) = Run(check, new StillEncoder(x, sigma, seed: 11, freezeAt: int.MaxValue), ticks, driftCountsPerTick: drift);
        double budget = ticks * EncoderStuckCheck.Share / arl;
        output.WriteLine($"x {x}, σ {sigma}, drift {drift}: {onsets} alarm onsets in {ticks} ticks, budget {budget:F0}");
        Assert.True(onsets <= budget, $"{onsets} alarm onsets in {ticks} ticks, over the budget of {budget:F0}");
    }

    [Fact]
    public void An_encoder_that_never_flickers_is_never_named_a_freeze_cannot_be_told_from_a_standstill()
    {
        var check = new EncoderStuckCheck([PositionChannel], 2000);
        var (first, _) = Run(check, new StillEncoder(0.2, 0, seed: 3, freezeAt: 5000), 20_000);
        Assert.Equal(-1, first);
        Assert.False(check.Armed(0));
    }

    [Fact]
    public void A_repeated_count_while_the_drive_still_reports_motion_stays_below_the_threshold()
    {
        var check = new EncoderStuckCheck([PositionChannel], 1000 * 3600 * 1000.0);
        var (first, _) = Run(check, new StillEncoder(0, 0.7, seed: 5, freezeAt: 20_000), 21_000, driveSaysMoving: true);
        Assert.Equal(-1, first);
        Assert.True(check.Statistic(0) > check.Threshold, "the run itself is improbable; only the drive's velocity holds the alarm");
    }

    [Fact]
    public void Observe_and_Raise_allocate_nothing()
    {
        var check = new EncoderStuckCheck([PositionChannel], 1000 * 3600 * 1000.0);
        var encoder = new StillEncoder(0, 0.7, seed: 9, freezeAt: 30_000);
        var cc = Evaluator();
        var record = new DivergenceRecord(Layout);
        for (int t = 0; t < 2000; t++)
        {
            var (q, qd) = encoder.Tick(t);
            check.Observe(0, q, qd, true, true);
            check.Raise(record, cc, true);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 2000; t < 40_000; t++)
        {
            var (q, qd) = encoder.Tick(t);
            check.Observe(0, q, qd, true, t % 1000 != 0);
            check.Raise(record, cc, true);
            check.NameSole(record);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
