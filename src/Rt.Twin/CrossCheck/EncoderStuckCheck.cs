using MathNet.Numerics;
using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Twin.CrossCheck;

/// <summary>
/// A stuck (frozen) encoder on a joint at standstill (issue 13). A joint whose command has settled barely moves: a
/// frozen encoder there changes no prediction and no innovation, and the joint's own drift is far below the encoders'
/// resolution for tens of milliseconds (iso-encoder-freeze-left-hip-roll: 0.9 counts in the first 5 ms, 19 in 50 ms,
/// docs/TWIN.md "Stuck encoder"). What does change at once is the encoder's own noise: a live encoder's count flickers
/// between neighbouring counts; a frozen one repeats the same count, bit for bit, and the drive's velocity from it
/// falls to exactly 0.
/// <para>
/// The null model is the encoder's, not the joint's: each tick's count is round(x + σ·n) with n white Gaussian noise and
/// x the joint's true position in counts, which may move in any way. Whatever x does, the probability that the count
/// stays on one value for a tick is at most p(σ) = P(|σ·n| &lt; ½) (x at the count's centre), so a run of r repeats has
/// probability ≤ p(σ)^r, and Λ = r·(−ln p(σ)) alarms at Λ ≥ ln(ARL₀/<see cref="Share"/>) (per joint, added to its position
/// channel's budget), only while the drive reports a velocity of exactly 0 (the drive saw no count change either). Only σ
/// is learnt, and it is a property of the encoder (stationary), unlike the repeat statistics of the count, which depend
/// on where x sits and how it moves (the previous version learnt those and false-tripped when a joint shaken by the march
/// came to rest).
/// </para>
/// <para>
/// σ is learnt while the joint's command is settled from V̂ = −mean(d_k·d_(k−1)), d_k the count's change over a tick:
/// for white count noise E[d_k·d_(k−1)] = −Var(count | x), and the joint's own smooth motion only adds positive products
/// (v_k·v_(k−1) &gt; 0 below 250 Hz; a deterministic slow walk across counts steps at most every other tick, product 0),
/// so motion can only make V̂ smaller, σ smaller and the test slower, never falsely confident. From the lower confidence
/// bound of V̂ (mean − <see cref="LowerZ"/> standard errors, the long-run variance of the 2-dependent products
/// estimated from their own lag covariances), σ_low is the smallest σ whose worst-case quantised variance
/// max_x Var(round(x + σ·n)) reaches it; an encoder whose variance could be quantisation of a still joint alone (≤ ¼)
/// has no σ_low and is never tested: nothing tells its freeze from a standstill.
/// </para>
/// <para>
/// The bound is checked against the joint's own record (session 10): count changes that are real motion (a light joint
/// whose drive loop chatters against its friction looks exactly like white count noise) inflate σ_low, and such a joint
/// stands on one count whenever friction holds it. So the per-tick evidence is −ln max(p(σ_low), u⁺), u⁺ the upper
/// confidence bound of the joint's learnt continuation rate: among settled ticks at which a run already had
/// <see cref="ContinuationRunTicks"/> repeats, the fraction that repeated again (learnt when a run ends, never from the
/// run in progress).
/// </para>
/// <para>
/// The alarm is OR-ed into the joint's position channel, whose sensor is the encoder. Not real-time safe to construct;
/// <see cref="Observe"/>, <see cref="Raise"/>, <see cref="NameSole"/> and <see cref="Reset"/> are real-time safe and
/// allocation-free.
/// </para>
/// </summary>
internal sealed class EncoderStuckCheck
{
    /// <summary>Share of a position channel's false-alarm budget given to this test (added to it).</summary>
    public const double Share = 0.5;

    /// <summary>Memory of the learnt noise variance, settled ticks (forgetting factor 1 − 1/memory per tick).</summary>
    public const double MemoryTicks = 60_000;

    /// <summary>Settled ticks (products) seen before the test arms for a joint.</summary>
    public const double MinSettledTicks = 1_000;

    /// <summary>Standard errors below the estimated variance taken as its lower bound (and above the continuation rate).</summary>
    public const double LowerZ = 3;

    /// <summary>
    /// Repeats a run must already have for its next tick to count as a continuation outcome (the empirical check of
    /// the bound: how readily this joint's count, once standing, keeps standing).
    /// </summary>
    public const int ContinuationRunTicks = 3;

