using MathNet.Numerics.Distributions;
using Rt.Core.Divergence;
using Rt.Twin.Models;

namespace Rt.Twin.CrossCheck;

/// <summary>
/// The slip test (issue 13: a drive that loses torque on a joint whose command stands still). The drive keeps
/// reporting the torque it commands, the joint creeps away from its target, and the drive's current rises against
/// the creep. The channel tests cannot see this. The torque channel's calibrated noise is a motion-time AR(1) with
/// ρ ≈ 0.9, and it is blind to a slow ramp. The external-torque channel is not scored in the stiction band. The
/// load-disturbance estimate absorbs the creep (docs/TWIN.md, "Torque loss at a standing joint").
/// <para>
/// Physics used: friction only opposes motion. Take a joint whose command has settled (<see cref="ServoModel.CommandSettled"/>)
/// and which is nonetheless moving in direction s, where the mean velocity over <see cref="WindowTicks"/> ticks is
/// beyond the one-sided quantile of its own noise. Friction then pushes against s. The momentum observer's external
/// torque r, computed with the model's friction, can then lean toward s only through noise and the model's errors.
/// Evidence is e = s·r̄ − |τ_f(v̄)|, with r̄ the mean of r over the same window, and the joint alarms when
/// e > z·σ_r̄ + b̄.
/// </para>
/// <para>
/// σ_r̄ is the window mean's noise. The observer is r_k = a·r_(k−1) + K_d·(p_k − p_(k−1)) − K_d·dt·β̄_k (a = e^(−K·dt),
/// <see cref="MomentumObserver"/>), and p_j = Σ_i M_ji·q̇_i carries EVERY joint's measured velocity noise n_i, not only
/// its own: a held ankle below a swept knee sees the knee's noise through M_ankle,knee (frame-loss-sine-2: the ankle's
/// own term alone put the nominal r at 0.98 of the threshold). So σ_r̄² = K_d²·Σ_i M_ji²·V_i, V_i the variance of the
/// window mean of (1 − z⁻¹)/(1 − a·z⁻¹)·n_i with n_i the calibrated AR(1) velocity noise (<see cref="Ar1Noise"/>), plus
/// the friction term's noise through β (its steepest slope, added as a standard deviation: a bound). The window mean
/// is what makes the test usable: the velocity noise is anti-correlated (ρ ≈ −0.6), so r jumps tick to tick by several
/// times its slow part, and a 7-tick mean shrinks that noise about fivefold while a torque loss (a ramp) loses 3 ticks.
/// </para>
/// <para>
/// b̄ bounds the model's error in r: per tick ε·(|τ̂| + |Σ_(i≠j) M_ji·q̈_i|) (ε = √(1 − R²) of the calibration's torque
/// fit for this joint, τ̂ the twin's torque prediction, the second term the inertial coupling of the other joints'
/// predicted accelerations: a dragged joint's model error scales with it, not with its own small torque), passed
/// through the observer's own low-pass (r's error is that filter of the per-tick error, so the filtered bound bounds
/// it) and averaged over the window. A joint without a calibrated fit is not tested. z is the one-sided Gaussian
/// quantile at the channel's false-alarm budget (1/ARL per tick); the slip gate uses the same quantile.
/// </para>
/// Construction is not real-time safe; <see cref="Evaluate"/> and <see cref="Reset"/> are real-time safe (0 bytes).
/// </summary>
public sealed class HeldSlipCheck
{
    /// <summary>Ticks in the mean velocity that establishes the slip direction, and in the mean residual.</summary>
    public const int WindowTicks = 7;

