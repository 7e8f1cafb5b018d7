using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Twin.Dynamics;

namespace Rt.Twin.CrossCheck;

/// <summary>
/// A push on a standing leg (issue 13: <c>iso-wrench-left-hip-roll-link</c>, <c>iso-wrench-right-ankle-link</c>): every
/// joint of the leg is held (stiction band, command settled), so the external-torque channels are excluded and the
/// per-channel tests score the held joints against a noise model calibrated on motion (a standing knee's position
/// innovation is ≈ 1 µrad; the calibrated σ is 15 µrad, ρ 0.98). A wrench deflects the leg's joints against their
/// drives' stiffness at once: a step in the held joints' position innovations, several µrad per tick, together.
/// <para>
/// Test: per leg (the subtree of a base joint, p joints), only while every joint of it has been held for the whole
/// window, the step d = mean(innovation since the onset, n_a samples) − mean(the <see cref="ReferenceTicks"/> before),
/// scored against the leg's own covariance S estimated from that reference window (the standing noise, which no
/// motion-time calibration describes): Hotelling's T² = dᵀS⁻¹d / (1/n_a + 1/n_r), and under no step with independent
/// Gaussian samples (n_r − p)/(p(n_r − 1))·T² ~ F(p, n_r − p). The threshold is the F quantile at this test's share of
/// the false-alarm budget, split over the legs and onsets (Bonferroni): derived, not tuned. And a second joint must
/// step on its own: its t² = d_j²/(S_jj(1/n_a + 1/n_r)) ~ F(1, n_r − 1) over the quantile at the same share split over
/// the leg's joints (either condition alone keeps the budget). A push loads every joint between the base and its link;
/// a held joint breaking away alone (stick-slip) moves one. A push that deflects one joint only (a leg's first link, or
/// one whose other joints are much stiffer) is therefore not this test's: the channel tests keep it. The held position
/// innovation is an MA(1) with lag-1 ρ ≈ −0.5 (measured, nominal-hold): the means of its windows vary less than the
/// independent-sample S/n assumes, so the F threshold is conservative for it. Onsets of at least
/// <see cref="MinAfterTicks"/> samples: a single-tick encoder spike, or the ringing of a standing leg when the other leg's
/// swing jolts the stand, reverses within a few ticks; a push holds.
/// Each diagonal of S is floored at the encoder's quantisation variance (1 count²/12): a reading cannot be known finer;
/// and each joint's step passes a dead zone of one count (a still reading toggling across a count boundary).
/// </para>
/// <para>
/// A leg with one joint moving (the sine sweep's hip yaw, the march's swing leg) is not tested: its motion drags the
/// held joints (stick-slip) and that is not a contact. The alarm is OR-ed into the record on the position channel of
/// the joint whose own standardised step is largest.
/// </para>
/// Construction is not real-time safe; <see cref="Evaluate"/> and <see cref="Reset"/> are real-time safe and
/// allocation-free (rings and workspaces sized at construction).
/// </summary>
public sealed class HeldLegStepTest
{
    /// <summary>Samples since the onset tried (the sample at the onset counted).</summary>
    private static readonly int[] AfterGrid = [5, 8];

    /// <summary>Samples before the onset: the reference level and the leg's standing covariance.</summary>
    public const int ReferenceTicks = 60;

    /// <summary>
    /// Fewest samples since an onset: a one-tick encoder spike is not a step, nor is the standing leg's ringing when the
    /// other leg's swing jolts the stand (2–4 ticks of ±4–8 µrad that reverse; nominal-march seed 5001 at 19.398 s).
    /// </summary>
    public const int MinAfterTicks = 5;

