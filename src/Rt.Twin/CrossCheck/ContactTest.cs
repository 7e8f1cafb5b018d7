using Rt.Core.Divergence;
using Rt.Twin.Dynamics;

namespace Rt.Twin.CrossCheck;

/// <summary>
/// The contact matched filter (issue 13): a GLR test that the momentum observer's residual, on every joint of a chain
/// at once, is the torque J_pᵀF of one point force F on one link, starting at some tick of a short window.
/// <para>
/// Data: per joint the observer's per-tick external-torque input u (the external-torque channel's component). A
/// contact from onset τ steps u by s_j = J_jᵀF, with J_j = a_j × (p − o_j) for the joints between the base and the link
/// (0 elsewhere). Per joint and onset the step is estimated against the level before it,
/// d_j = mean(u_τ…u_now) − mean(u over the <see cref="ReferenceTicks"/> before τ), so a steady external torque (a
/// payload, a bias of the model) is not a contact. Under no contact d_j ~ N(0, V_j), V_j exact for the calibrated
/// AR(1) noise (σ, ρ) of that joint's channel; with g_j = d_j/V_j, h_j = 1/V_j:
/// 2 log Λ = max_F 2Fᵀv − FᵀNF = vᵀN⁻¹v, v = Σ g_j J_j, N = Σ h_j J_j J_jᵀ, F̂ = N⁻¹v.
/// With the chain's noise correlation (<see cref="ChainNoiseCovariance"/>, when the period is given) the same GLR
/// is computed on the chain whitened by the Cholesky factor of its step covariance Σ = S R S.
/// Under no contact (Σ right, Gaussian) this is χ² with d = min(3, armed joints on the chain) degrees of
/// freedom (fewer when the geometry is degenerate: then the statistic is χ² with fewer, and the threshold for d is
/// conservative). Combining the joints of a chain weighs each by its own noise: a force that loads a quiet joint a
/// little and a noisy one a lot is seen through the quiet one.
/// </para>
/// <para>
/// Threshold: the test is one more detector with the configured in-control run length ARL₀ (one false alarm per
/// <c>twin.false_alarm_every_hours</c>); its per-tick budget 1/ARL₀ is split (Bonferroni) over the candidate points and
/// the onsets tried: x_d = χ²_d upper quantile at 1/(ARL₀ · points · onsets). Derived, never tuned.
/// </para>
/// <para>
/// Joints whose external-torque channel the cross-check excludes (drive off, warm-up, the stiction band where the
/// holding friction is unknown within ±F_c) contribute nothing; armed again, a joint counts once it has a reference.
/// </para>
/// Construction is not real-time safe; <see cref="Evaluate"/> and <see cref="Reset"/> are real-time safe and
/// allocation-free (preallocated rings, candidate tables and Jacobian workspace).
/// </summary>
public sealed class ContactTest
{
    /// <summary>Onsets tried, in ticks before now (the sample at the onset is counted; 0 = a step that began this tick).</summary>
    private static readonly int[] OnsetGrid = [0, 1, 3, 6, 11, 19, 31];

    /// <summary>
    /// Ticks before the onset whose mean is the reference level: a steady external torque (a payload, a model error
    /// the noise model's bias does not cover) is not a contact; a step from that level is.
    /// </summary>
    public const int ReferenceTicks = 60;

    /// <summary>
    /// A chain whose bound Σ g²/h stays below this share of its threshold is not fitted (its fit is below the bound):
    /// <see cref="LinkRatio"/> then reads 0 for it, which is below BoundShare anyway.
    /// </summary>
    private const double BoundShare = 0.25;

    private readonly RigidBodyModel _model;
    private readonly int _n;                  // joints
    private readonly int[] _map;              // config → model
    private readonly int[] _extChannel;       // per config joint
    private readonly int[] _extOffset;        // per config joint: component offset
    private readonly double[] _sigma, _rho;   // per model joint
    private readonly double[] _invVar;        // per onset × model joint: 1/Var(step estimate) under no contact
    private readonly bool[] _onPath;          // [b·n + i]: joint i lies between the base and body b (model order)
    private readonly int[] _pathStart, _path; // per body: its chain's joints (model order) are _path[_pathStart[b] .. _pathStart[b + 1])
    private readonly int[] _candBody;
    private readonly int[] _candStart;        // per body: its candidates are _candStart[b] .. _candStart[b + 1] (grouped by body)
    private readonly ChainNoiseCovariance? _chainCov; // the chain's noise correlation from M(q); null = joints independent
    private readonly V3[] _candPoint;         // body frame
    private readonly double[] _threshold;     // per dof 1..3 (index dof)
    private readonly int _window;

