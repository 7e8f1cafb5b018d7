namespace Rt.Twin.Models;

/// <summary>
/// Generalised-momentum observer (De Luca &amp; Mattone 2003; Haddadin et al. 2017) estimating the external joint
/// torque: with p = M(q)q̇ and ṗ = τ_m − τ_f + τ_ext + Cᵀ(q,q̇)q̇ − g(q),
/// r = K ( p − ∫ (τ_m − τ_f + Cᵀq̇ − g + r) dt − p(0) ) obeys ṙ = K(τ_ext − r): a first-order lag with time constant 1/K.
/// <para>
/// Discretisation: the integral is advanced with the trapezoidal β̄ = ½(β_k + β_{k−1}) (β = τ_m − τ_f + Cᵀq̇ − g) and
/// the discrete gain K_d = (1 − e^{−K·dt})/dt, which makes r_k = e^{−K dt} r_{k−1} + (1 − e^{−K dt}) τ_ext exactly —
/// the continuous response 1 − e^{−Kt} sampled at the ticks — instead of explicit Euler's (1 − K dt)^k.
/// </para>
/// <para>The friction τ_f is the servo model's (the drive's torque also overcomes friction; without this term the
/// residual would read −τ_f whenever a joint moves).</para>
/// Construction is not real-time safe; <see cref="Update"/> and <see cref="Reset"/> are real-time safe.
/// </summary>
public sealed class MomentumObserver
{
    private readonly int _n;
    private readonly double[] _integral, _residual, _p0, _betaPrev;
    private bool _started;

    /// <param name="jointCount">Joints (any consistent order).</param>
    /// <param name="gain">K, 1/s (RtConfig.Twin.ObserverGain).</param>
    /// <param name="periodS">Tick period, s.</param>
    public MomentumObserver(int jointCount, double gain, double periodS)
    {
        if (!(gain > 0) || !double.IsFinite(gain)) throw new ArgumentOutOfRangeException(nameof(gain), gain, "observer gain must be a finite number > 0 (1/s)");
        if (!(periodS > 0) || !double.IsFinite(periodS)) throw new ArgumentOutOfRangeException(nameof(periodS), periodS, "tick period must be > 0");
        _n = jointCount;
        Gain = gain;
        PeriodS = periodS;
        DiscreteGain = (1 - Math.Exp(-gain * periodS)) / periodS;
        _integral = new double[jointCount];
        _residual = new double[jointCount];
        _p0 = new double[jointCount];
        _betaPrev = new double[jointCount];
    }

    public double Gain { get; }
    public double PeriodS { get; }

    /// <summary>K_d = (1 − e^{−K dt})/dt, the gain actually used per tick.</summary>
    public double DiscreteGain { get; }

    /// <summary>Current residual r ≈ τ_ext, N·m per joint.</summary>
    public ReadOnlySpan<double> Residual => _residual;

    public bool Started => _started;

    /// <summary>Restart: the next <see cref="Update"/> takes its momentum as p(0) and the residual restarts at 0. Real-time safe.</summary>
    public void Reset()
    {
        _started = false;
        Array.Clear(_integral);
        Array.Clear(_residual);
    }

    /// <summary>
    /// One tick: <paramref name="momentum"/> p = M q̇, <paramref name="motorTorque"/> τ_m (measured, joint side),
    /// <paramref name="frictionTorque"/> τ_f (may be empty = 0), <paramref name="coriolisTransposeQd"/> Cᵀq̇,
    /// <paramref name="gravity"/> g(q). Writes the residual to <paramref name="residual"/> (may be empty). Real-time safe.
    /// </summary>
    public void Update(
        ReadOnlySpan<double> momentum, ReadOnlySpan<double> motorTorque, ReadOnlySpan<double> frictionTorque,
        ReadOnlySpan<double> coriolisTransposeQd, ReadOnlySpan<double> gravity, Span<double> residual)
    {
        int n = _n;
        if (momentum.Length != n || motorTorque.Length != n || coriolisTransposeQd.Length != n || gravity.Length != n
            || (!frictionTorque.IsEmpty && frictionTorque.Length != n) || (!residual.IsEmpty && residual.Length < n))
            ThrowLengths();
        double dt = PeriodS, kd = DiscreteGain;
        for (int j = 0; j < n; j++)
        {
            double beta = motorTorque[j] - (frictionTorque.IsEmpty ? 0 : frictionTorque[j]) + coriolisTransposeQd[j] - gravity[j];
            if (!_started)
            {
                _p0[j] = momentum[j];
                _integral[j] = 0;
                _residual[j] = 0;
                _betaPrev[j] = beta;
                continue;
            }
            _integral[j] += (0.5 * (beta + _betaPrev[j]) + _residual[j]) * dt;
            _betaPrev[j] = beta;
            _residual[j] = kd * (momentum[j] - _integral[j] - _p0[j]);
        }
        _started = true;
        if (!residual.IsEmpty) _residual.CopyTo(residual);
    }

    /// <summary>
    /// Corrects the torque at the START of the coming tick interval by <paramref name="torqueStep"/> (added to the last
    /// sample's β). Call after <see cref="Update"/> when the motor torque is known to step at the tick (a new servo
    /// command: the drive's torque jumps by M·Δq̈ while the sample of the previous tick shows the value before the step),
    /// so the trapezoid integrates the interval from the stepped value. Real-time safe.
    /// </summary>
    public void AddIntervalStartTorque(ReadOnlySpan<double> torqueStep)
    {
        if (torqueStep.Length != _n) ThrowLengths();
        if (!_started) return;
        for (int j = 0; j < _n; j++) _betaPrev[j] += torqueStep[j];
    }

    private static void ThrowLengths() => throw new ArgumentException("momentum observer: span lengths must equal the joint count");
}