    private readonly int _n, _window;
    private readonly int[] _posOffset;        // per config joint: its position component
    private readonly int[] _posChannel;       // per config joint: its position channel
    private readonly double[] _floorVar;      // per config joint: quantisation variance, rad²
    private readonly double[] _count1;        // per config joint: one encoder count, rad (the step's dead zone)
    private readonly int[] _legStart, _leg;   // per leg: its joints (config order) are _leg[_legStart[l] .. _legStart[l + 1])
    private readonly double[] _threshold;     // per leg: F quantile for its p
    private readonly double[] _thresholdJoint; // per leg: one joint's F(1, n_r − 1) quantile at its share
    private readonly double[] _ring;          // per config joint × window
    private readonly int[] _count;            // per config joint: consecutive held samples in the ring
    private int _head;
    private readonly double[] _s, _l, _d, _y; // workspace: covariance, Cholesky, step, L⁻¹d
    private readonly double[] _mean;
    private readonly double[] _g, _cen;       // workspace: one leg's window newest first; its reference, centred
    private readonly double[] _legRatio;
    private readonly int[] _depth;            // per config joint: joints between it and the base (its leg's root: 0)
    private bool _raised;                     // this tick's alarm put a channel over threshold
    private int _bestDistal = -1;
    private double _bestF, _bestThreshold;

    /// <summary>Not real-time safe.</summary>
    /// <param name="model">The twin's rigid-body model (its parent table defines the legs).</param>
    /// <param name="map">Config joint index → model joint index.</param>
    /// <param name="layout">The channel layout (the position channels).</param>
    /// <param name="noise">The noise model (the component offsets).</param>
    /// <param name="countsPerRadian">Per config joint: encoder counts per joint radian (its quantisation floor).</param>
    /// <param name="arlTicks">In-control run length of one detector (<see cref="CrossCheckEvaluator.ArlTicks"/>).</param>
    public HeldLegStepTest(RigidBodyModel model, int[] map, ChannelLayout layout, NoiseModel noise, ReadOnlySpan<double> countsPerRadian, double arlTicks)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(noise);
        if (!(arlTicks > 1) || !double.IsFinite(arlTicks)) throw new ArgumentOutOfRangeException(nameof(arlTicks), arlTicks, "run length must be finite and > 1 tick");
        _n = layout.JointCount;
        if (map.Length != _n || model.DegreesOfFreedom != _n || countsPerRadian.Length != _n)
            throw new ArgumentException("held-leg step test: the joint map, the layout, the model and the encoder table must have the same joint count");
        _posOffset = new int[_n];
        _posChannel = new int[_n];
        _floorVar = new double[_n];
        _count1 = new double[_n];
        for (int j = 0; j < _n; j++)
        {
            int c = layout.IndexOf(ChannelKind.JointPosition, j);
            _posChannel[j] = c;
            _posOffset[j] = c >= 0 ? noise.Offsets[c] : -1;
            double step = countsPerRadian[j] > 0 && double.IsFinite(countsPerRadian[j]) ? 1 / countsPerRadian[j] : 0;
            _floorVar[j] = step * step / 12;
            _count1[j] = step;
        }

        // Legs: the subtree of each base joint (model parent −1), in config order.
        var parents = model.Parents;
        var configOf = new int[_n];
        for (int j = 0; j < _n; j++) configOf[map[j]] = j;
        var starts = new List<int>();
        var legs = new List<int>();
        for (int root = 0; root < _n; root++)
        {
            if (parents[root] >= 0) continue;
            starts.Add(legs.Count);
            for (int mj = 0; mj < _n; mj++)
                if (model.ChainRoot(mj) == root && _posOffset[configOf[mj]] >= 0) legs.Add(configOf[mj]);
        }
        starts.Add(legs.Count);
        _legStart = [.. starts];
        _leg = [.. legs];
        int nLegs = _legStart.Length - 1;
        _depth = new int[_n];
        for (int mj = 0; mj < _n; mj++) _depth[configOf[mj]] = model.DepthOf(mj);

