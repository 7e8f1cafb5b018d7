using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Twin.Dynamics;
using Rt.Twin.Models;

namespace Rt.Twin.Adaptation;

/// <summary>One logged change of an end link's payload estimate (tick thread → log thread). Plain data.</summary>
public readonly record struct PayloadChange(long Tick, int EndLink, double PayloadKg);

/// <summary>
/// Guarded online adaptation of the payload at the end links (the leaf bodies of the kinematic tree: the feet of a
/// biped, an arm's last link with its tool flange). The payload is modelled as a point mass at the link's centre of
/// mass; its inertial parameters are linear in the mass, so per end link b the torque innovation (measured − predicted
/// motor torque) reads e ≈ φ_b·Δm with φ_b = the torques of a unit point mass at the link's centre of mass at the
/// predicted state (one RNEA with a unit parameter vector). The evidence e is the momentum observer's external torque
/// with its sign turned (<see cref="Update"/>'s <c>torqueError</c>): the torque the model does not explain, unfiltered
/// by the servo model (the torque innovation was the first choice, but on the MuJoCo bench the servo model's
/// prediction absorbs most of a slow load into its own tracking error, and the estimate reached 0.84 kg of 2). The
/// observer's momentum M(q)q̇ jumps when π changes; the integral is shifted by the same amount. Each armed tick, per end link:
/// <list type="bullet">
/// <item>the torque the whole payload explains, y = e + φ_b·m (the innovation plus what the current estimate m already
/// predicts), goes into least squares over the joints and a sliding window: N ← λN + φᵀy, D ← λD + φᵀφ, with
/// λ = exp(−gain·dt), so the window is 1/gain s long (20 ms by default); the target is m* = N / (D + ε) (ε keeps a window in which the
/// link's weight acts on no joint from amplifying noise). One tick's torque noise is far larger than a slow load's
/// signal; the window averages it (on the MuJoCo bench a per-tick estimate, clamped to the rate, was a random walk
/// that learnt 0.04 kg of 2). Estimating the whole payload, not the increment, keeps the window out of a feedback loop;</item>
/// <item>step = m* − m, clamped to ± rate·dt (rate-limited: a collision's torque rises far faster than any
/// adaptation, so it still trips), estimate clamped to [min, max] (bounded);</item>
/// <item>no step, and no evidence into the window, while any detector is above <see cref="TwinAdaptSection.FreezeFraction"/>
/// of its threshold, and for <see cref="TwinAdaptSection.HoldOffS"/> after (frozen: a fault is never learnt away);</item>
/// <item>every move of more than <see cref="TwinAdaptSection.LogStepKg"/> since the last logged value is pushed to a
/// lock-free ring; if the ring is full the estimate does not move (never a change without its log entry).</item>
/// </list>
/// Construction is not real-time safe; <see cref="Update"/> and <see cref="Reset"/> are (no allocation, no locks).
/// </summary>
public sealed class PayloadAdaptation
{
    /// <summary>Log ring capacity (summary lines only: one per <see cref="TwinAdaptSection.LogStepKg"/> moved).</summary>
    public const int LogCapacity = 1024;

    /// <summary>Channels whose freezes are counted (<see cref="FreezeCauses"/>); a layout has far fewer.</summary>
    public const int MaxChannels = 512;

    private const double RegularisationNm2PerKg2 = 0.05 * 0.05; // (0.05 N·m per kg)²: below that a link's weight is unobservable

    private readonly RigidBodyModel _model;
    private readonly MomentumObserver? _observer;
    private readonly double[] _unitMomentum, _shift; // scratch: M_unit(q)·q̇, and the observer's momentum shift
    private readonly double _twoOverDt;
    private readonly int _n, _links;
    private readonly int[] _body;               // end link → body index
    private readonly double[] _pi0;             // nominal π (as loaded)
    private readonly double[] _pi;              // π with the payloads
    private readonly double[][] _unit;          // per end link: π of a unit point mass at its centre of mass (10·n, one slot set)
    private readonly double[] _phi;             // scratch: φ_b at the predicted state, model order
    private readonly double[] _pq, _pqd, _pqdd; // scratch: the prediction for this tick, model order
    private readonly int[] _map;                // config index → model index
    private readonly double[] _mass, _logged;   // per end link: estimate, last logged estimate
    private readonly double[] _num, _den;       // per end link: the window's φᵀy and φᵀφ
    private readonly double _forget, _rateDt, _min, _max, _freeze, _logStep;
    private readonly long _holdOffTicks;
    private long _holdOff;
    private long _blocked;
    private long _armedTicks, _frozenTicks;
    private readonly long[] _freezeCause = new long[MaxChannels]; // per channel: how often it (re)started a freeze

