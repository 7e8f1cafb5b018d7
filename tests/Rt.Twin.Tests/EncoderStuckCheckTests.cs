using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Twin.CrossCheck;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>
/// The stuck-encoder test on a still joint: an encoder that flickers and then freezes is named; the same flicker
/// without a freeze stays within the configured false-alarm budget, also with the joint at a count's centre (the worst
/// case of the bound); an encoder that never flickers (nothing tells its freeze from a standstill), a joint whose count
/// changes were real motion and which then comes to rest, and a drive that still reports motion never alarm; the learnt
/// σ is a lower bound under real motion; the quantised-noise tables against their closed forms; 0 bytes per tick.
/// </summary>
public sealed class EncoderStuckCheckTests(ITestOutputHelper output)
{
    private const double Count = 4.793689962142629e-7; // rad per count (2^17 × 100 at the joint, biped12's)
    private static readonly double[] CountsPerRad = [1 / Count];
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
        double driftCountsPerTick = 0, bool silentDrive = false, Func<int, double>? path = null)
    {
        var cc = Evaluator();
        var record = new DivergenceRecord(Layout);
        int first = -1, onsets = 0;
        bool was = false;
        for (int t = 0; t < ticks; t++)
        {
            encoder.X = path is null ? encoder.X + driftCountsPerTick : path(t);
            var (q, qd) = encoder.Tick(t);
            // silentDrive: a drive whose velocity always reads 0, so that only the count's run is judged (the bound alone).
            check.Observe(0, q, driveSaysMoving ? 1e-3 : silentDrive ? 0 : qd, usable: true, settled: true);
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
        var check = new EncoderStuckCheck([PositionChannel], CountsPerRad, arl);
        const int freezeAt = 20_000;
        var (first, _) = Run(check, new StillEncoder(x, sigma, seed: 7, freezeAt), freezeAt + 500);
        output.WriteLine($"x {x} counts, σ {sigma} counts: first alarm {first - freezeAt} ticks after the freeze (threshold Λ {check.Threshold:F1})");
        Assert.True(first >= freezeAt, $"alarm at tick {first}, before the freeze at {freezeAt}");
        Assert.True(first - freezeAt <= 100, $"the freeze was named {first - freezeAt} ticks after it (expected within 100)");

        var cc = Evaluator();
        var record = new DivergenceRecord(Layout);
        check.Raise(record, cc, armed: true);
        Assert.True(check.NameSole(record));
        Assert.Equal(new FaultDiagnosis(FaultClass.Sensor, FaultSite.Joint, 0, -1, DetectionTest.StuckEncoder), record.Diagnosis);
        Assert.Equal(PositionChannel, record.EvidenceChannel);
    }

    [Theory]
    [InlineData(0.0, 0.6, 0.0)]    // at a count's centre: the bound's worst case, close to its budget
    [InlineData(0.0, 1.2, 0.0)]
    [InlineData(0.2, 0.7, 1e-5)]   // drifting slowly across counts (a joint dragged by its neighbours)
    public void Without_a_freeze_the_alarm_rate_stays_within_the_configured_budget(double x, double sigma, double drift)
    {
        // A short ARL so that the budget is countable in CI time: alarm onsets ≤ ticks · Share / ARL. The drive's
        // velocity reads 0 throughout, so every run of repeats is judged (the gate on it would hide most of them).
        const double arl = 2000;
        const int ticks = 400_000;
        var check = new EncoderStuckCheck([PositionChannel], CountsPerRad, arl);
        var (_, onsets) = Run(check, new StillEncoder(x, sigma, seed: 11, freezeAt: int.MaxValue), ticks, driftCountsPerTick: drift, silentDrive: true);
        double budget = ticks * EncoderStuckCheck.Share / arl;
        output.WriteLine($"x {x}, σ {sigma}, drift {drift}: {onsets} alarm onsets in {ticks} ticks, budget {budget:F0}; σ_low {check.SigmaLow(0):F3}");
        Assert.True(check.Armed(0), "the test never armed: the budget was not tested");
        Assert.True(onsets <= budget, $"{onsets} alarm onsets in {ticks} ticks, over the budget of {budget:F0}");
        Assert.True(onsets > 0 || drift > 0, "no alarm at all at a count's centre: the bound is far looser than it should be");
    }

    [Fact]
    public void A_joint_whose_count_changes_were_real_motion_is_not_named_when_it_comes_to_rest()
    {
        // The previous version's false trip (nominal-march seed 101, l_ankle_roll): a standing joint shaken by the march
        // (its count walking over ±140 counts), then at rest on one count. The counts changed a lot, but not as noise.
        var check = new EncoderStuckCheck([PositionChannel], CountsPerRad, 1000 * 3600 * 1000.0);
        const int shake = 30_000;
        double Path(int t) => t < shake ? 140 * Math.Sin(2 * Math.PI * 0.8 * t / 1000.0) + 3 * Math.Sin(2 * Math.PI * 7 * t / 1000.0) : 0.1;
        var (first, _) = Run(check, new StillEncoder(0, 0.05, seed: 13, freezeAt: int.MaxValue), shake + 5_000, silentDrive: true, path: Path);
        output.WriteLine($"learnt V̂ {check.Variance(0):F3} counts², σ_low {check.SigmaLow(0):F3}, run at rest {check.RunTicks(0)} ticks");
        Assert.Equal(-1, first);
        Assert.False(check.Armed(0));
        Assert.True(check.RunTicks(0) > 1000, "the joint at rest should sit on one count");
    }

    [Fact]
    public void A_joint_chattering_against_its_friction_is_not_named_when_friction_holds_it()
    {
        // Session 9's false trip (nominal-march seed 7073, l_knee): encoder σ 0.06 counts, but the drive's loop chatters
        // against the joint's friction, ±3 counts a tick, white as encoder noise would be (V̂ 7.5 counts², ρ₁ −0.50);
        // whenever friction holds the joint it stands on one count (15 ticks there), which the encoder's σ_low alone
        // takes for a freeze. Here: chatter phases (mean 30 ticks) and stuck phases at a count's centre (mean 8 ticks),
        // then a stuck phase of 100 ticks at the end; the drive's velocity reads 0 throughout (every run is judged).
        var check = new EncoderStuckCheck([PositionChannel], CountsPerRad, 1000 * 3600 * 1000.0);
        var rng = new Random(23);
        const int ticks = 200_000, lastStuck = 100;
        bool stuck = false;
        int left = 0, longest = 0, stuckRun = 0;
        double Path(int t)
        {
            if (t >= ticks - lastStuck) return 0;
            if (--left <= 0)
            {
                stuck = !stuck;
                left = 1 + (int)(-Math.Log(1 - rng.NextDouble()) * (stuck ? 8 : 30));
            }
            stuckRun = stuck ? stuckRun + 1 : 0;
            longest = Math.Max(longest, stuckRun);
            return stuck ? 0 : 2.7 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        }
        var (first, _) = Run(check, new StillEncoder(0, 0.05, seed: 19, freezeAt: int.MaxValue), ticks, silentDrive: true, path: Path);
        double modelOnly = QuantisedNoise.RepeatEvidence(check.SigmaLow(0));
        output.WriteLine($"V̂ {check.Variance(0):F2} counts², σ_low {check.SigmaLow(0):F2}, continuation rate {check.ContinuationRate(0):F3} " +
            $"(upper {check.ContinuationUpper(0):F3}), evidence per repeat {check.EvidencePerTick(0):F3} (the model's bound alone {modelOnly:F3}), " +
            $"longest stuck phase before the end {longest}, run at the end {check.RunTicks(0)}, Λ {check.Statistic(0):F1} of {check.Threshold:F1}");
        Assert.Equal(-1, first);
        Assert.True(check.RunTicks(0) >= lastStuck - 1, "the joint held by friction should stand on one count at the end");
        // Could fail: the encoder model's bound alone takes the chatter for noise and would name the stuck phase.
        Assert.True(check.RunTicks(0) * modelOnly > check.Threshold, $"σ_low {check.SigmaLow(0):F2}: the model's bound alone would not alarm either");
    }

    [Theory]
    [InlineData(0.8)]
    [InlineData(1.6)]
    public void The_learnt_sigma_is_a_lower_bound_when_the_noisy_joint_also_moves(double sigma)
    {
        var check = new EncoderStuckCheck([PositionChannel], CountsPerRad, 1000 * 3600 * 1000.0);
        double Path(int t) => 20 * Math.Sin(2 * Math.PI * 1.3 * t / 1000.0) + 0.5 * t / 1000.0;
        Run(check, new StillEncoder(0, sigma, seed: 17, freezeAt: int.MaxValue), 60_000, silentDrive: false, path: Path);
        double low = check.SigmaLow(0);
        output.WriteLine($"σ {sigma}: V̂ {check.Variance(0):F3} (σ² + 1/12 = {sigma * sigma + 1.0 / 12:F3}), σ_low {low:F3}");
        Assert.True(low <= sigma, $"σ_low {low} above the true σ {sigma}: the bound would be optimistic");
        Assert.True(low >= 0.85 * sigma, $"σ_low {low} far below the true σ {sigma}: motion should barely lower it");
    }

    [Theory]
    [InlineData(0.5, 0.5 * 0.5)]   // a count's edge at σ → 0 … and the closed form below
    [InlineData(1.0, 1.0 + 1.0 / 12)]
    [InlineData(2.0, 4.0 + 1.0 / 12)]
    public void The_quantised_noise_tables_match_their_closed_forms(double sigma, double sheppard)
    {
        // Sheppard's correction is exact (to 1e-8) from σ ≈ 1; at σ = 0.5 only the lower bound ¼ holds. Tolerance: the
        // erfc fit's 1.2e-7 relative error, weighted by c² out to 7σ.
        double v = QuantisedNoise.VarianceAt(0.3, sigma);
        if (sigma >= 1) Assert.Equal(sheppard, v, 1e-4);
        else Assert.True(v >= sheppard && v <= sigma * sigma + 1.0 / 12 + 0.01, $"Var {v}");
        // The smallest σ reaching the worst-case variance of σ is σ itself (to the grid), never more.
        double worst = 0;
        for (int i = 0; i <= 50; i++) worst = Math.Max(worst, QuantisedNoise.VarianceAt(i / 100.0, sigma));
        double back = QuantisedNoise.SigmaAtLeast(worst);
        Assert.InRange(back, sigma - 0.011, sigma);
        // −ln P(|σ·n| < ½): P = erf(1/(2σ√2)), tabulated values.
        double p = sigma switch { 0.5 => 0.6826894921, 1.0 => 0.3829249225, _ => 0.1974126514 };
        Assert.Equal(-Math.Log(p), QuantisedNoise.RepeatEvidence(sigma), 1e-6);
        Assert.Equal(0.0, QuantisedNoise.SigmaAtLeast(0.25));
    }

    [Fact]
    public void An_encoder_that_never_flickers_is_never_named_a_freeze_cannot_be_told_from_a_standstill()
    {
        var check = new EncoderStuckCheck([PositionChannel], CountsPerRad, 2000);
        var (first, _) = Run(check, new StillEncoder(0.2, 0, seed: 3, freezeAt: 5000), 20_000);
        Assert.Equal(-1, first);
        Assert.False(check.Armed(0));
    }

    [Fact]
    public void A_repeated_count_while_the_drive_still_reports_motion_stays_below_the_threshold()
    {
        var check = new EncoderStuckCheck([PositionChannel], CountsPerRad, 1000 * 3600 * 1000.0);
        var (first, _) = Run(check, new StillEncoder(0, 0.7, seed: 5, freezeAt: 20_000), 21_000, driveSaysMoving: true);
        Assert.Equal(-1, first);
        Assert.True(check.Statistic(0) > check.Threshold, "the run itself is improbable; only the drive's velocity holds the alarm");
    }

    [Fact]
    public void Observe_and_Raise_allocate_nothing()
    {
        var check = new EncoderStuckCheck([PositionChannel], CountsPerRad, 1000 * 3600 * 1000.0);
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