    // Per model joint: ring of whitened samples, how many consecutive armed samples it holds, the last centred input.
    private readonly double[] _ring;
    private readonly int[] _count;
    private int _head;                        // next write slot (shared by all joints)

    // Workspace.
    private readonly V3[] _axis, _origin;
    private readonly M3[] _rot;
    private readonly V3[] _jac;               // per candidate × joint: J_j (world), 0 off the chain
    private readonly double[] _g, _h;         // per onset × joint
    private readonly int[] _idx;              // this chain's armed joints (model order)
    private readonly double[] _l;             // this chain's Cholesky factor of its step covariance (row-major, stride n)
    private readonly double[] _y;             // L⁻¹d: the chain's whitened step; |y|² bounds every fit on the chain
    private readonly double[] _z;             // L⁻¹J per armed joint × 3
    private readonly bool[] _jacDone;         // per candidate: J computed this tick
    private readonly bool[] _armed;           // per model joint, this tick
    private readonly double[] _linkRatio;     // per body (model order): best statistic / threshold this tick

    /// <summary>Not real-time safe: builds the candidate points and derives the thresholds.</summary>
    /// <param name="model">The twin's rigid-body model (shared with the twin; this test only calls its kinematics).</param>
    /// <param name="map">Config joint index → model joint index (<see cref="RigidBodyModel.MapJointNames"/>).</param>
    /// <param name="layout">The channel layout (for the external-torque channels).</param>
    /// <param name="noise">The calibrated noise model: σ, b and ρ of each external-torque component.</param>
    /// <param name="arlTicks">In-control run length of one detector (<see cref="CrossCheckEvaluator.ArlTicks"/>).</param>
    /// <param name="periodS">Tick period, s: &gt; 0 scores each chain with its noise correlation derived from M(q) and the
    /// velocity and torque noise (<see cref="ChainNoiseCovariance"/>); 0 treats the joints as independent.</param>
    public ContactTest(RigidBodyModel model, int[] map, ChannelLayout layout, NoiseModel noise, double arlTicks, double periodS = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(noise);
        if (!(arlTicks > 1) || !double.IsFinite(arlTicks)) throw new ArgumentOutOfRangeException(nameof(arlTicks), arlTicks, "run length must be finite and > 1 tick");
        if (!(periodS >= 0) || !double.IsFinite(periodS)) throw new ArgumentOutOfRangeException(nameof(periodS), periodS, "tick period must be finite and ≥ 0 s");
        _model = model;
        _n = layout.JointCount;
        if (map.Length != _n || model.DegreesOfFreedom != _n) throw new ArgumentException("contact test: the joint map, the layout and the model must have the same joint count");
        _map = (int[])map.Clone();
        _extChannel = new int[_n];
        _extOffset = new int[_n];
        _sigma = new double[_n];
        _rho = new double[_n];
        for (int j = 0; j < _n; j++)
        {
            int c = layout.IndexOf(ChannelKind.ExternalTorque, j);
            int o = noise.Offsets[c];
            _extChannel[j] = c;
            _extOffset[j] = o;
            int mj = _map[j];
            _sigma[mj] = noise.Sigma[o];
            _rho[mj] = noise.Ar1[o];
        }

        var parents = model.Parents;
        _onPath = model.PathMatrix();
        _pathStart = new int[_n + 1];
        var path = new List<int>();
        for (int b = 0; b < _n; b++)
        {
            _pathStart[b] = path.Count;
            for (int i = 0; i < _n; i++)
                if (_onPath[b * _n + i]) path.Add(i);
        }
        _pathStart[_n] = path.Count;
        _path = [.. path];

        // Candidate points per body (body frame): the centre of mass (where a push on the link's middle acts) and the
        // far end (each child joint's origin; a leaf: twice its centre of mass, the tip of a foot).
        var pi = new double[model.ParameterCount];
        model.GetInertialParameters(pi);
        var tree = model.TreeOrigins;
        var bodies = new List<int>();
        var points = new List<V3>();
        _candStart = new int[_n + 1];
        for (int b = 0; b < _n; b++)
        {
            _candStart[b] = bodies.Count;
            double m = pi[10 * b];
            var com = m > 0 ? new V3(pi[10 * b + 1] / m, pi[10 * b + 2] / m, pi[10 * b + 3] / m) : V3.Zero;
            bodies.Add(b);
            points.Add(com);
            bool leaf = true;
            for (int c = 0; c < _n; c++)
            {
                if (parents[c] != b) continue;
                leaf = false;
                bodies.Add(b);
                points.Add(tree[c]);
            }
            if (leaf)
            {
                bodies.Add(b);
                points.Add(com * 2);
            }
        }
        _candStart[_n] = bodies.Count;
        _candBody = [.. bodies];
        _candPoint = [.. points];

        _window = OnsetGrid[^1] + 1 + ReferenceTicks;
        _invVar = new double[OnsetGrid.Length * _n];
        for (int o = 0; o < OnsetGrid.Length; o++)
            for (int j = 0; j < _n; j++)
                _invVar[o * _n + j] = 1 / StepVariance(_sigma[j], _rho[j], OnsetGrid[o] + 1, ReferenceTicks);
        double perTest = 1 / (arlTicks * _candBody.Length * OnsetGrid.Length);
        _threshold = new double[4];
        for (int d = 1; d <= 3; d++) _threshold[d] = ThresholdDerivation.ChiSquareUpperQuantile(d, perTest);
        ArlTicks = arlTicks;

        _ring = new double[_n * _window];
        _count = new int[_n];
        _axis = new V3[_n];
        _origin = new V3[_n];
        _rot = new M3[_n];
        _jac = new V3[_candBody.Length * _n];
        _g = new double[OnsetGrid.Length * _n];
        _h = new double[OnsetGrid.Length * _n];
        _idx = new int[_n];
        _l = new double[_n * _n];
        _y = new double[_n];
        _z = new double[_n * 3];
        if (periodS > 0)
        {
            var after = new int[OnsetGrid.Length];
            for (int o = 0; o < after.Length; o++) after[o] = OnsetGrid[o] + 1;
            _chainCov = new ChainNoiseCovariance(model, _map, layout, noise, periodS, after, ReferenceTicks);
        }
        _jacDone = new bool[_candBody.Length];
        _armed = new bool[_n];
        _linkRatio = new double[_n];
        BestBody = -1;
    }

