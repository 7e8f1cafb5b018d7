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
/// The test is the probability of the run of repeated counts under this joint's own nominal behaviour, learnt while its
/// command is settled: p₁ = P(a count repeats), u = P(a run of repeats continues, after two) — counts, not a model, so
/// an encoder without flicker (u → 1) never alarms, as it must not: nothing tells its freeze from a standstill. Both
/// are upper bounds (Beta posterior mean + <see cref="UpperZ"/> standard deviations) over a forgetting memory of
/// <see cref="MemoryTicks"/>. A run of r repeats has probability ≤ p₁·u^(r−1); the statistic
/// Λ = −ln p₁ − (r − 1)·ln u alarms at Λ ≥ ln(ARL₀/<see cref="Share"/>) (per joint, added to its position channel's
/// budget), and only while the drive reports a velocity of exactly 0 (the drive saw no count change either). The
/// run being judged is not learnt from until it ends, so a freeze does not teach itself as nominal.
/// </para>
/// <para>
/// The alarm is OR-ed into the joint's position channel, whose sensor is the encoder. Not real-time safe to construct;
/// <see cref="Observe"/>, <see cref="Raise"/> and <see cref="Reset"/> are real-time safe and allocation-free.
/// </para>
/// </summary>
internal sealed class EncoderStuckCheck
{
    /// <summary>Share of a position channel's false-alarm budget given to this test (added to it).</summary>
    public const double Share = 0.5;

    /// <summary>Memory of the learnt repeat statistics, settled ticks (forgetting factor 1 − 1/memory per tick).</summary>
    public const double MemoryTicks = 60_000;

    /// <summary>Settled ticks seen before the test arms for a joint.</summary>
    public const double MinSettledTicks = 1_000;

    /// <summary>Continuation trials (runs of two repeats, and what followed) seen before the test arms.</summary>
    public const double MinTrials = 30;

    /// <summary>Standard deviations above the Beta posterior mean taken as the upper bound of each probability.</summary>
    public const double UpperZ = 3;

    private readonly int _n;
    private readonly int[] _channel;         // per joint (config order): its position channel
    private readonly double _threshold;      // ln(ARL₀/Share)
    private readonly double _lambda;
    private readonly double[] _lastQ;
    private readonly bool[] _hasLast;
    private readonly int[] _run;             // consecutive settled ticks whose count repeated the previous one
    private readonly double[] _ticks, _repeats, _trials, _continued;
    private readonly double[] _stat;         // Λ per joint, this tick
    private readonly bool[] _silent;         // the drive's velocity read exactly 0 this tick
    private int _raised, _raisedJoint, _overBefore; // this tick's Raise: channels it set over, the last one's joint, OverCount before

    /// <summary>Not real-time safe. <paramref name="positionChannel"/>: per joint in config order, its position channel.</summary>
    public EncoderStuckCheck(ReadOnlySpan<int> positionChannel, double arlTicks)
    {
        if (!(arlTicks > 0) || !double.IsFinite(arlTicks)) throw new ArgumentOutOfRangeException(nameof(arlTicks), arlTicks, "ARL must be finite and > 0");
        _n = positionChannel.Length;
        _channel = positionChannel.ToArray();
        _threshold = Math.Log(arlTicks / Share);
        _lambda = 1 - 1 / MemoryTicks;
        _lastQ = new double[_n];
        _hasLast = new bool[_n];
        _run = new int[_n];
        _ticks = new double[_n];
        _repeats = new double[_n];
        _trials = new double[_n];
        _continued = new double[_n];
        _stat = new double[_n];
        _silent = new bool[_n];
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

    /// <summary>Whether the joint's learnt statistics arm the test.</summary>
    public bool Armed(int joint) => _ticks[joint] >= MinSettledTicks && _trials[joint] >= MinTrials;

    /// <summary>Forget everything learnt (a new robot, a restart). Real-time safe.</summary>
    public void Reset()
    {
        Array.Clear(_hasLast);
        Array.Clear(_run);
        Array.Clear(_ticks);
        Array.Clear(_repeats);
        Array.Clear(_trials);
        Array.Clear(_continued);
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
            EndRun(joint, changed: false);
            _hasLast[joint] = false;
            return;
        }
        // Bit-identical: the same count converts to the same double; any other count does not.
        bool repeat = _hasLast[joint] && BitConverter.DoubleToInt64Bits(q) == BitConverter.DoubleToInt64Bits(_lastQ[joint]);
        _lastQ[joint] = q;
        _hasLast[joint] = true;
        if (!settled)
        {
            EndRun(joint, changed: repeat == false);
            return;
        }
        double l = _lambda;
        _ticks[joint] = _ticks[joint] * l + 1;
        _repeats[joint] = _repeats[joint] * l + (repeat ? 1 : 0);
        _trials[joint] *= l;
        _continued[joint] *= l;
        if (!repeat)
        {
            EndRun(joint, changed: true);
            return;
        }
        int r = ++_run[joint];
        _silent[joint] = qd == 0;
        if (!Armed(joint)) return;
        double p1 = Upper(_repeats[joint], _ticks[joint]);
        double u = Upper(_continued[joint], _trials[joint]);
        _stat[joint] = -Math.Log(p1) - (r - 1) * Math.Log(u);
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
        record.Diagnosis = new FaultDiagnosis(FaultClass.Sensor, FaultSite.Joint, (short)j, -1, DetectionTest.MeanShift);
        record.EvidenceChannel = _channel[j];
        record.EvidenceValue = _stat[j];
        record.EvidenceThreshold = _threshold;
        return true;
    }

    /// <summary>
    /// A run of r repeats ended: by a count change (<paramref name="changed"/>), or by leaving the settled, usable
    /// state. Learn from it.
    /// </summary>
    private void EndRun(int joint, bool changed)
    {
        int r = _run[joint];
        _run[joint] = 0;
        _silent[joint] = false;
        if (r < 2) return;
        // Continuation after two repeats: the ticks 3 … r continued, a change that ended the run did not. A run cut by
        // leaving the settled or usable state has no end to count (counting it as ended would lower u: optimistic).
        _trials[joint] += changed ? r - 1 : r - 2;
        _continued[joint] += r - 2;
    }

    /// <summary>Upper bound of a probability from k successes in n trials: Beta(k + 1, n − k + 1) mean + z·sd.</summary>
    private static double Upper(double k, double n)
    {
        double m = (k + 1) / (n + 2);
        double sd = Math.Sqrt(m * (1 - m) / (n + 3));
        return Math.Min(1, m + UpperZ * sd);
    }
}