    private readonly int _n;
    private readonly int[] _channel;         // per joint (config order): its position channel
    private readonly double[] _countsPerRad; // per joint: |counts per joint radian|
    private readonly double _threshold;      // ln(ARL₀/Share)
    private readonly double _lambda;
    private readonly double[] _lastQ;
    private readonly bool[] _hasLast;
    private readonly double[] _lastD;        // the previous tick's count change (counts)
    private readonly bool[] _hasD;
    private readonly double[] _p1, _p2;      // the last two products d_k·d_(k−1) (for the lag covariances)
    private readonly int[] _nP;              // products seen since the last break (up to 2)
    private readonly int[] _run;             // consecutive settled ticks whose count repeated the previous one
    private readonly double[] _w, _w2;       // Σw, Σw² of the products' weights
    private readonly double[] _s, _ss, _sLag1, _sLag2; // Σw·p, Σw·p², Σw·p_k·p_(k−1), Σw·p_k·p_(k−2)
    private readonly double[] _wLag1, _wLag2;
    private readonly int[] _pending;         // the current run's continuations at length ≥ ContinuationRunTicks, not yet learnt
    private readonly double[] _contW, _contN; // forgetting sums: continuations, continuation outcomes (continued or broke)
    private readonly double[] _stat;         // Λ per joint, this tick
    private readonly bool[] _silent;         // the drive's velocity read exactly 0 this tick
    private int _raised, _raisedJoint, _overBefore; // this tick's Raise: channels it set over, the last one's joint, OverCount before

    /// <summary>
    /// Not real-time safe. <paramref name="positionChannel"/>: per joint in config order, its position channel;
    /// <paramref name="countsPerRadian"/>: the joint's encoder counts per joint radian (gear × counts per rev / 2π).
    /// </summary>
    public EncoderStuckCheck(ReadOnlySpan<int> positionChannel, ReadOnlySpan<double> countsPerRadian, double arlTicks)
    {
        if (!(arlTicks > 1) || !double.IsFinite(arlTicks)) throw new ArgumentOutOfRangeException(nameof(arlTicks), arlTicks, "ARL must be finite and > 1 tick");
        if (countsPerRadian.Length != positionChannel.Length)
            throw new ArgumentException($"{countsPerRadian.Length} encoder resolutions for {positionChannel.Length} joints", nameof(countsPerRadian));
        _n = positionChannel.Length;
        _channel = positionChannel.ToArray();
        _countsPerRad = new double[_n];
        for (int j = 0; j < _n; j++)
        {
            double c = Math.Abs(countsPerRadian[j]);
            if (!(c > 0) || !double.IsFinite(c)) throw new ArgumentOutOfRangeException(nameof(countsPerRadian), countsPerRadian[j], $"joint {j}: counts per radian must be finite and ≠ 0");
            _countsPerRad[j] = c;
        }
        _threshold = Math.Log(arlTicks / Share);
        _lambda = 1 - 1 / MemoryTicks;
        _lastQ = new double[_n];
        _hasLast = new bool[_n];
        _lastD = new double[_n];
        _hasD = new bool[_n];
        _p1 = new double[_n];
        _p2 = new double[_n];
        _nP = new int[_n];
        _run = new int[_n];
        _w = new double[_n];
        _w2 = new double[_n];
        _s = new double[_n];
        _ss = new double[_n];
        _sLag1 = new double[_n];
        _sLag2 = new double[_n];
        _wLag1 = new double[_n];
        _wLag2 = new double[_n];
        _pending = new int[_n];
        _contW = new double[_n];
        _contN = new double[_n];
        _stat = new double[_n];
        _silent = new bool[_n];
        _ = QuantisedNoise.Table; // built here, not in a tick
    }

    /// <summary>The alarm level of Λ, ln(ARL₀/Share).</summary>
    public double Threshold => _threshold;

    /// <summary>This tick's statistic Λ of a joint (config order); 0 while unarmed or not repeating.</summary>
    public double Statistic(int joint) => _stat[joint];

    /// <summary>
    /// This tick's Λ of the joint whose position channel is <paramref name="channel"/> (0 for other channels), as the
    /// alarm sees it: a run whose drive still reports motion is held below the threshold. Real-time safe.
    /// </summary>
    public double StatisticOfChannel(int channel)
    {
        for (int j = 0; j < _n; j++)
            if (_channel[j] == channel) return _silent[j] ? _stat[j] : Math.Min(_stat[j], 0.999 * _threshold);
        return 0;
    }

    /// <summary>Consecutive settled ticks the joint's count repeated.</summary>
    public int RunTicks(int joint) => _run[joint];

    /// <summary>Settled ticks (weighted by the memory) the joint's noise variance is learnt from.</summary>
    public double LearntTicks(int joint) => _w[joint];

