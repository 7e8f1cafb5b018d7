using Rt.Core.Divergence;
using Rt.Twin.Dynamics;

namespace Rt.Twin.CrossCheck;

/// <summary>
/// The noise covariance, across the joints of a chain, of the contact test's step estimate (issue 13), derived from the
/// model each tick — not estimated from the run it scores.
/// <para>
/// Why: the observer's per-tick input is u_k = (p_k − p_(k−1))/dt − β̄_k with p = M(q)q̇ and β̄ the trapezoid of the
/// measured motor torque (see <see cref="Models.MomentumObserver"/>). Velocity noise e enters every joint of a chain
/// through M(q): u's noise is M(e_k − e_(k−1))/dt − ½(ε_k + ε_(k−1)) (ε the torque noise), so hip pitch and knee see
/// the same velocity noise (measured on the bench: correlation 1.00). For a linear step estimate d = Σ w_i u_(k−i)
/// (the contact test's mean since the onset minus the mean before it) and per-joint AR(1) noise (σ, ρ) of the velocity
/// and torque channels (the calibrated noise model), Cov(d) = M D_v M + D_τ, D_v and D_τ diagonal with the exact
/// AR(1) variance of the differenced / averaged weights.
/// </para>
/// <para>
/// Used as a correlation only: the contact test keeps each joint's calibrated step variance (its own AR(1) σ, ρ of the
/// external-torque channel, which also holds the model errors) on the diagonal and takes the correlation between
/// joints from this model, Σ = S R S. The torque term keeps R positive definite.
/// </para>
/// Construction is not real-time safe; <see cref="Update"/> and <see cref="Correlation"/> are real-time safe and
/// allocation-free.
/// </summary>
public sealed class ChainNoiseCovariance
{
    private readonly RigidBodyModel _model;
    private readonly int _n, _onsets;
    private readonly double[] _cv, _ct;       // per onset × model joint: velocity (through M, /dt² included) and torque variance factors
    private readonly double[] _mass;          // M(q), row-major n×n, this tick
    private readonly double[] _cov;           // per onset × n × n: this tick's covariance (ancestor pairs only)
    private readonly double[] _corr;          // per onset × n × n: this tick's correlation (ancestor pairs only)
    private readonly int[] _pairJ, _pairK;    // joint pairs on a common chain (j ancestor of or equal to k)