        _window = AfterGrid[^1] + ReferenceTicks;
        double perTest = 1 / (arlTicks * Math.Max(1, nLegs) * AfterGrid.Length);
        _threshold = new double[nLegs];
        _thresholdJoint = new double[nLegs];
        for (int l = 0; l < nLegs; l++)
        {
            int p = _legStart[l + 1] - _legStart[l];
            _threshold[l] = p > 1 && p < ReferenceTicks ? ThresholdDerivation.FUpperQuantile(p, ReferenceTicks - p, perTest) : double.PositiveInfinity;
            // A single joint's t² = d²/(S_jj(1/n_a + 1/n_r)) ~ F(1, n_r − 1), its share split over the leg's joints.
            _thresholdJoint[l] = p > 1 ? ThresholdDerivation.FUpperQuantile(1, ReferenceTicks - 1, perTest / p) : double.PositiveInfinity;
        }
        ArlTicks = arlTicks;
        _ring = new double[_n * _window];
        _count = new int[_n];
        _s = new double[_n * _n];
        _l = new double[_n * _n];
        _d = new double[_n];
        _y = new double[_n];
        _mean = new double[_n];
        _g = new double[_n * _window];
        _cen = new double[_n * ReferenceTicks];
        _legRatio = new double[nLegs];
    }

    /// <summary>Whether an alarm is OR-ed into the record (default true). Not real-time safe to change while the tick runs.</summary>
    public bool Alarm { get; set; } = true;

    /// <summary>In-control run length the thresholds were derived for, ticks.</summary>
    public double ArlTicks { get; }

    /// <summary>Legs (subtrees of base joints).</summary>
    public int LegCount => _legStart.Length - 1;

    /// <summary>The joints (config order) of leg <paramref name="leg"/>.</summary>
    public ReadOnlySpan<int> LegJoints(int leg) => _leg.AsSpan(_legStart[leg], _legStart[leg + 1] - _legStart[leg]);

    /// <summary>The threshold on the F statistic of leg <paramref name="leg"/>.</summary>
    public double Threshold(int leg) => _threshold[leg];

    /// <summary>The threshold on the second-largest joint's own t² in leg <paramref name="leg"/>.</summary>
    public double JointThreshold(int leg) => _thresholdJoint[leg];

    /// <summary>Per leg: this tick's best F statistic over its threshold (0 when not tested). Real-time safe.</summary>
    public ReadOnlySpan<double> LegRatio => _legRatio;

    /// <summary>This tick's best ratio over the legs.</summary>
    public double Ratio { get; private set; }

    /// <summary>This tick's best fit: the config joint with the largest standardised step (−1 = none).</summary>
    public int MainJoint { get; private set; } = -1;

    /// <summary>Real-time safe. Forget every series (after a reset or a bus gap).</summary>
    public void Reset()
    {
        Array.Clear(_count);
        Array.Clear(_legRatio);
        Ratio = 0;
        MainJoint = -1;
        _raised = false;
        _bestDistal = -1;
    }

    /// <summary>
    /// Real-time safe, allocation-free. One tick: <paramref name="components"/> the cross-check's innovation components
    /// (the position components are read), <paramref name="held"/> per config joint whether it is held this tick (stiction
    /// band, command settled, the position sample good), <paramref name="compare"/> whether this tick is compared at all.
    /// An alarm is raised on <paramref name="record"/> when <see cref="Alarm"/>. Returns the best ratio.
    /// </summary>
    public double Evaluate(ReadOnlySpan<double> components, ReadOnlySpan<bool> held, CrossCheckEvaluator crossCheck, bool compare, DivergenceRecord? record)
    {
        ArgumentNullException.ThrowIfNull(crossCheck);
        int n = _n, w = _window;
        int slot = _head;
        _head = _head + 1 == w ? 0 : _head + 1;
        for (int j = 0; j < n; j++)
        {
            int o = _posOffset[j];
            double x = o >= 0 ? components[o] : double.NaN;
            if (!compare || !held[j] || !double.IsFinite(x) || crossCheck.IsExcluded(_posChannel[j]))
            {
                _count[j] = 0;
                continue;
            }
            _ring[j * w + slot] = x;
            if (_count[j] < w) _count[j]++;
        }
        Array.Clear(_legRatio);
        Ratio = 0;
        MainJoint = -1;
        _raised = false;
        _bestDistal = -1;
        int bestLeg = -1, bestJoint = -1, bestDistal = -1;
        double bestF = 0;
        double best = 0;
        for (int l = 0; l < _legRatio.Length; l++)
        {
            int s0 = _legStart[l], p = _legStart[l + 1] - s0;
            if (p == 0 || double.IsPositiveInfinity(_threshold[l])) continue;
            bool full = true;
            for (int a = 0; a < p; a++) full &= _count[_leg[s0 + a]] >= w;
            if (!full) continue;
            Gather(l, slot);
            for (int k = 0; k < AfterGrid.Length; k++)
            {
                int na = AfterGrid[k];
                double ratio = Score(l, na, out int main, out int distal, out double f);
                if (ratio > _legRatio[l]) _legRatio[l] = ratio;
                if (ratio > best)
                {
                    best = ratio;
                    bestLeg = l;
                    bestJoint = main;
                    bestDistal = distal;
                    bestF = f;
                }
            }
        }
        if (bestLeg < 0) return 0;
        Ratio = best;
        MainJoint = bestJoint;
        _bestDistal = bestDistal;
        _bestF = bestF;
        _bestThreshold = _threshold[bestLeg];
        if (Alarm && compare && record is not null && bestJoint >= 0)
            _raised = crossCheck.RaiseOnRecord(record, _posChannel[bestJoint], best);
        return best;
    }

    /// <summary>
    /// Real-time safe. Copies leg <paramref name="leg"/>'s window, newest first (k ticks back from
    /// <paramref name="slot"/> at <c>_g[a * w + k]</c>), so each onset's sums run over contiguous memory. The sums keep
    /// the order they had over the ring (newest to oldest), so the statistic is bit-for-bit what it was.
    /// </summary>
    private void Gather(int leg, int slot)
    {
        int w = _window, s0 = _legStart[leg], p = _legStart[leg + 1] - s0;
        for (int a = 0; a < p; a++)
        {
            var ring = _ring.AsSpan(_leg[s0 + a] * w, w);
            var g = _g.AsSpan(a * w, w);
            // k ticks back: ring[slot − k], wrapping once.
            int k = 0;
            for (int idx = slot; idx >= 0; idx--) g[k++] = ring[idx];
            for (int idx = w - 1; idx > slot; idx--) g[k++] = ring[idx];
        }
    }

    /// <summary>Real-time safe. The F statistic of leg [s0, s0 + p) for <paramref name="na"/> samples since the onset (after <see cref="Gather"/>).</summary>
    private double Score(int leg, int na, out int main, out int distal, out double f)
    {
        int w = _window, nr = ReferenceTicks;
        int s0 = _legStart[leg], p = _legStart[leg + 1] - s0;
        main = -1;
        distal = -1;
        f = 0;
        // Means: since the onset, and of the reference before it.
        for (int a = 0; a < p; a++)
        {
            int j = _leg[s0 + a];
            var g = _g.AsSpan(a * w, na + nr);
            double after = 0, before = 0;
            for (int m = 0; m < na; m++) after += g[m];
            for (int m = na; m < na + nr; m++) before += g[m];
            _mean[a] = before / nr;
            // One count of the step is no evidence: a still joint's reading toggles by a count when its true position
            // sits at a count boundary (its reference then shows almost no variance, and a one-count toggle for two
            // ticks would read as a many-σ step: nominal-march seed 101, r_knee at 28.78 s).
            double d = after / na - _mean[a];
            double c1 = _count1[j];
            _d[a] = d > c1 ? d - c1 : d < -c1 ? d + c1 : 0;
            var cen = _cen.AsSpan(a * nr, nr);
            var reference = g.Slice(na, nr);
            double mean = _mean[a];
            for (int m = 0; m < nr; m++) cen[m] = reference[m] - mean;
        }
        // The reference's covariance (lower triangle), each diagonal floored at the quantisation variance.
        for (int a = 0; a < p; a++)
        {
            var xa = _cen.AsSpan(a * nr, nr);
            for (int c = 0; c <= a; c++)
            {
                var xc = _cen.AsSpan(c * nr, nr);
                double sum = 0;
                for (int m = 0; m < nr; m++) sum += xa[m] * xc[m];
                _s[a * p + c] = sum;
            }
        }
        double bestZ = -1, second = 0;
        for (int a = 0; a < p; a++)
        {
            for (int c = 0; c <= a; c++) _s[a * p + c] /= nr - 1;
            _s[a * p + a] = Math.Max(_s[a * p + a], _floorVar[_leg[s0 + a]]);
            double z = _s[a * p + a] > 0 ? _d[a] * _d[a] / _s[a * p + a] : 0;
            // The deepest joint whose own step is beyond its share: a wrench loads only the joints between the base and
            // its link (Jᵀ F is zero below it), so the link is at or below that joint.
            if (z / (1.0 / na + 1.0 / nr) > _thresholdJoint[leg] && (distal < 0 || _depth[_leg[s0 + a]] > _depth[distal])) distal = _leg[s0 + a];
            if (z > bestZ)
            {
                second = Math.Max(second, bestZ);
                bestZ = z;
                main = _leg[s0 + a];
            }
            else if (z > second) second = z;
        }
        // Cholesky and y = L⁻¹d: T² = |y|² / (1/na + 1/nr).
        double q = 0;
        for (int a = 0; a < p; a++)
        {
            for (int c = 0; c <= a; c++)
            {
                double v = _s[a * p + c];
                for (int m = 0; m < c; m++) v -= _l[a * p + m] * _l[c * p + m];
                if (a == c)
                {
                    // A pivot under 1e-9 of the joint's own variance: the reference says the joint is determined by the
                    // others; trusting that would make the test arbitrarily sensitive. No evidence this tick.
                    if (!(v > 1e-9 * _s[a * p + a])) return 0;
                    _l[a * p + a] = Math.Sqrt(v);
                }
                else _l[a * p + c] = v / _l[c * p + c];
            }
            double t = _d[a];
            for (int m = 0; m < a; m++) t -= _l[a * p + m] * _y[m];
            _y[a] = t / _l[a * p + a];
            q += _y[a] * _y[a];
        }
        double t2 = q / (1.0 / na + 1.0 / nr);
        f = (nr - p) / (p * (nr - 1.0)) * t2;
        if (!double.IsFinite(f)) { f = 0; return 0; }
        // And a second joint's own step beyond its own share of the budget: a held joint that breaks away alone
        // (stick-slip: nominal-march seed 5001, r_ankle_pitch creeping 2–5 µrad per tick from 19.398 s; nominal-sine-full
        // seed 5002, l_ankle_pitch at 74.244 s) moves one joint, a push deflects every joint its torque Jᵀ F loads.
        // Either condition alone keeps the budget, so the AND does too.
        return Math.Min(f / _threshold[leg], second / (1.0 / na + 1.0 / nr) / _thresholdJoint[leg]);
    }

    /// <summary>
    /// When this tick's only alarm is this test's: name a contact on the link driven by the deepest joint of the leg
    /// whose own step is significant (the main joint when none is), test <see cref="DetectionTest.HeldLegStep"/>, with
    /// the leg's F statistic and its threshold as the evidence, and return true; otherwise false and the record
    /// untouched. A push that moves a standing leg's joints together is a contact on that leg, whatever the
    /// residual's fit says in the trip tick (it named the other leg's hip roll for iso-wrench-right-ankle-link).
    /// Call after <see cref="Evaluate"/>. Real-time safe.
    /// </summary>
    public bool NameSole(DivergenceRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_raised || record.OverCount != 1 || MainJoint < 0) return false;
        int link = _bestDistal >= 0 ? _bestDistal : MainJoint;
        record.Diagnosis = new FaultDiagnosis(FaultClass.Collision, FaultSite.Link, (short)link, -1, DetectionTest.HeldLegStep);
        record.EvidenceChannel = _posChannel[MainJoint];
        record.EvidenceValue = _bestF;
        record.EvidenceThreshold = _bestThreshold;
        return true;
    }
}