    /// <summary>The learnt count-noise variance V̂ of a joint (counts², quantisation included); NaN before any product.</summary>
    public double Variance(int joint) => _w[joint] > 0 ? -_s[joint] / _w[joint] : double.NaN;

    /// <summary>The lower confidence bound of the encoder's σ (counts) the test uses; 0 while it has none. Real-time safe.</summary>
    public double SigmaLow(int joint) => QuantisedNoise.SigmaAtLeast(VarianceLow(joint));

    /// <summary>
    /// The per-tick evidence of a repeat, −ln max(p(σ_low), u⁺) (0: unarmed), u⁺ the upper confidence bound of the
    /// joint's learnt continuation rate (<see cref="ContinuationUpper"/>). Real-time safe.
    /// </summary>
    public double EvidencePerTick(int joint) => _w[joint] >= MinSettledTicks ? Evidence(joint) : 0;

    /// <summary>Whether the joint's learnt noise arms the test.</summary>
    public bool Armed(int joint) => EvidencePerTick(joint) > 0;

    /// <summary>
    /// The learnt rate at which a settled run of at least <see cref="ContinuationRunTicks"/> repeats continued (NaN
    /// before any outcome). Real-time safe.
    /// </summary>
    public double ContinuationRate(int joint) => _contN[joint] > 0 ? _contW[joint] / _contN[joint] : double.NaN;

    /// <summary>
    /// The upper confidence bound (Wilson, <see cref="LowerZ"/>) of <see cref="ContinuationRate"/>; 1 before any
    /// outcome, so a joint whose count has never been seen to stand and move on again is not tested. Real-time safe.
    /// </summary>
    public double ContinuationUpper(int joint)
    {
        double n = _contN[joint];
        if (!(n > 0)) return 1;
        double u = _contW[joint] / n, z2 = LowerZ * LowerZ;
        return Math.Min(1, (u + z2 / (2 * n) + LowerZ * Math.Sqrt(u * (1 - u) / n + z2 / (4 * n * n))) / (1 + z2 / n));
    }

    /// <summary>Forget everything learnt (a new robot, a restart). Real-time safe.</summary>
    public void Reset()
    {
        Array.Clear(_hasLast);
        Array.Clear(_hasD);
        Array.Clear(_nP);
        Array.Clear(_run);
        Array.Clear(_w);
        Array.Clear(_w2);
        Array.Clear(_s);
        Array.Clear(_ss);
        Array.Clear(_sLag1);
        Array.Clear(_sLag2);
        Array.Clear(_wLag1);
        Array.Clear(_wLag2);
        Array.Clear(_pending);
        Array.Clear(_contW);
        Array.Clear(_contN);
        Array.Clear(_stat);
        Array.Clear(_silent);
    }

    /// <summary>
    /// One joint's tick. <paramref name="usable"/>: a fresh, finite measurement on a scored position channel (drive
    /// enabled, past warm-up); <paramref name="settled"/>: its command has settled at a standstill. Real-time safe.
    /// </summary>
    public void Observe(int joint, double q, double qd, bool usable, bool settled)
    {
        _stat[joint] = 0;
        if (!usable)
        {
            EndRun(joint, broke: false);
            _run[joint] = 0;
            _silent[joint] = false;
            _hasLast[joint] = _hasD[joint] = false;
            _nP[joint] = 0;
            return;
        }
        // Bit-identical: the same count converts to the same double; any other count does not.
        bool repeat = _hasLast[joint] && BitConverter.DoubleToInt64Bits(q) == BitConverter.DoubleToInt64Bits(_lastQ[joint]);
        bool hasD = _hasLast[joint];
        double d = hasD ? Math.Round((q - _lastQ[joint]) * _countsPerRad[joint]) : 0;
        bool product = hasD && _hasD[joint];
        double p = product ? d * _lastD[joint] : 0;
        _lastQ[joint] = q;
        _hasLast[joint] = true;
        _lastD[joint] = d;
        _hasD[joint] = hasD;
        if (!settled)
        {
            EndRun(joint, broke: false);
            _run[joint] = 0;
            _silent[joint] = false;
            _nP[joint] = 0; // the lag covariances pair settled products only
            return;
        }
        if (product) Learn(joint, p);
        if (!repeat)
        {
            EndRun(joint, broke: _run[joint] >= ContinuationRunTicks);
            _run[joint] = 0;
            _silent[joint] = false;
            return;
        }
        if (_run[joint] >= ContinuationRunTicks) _pending[joint]++;
        int r = ++_run[joint];
        _silent[joint] = qd == 0;
        if (_w[joint] < MinSettledTicks) return;
        _stat[joint] = r * Evidence(joint);
    }