    /// <summary>Not real-time safe.</summary>
    /// <param name="model">The twin's rigid-body model (its mass matrix is computed each tick).</param>
    /// <param name="map">Config joint index → model joint index.</param>
    /// <param name="layout">The channel layout (velocity and torque channels of each joint).</param>
    /// <param name="noise">The calibrated noise model (σ and lag-1 ρ of each joint's velocity and torque).</param>
    /// <param name="periodS">Tick period, s.</param>
    /// <param name="after">Per onset: samples since the onset (the step's mean).</param>
    /// <param name="reference">Samples before the onset (the reference mean).</param>
    public ChainNoiseCovariance(RigidBodyModel model, int[] map, ChannelLayout layout, NoiseModel noise, double periodS,
        ReadOnlySpan<int> after, int reference)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(noise);
        if (!(periodS > 0) || !double.IsFinite(periodS)) throw new ArgumentOutOfRangeException(nameof(periodS), periodS, "tick period must be finite and > 0 s");
        if (reference < 1) throw new ArgumentOutOfRangeException(nameof(reference), reference, "reference must be ≥ 1 sample");
        _model = model;
        _n = layout.JointCount;
        if (map.Length != _n || model.DegreesOfFreedom != _n) throw new ArgumentException("chain covariance: the joint map, the layout and the model must have the same joint count");
        _onsets = after.Length;
        int n = _n;
        _cv = new double[_onsets * n];
        _ct = new double[_onsets * n];
        for (int j = 0; j < n; j++)
        {
            int mj = map[j];
            var (sv, rv) = Channel(layout, noise, ChannelKind.JointVelocity, j);
            var (st, rt) = Channel(layout, noise, ChannelKind.JointTorque, j);
            for (int o = 0; o < _onsets; o++)
            {
                _cv[o * n + mj] = sv * sv * FilteredVariance(rv, after[o], reference, velocity: true) / (periodS * periodS);
                _ct[o * n + mj] = st * st * FilteredVariance(rt, after[o], reference, velocity: false);
            }
        }
        var parents = model.Parents;
        var pj = new List<int>();
        var pk = new List<int>();
        for (int k = 0; k < n; k++)
            for (int j = k; j >= 0; j = parents[j])
            {
                pj.Add(j);
                pk.Add(k);
            }
        _pairJ = [.. pj];
        _pairK = [.. pk];
        _mass = new double[n * n];
        _cov = new double[_onsets * n * n];
        _corr = new double[_onsets * n * n];
    }

    /// <summary>Real-time safe, allocation-free. This tick's covariance at <paramref name="qModel"/> (model order).</summary>
    public void Update(ReadOnlySpan<double> qModel)
    {
        int n = _n;
        _model.MassMatrix(qModel, _mass);
        for (int o = 0; o < _onsets; o++)
        {
            int baseO = o * n * n, cvO = o * n;
            for (int p = 0; p < _pairJ.Length; p++)
            {
                int j = _pairJ[p], k = _pairK[p];
                double s = j == k ? _ct[cvO + j] : 0;
                int rj = j * n, rk = k * n;
                for (int l = 0; l < n; l++) s += _mass[rj + l] * _cv[cvO + l] * _mass[rk + l];
                _cov[baseO + rj + k] = s;
                _cov[baseO + rk + j] = s;
            }
            for (int p = 0; p < _pairJ.Length; p++)
            {
                int j = _pairJ[p], k = _pairK[p];
                double vj = _cov[baseO + j * n + j], vk = _cov[baseO + k * n + k];
                double r = j == k ? 1 : vj > 0 && vk > 0 ? _cov[baseO + j * n + k] / Math.Sqrt(vj * vk) : 0;
                r = double.IsFinite(r) ? Math.Clamp(r, -1, 1) : 0;
                _corr[baseO + j * n + k] = r;
                _corr[baseO + k * n + j] = r;
            }
        }
    }

    /// <summary>
    /// Real-time safe. The correlation of joints <paramref name="j"/> and <paramref name="k"/> (model order, one an
    /// ancestor of the other, or equal) for onset <paramref name="onset"/>, as of the last <see cref="Update"/>;
    /// 0 when either has no modelled noise.
    /// </summary>
    public double Correlation(int onset, int j, int k) => _corr[onset * _n * _n + j * _n + k];

    /// <summary>The modelled covariance entry (N·m)² as of the last <see cref="Update"/> (tests, tools). Real-time safe.</summary>
    public double Covariance(int onset, int j, int k) => _cov[onset * _n * _n + j * _n + k];

    private static (double Sigma, double Rho) Channel(ChannelLayout layout, NoiseModel noise, ChannelKind kind, int joint)
    {
        int c = layout.IndexOf(kind, joint);
        if (c < 0) return (0, 0);
        int o = noise.Offsets[c];
        double s = noise.Sigma[o], r = noise.Ar1[o];
        if (!(s > 0) || !double.IsFinite(s)) return (0, 0);
        if (!double.IsFinite(r) || Math.Abs(r) >= 1) r = 0;
        return (s, r);
    }

    /// <summary>
    /// Variance of Σ_m c_m e_(k−m) for unit-innovation stationary AR(1) e (lag-1 ρ), where the step's weights on u are
    /// w_i = 1/after (i &lt; after), −1/reference (after ≤ i &lt; after + reference) and u carries e as
    /// e_k − e_(k−1) (velocity) or ½(e_k + e_(k−1)) (torque): c_m = w_m ∓ w_(m−1). Not real-time safe.
    /// </summary>
    internal static double FilteredVariance(double rho, int after, int reference, bool velocity)
    {
        int len = after + reference;
        var c = new double[len + 1];
        for (int m = 0; m <= len; m++)
        {
            double wm = m < len ? W(m) : 0, wp = m > 0 ? W(m - 1) : 0;
            c[m] = velocity ? wm - wp : 0.5 * (wm + wp);
        }
        return Ar1Noise.WeightedSumVariance(c, 1, rho);

        double W(int i) => i < after ? 1.0 / after : -1.0 / reference;
    }
}