    /// <summary>
    /// Whether an alarm is OR-ed into the record (default false: the fit is published for isolation only). With
    /// independent joints the armed test fired on nominal noise (the observer's noise is correlated along a chain
    /// through M(q)); with the modelled chain covariance it is quiet on the bench but still fires on the synthetic
    /// twin's nominal noise and slow payload (docs/TWIN.md "Contact test"): arm it once the chain covariance is
    /// calibrated rather than modelled. Not real-time safe to change while the tick runs.
    /// </summary>
    public bool Alarm { get; set; }

    /// <summary>In-control run length the thresholds were derived for, ticks.</summary>
    public double ArlTicks { get; }

    /// <summary>Candidate contact points (all links).</summary>
    public int CandidateCount => _candBody.Length;

    /// <summary>Onsets tried per tick.</summary>
    public static int OnsetCount => OnsetGrid.Length;

    /// <summary>The threshold on the statistic for <paramref name="dof"/> (1…3) degrees of freedom.</summary>
    public double Threshold(int dof) => _threshold[Math.Clamp(dof, 1, 3)];

    /// <summary>This tick's best fit: statistic over its threshold (alarm above 1). Real-time safe.</summary>
    public double Ratio { get; private set; }

    /// <summary>This tick's best fit: the χ² statistic, its threshold and degrees of freedom.</summary>
    public double Statistic { get; private set; }
    public double StatisticThreshold { get; private set; }
    public int Dof { get; private set; }

    /// <summary>This tick's best fit: the body (model order, the model's <see cref="RigidBodyModel.BodyNames"/>), −1 = none.</summary>
    public int BestBody { get; private set; }

    /// <summary>This tick's best fit: the fitted force (world frame, N) and its point (world frame, m).</summary>
    internal V3 Force { get; private set; }
    internal V3 Point { get; private set; }

    /// <summary>This tick's best fit: the fitted force (world frame, N).</summary>
    public (double X, double Y, double Z) ForceN => (Force.X, Force.Y, Force.Z);

