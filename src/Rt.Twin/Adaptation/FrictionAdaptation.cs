using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Twin.Models;

namespace Rt.Twin.Adaptation;

/// <summary>One logged change of a joint's friction scales (tick thread → log thread). Plain data.</summary>
public readonly record struct FrictionChange(long Tick, int Joint, double CoulombScale, double ViscousScale);

/// <summary>
/// Guarded online adaptation of each joint's friction (twin.adapt.friction: a warm gearbox), as two scales of the
/// calibrated values: τ_f = s_c·F_c·tanh(q̇/ε) + s_v·F_v·q̇. The scales are linear in the friction torque, so per joint
/// with φ = [F_c·tanh(q̇/ε), F_v·q̇] the torque the model leaves unexplained (minus the momentum observer's external
/// torque, the payload's evidence too) reads e ≈ φ·Δs. Each armed tick, per joint:
/// <list type="bullet">
/// <item>only while the joint moves (|q̇| ≥ <see cref="TwinAdaptSection.FrictionMinSpeedRadS"/>): the torque the whole
/// friction explains, y = e + φ·s, goes into a 2×2 least squares over a sliding window (N ← λN + φᵀy, D ← λD + φᵀφ,
/// λ = exp(−friction_gain_per_s·dt), 2 s by default: several strokes, so sign(q̇) and q̇ separate). Evidence is thus
/// only what correlates with sign(q̇) and q̇ on a moving joint; a collision's torque does not, and a standing joint
/// learns nothing. The target s* solves (D + ρI)s* = N + ρs (a small ridge towards the current scales: a direction
/// the window cannot resolve, e.g. a joint moving at one speed, stays where it is);</item>
/// <item>step = s* − s, clamped to ± friction_rate_per_s·dt (2 %/s of calibrated: a friction fault is far faster),
/// scales clamped to [friction_min_scale, friction_max_scale] (bounded);</item>
/// <item>frozen under the payload's rule (<see cref="PayloadAdaptation"/>): no step and no evidence while any detector
/// is above freeze_fraction of its threshold, and hold_off_s after, or while the twin warms up;</item>
/// <item>every move of ≥ friction_log_step since a joint's last logged scales is pushed to a lock-free ring; a full
/// ring holds the scales (never a change without its log entry).</item>
/// </list>
/// Construction is not real-time safe; <see cref="Update"/> and <see cref="Reset"/> are (no allocation, no locks).
/// Joint order: the config's (the servo model's).
/// </summary>
public sealed class FrictionAdaptation
{
    /// <summary>Log ring capacity.</summary>
    public const int LogCapacity = 1024;

    private const double Ridge = 1e-3;        // relative to the window's information (trace of D)
    private const double RidgeFloor = 1e-9;   // N·m²: keeps a joint without friction terms solvable

    private readonly ServoModel _servo;
    private readonly int[] _map;
    private readonly int _n;
    private readonly double[] _sc, _sv, _loggedC, _loggedV;
    private readonly double[] _nc, _nv, _dcc, _dcv, _dvv;
    private readonly double _forget, _rateDt, _min, _max, _minSpeed, _freeze, _logStep;
    private readonly long _holdOffTicks;
    private long _holdOff;
    private long _blocked, _armedTicks, _frozenTicks;

    /// <summary>Prepares the scales (1 = calibrated) and the ring. Not real-time safe.</summary>
    public FrictionAdaptation(ServoModel servo, int[] map, IReadOnlyList<string> jointNames, TwinAdaptSection config, double periodS)
    {
        ArgumentNullException.ThrowIfNull(servo);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(jointNames);
        ArgumentNullException.ThrowIfNull(config);
        _servo = servo;
        _map = map;
        _n = servo.JointCount;
        if (map.Length != _n || jointNames.Count != _n) throw new ArgumentException($"{map.Length} mapped and {jointNames.Count} named joints for a servo model of {_n}", nameof(map));
        JointNames = [.. jointNames];
        _sc = new double[_n];
        _sv = new double[_n];
        _loggedC = new double[_n];
        _loggedV = new double[_n];
        _nc = new double[_n];
        _nv = new double[_n];
        _dcc = new double[_n];
        _dcv = new double[_n];
        _dvv = new double[_n];
        _forget = Math.Exp(-config.FrictionGainPerS * periodS);
        _rateDt = config.FrictionRatePerS * periodS;
        _min = config.FrictionMinScale;
        _max = config.FrictionMaxScale;
        _minSpeed = config.FrictionMinSpeedRadS;
        _freeze = config.FreezeFraction;
        _logStep = config.FrictionLogStep;
        _holdOffTicks = (long)Math.Ceiling(config.HoldOffS / periodS);
        Log = new SpscRing<FrictionChange>(LogCapacity);
        Reset();
    }

