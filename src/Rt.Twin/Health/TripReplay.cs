using Rt.Core.Config;
using Rt.Twin.CrossCheck;
using Rt.Twin.Parameters;

namespace Rt.Twin.Health;

/// <summary>
/// A joint's health limits from the supervisor's own trip condition (docs/TWIN.md, "Health", "Limits"). The twin trips
/// the supervisor (<c>twin_divergence</c>) when a channel's one-sided CUSUM on the whitened innovation
/// z = ((e − b) − ρ·(e₋₁ − b))/σ exceeds h, or z² its χ² gate (<see cref="CrossCheckEvaluator"/>, thresholds from
/// <see cref="ThresholdDerivation.ForChannel"/> with the config's false-alarm rate and minimum shift). A wearing joint
/// shows in its torque channel: the drive reports τ_r = (τ_rnea + F_c·tanh(q̇/ε) + B·q̇)/s, so from the state the run
/// was in (s, F_c, B as estimated) a change adds to the recorded innovation e(t):
/// motor-constant scale s → s′: τ_r·(s/s′ − 1); Coulomb F_c + Δ: Δ·tanh(q̇/ε)/s; viscous B + Δ: Δ·q̇/s; noise σ × λ:
/// (λ − 1)·(e − ē). The limit of each parameter is the smallest change (bisection) whose replay of the recorded run
/// through the same detector trips, the others as they were in that run; the torque error (1 − s)·τ is largest at the
/// torque peaks, so the motor-constant limit follows the peaks of this run's torque, not its RMS. Not real-time safe.
/// </summary>
public sealed class TripReplay
{
    private readonly double[] _e;        // recorded torque innovation, NaN marks a gap (series restarts)
    private readonly double[] _tau;      // reported torque
    private readonly double[] _tanh;     // tanh(q̇/ε)
    private readonly double[] _qd;       // q̇
    private readonly double _sigma, _bias, _rho, _k, _h, _gate;
    private readonly double _mean;

    /// <summary>Ticks the replay runs over.</summary>
    public int Count => _e.Length;

    public TripReplay(double[] innovation, double[] reportedTorque, double[] tanhVelocity, double[] velocity, JointNoise noise, ChannelThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(innovation);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(thresholds);
        _e = innovation;
        _tau = reportedTorque;
        _tanh = tanhVelocity;
        _qd = velocity;
        _sigma = noise.TorqueNm;
        _bias = noise.TorqueBiasNm;
        _rho = noise.TorqueAr1;
        _k = thresholds.CusumDrift;
        _h = thresholds.CusumThreshold;
        _gate = thresholds.GateThreshold;
        double sum = 0;
        int m = 0;
        foreach (double e in _e)
            if (double.IsFinite(e)) { sum += e; m++; }
        _mean = m > 0 ? sum / m : 0;
    }

    /// <summary>The torque channel's thresholds as the running twin derives them from <paramref name="config"/>.</summary>
    public static ChannelThresholds Thresholds(RtConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        double arl = ThresholdDerivation.AverageRunLengthTicks(config.Loop.RateHz, config.Twin.FalseAlarmEveryHours);
        return ThresholdDerivation.ForChannel(1, arl, config.Twin.MinDetectableShiftSigma);
    }

    /// <summary>What a parameter change adds to the innovation at tick t.</summary>
    public enum Change { MotorConstant, Coulomb, Viscous, Noise }

    /// <summary>
    /// The largest ratio max(CUSUM/h, z²/gate) the replay reaches with <paramref name="change"/> of size
    /// <paramref name="amount"/> (scale: the new s; Coulomb/viscous: the added value; noise: λ), <paramref name="s"/>
    /// the run's motor-constant scale. ≥ 1: the supervisor trips.
    /// </summary>
    public double PeakRatio(Change change, double amount, double s)
    {
        double up = 0, down = 0, prev = 0, peak = 0;
        bool primed = false;
        double marginal = Math.Sqrt(Math.Max(0, 1 - _rho * _rho));
        for (int t = 0; t < _e.Length; t++)
        {
            double e = _e[t];
            if (!double.IsFinite(e)) { primed = false; continue; }
            e += change switch
            {
                Change.MotorConstant => _tau[t] * (s / amount - 1),
                Change.Coulomb => amount * _tanh[t] / s,
                Change.Viscous => amount * _qd[t] / s,
                _ => (amount - 1) * (e - _mean),
            };
            double c = e - _bias;
            double z = (primed ? c - _rho * prev : c * marginal) / _sigma;
            prev = c;
            primed = true;
            up = Math.Max(0, up + z - _k);
            down = Math.Max(0, down - z - _k);
            double r = Math.Max(Math.Max(up, down) / _h, z * z / _gate);
            if (r > peak) peak = r;
        }
        return peak;
    }

    /// <summary>
    /// The value of the parameter at which the replayed run trips: current − the smallest trip-making drop of s,
    /// current + the smallest trip-making rise of F_c or B, variance × λ². NaN: not found within a physical range
    /// (no limit); the current value when the run trips as it is.
    /// </summary>
    public double Limit(Change change, double s, double current)
    {
        if (Count < 50 || !(s > 0) || !double.IsFinite(current)) return double.NaN;
        // The parameter's change as a number that grows toward the trip: scale drop, friction rise, noise factor − 1.
        double Amount(double x) => change switch
        {
            Change.MotorConstant => s - x,
            Change.Noise => 1 + x,
            _ => x,
        };
        bool Trips(double x) => PeakRatio(change, Amount(x), s) >= 1;
        if (Trips(0)) return current;
        double lo = 0, hi = change switch
        {
            Change.MotorConstant => 0.02 * s,
            Change.Noise => 0.1,
            _ => 0.1 * _sigma,
        };
        double cap = change switch
        {
            Change.MotorConstant => 0.95 * s,
            Change.Noise => 20,
            _ => 1000 * _sigma,
        };
        while (!Trips(hi))
        {
            lo = hi;
            hi *= 2;
            if (hi > cap) return double.NaN;
        }
        for (int i = 0; i < 40 && hi - lo > 1e-6 * Math.Max(hi, 1e-9); i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Trips(mid)) hi = mid; else lo = mid;
        }
        return change switch
        {
            Change.MotorConstant => current - hi,
            Change.Noise => current * (1 + hi) * (1 + hi),
            _ => current + hi,
        };
    }
}