    /// <summary>This tick's best fit: the point of the force (world frame, m).</summary>
    public (double X, double Y, double Z) PointM => (Point.X, Point.Y, Point.Z);

    /// <summary>This tick's best fit: the onset, ticks before now.</summary>
    public int OnsetTicksAgo { get; private set; }

    /// <summary>This tick's best fit: the config joint whose external torque carries most of the fit (−1 = none).</summary>
    public int MainJoint { get; private set; }

    /// <summary>
    /// Per body (model order): this tick's best statistic/threshold over its points and the onsets (for isolation);
    /// 0 for a link whose chain could not reach a quarter of its threshold (not fitted). Real-time safe.
    /// </summary>
    public ReadOnlySpan<double> LinkRatio => _linkRatio;

    /// <summary>Real-time safe. Forget every series (after a reset or a bus gap).</summary>
    public void Reset()
    {
        Array.Clear(_count);
        Array.Clear(_linkRatio);
        Ratio = 0;
        Statistic = 0;
        BestBody = -1;
        MainJoint = -1;
    }

    /// <summary>
    /// Real-time safe, allocation-free. One tick: <paramref name="qModel"/> the joint positions in model order,
    /// <paramref name="components"/> the cross-check's innovation components (the external-torque components are read),
    /// <paramref name="crossCheck"/> tells which external-torque channels are armed. When <paramref name="armed"/> and the
    /// best fit is over its threshold, the alarm is OR-ed into <paramref name="record"/> on the external-torque channel of
    /// the joint that carries most of the fit. Returns the best ratio.
    /// </summary>
    public double Evaluate(ReadOnlySpan<double> qModel, ReadOnlySpan<double> components, CrossCheckEvaluator crossCheck,
        bool armed, DivergenceRecord? record)
    {
        int n = _n, w = _window;
        int slot = _head;
        _head = _head + 1 == w ? 0 : _head + 1;
        bool anyArmed = false;
        for (int j = 0; j < n; j++)
        {
            int mj = _map[j];
            double u = components[_extOffset[j]];
            bool on = armed && !crossCheck.IsExcluded(_extChannel[j]) && double.IsFinite(u);
            if (!on)
            {
                _count[mj] = 0;
                _armed[mj] = false;
                continue;
            }
            _ring[mj * w + slot] = u;
            if (_count[mj] < w) _count[mj]++;
            _armed[mj] = true;
            anyArmed = true;
        }
        Array.Clear(_linkRatio);
        Ratio = 0;
        Statistic = 0;
        BestBody = -1;
        MainJoint = -1;
        if (!anyArmed) return 0;

        // Per onset and joint: the step d = mean(u since the onset) − mean(u over the reference before it), g = d/V and
        // h = 1/V with V its exact variance under a stationary AR(1) (prepared per joint and onset).
        int nOnset = OnsetGrid.Length, refTicks = ReferenceTicks;
        for (int j = 0; j < n; j++)
        {
            int cnt = _count[j];
            double after = 0, before = 0;
            int idx = slot, m = 0;
            for (int o = 0; o < nOnset; o++)
            {
                int na = OnsetGrid[o] + 1;
                if (!_armed[j] || na + refTicks > cnt)
                {
                    _g[o * n + j] = 0;
                    _h[o * n + j] = 0;
                    continue;
                }
                while (m < na)
                {
                    after += _ring[j * w + idx];
                    idx = idx == 0 ? w - 1 : idx - 1;
                    m++;
                }
                // The reference: the refTicks samples before the onset (idx is the newest of them).
                before = 0;
                int r = idx;
                for (int k = 0; k < refTicks; k++)
                {
                    before += _ring[j * w + r];
                    r = r == 0 ? w - 1 : r - 1;
                }
                double d = after / na - before / refTicks;
                double h = _invVar[o * n + j];
                _g[o * n + j] = d * h;
                _h[o * n + j] = h;
            }
        }

        _chainCov?.Update(qModel);
        _model.JointAxesWorld(qModel, _axis, _origin, _rot);
        Array.Clear(_jacDone);
        double bestRatio = 0;
        int bestC = -1, bestO = 0;
        for (int o = 0; o < nOnset; o++)
        {
            for (int b = 0; b < n; b++)
            {
                if (_candStart[b] == _candStart[b + 1]) continue;
                // The fit projects the chain's whitened step y onto ≤ 3 directions, so |y|² bounds it: a chain that
                // cannot reach BoundShare of its threshold (nothing there, the common case) is not fitted.
                int joints = PrepareChain(o, b, out double bound);
                if (joints == 0) continue;
                double thr = _threshold[Math.Min(3, joints)];
                if (bound < BoundShare * thr || bound <= bestRatio * thr) continue;
                for (int c = _candStart[b]; c < _candStart[b + 1]; c++)
                {
                    if (!_jacDone[c])
                    {
                        var p = _origin[b] + _rot[b].Mul(_candPoint[c]);
                        for (int k = _pathStart[b]; k < _pathStart[b + 1]; k++)
                        {
                            int j = _path[k];
                            _jac[c * n + j] = V3.Cross(_axis[j], p - _origin[j]);
                        }
                        _jacDone[c] = true;
                    }
                    double stat = Fit(c, joints, out _, out int dof);
                    if (dof == 0) continue;
                    double ratio = stat / _threshold[dof];
                    if (ratio > _linkRatio[b]) _linkRatio[b] = ratio;
                    if (ratio > bestRatio)
                    {
                        bestRatio = ratio;
                        bestC = c;
                        bestO = o;
                    }
                }
            }
        }
        if (bestC < 0) return 0;
        Statistic = Fit(bestC, PrepareChain(bestO, _candBody[bestC], out _), out var force, out int bestDof);
        Dof = bestDof;
        StatisticThreshold = _threshold[bestDof];
        Ratio = bestRatio;
        BestBody = _candBody[bestC];
        Force = force;
        Point = _origin[BestBody] + _rot[BestBody].Mul(_candPoint[bestC]);
        OnsetTicksAgo = OnsetGrid[bestO];
        // The joint carrying most of the fit: the largest h_j·(J_jᵀF)² (its share of the explained statistic).
        double most = -1;
        int mainModel = -1;
        for (int k = _pathStart[BestBody]; k < _pathStart[BestBody + 1]; k++)
        {
            int mj = _path[k];
            double s = V3.Dot(_jac[bestC * n + mj], force);
            double e = _h[bestO * n + mj] * s * s;
            if (e > most && _h[bestO * n + mj] > 0)
            {
                most = e;
                mainModel = mj;
            }
        }
        for (int j = 0; j < n; j++)
            if (_map[j] == mainModel) MainJoint = j;
        if (Alarm && armed && record is not null && MainJoint >= 0) crossCheck.RaiseOnRecord(record, _extChannel[MainJoint], bestRatio);
        return bestRatio;
    }