    /// <summary>
    /// −ln max(p(σ_low), u⁺): the least evidence one repeat carries. p(σ_low) is the encoder model's bound; u⁺ checks it
    /// against this joint's own record, because the model's σ is learnt from count changes that may be real motion: a
    /// light joint whose drive loop chatters against its friction (nominal-march seed 7073, l_knee: encoder σ 0.06
    /// counts, V̂ 7.5 counts², ρ₁ −0.50 as white noise would give) stands on one count whenever friction holds it, and
    /// its runs of repeats then continue far more often than p(σ_low) allows. Real-time safe.
    /// </summary>
    private double Evidence(int joint)
    {
        double p = Math.Max(1 - QuantisedNoise.RepeatProbabilityComplement(QuantisedNoise.SigmaAtLeast(VarianceLow(joint))), ContinuationUpper(joint));
        return p < 1 ? -Math.Log(p) : 0;
    }

    /// <summary>
    /// The run ends: its continuations at length ≥ <see cref="ContinuationRunTicks"/> are learnt, with its break when
    /// the count moved on (<paramref name="broke"/>; a run cut by the command or a lost sample is censored: its
    /// continuations only, which can only raise the rate). A run still going is not learnt, so a frozen encoder never
    /// teaches the test its own run.
    /// </summary>
    private void EndRun(int joint, bool broke)
    {
        int c = _pending[joint];
        _pending[joint] = 0;
        int outcomes = c + (broke ? 1 : 0);
        if (outcomes == 0) return;
        double decay = Math.Pow(_lambda, outcomes);
        _contW[joint] = _contW[joint] * decay + c;
        _contN[joint] = _contN[joint] * decay + outcomes;
    }

    /// <summary>
    /// OR the alarms into the joints' position channels (only when <paramref name="armed"/>: the twin compares this
    /// tick). The statistic is reported as Λ / threshold; a run whose drive still reports motion stays below 1.
    /// Real-time safe.
    /// </summary>
    public void Raise(DivergenceRecord record, CrossCheckEvaluator crossCheck, bool armed)
    {
        _raised = 0;
        _raisedJoint = -1;
        _overBefore = record.OverCount;
        if (!armed) return;
        for (int j = 0; j < _n; j++)
        {
            if (_stat[j] <= 0) continue;
            double ratio = _stat[j] / _threshold;
            if (!_silent[j]) ratio = Math.Min(ratio, 0.999);
            if (crossCheck.RaiseOnRecord(record, _channel[j], ratio))
            {
                _raised++;
                _raisedJoint = j;
            }
        }
    }

    /// <summary>
    /// When this tick's only alarm is this test's, on one joint: name that joint's encoder (sensor) in the record's
    /// diagnosis, with Λ and its threshold as the evidence, and return true (the isolator has nothing else to weigh:
    /// a stopped flicker is the encoder's own evidence, which no contact or actuator produces). Otherwise false and
    /// the record untouched. Call after <see cref="Raise"/>. Real-time safe.
    /// </summary>
    public bool NameSole(DivergenceRecord record)
    {
        if (_raised != 1 || _overBefore != 0 || record.OverCount != 1) return false;
        int j = _raisedJoint;
        record.Diagnosis = new FaultDiagnosis(FaultClass.Sensor, FaultSite.Joint, (short)j, -1, DetectionTest.StuckEncoder);
        record.EvidenceChannel = _channel[j];
        record.EvidenceValue = _stat[j];
        record.EvidenceThreshold = _threshold;
        return true;
    }

    /// <summary>One settled product d_k·d_(k−1) into the forgetting sums (with its lag-1 and lag-2 partners).</summary>
    private void Learn(int joint, double p)
    {
        double l = _lambda;
        _w[joint] = _w[joint] * l + 1;
        _w2[joint] = _w2[joint] * l * l + 1;
        _s[joint] = _s[joint] * l + p;
        _ss[joint] = _ss[joint] * l + p * p;
        _sLag1[joint] *= l;
        _wLag1[joint] *= l;
        _sLag2[joint] *= l;
        _wLag2[joint] *= l;
        int k = _nP[joint];
        if (k >= 1)
        {
            _sLag1[joint] += p * _p1[joint];
            _wLag1[joint] += 1;
        }
        if (k >= 2)
        {
            _sLag2[joint] += p * _p2[joint];
            _wLag2[joint] += 1;
        }
        _p2[joint] = _p1[joint];
        _p1[joint] = p;
        _nP[joint] = Math.Min(k + 1, 2);
    }

