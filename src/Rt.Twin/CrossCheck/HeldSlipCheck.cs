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
/// torque r, computed with the model's friction at that speed, can then lean toward s only through the model's
/// errors. Evidence is e = s·r − |τ_f(v̄)|, and the joint alarms when e exceeds
/// </para>
/// <para>
/// z·σ_r + ε·|τ̂|, where σ_r = K·M_jj·σ_v. That is the observer's response to velocity noise: r ≈ K·(M q̇ − ∫…),
/// so the measured velocity's noise enters r as K·M_jj·n. K is the observer gain, and σ_v is the velocity channel's
/// stationary σ, σ/√(1 − ρ²). The term ε·(|τ̂| + |Σ_(i≠j) M_ji q̈_i|) is the rigid-body model's relative error:
/// ε = √(1 − R²) of the calibration's torque fit for this joint, times the predicted torque and the inertial coupling
/// from the other joints' predicted accelerations. A joint without a calibrated fit is not
/// tested. z is the one-sided Gaussian quantile at the channel's false-alarm budget (1/ARL per tick), and the slip
/// gate uses the same quantile.
/// </para>
/// Construction is not real-time safe; <see cref="Evaluate"/> and <see cref="Reset"/> are real-time safe (0 bytes).
/// </summary>
public sealed class HeldSlipCheck
{
    /// <summary>Ticks in the mean velocity that establishes the slip direction.</summary>
    public const int WindowTicks = 5;

    private readonly int _n;
    private readonly double[] _ring;        // WindowTicks per joint
    private readonly int[] _count;
    private readonly int[] _head;
    private readonly double[] _sum;
    private readonly double[] _sigmaMean;   // σ of the WindowTicks-mean of the stationary velocity noise
    private readonly double[] _sigmaV;      // stationary σ of the velocity noise
    private readonly double[] _relError;    // ε per joint; NaN = not tested
    private readonly double[] _ratio;       // last tick's evidence / threshold per joint (0 when not tested)
    private readonly int[] _torqueChannel;
    private readonly double _observerGain;

    /// <summary>Not real-time safe. <paramref name="relativeModelError"/>: ε per joint (config order), NaN or null = off.</summary>
    public HeldSlipCheck(ChannelLayout layout, NoiseModel noise, IReadOnlyList<double>? relativeModelError, double observerGain, double arlTicks)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(noise);
        if (!(arlTicks > 1) || !double.IsFinite(arlTicks)) throw new ArgumentOutOfRangeException(nameof(arlTicks), arlTicks, "ARL must be finite and > 1 tick");
        _n = layout.JointCount;
        _ring = new double[WindowTicks * _n];
        _count = new int[_n];
        _head = new int[_n];
        _sum = new double[_n];
        _sigmaMean = new double[_n];
        _sigmaV = new double[_n];
        _relError = new double[_n];
        _ratio = new double[_n];
        _torqueChannel = new int[_n];
        _observerGain = observerGain;
        Z = Normal.InvCDF(0, 1, 1 - 1 / arlTicks);
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
            double eps = relativeModelError is not null && j < relativeModelError.Count ? relativeModelError[j] : double.NaN;
            if (velocity < 0 || _torqueChannel[j] < 0 || !(eps >= 0) || !double.IsFinite(eps))
            {
                _relError[j] = double.NaN;
                continue;
            }
            _relError[j] = eps;
            double s = noise.SigmaOf(velocity)[0], rho = Math.Clamp(noise.Ar1Of(velocity)[0], -NoiseModel.MaxAr1, NoiseModel.MaxAr1);
            double stationary = s * s / (1 - rho * rho);
            // Variance of the mean of W samples of a stationary AR(1): σ²/W²·(W + 2·Σ_(m=1..W−1) (W − m)·ρ^m).
            double acc = WindowTicks, p = 1;
            for (int m = 1; m < WindowTicks; m++)
            {
                p *= rho;
                acc += 2 * (WindowTicks - m) * p;
            }
            _sigmaV[j] = Math.Sqrt(stationary);
            _sigmaMean[j] = Math.Sqrt(Math.Max(stationary * acc, 0)) / WindowTicks;
        }
    }

    /// <summary>The one-sided quantile used for the slip gate and the evidence threshold, σ units.</summary>
    public double Z { get; }

    /// <summary>Whether joint <paramref name="joint"/> is tested (it has a calibrated torque fit).</summary>
    public bool Tested(int joint) => !double.IsNaN(_relError[joint]);

    /// <summary>Real-time safe. Last tick's evidence over threshold for a joint (0 when not slipping or not tested).</summary>
    public double Ratio(int joint) => _ratio[joint];

    /// <summary>Real-time safe. Forgets the velocity windows (after a start, a gap or a reset).</summary>
    public void Reset()
    {
        Array.Clear(_count);
        Array.Clear(_head);
        Array.Clear(_sum);
        Array.Clear(_ratio);
    }

    /// <summary>
    /// Real-time safe. One tick for joint <paramref name="joint"/>: <paramref name="velocity"/> the measured q̇ (NaN =
    /// bad sample: the window restarts), <paramref name="settled"/> its command stood still long enough to settle,
    /// <paramref name="externalTorque"/> the observer's r, <paramref name="massDiagonal"/> M_jj at the current pose,
    /// <paramref name="predictedTorque"/> the twin's torque prediction for this tick, <paramref name="couplingTorque"/> the
    /// part the other joints' accelerations put on this joint (Σ_(i≠j) M_ji·q̈_i: a dragged joint's model error scales
    /// with it, not with its own small torque). When <paramref name="armed"/>
    /// (the joint's torque channel is scored), it raises the torque channel in <paramref name="record"/> with the ratio.
    /// </summary>
    public void Evaluate(int joint, double velocity, bool settled, bool armed, double externalTorque, double massDiagonal,
        double predictedTorque, double couplingTorque, ServoModel servo, DivergenceRecord record, CrossCheckEvaluator crossCheck)
    {
        _ratio[joint] = 0;
        if (!double.IsFinite(velocity))
        {
            _count[joint] = 0;
            _sum[joint] = 0;
            return;
        }
        int o = joint * WindowTicks, h = _head[joint];
        if (_count[joint] == WindowTicks) _sum[joint] -= _ring[o + h];
        else _count[joint]++;
        _ring[o + h] = velocity;
        _sum[joint] += velocity;
        _head[joint] = h + 1 == WindowTicks ? 0 : h + 1;
        if (double.IsNaN(_relError[joint]) || !settled || _count[joint] < WindowTicks) return;
        double mean = _sum[joint] / WindowTicks;
        if (!(Math.Abs(mean) > Z * _sigmaMean[joint])) return;
        double s = mean > 0 ? 1 : -1;
        double evidence = s * externalTorque - Math.Abs(servo.FrictionTorque(joint, mean));
        double threshold = Z * _observerGain * Math.Abs(massDiagonal) * _sigmaV[joint] + _relError[joint] * (Math.Abs(predictedTorque) + Math.Abs(couplingTorque));
        if (!(threshold > 0) || !double.IsFinite(evidence)) return;
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