    /// <summary>
    /// Var(mean of the last <paramref name="after"/> samples − mean of the <paramref name="reference"/> before them) for
    /// a stationary AR(1) series with innovation σ and lag-1 ρ: wᵀΣw with Σ_ik = σ²/(1 − ρ²)·ρ^|i−k|. Not real-time safe.
    /// </summary>
    internal static double StepVariance(double sigma, double rho, int after, int reference)
    {
        var w = new double[after + reference];
        for (int i = 0; i < w.Length; i++) w[i] = i < after ? 1.0 / after : -1.0 / reference;
        return Ar1Noise.WeightedSumVariance(w, sigma, rho);
    }

    /// <summary>
    /// Real-time safe. The chain of body <paramref name="b"/> at onset <paramref name="o"/>: its armed joints, the
    /// Cholesky factor L of their step covariance Σ = S R S (S the calibrated per-joint step σ, R the modelled
    /// correlation, identity without a chain covariance) and y = L⁻¹d. Returns the joint count; |y|² into
    /// <paramref name="bound"/>. A factorisation that fails (not positive definite in floating point) falls back to
    /// independent joints for this chain.
    /// </summary>
    private int PrepareChain(int o, int b, out double bound)
    {
        int n = _n, k = 0;
        for (int p = _pathStart[b]; p < _pathStart[b + 1]; p++)
        {
            int j = _path[p];
            if (_h[o * n + j] > 0) _idx[k++] = j;
        }
        bound = 0;
        if (k == 0) return 0;
        if (_chainCov is null || !Cholesky(o, k, correlated: true)) Cholesky(o, k, correlated: false);
        for (int a = 0; a < k; a++)
        {
            int ja = _idx[a];
            double s = _g[o * n + ja] / _h[o * n + ja];
            for (int c = 0; c < a; c++) s -= _l[a * n + c] * _y[c];
            _y[a] = s / _l[a * n + a];
            bound += _y[a] * _y[a];
        }
        if (!double.IsFinite(bound)) bound = 0;
        return k;
    }