    private readonly int _n;
    private readonly int[] _model;          // config → model joint index
    private readonly double[] _vRing, _rRing, _bRing;   // WindowTicks per joint: velocity, r, filtered model-error bound
    private readonly int[] _count;
    private readonly int[] _head;
    private readonly double[] _vSum, _rSum, _bSum;
    private readonly double[] _bound;       // the model-error bound through the observer's low-pass, per joint
    private readonly double[] _sigmaMean;   // σ of the WindowTicks-mean of the stationary velocity noise
    private readonly double[] _momentumVar; // V_i: variance of the window mean of (1 − z⁻¹)/(1 − a z⁻¹) n_i
    private readonly double[] _frictionSigma; // σ of the window mean of the friction term's noise in r
    private readonly double[] _relError;    // ε per joint; NaN = not tested
    private readonly double[] _ratio;       // last tick's evidence / threshold per joint (0 when not tested)
    private readonly double[] _evidence;    // last tick's evidence per joint (NaN when not slipping)
    private readonly double[] _threshold;   // last tick's threshold per joint (NaN when not slipping)
    private readonly int[] _torqueChannel;
    private readonly double _pole, _discreteGain;

    /// <summary>
    /// Not real-time safe. <paramref name="relativeModelError"/>: ε per joint (config order), NaN or null = off;
    /// <paramref name="modelIndex"/>: config → model joint index (the mass matrix's order); <paramref name="servo"/>:
    /// the twin's servo model (config order; its friction slope enters the noise).
    /// </summary>
    public HeldSlipCheck(ChannelLayout layout, NoiseModel noise, IReadOnlyList<double>? relativeModelError, ReadOnlySpan<int> modelIndex,
        ServoModel servo, double observerGain, double periodS, double arlTicks)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(servo);
        if (!(arlTicks > 1) || !double.IsFinite(arlTicks)) throw new ArgumentOutOfRangeException(nameof(arlTicks), arlTicks, "ARL must be finite and > 1 tick");
        if (!(observerGain > 0) || !double.IsFinite(observerGain)) throw new ArgumentOutOfRangeException(nameof(observerGain), observerGain, "observer gain must be finite and > 0");
        if (!(periodS > 0) || !double.IsFinite(periodS)) throw new ArgumentOutOfRangeException(nameof(periodS), periodS, "period must be finite and > 0");
        _n = layout.JointCount;
        if (modelIndex.Length != _n) throw new ArgumentException($"{modelIndex.Length} model indices for {_n} joints", nameof(modelIndex));
        if (servo.JointCount != _n) throw new ArgumentException($"servo model of {servo.JointCount} joints for {_n}", nameof(servo));
        _model = modelIndex.ToArray();
        _vRing = new double[WindowTicks * _n];
        _rRing = new double[WindowTicks * _n];
        _bRing = new double[WindowTicks * _n];
        _count = new int[_n];
        _head = new int[_n];
        _vSum = new double[_n];
        _rSum = new double[_n];
        _bSum = new double[_n];
        _bound = new double[_n];
        _sigmaMean = new double[_n];
        _momentumVar = new double[_n];
        _frictionSigma = new double[_n];
        _relError = new double[_n];
        _ratio = new double[_n];
        _evidence = new double[_n];
        _threshold = new double[_n];
        _torqueChannel = new int[_n];
        _pole = Math.Exp(-observerGain * periodS);
        _discreteGain = (1 - _pole) / periodS;
        Z = Normal.InvCDF(0, 1, 1 - 1 / arlTicks);