    /// <summary>Joint names, in scale order (the config's).</summary>
    public IReadOnlyList<string> JointNames { get; }

    /// <summary>Coulomb scale per joint (× calibrated; read from the tick thread or after it stopped).</summary>
    public ReadOnlySpan<double> CoulombScale => _sc;

    /// <summary>Viscous scale per joint (× calibrated).</summary>
    public ReadOnlySpan<double> ViscousScale => _sv;

    /// <summary>Changes for the log thread (single consumer).</summary>
    public SpscRing<FrictionChange> Log { get; }

    /// <summary>True while detectors (or the hold-off after them) freeze the scales.</summary>
    public bool Frozen => _holdOff > 0;

    /// <summary>Ticks a due change waited because the log ring was full (the scales held still meanwhile).</summary>
    public long Blocked => Volatile.Read(ref _blocked);

    /// <summary>Armed ticks seen.</summary>
    public long ArmedTicks => Volatile.Read(ref _armedTicks);

    /// <summary>Armed ticks on which the scales were frozen.</summary>
    public long FrozenTicks => Volatile.Read(ref _frozenTicks);

    /// <summary>Back to the calibrated friction (all scales 1). Real-time safe.</summary>
    public void Reset()
    {
        for (int j = 0; j < _n; j++)
        {
            _sc[j] = _sv[j] = _loggedC[j] = _loggedV[j] = 1;
            _nc[j] = _nv[j] = _dcc[j] = _dcv[j] = _dvv[j] = 0;
            _servo.SetFrictionScale(j, 1, 1);
        }
        _holdOff = 0;
    }

    /// <summary>
    /// One tick, after the cross-check: <paramref name="torqueError"/> the torque the model leaves unexplained (minus the
    /// observer's external torque, model order), <paramref name="qd"/> the corrected velocities (config order),
    /// <paramref name="record"/> this tick's detectors, <paramref name="armed"/> false while the twin warms up or restarts.
    /// The new scales go into the servo model (its friction torque) at once. Real-time safe.
    /// </summary>
    public void Update(ReadOnlySpan<double> torqueError, ReadOnlySpan<double> qd, DivergenceRecord record, bool armed, long tick)
    {
        if (!armed || !record.Valid)
        {
            _holdOff = _holdOffTicks;
            return;
        }
        _armedTicks++;
        if (record.OverCount > 0 || !(record.WorstRatio <= _freeze))
        {
            _holdOff = _holdOffTicks;
            _frozenTicks++;
            return;
        }
        if (_holdOff > 0)
        {
            _holdOff--;
            _frozenTicks++;
            return;
        }
        for (int j = 0; j < _n; j++)
        {
            double v = qd[j];
            if (!(Math.Abs(v) >= _minSpeed)) continue; // standing, creeping or NaN: no friction evidence
            double pc = _servo.CalibratedCoulombNm(j) * _servo.CoulombShape(j, v);
            double pv = _servo.CalibratedViscousNmsPerRad(j) * v;
            double sc = _sc[j], sv = _sv[j];
            double y = torqueError[_map[j]] + pc * sc + pv * sv;
            double nc = _nc[j] = _forget * _nc[j] + pc * y;
            double nv = _nv[j] = _forget * _nv[j] + pv * y;
            double dcc = _dcc[j] = _forget * _dcc[j] + pc * pc;
            double dcv = _dcv[j] = _forget * _dcv[j] + pc * pv;
            double dvv = _dvv[j] = _forget * _dvv[j] + pv * pv;
            double rho = Ridge * (dcc + dvv) + RidgeFloor;
            double a = dcc + rho, b = dcv, d = dvv + rho;
            double rc = nc + rho * sc, rv = nv + rho * sv;
            double det = a * d - b * b; // > 0: D is positive semidefinite and ρ > 0
            double tc = (d * rc - b * rv) / det, tv = (a * rv - b * rc) / det;
            double nextC = Math.Clamp(sc + Math.Clamp(tc - sc, -_rateDt, _rateDt), _min, _max);
            double nextV = Math.Clamp(sv + Math.Clamp(tv - sv, -_rateDt, _rateDt), _min, _max);
            if (!double.IsFinite(nextC) || !double.IsFinite(nextV) || (nextC == sc && nextV == sv)) continue;
            if (Math.Abs(nextC - _loggedC[j]) >= _logStep || Math.Abs(nextV - _loggedV[j]) >= _logStep)
            {
                if (!Log.TryPush(new FrictionChange(tick, j, nextC, nextV)))
                {
                    Interlocked.Increment(ref _blocked);
                    continue;
                }
                _loggedC[j] = nextC;
                _loggedV[j] = nextV;
            }
            _sc[j] = nextC;
            _sv[j] = nextV;
            _servo.SetFrictionScale(j, nextC, nextV);
        }
    }
}