    private bool Cholesky(int o, int k, bool correlated)
    {
        int n = _n;
        for (int a = 0; a < k; a++)
        {
            int ja = _idx[a];
            double sa = 1 / Math.Sqrt(_h[o * n + ja]);
            for (int c = 0; c <= a; c++)
            {
                int jc = _idx[c];
                double sc = 1 / Math.Sqrt(_h[o * n + jc]);
                double s = a == c ? sa * sa : correlated ? _chainCov!.Correlation(o, ja, jc) * sa * sc : 0;
                for (int m = 0; m < c; m++) s -= _l[a * n + m] * _l[c * n + m];
                if (a == c)
                {
                    // A pivot under 1e-9 of the joint's own variance: the model says this joint is (nearly) determined
                    // by the others; trusting that would make the test arbitrarily sensitive to the model's error.
                    if (!(s > 1e-9 * sa * sa)) return false;
                    _l[a * n + a] = Math.Sqrt(s);
                }
                else _l[a * n + c] = s / _l[c * n + c];
            }
        }
        return true;
    }

    /// <summary>vᵀN⁻¹v for candidate <paramref name="c"/> on the chain <see cref="PrepareChain"/> prepared (v = ZᵀY, N = ZᵀZ, Z = L⁻¹J); the fitted force; the dof (armed joints on the chain, at most 3).</summary>
    private double Fit(int c, int joints, out V3 force, out int dof)
    {
        int n = _n;
        double vx = 0, vy = 0, vz = 0, nxx = 0, nxy = 0, nxz = 0, nyy = 0, nyz = 0, nzz = 0;
        for (int a = 0; a < joints; a++)
        {
            var J = _jac[c * n + _idx[a]];
            double zx = J.X, zy = J.Y, zz = J.Z;
            for (int m = 0; m < a; m++)
            {
                double lam = _l[a * n + m];
                zx -= lam * _z[3 * m];
                zy -= lam * _z[3 * m + 1];
                zz -= lam * _z[3 * m + 2];
            }
            double inv = 1 / _l[a * n + a];
            zx *= inv; zy *= inv; zz *= inv;
            _z[3 * a] = zx; _z[3 * a + 1] = zy; _z[3 * a + 2] = zz;
            double y = _y[a];
            vx += y * zx; vy += y * zy; vz += y * zz;
            nxx += zx * zx; nxy += zx * zy; nxz += zx * zz;
            nyy += zy * zy; nyz += zy * zz; nzz += zz * zz;
        }
        dof = Math.Min(3, joints);
        force = V3.Zero;
        if (dof == 0) return 0;
        // Ridge: v lies in N's range (v = Σ g J, N = Σ h J Jᵀ), so a tiny ridge gives vᵀN⁺v for a rank-deficient N.
        double ridge = 1e-9 * (nxx + nyy + nzz) + 1e-300;
        nxx += ridge; nyy += ridge; nzz += ridge;
        // Cholesky of the 3×3 symmetric positive-definite N.
        double l00 = Math.Sqrt(nxx);
        double l10 = nxy / l00, l20 = nxz / l00;
        double d11 = nyy - l10 * l10;
        if (!(d11 > 0)) return 0;
        double l11 = Math.Sqrt(d11);
        double l21 = (nyz - l20 * l10) / l11;
        double d22 = nzz - l20 * l20 - l21 * l21;
        if (!(d22 > 0)) return 0;
        double l22 = Math.Sqrt(d22);
        // Forward: L y = v; stat = |y|²; back: Lᵀ F = y.
        double y0 = vx / l00;
        double y1 = (vy - l10 * y0) / l11;
        double y2 = (vz - l20 * y0 - l21 * y1) / l22;
        double fz = y2 / l22;
        double fy = (y1 - l21 * fz) / l11;
        double fx = (y0 - l10 * fy - l20 * fz) / l00;
        force = new V3(fx, fy, fz);
        double stat = y0 * y0 + y1 * y1 + y2 * y2;
        return double.IsFinite(stat) ? stat : 0;
    }
}