        // Impulse responses on n_(k−m), truncated where the observer's pole has decayed below 1e-6 (K = 200/s: 69 ticks).
        int tail = Math.Min((int)Math.Ceiling(Math.Log(1e-6) / Math.Log(Math.Max(_pole, 1e-300))), 2000);
        int len = WindowTicks + Math.Max(tail, 1);
        var mean = new double[WindowTicks];
        var momentum = new double[len];
        var friction = new double[len];
        for (int m = 0; m < WindowTicks; m++) mean[m] = 1.0 / WindowTicks;
        for (int m = 0; m < len; m++)
        {
            double h = 0, g = 0;
            for (int t = 0; t < WindowTicks && t <= m; t++)
            {
                int d = m - t;
                // (1 − z⁻¹)/(1 − a z⁻¹): 1, (a − 1)·a^(d−1); ½(1 + z⁻¹)/(1 − a z⁻¹): ½, ½(1 + a)·a^(d−1).
                h += d == 0 ? 1 : (_pole - 1) * Math.Pow(_pole, d - 1);
                g += d == 0 ? 0.5 : 0.5 * (1 + _pole) * Math.Pow(_pole, d - 1);
            }
            momentum[m] = h / WindowTicks;
            friction[m] = g / WindowTicks;
        }
        for (int j = 0; j < _n; j++)
        {
            _torqueChannel[j] = -1;
            int velocity = -1;
            for (int c = 0; c < layout.Count; c++)
            {
                var ch = layout.Channels[c];
                if (ch.Index != j) continue;
                if (ch.Kind == ChannelKind.JointTorque) _torqueChannel[j] = c;
                else if (ch.Kind == ChannelKind.JointVelocity) velocity = c;
            }
            // Every joint's velocity noise enters the others' r through M, tested or not.
            double s = velocity < 0 ? 0 : noise.SigmaOf(velocity)[0];
            double rho = velocity < 0 ? 0 : Math.Clamp(noise.Ar1Of(velocity)[0], -NoiseModel.MaxAr1, NoiseModel.MaxAr1);
            if (!(s >= 0) || !double.IsFinite(s)) s = 0;
            _sigmaMean[j] = Math.Sqrt(Math.Max(Ar1Noise.WeightedSumVariance(mean, s, rho), 0));
            _momentumVar[j] = Math.Max(Ar1Noise.WeightedSumVariance(momentum, s, rho), 0);
            var p = servo.Parameters[j];
            double slope = p.ViscousFrictionNmsPerRad + p.CoulombFrictionNm / p.FrictionSmoothingRadS;
            _frictionSigma[j] = (1 - _pole) * slope * Math.Sqrt(Math.Max(Ar1Noise.WeightedSumVariance(friction, s, rho), 0));
            double eps = relativeModelError is not null && j < relativeModelError.Count ? relativeModelError[j] : double.NaN;
            _relError[j] = velocity < 0 || _torqueChannel[j] < 0 || !(eps >= 0) || !double.IsFinite(eps) || !(s > 0) ? double.NaN : eps;
        }
        Reset();
    }

    /// <summary>The one-sided quantile used for the slip gate and the evidence threshold, σ units.</summary>
    public double Z { get; }

    /// <summary>Whether joint <paramref name="joint"/> is tested (it has a calibrated torque fit).</summary>
    public bool Tested(int joint) => !double.IsNaN(_relError[joint]);

    /// <summary>Real-time safe. Last tick's evidence over threshold for a joint (0 when not slipping or not tested).</summary>
    public double Ratio(int joint) => _ratio[joint];

    /// <summary>Real-time safe. Last tick's evidence s·r̄ − |τ_f(v̄)| for a joint, N·m (NaN when it was not slipping).</summary>
    public double Evidence(int joint) => _evidence[joint];

    /// <summary>Real-time safe. Last tick's threshold z·σ_r̄ + b̄ for a joint, N·m (NaN when it was not slipping).</summary>
    public double Threshold(int joint) => _threshold[joint];

    /// <summary>Real-time safe. Forgets the windows (after a start, a gap or a reset).</summary>
    public void Reset()
    {
        Array.Clear(_count);
        Array.Clear(_head);
        Array.Clear(_vSum);
        Array.Clear(_rSum);
        Array.Clear(_bSum);
        Array.Clear(_ratio);
        Array.Fill(_evidence, double.NaN);
        Array.Fill(_threshold, double.NaN);
    }

    /// <summary>
    /// Real-time safe. One tick for joint <paramref name="joint"/>: <paramref name="velocity"/> the measured q̇ (NaN =
    /// bad sample: the window restarts), <paramref name="settled"/> its command stood still long enough to settle (the
    /// window restarts while it does not), <paramref name="externalTorque"/> the observer's r, <paramref name="massMatrix"/>
    /// M(q) at the observer's pose (model order, row-major n×n; may be empty while <paramref name="settled"/> is false),
    /// <paramref name="predictedAcceleration"/> the twin's q̈ for this tick (config order), <paramref name="predictedTorque"/>
    /// its torque prediction for this joint. When <paramref name="armed"/> (the joint's torque channel is scored), it
    /// raises the torque channel in <paramref name="record"/> with the ratio.
    /// </summary>
    public void Evaluate(int joint, double velocity, bool settled, bool armed, double externalTorque, ReadOnlySpan<double> massMatrix,
        ReadOnlySpan<double> predictedAcceleration, double predictedTorque, ServoModel servo, DivergenceRecord record, CrossCheckEvaluator crossCheck)
    {
        _ratio[joint] = 0;
        _evidence[joint] = double.NaN;
        _threshold[joint] = double.NaN;
        if (double.IsNaN(_relError[joint]) || !settled || !double.IsFinite(velocity) || !double.IsFinite(externalTorque)
            || massMatrix.Length < _n * _n)
        {
            _count[joint] = 0;
            _vSum[joint] = _rSum[joint] = _bSum[joint] = 0;
            return;
        }
        int n = _n, row = _model[joint] * n;
        double coupling = 0, momentumVar = 0;
        for (int i = 0; i < n; i++)
        {
            double mji = massMatrix[row + _model[i]];
            momentumVar += mji * mji * _momentumVar[i];
            if (i != joint) coupling += mji * predictedAcceleration[i];
        }
        double perTick = _relError[joint] * (Math.Abs(predictedTorque) + Math.Abs(coupling));
        if (!double.IsFinite(perTick)) perTick = 0;
        // The bound through the observer's low-pass; it starts at the first settled tick's value (what r carries from
        // before has decayed by a^(settle ticks) when the test can first fire).
        _bound[joint] = _count[joint] == 0 ? perTick : _pole * _bound[joint] + (1 - _pole) * perTick;

        int o = joint * WindowTicks, h = _head[joint];
        if (_count[joint] == WindowTicks)
        {
            _vSum[joint] -= _vRing[o + h];
            _rSum[joint] -= _rRing[o + h];
            _bSum[joint] -= _bRing[o + h];
        }
        else
        {
            if (_count[joint] == 0) _head[joint] = h = 0;
            _count[joint]++;
        }
        _vRing[o + h] = velocity;
        _rRing[o + h] = externalTorque;
        _bRing[o + h] = _bound[joint];
        _vSum[joint] += velocity;
        _rSum[joint] += externalTorque;
        _bSum[joint] += _bound[joint];
        _head[joint] = h + 1 == WindowTicks ? 0 : h + 1;
        if (_count[joint] < WindowTicks) return;

        double mean = _vSum[joint] / WindowTicks;
        if (!(Math.Abs(mean) > Z * _sigmaMean[joint])) return;
        double s = mean > 0 ? 1 : -1;
        double evidence = s * _rSum[joint] / WindowTicks - Math.Abs(servo.FrictionTorque(joint, mean));
        double sigma = _discreteGain * Math.Sqrt(momentumVar) + _frictionSigma[joint];
        double threshold = Z * sigma + _bSum[joint] / WindowTicks;
        if (!(threshold > 0) || !double.IsFinite(evidence) || !double.IsFinite(threshold)) return;
        _evidence[joint] = evidence;
        _threshold[joint] = threshold;
        double ratio = evidence / threshold;
        _ratio[joint] = ratio;
        if (!armed) return;
        int c = _torqueChannel[joint];
        if (crossCheck.IsExcluded(c)) return;
        // The channel's statistic carries the ratio too (Detector / Threshold), so whoever reads the record's ratios
        // (the isolator, the safety log) sees the slip as this channel's evidence.
        if (ratio * record.Threshold[c] > record.Detector[c]) record.Detector[c] = ratio * record.Threshold[c];
        crossCheck.RaiseOnRecord(record, c, ratio);
    }
}