    /// <summary>Prepares the end links of <paramref name="model"/> and the ring. Not real-time safe.</summary>
    /// <param name="observer">The momentum observer whose p = M(q)q̇ jumps when π changes; it is told the jump (may be null).</param>
    public PayloadAdaptation(RigidBodyModel model, int[] map, TwinAdaptSection config, double periodS, MomentumObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        _model = model;
        ArgumentNullException.ThrowIfNull(map);
        _map = map;
        _observer = observer;
        _twoOverDt = 2 / periodS;
        _n = model.DegreesOfFreedom;
        var parents = model.Parents;
        var isParent = new bool[_n];
        for (int i = 0; i < _n; i++)
            if (parents[i] >= 0) isParent[parents[i]] = true;
        var leaves = new List<int>();
        for (int i = 0; i < _n; i++)
            if (!isParent[i]) leaves.Add(i);
        _body = [.. leaves];
        _links = _body.Length;
        _pi0 = new double[model.ParameterCount];
        model.GetInertialParameters(_pi0);
        _pi = (double[])_pi0.Clone();
        _unit = new double[_links][];
        var names = new string[_links];
        for (int l = 0; l < _links; l++)
        {
            int b = _body[l];
            names[l] = model.BodyNames[b];
            double m = _pi0[10 * b];
            double cx = m > 0 ? _pi0[10 * b + 1] / m : 0, cy = m > 0 ? _pi0[10 * b + 2] / m : 0, cz = m > 0 ? _pi0[10 * b + 3] / m : 0;
            var u = new double[model.ParameterCount];
            // A unit point mass at c: [1, c, inertia about the body origin = |c|²·1 − c·cᵀ] in π's order (xx, xy, xz, yy, yz, zz).
            u[10 * b] = 1;
            u[10 * b + 1] = cx;
            u[10 * b + 2] = cy;
            u[10 * b + 3] = cz;
            u[10 * b + 4] = cy * cy + cz * cz;
            u[10 * b + 5] = -cx * cy;
            u[10 * b + 6] = -cx * cz;
            u[10 * b + 7] = cx * cx + cz * cz;
            u[10 * b + 8] = -cy * cz;
            u[10 * b + 9] = cx * cx + cy * cy;
            _unit[l] = u;
        }
        EndLinkNames = names;
        _phi = new double[_n];
        _pq = new double[_n];
        _pqd = new double[_n];
        _pqdd = new double[_n];
        _unitMomentum = new double[_n];
        _shift = new double[_n];
        _mass = new double[_links];
        _logged = new double[_links];
        _num = new double[_links];
        _den = new double[_links];
        _forget = Math.Exp(-config.GainPerS * periodS);
        _rateDt = config.PayloadRateKgS * periodS;
        _min = config.PayloadMinKg;
        _max = config.PayloadMaxKg;
        _freeze = config.FreezeFraction;
        _logStep = config.LogStepKg;
        _holdOffTicks = (long)Math.Ceiling(config.HoldOffS / periodS);
        Log = new SpscRing<PayloadChange>(LogCapacity);
        Reset();
    }

    /// <summary>The end links' body names, in estimate order.</summary>
    public IReadOnlyList<string> EndLinkNames { get; }

    /// <summary>Payload estimate per end link, kg (read it from the tick thread, or after the tick thread stopped).</summary>
    public ReadOnlySpan<double> PayloadKg => _mass;

    /// <summary>Changes for the log thread (single consumer).</summary>
    public SpscRing<PayloadChange> Log { get; }

    /// <summary>True while detectors (or the hold-off after them) freeze the estimates.</summary>
    public bool Frozen => _holdOff > 0;

    /// <summary>Ticks a due change waited because the log ring was full (the estimate held still meanwhile).</summary>
    public long Blocked => Volatile.Read(ref _blocked);

    /// <summary>Armed ticks seen, and of those the ticks the estimates were frozen (a detector high, or its hold-off).</summary>
    public long ArmedTicks => Volatile.Read(ref _armedTicks);

    /// <summary>Armed ticks on which the estimates were frozen.</summary>
    public long FrozenTicks => Volatile.Read(ref _frozenTicks);