    /// <summary>
    /// The lower confidence bound of the count-noise variance: V̂ − z·√(LRV/N_eff), LRV = γ₀ + 2γ₁ + 2γ₂ of the products
    /// (white count noise makes them 2-dependent), at least γ₀; N_eff = (Σw)²/Σw². 0 before any product.
    /// </summary>
    private double VarianceLow(int joint)
    {
        double w = _w[joint];
        if (!(w > 0)) return 0;
        double mean = _s[joint] / w;
        double g0 = Math.Max(0, _ss[joint] / w - mean * mean);
        double g1 = _wLag1[joint] > 0 ? _sLag1[joint] / _wLag1[joint] - mean * mean : 0;
        double g2 = _wLag2[joint] > 0 ? _sLag2[joint] / _wLag2[joint] - mean * mean : 0;
        double lrv = Math.Max(g0, g0 + 2 * g1 + 2 * g2);
        double nEff = w * w / _w2[joint];
        return -mean - LowerZ * Math.Sqrt(lrv / nEff);
    }
}

/// <summary>
/// The quantised-Gaussian encoder: count = round(x + σ·n). Tables of the worst-case (over x) variance of the count and
/// the per-tick evidence of a repeat, −ln P(|σ·n| &lt; ½). Built once (not real-time safe); lookups are real-time safe.
/// </summary>
internal static class QuantisedNoise
{
    private const double Step = 0.005, Top = 4.0;
    private static readonly double[] Sigma, WorstVariance;

    /// <summary>The grid size (forces the static tables to be built).</summary>
    public static int Table => Sigma.Length;

    static QuantisedNoise()
    {
        int n = (int)Math.Round(Top / Step) + 1;
        Sigma = new double[n];
        WorstVariance = new double[n];
        double running = 0;
        for (int i = 0; i < n; i++)
        {
            double s = i * Step;
            Sigma[i] = s;
            double worst = 0.25; // σ → 0 at a count's edge: a fair flicker between two counts
            if (s > 0)
                for (int xi = 0; xi <= 25; xi++) worst = Math.Max(worst, VarianceAt(xi / 50.0, s)); // x ∈ [0, ½]: symmetric
            running = Math.Max(running, worst); // monotone: the smallest σ reaching a variance is a lower bound
            WorstVariance[i] = running;
        }
    }

    /// <summary>Var(round(x + σ·n)), n ~ N(0, 1).</summary>
    public static double VarianceAt(double x, double sigma)
    {
        int k = (int)Math.Ceiling(7 * sigma) + 2;
        double m1 = 0, m2 = 0, below = ThresholdDerivation.Phi((-k - 0.5 - x) / sigma);
        for (int c = -k; c <= k; c++)
        {
            double upTo = ThresholdDerivation.Phi((c + 0.5 - x) / sigma), pr = upTo - below;
            below = upTo;
            m1 += c * pr;
            m2 += (double)c * c * pr;
        }
        return m2 - m1 * m1;
    }

    /// <summary>
    /// The smallest σ whose worst-case quantised variance reaches <paramref name="variance"/> (rounded down to the grid),
    /// 0 when quantisation of a still joint alone can give it (≤ ¼). Real-time safe.
    /// </summary>
    public static double SigmaAtLeast(double variance)
    {
        if (!(variance > WorstVariance[0])) return 0;
        int last = WorstVariance.Length - 1;
        if (variance > WorstVariance[last]) return Math.Sqrt(variance - 1.0 / 12); // Sheppard: exact well before σ = 4
        int lo = 0, hi = last; // WorstVariance[lo] < variance ≤ WorstVariance[hi]
        while (hi - lo > 1)
        {
            int mid = (lo + hi) >> 1;
            if (WorstVariance[mid] < variance) lo = mid;
            else hi = mid;
        }
        return Sigma[lo];
    }

    /// <summary>−ln P(|σ·n| &lt; ½): the least evidence one repeated count carries against a live encoder; 0 for σ ≤ 0. Real-time safe.</summary>
    public static double RepeatEvidence(double sigma) => sigma > 0 ? -Math.Log(1 - SpecialFunctions.Erfc(0.5 / (sigma * Math.Sqrt(2)))) : 0;

    /// <summary>1 − P(|σ·n| &lt; ½) (1 − the largest chance a live encoder's count repeats); 0 for σ ≤ 0. Real-time safe.</summary>
    public static double RepeatProbabilityComplement(double sigma) => sigma > 0 ? SpecialFunctions.Erfc(0.5 / (sigma * Math.Sqrt(2))) : 0;
}