    /// <summary>Per twin channel: armed ticks on which it was the worst channel above the freeze fraction (read after the tick stopped).</summary>
    public ReadOnlySpan<long> FreezeCauses => _freezeCause;

    /// <summary>Back to zero payload (the model's π as loaded). Real-time safe.</summary>
    public void Reset()
    {
        Array.Clear(_mass);
        Array.Clear(_logged);
        Array.Clear(_num);
        Array.Clear(_den);
        _pi0.CopyTo(_pi, 0);
        _model.SetInertialParameters(_pi);
        _holdOff = 0;
    }

    /// <summary>
    /// One tick, after the cross-check: <paramref name="predQ"/>, <paramref name="predQd"/>, <paramref name="predQdd"/>
    /// the prediction made for this tick (config order), <paramref name="q"/> the corrected positions and <paramref name="torqueError"/> (the torque the model leaves unexplained: minus the observer's external torque)
    /// (model order), <paramref name="qd"/> the corrected velocities (model order), <paramref name="record"/> this tick's detectors,
    /// <paramref name="armed"/> false while the twin warms up or restarts. Uses the model's workspace. Real-time safe.
    /// </summary>
    public void Update(ReadOnlySpan<double> predQ, ReadOnlySpan<double> predQd, ReadOnlySpan<double> predQdd, ReadOnlySpan<double> q, ReadOnlySpan<double> qd, ReadOnlySpan<double> torqueError, DivergenceRecord record, bool armed, long tick)
    {
        if (!armed || !record.Valid)
        {
            _holdOff = _holdOffTicks;
            return;
        }
        _armedTicks++;
        if (AnyDetectorHigh(record))
        {
            _holdOff = _holdOffTicks;
            _frozenTicks++;
            if ((uint)record.WorstChannel < MaxChannels) _freezeCause[record.WorstChannel]++;
            return;
        }
        if (_holdOff > 0)
        {
            _holdOff--;
            _frozenTicks++;
            return;
        }
        bool changed = false;
        Array.Clear(_shift);
        for (int j = 0; j < _map.Length; j++)
        {
            _pq[_map[j]] = predQ[j];
            _pqd[_map[j]] = predQd[j];
            _pqdd[_map[j]] = predQdd[j];
        }
        for (int l = 0; l < _links; l++)
        {
            // The regressor where the torque was predicted (the prediction's state and acceleration): a load that moves
            // fast is as much inertia as weight.
            _model.InverseDynamics(_pq, _pqd, _pqdd, _phi, _unit[l], true);
            double num = 0, den = 0, m = _mass[l];
            for (int j = 0; j < _n; j++)
            {
                num += _phi[j] * (torqueError[j] + _phi[j] * m);
                den += _phi[j] * _phi[j];
            }
            _num[l] = _forget * _num[l] + num;
            _den[l] = _forget * _den[l] + den;
            double target = _num[l] / (_den[l] + RegularisationNm2PerKg2);
            double step = Math.Clamp(target - m, -_rateDt, _rateDt);
            double next = Math.Clamp(_mass[l] + step, _min, _max);
            if (!double.IsFinite(next) || next == _mass[l]) continue;
            var u = _unit[l];
            if (Math.Abs(next - _logged[l]) >= _logStep)
            {
                if (!Log.TryPush(new PayloadChange(tick, l, next)))
                {
                    Interlocked.Increment(ref _blocked);
                    continue;
                }
                _logged[l] = next;
            }
            // The observer's momentum p = M(q)q̇ will jump by Δm·M_unit(q)·q̇ with the new π: shift its integral by the same
            // amount (a torque X at the interval start adds ½X·dt), or the jump reads as an external torque.
            if (_observer is not null)
            {
                _model.InverseDynamics(q, [], qd, _unitMomentum, u, false);
                double dm = next - _mass[l];
                for (int j = 0; j < _n; j++) _shift[j] += dm * _unitMomentum[j] * _twoOverDt;
            }
            _mass[l] = next;
            int b = _body[l];
            for (int k = 10 * b; k < 10 * b + 10; k++) _pi[k] = _pi0[k] + next * u[k];
            changed = true;
        }
        if (!changed) return;
        _model.SetInertialParameters(_pi);
        _observer?.AddIntervalStartTorque(_shift);
    }

    // WorstRatio is max over the armed channels of max(Detector/Threshold, Score/Gate): "any detector above a fraction".
    private bool AnyDetectorHigh(DivergenceRecord record) => record.OverCount > 0 || !(record.WorstRatio <= _freeze);
}
