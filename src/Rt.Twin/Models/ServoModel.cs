namespace Rt.Twin.Models;

/// <summary>
/// Per-joint discrete servo model (see <see cref="ServoParameters"/>): predicts next tick's position and velocity,
/// and the acceleration there, from the current state and the delayed command. The continuous model is discretised
/// exactly for a command held over the tick (zero-order hold, matrix exponential at prepare time), so the prediction
/// has no integration error at any bandwidth.
/// <para>
/// Timing contract: call <see cref="Predict"/> once per tick with the command most recently computed by the
/// controller (at twin time in tick k that is the command of tick k−1, which the drives apply over [k, k+1]).
/// The model keeps the last <see cref="MaxDelayTicks"/> commands; with delay d it uses the command of tick k−d.
/// </para>
/// Construction is not real-time safe; <see cref="Predict"/> and <see cref="FrictionTorque"/> are real-time safe.
/// Joint order is whatever order the parameters were given in (the twin uses the config's joint order).
/// </summary>
public sealed class ServoModel
{
    /// <summary>Longest supported transport delay, ticks.</summary>
    public const int MaxDelayTicks = 8;

    private readonly int _n;
    private readonly double[] _ad;   // 4 per joint: Ad row-major (2×2)
    private readonly double[] _bd;   // 4 per joint: Bd row-major (2 states × [u, v_ff])
    private readonly double[] _w2G, _w2, _zw2Kv, _zw2;
    private readonly int[] _delay;
    private readonly double[] _fc, _fv, _invEps;
    private readonly double[] _fc0, _fv0;            // calibrated friction (what the friction scales multiply)
    private readonly double[] _historyU, _historyV; // ring: MaxDelayTicks per joint
    private readonly double[] _appliedU, _appliedV; // command applied over the previous interval
    private readonly double[] _dist;                 // estimated load-disturbance acceleration d per joint, rad/s²
    private readonly double[] _distSensitivity;      // ∂q̇_(k+1)/∂d over one tick, s
    private readonly double[] _lastU, _lastDu;       // latest target and its last change (command standing still)
    private readonly double[] _stillVelocity;        // per joint: a command slower than this stands still, rad/s
    private readonly int[] _stillTicks, _settleTicks;
    private readonly double[] _creepLastQ, _creep;  // per joint: last position estimate, mean position change per tick
    private bool _creepPrimed;
    private int _head;
    private bool _primed;

    public ServoModel(IReadOnlyList<ServoParameters> joints, double periodS)
    {
        ArgumentNullException.ThrowIfNull(joints);
        if (!(periodS > 0) || !double.IsFinite(periodS)) throw new ArgumentOutOfRangeException(nameof(periodS), periodS, "tick period must be > 0");
        _n = joints.Count;
        PeriodS = periodS;
        Parameters = [.. joints];
        _ad = new double[4 * _n];
        _bd = new double[4 * _n];
        _w2G = new double[_n];
        _w2 = new double[_n];
        _zw2Kv = new double[_n];
        _zw2 = new double[_n];
        _delay = new int[_n];
        _fc = new double[_n];
        _fv = new double[_n];
        _invEps = new double[_n];
        _fc0 = new double[_n];
        _fv0 = new double[_n];
        _historyU = new double[MaxDelayTicks * _n];
        _historyV = new double[MaxDelayTicks * _n];
        _appliedU = new double[_n];
        _appliedV = new double[_n];
        _dist = new double[_n];
        _distSensitivity = new double[_n];
        _lastU = new double[_n];
        _lastDu = new double[_n];
        _stillVelocity = new double[_n];
        _stillTicks = new int[_n];
        _settleTicks = new int[_n];
        _creepLastQ = new double[_n];
        _creep = new double[_n];
        Span<double> aug = stackalloc double[16];
        Span<double> exp = stackalloc double[16];
        for (int j = 0; j < _n; j++)
        {
            var p = joints[j];
            p.Validate("servo parameters", $"joints[{j}]");
            double w = p.NaturalFrequencyRadS, z = p.DampingRatio;
            _w2[j] = w * w;
            _w2G[j] = w * w * p.Gain;
            _zw2[j] = 2 * z * w;
            _zw2Kv[j] = 2 * z * w * p.VelocityFeedforwardGain;
            _delay[j] = p.DelayTicks;
            _fc[j] = p.CoulombFrictionNm;
            _fv[j] = p.ViscousFrictionNmsPerRad;
            _fc0[j] = _fc[j];
            _fv0[j] = _fv[j];
            _invEps[j] = 1 / p.FrictionSmoothingRadS;
            // ẋ = A x + B [u, v]:  A = [[0, 1], [−ω², −2ζω]],  B = [[0, 0], [ω²G, 2ζωK_v]].
            // exp([[A, B], [0, 0]]·dt) = [[Ad, Bd], [0, I]].
            aug.Clear();
            aug[0 * 4 + 1] = 1;
            aug[1 * 4 + 0] = -_w2[j];
            aug[1 * 4 + 1] = -_zw2[j];
            aug[1 * 4 + 2] = _w2G[j];
            aug[1 * 4 + 3] = _zw2Kv[j];
            for (int k = 0; k < 16; k++) aug[k] *= periodS;
            MatrixExp4(aug, exp);
            _ad[4 * j + 0] = exp[0];
            _ad[4 * j + 1] = exp[1];
            _ad[4 * j + 2] = exp[4];
            _ad[4 * j + 3] = exp[5];
            _bd[4 * j + 0] = exp[2];
            _bd[4 * j + 1] = exp[3];
            _bd[4 * j + 2] = exp[6];
            _bd[4 * j + 3] = exp[7];
            // d enters like a command offset d/(ω²G) (same input column), so its one-tick velocity gain is Bd_u/(ω²G).
            _distSensitivity[j] = _bd[4 * j + 2] / _w2G[j];
            // Settled: five time constants of the loop's slowest pole after the command stopped (plus its delay).
            double slowPole = z >= 1 ? w * (z - Math.Sqrt(z * z - 1)) : z * w;
            // A loop without a stable slow pole (0, negative or NaN from degenerate parameters) never counts as settled:
            // the held prediction is then never used, rather than an int overflow making every command "settled".
            double settle = slowPole > 0 ? Math.Ceiling(5 / (slowPole * periodS)) : double.PositiveInfinity;
            _settleTicks[j] = p.DelayTicks + (int)Math.Min(settle, int.MaxValue / 2);
            _stillVelocity[j] = Math.Min(StillCommandVelocityRadS, p.FrictionSmoothingRadS);
        }
    }

    /// <summary>
    /// A command moving slower than this (or the joint's Coulomb smoothing velocity, if smaller) stands still, rad/s:
    /// the twin's stiction band (<c>DigitalTwinOptions.StictionBandRadS</c>' default).
    /// </summary>
    public const double StillCommandVelocityRadS = 0.02;

    /// <summary>
    /// A standing command whose velocity changes by less than this per tick, rad/s² (a sweep's or a multi-sine's
    /// reversal: ≥ 30 rad/s² on the bench, several rad/s² in a calibration run's).
    /// </summary>
    public const double StillCommandAccelerationRadS2 = 1.0;

    /// <summary>
    /// Real-time safe. Joint <paramref name="joint"/>'s command (target position, and velocity feed-forward when given)
    /// has stood still long enough for its loop to settle (five time constants of the slowest pole plus the delay):
    /// the drive is then only holding, and a joint in its stiction band is held by static friction (stick-slip, issue 13
    /// item 5). A step of the target, a sweep's reversal or a moving command restarts the count.
    /// </summary>
    public bool CommandSettled(int joint) => _stillTicks[joint] >= _settleTicks[joint];

    /// <summary>Ticks joint <paramref name="joint"/>'s command must stand still to count as settled. Real-time safe.</summary>
    public int SettleTicks(int joint) => _settleTicks[joint];

    public int JointCount => _n;
    public double PeriodS { get; }
    public IReadOnlyList<ServoParameters> Parameters { get; }

    /// <summary>Forgets the command history (next <see cref="Predict"/> fills it with its command). Real-time safe.</summary>
    public void Reset()
    {
        _primed = false;
        _head = 0;
        Array.Clear(_dist);
        Array.Clear(_stillTicks);
        Array.Clear(_creep);
        _creepPrimed = false;
    }

    /// <summary>
    /// Share of each tick's position change that the creep estimate takes (<see cref="TrackCreep"/>): an average over
    /// ≈ 10 ticks. The stick-slip chatter of a held joint reverses from tick to tick; a slip below the stiction band
    /// (a joint dragged by its neighbours) persists for tens of ticks.
    /// </summary>
    public const double CreepSmoothing = 0.1;

    /// <summary>
    /// Real-time safe. Feeds this tick's position estimates (the twin's corrected state) to the creep estimate of
    /// every joint: the mean position change per tick, c ← c + a·((q_k − q_(k−1)) − c), a = <see cref="CreepSmoothing"/>.
    /// <paramref name="continued"/> false (a start, or the first fresh tick after a bus gap, whose change spans the
    /// gap) restarts it at 0 from these positions. A non-finite position leaves a joint's estimate as it is, and its
    /// next finite one restarts it (that change spans the gap).
    /// </summary>
    public void TrackCreep(ReadOnlySpan<double> q, bool continued)
    {
        if (q.Length != _n) ThrowLengths();
        bool restart = !continued || !_creepPrimed;
        for (int j = 0; j < _n; j++)
        {
            double x = q[j];
            if (!double.IsFinite(x))
            {
                _creepLastQ[j] = double.NaN;
                continue;
            }
            if (restart || !double.IsFinite(_creepLastQ[j])) _creep[j] = 0;
            else _creep[j] += CreepSmoothing * (x - _creepLastQ[j] - _creep[j]);
            _creepLastQ[j] = x;
        }
        _creepPrimed = true;
    }

    /// <summary>Joint <paramref name="joint"/>'s creep estimate: its mean position change per tick, rad. Real-time safe.</summary>
    public double Creep(int joint) => _creep[joint];

    /// <summary>
    /// Real-time safe. Where joint <paramref name="joint"/>, held by static friction (in its stiction band with a
    /// settled command, <see cref="CommandSettled"/>), will be next tick: where it is (<paramref name="q"/>), plus its
    /// creep. Static friction lets it neither follow the servo loop's pull nor carry its measured velocity across
    /// the tick: that velocity sample is the chatter of the drive's loop against the friction (and, at the bench's
    /// 2 substeps per tick, of a limit cycle within the tick), which reverses before the next sample. The servo
    /// model's position prediction from it correlates negatively with the motion that follows at every held joint
    /// of nominal-sine-full seed 7005 (regression slope −0.41 … +0.02) and makes the position innovation's RMS 2–4×
    /// the motion's own (docs/TWIN.md, "Held position").
    /// </summary>
    public double HeldPosition(int joint, double q) => q + _creep[joint];

    /// <summary>
    /// Estimated load-disturbance acceleration per joint, rad/s²: q̈ = ω²(G·u − q) + 2ζω(K_v·v − q̇) + d.
    /// The drive's closed loop is second order only for the inertia it was tuned for and with no load; on a real leg
    /// gravity, damping, the other joints' coupling and the drive's velocity integral all push the joint. Their sum
    /// changes at the speed of the motion, far slower than the tick, so it is tracked as a state (see
    /// <see cref="CorrectDisturbance"/>) rather than modelled. 0 until corrected.
    /// </summary>
    public ReadOnlySpan<double> Disturbance => _dist;

    /// <summary>
    /// One correction step of the disturbance estimate of joint <paramref name="joint"/> from this tick's velocity
    /// innovation (measured − predicted q̇): d ← d + κ·e_v / (∂q̇/∂d). κ = 1 attributes the whole innovation to d (a
    /// deadbeat estimate, noisiest); smaller κ averages over ≈1/κ ticks. Non-finite innovations are ignored.
    /// Real-time safe.
    /// </summary>
    public void CorrectDisturbance(int joint, double velocityInnovation, double gain)
    {
        if (!double.IsFinite(velocityInnovation) || !(gain > 0)) return;
        _dist[joint] += gain * velocityInnovation / _distSensitivity[joint];
    }

    /// <summary>Forgets joint <paramref name="joint"/>'s disturbance estimate (e.g. its drive went off). Real-time safe.</summary>
    public void ResetDisturbance(int joint) => _dist[joint] = 0;

    /// <summary>
    /// Records the latest command and predicts the state one tick ahead: <paramref name="qNext"/>,
    /// <paramref name="qdNext"/> and the model's acceleration there (<paramref name="qddNext"/>, same command).
    /// <paramref name="latestVelocity"/> may be empty (no velocity feed-forward). Real-time safe.
    /// </summary>
    public void Predict(
        ReadOnlySpan<double> q, ReadOnlySpan<double> qd, ReadOnlySpan<double> latestTarget, ReadOnlySpan<double> latestVelocity,
        Span<double> qNext, Span<double> qdNext, Span<double> qddNext) =>
        Predict(q, qd, latestTarget, latestVelocity, qNext, qdNext, qddNext, []);

    /// <summary>
    /// As above, and also the quadrature deficit of the coming tick (<paramref name="trapezoidDeficit"/>, may be empty):
    /// ∫q̈ dt over the tick (exactly q̇_{k+1} − q̇_k) minus the trapezoid ½(q̈⁻_k + q̈⁻_{k+1})·dt of the accelerations
    /// just before each tick (what end-of-tick torque samples see), rad/s.
    /// <para>Why: a servo fed a new command every tick makes the drive's torque a sawtooth — it steps by M·Δq̈ when the
    /// command lands (Δq̈ = ω²G·Δu + 2ζωK_v·Δv) and bends within the tick at the loop's bandwidth. Torque samples taken
    /// at tick ends miss both; the momentum observer adds M·deficit so it integrates the tick's true torque.</para>
    /// Real-time safe.
    /// </summary>
    public void Predict(
        ReadOnlySpan<double> q, ReadOnlySpan<double> qd, ReadOnlySpan<double> latestTarget, ReadOnlySpan<double> latestVelocity,
        Span<double> qNext, Span<double> qdNext, Span<double> qddNext, Span<double> trapezoidDeficit)
    {
        int n = _n;
        if (q.Length != n || qd.Length != n || latestTarget.Length != n || (!latestVelocity.IsEmpty && latestVelocity.Length != n)
            || qNext.Length < n || qdNext.Length < n || qddNext.Length < n || (!trapezoidDeficit.IsEmpty && trapezoidDeficit.Length < n))
            ThrowLengths();
        if (!_primed)
        {
            for (int k = 0; k < MaxDelayTicks; k++)
                for (int j = 0; j < n; j++)
                {
                    _historyU[k * n + j] = latestTarget[j];
                    _historyV[k * n + j] = latestVelocity.IsEmpty ? 0 : latestVelocity[j];
                }
            for (int j = 0; j < n; j++)
            {
                _appliedU[j] = latestTarget[j];
                _appliedV[j] = latestVelocity.IsEmpty ? 0 : latestVelocity[j];
                _lastU[j] = latestTarget[j];
                _lastDu[j] = 0;
                _stillTicks[j] = 0;
            }
            _primed = true;
        }
        _head = (_head + 1) % MaxDelayTicks;
        int row = _head * n;
        for (int j = 0; j < n; j++)
        {
            _historyU[row + j] = latestTarget[j];
            _historyV[row + j] = latestVelocity.IsEmpty ? 0 : latestVelocity[j];
            // Standing command: the target moves slower than the band and its rate does not change (from the positions,
            // so a command without velocity feed-forward is judged the same way), nor does the feed-forward ask to move.
            double du = latestTarget[j] - _lastU[j];
            double vs = _stillVelocity[j] * PeriodS;
            bool still = Math.Abs(du) <= vs && Math.Abs(du - _lastDu[j]) <= StillCommandAccelerationRadS2 * PeriodS * PeriodS
                && (latestVelocity.IsEmpty || Math.Abs(latestVelocity[j]) <= _stillVelocity[j]);
            _stillTicks[j] = still ? Math.Min(_stillTicks[j] + 1, int.MaxValue - 1) : 0;
            _lastU[j] = latestTarget[j];
            _lastDu[j] = du;
        }
        for (int j = 0; j < n; j++)
        {
            int slot = (_head - (_delay[j] - 1) + MaxDelayTicks) % MaxDelayTicks;
            double u = _historyU[slot * n + j], v = _historyV[slot * n + j];
            double d = _dist[j];
            double ue = u + d / _w2G[j]; // the disturbance acts like a command offset through the same input column
            double x0 = q[j], x1 = qd[j];
            int o = 4 * j;
            double q1 = _ad[o] * x0 + _ad[o + 1] * x1 + _bd[o] * ue + _bd[o + 1] * v;
            double qd1 = _ad[o + 2] * x0 + _ad[o + 3] * x1 + _bd[o + 2] * ue + _bd[o + 3] * v;
            qNext[j] = q1;
            qdNext[j] = qd1;
            qddNext[j] = _w2G[j] * u - _w2[j] * q1 + _zw2Kv[j] * v - _zw2[j] * qd1 + d;
            if (!trapezoidDeficit.IsEmpty)
            {
                // q̈ just before this tick: same state, the command of the interval that just ended.
                double a0 = _w2G[j] * _appliedU[j] - _w2[j] * x0 + _zw2Kv[j] * _appliedV[j] - _zw2[j] * x1 + d;
                trapezoidDeficit[j] = (qd1 - x1) - 0.5 * (a0 + qddNext[j]) * PeriodS;
            }
            _appliedU[j] = u;
            _appliedV[j] = v;
        }
    }

    /// <summary>Friction torque of joint <paramref name="joint"/> at velocity <paramref name="qd"/> (opposes motion: the drive must supply it). Real-time safe.</summary>
    public double FrictionTorque(int joint, double qd) =>
        _fv[joint] * qd + _fc[joint] * Math.Tanh(qd * _invEps[joint]);

    /// <summary>
    /// Scales joint <paramref name="joint"/>'s friction to <paramref name="coulombScale"/> × the calibrated Coulomb and
    /// <paramref name="viscousScale"/> × the calibrated viscous term (friction adaptation, twin.adapt.friction). The caller
    /// bounds the scales. Real-time safe.
    /// </summary>
    public void SetFrictionScale(int joint, double coulombScale, double viscousScale)
    {
        _fc[joint] = _fc0[joint] * coulombScale;
        _fv[joint] = _fv0[joint] * viscousScale;
    }

    /// <summary>Calibrated (unscaled) Coulomb friction of joint <paramref name="joint"/>, N·m. Real-time safe.</summary>
    public double CalibratedCoulombNm(int joint) => _fc0[joint];

    /// <summary>Calibrated (unscaled) viscous friction of joint <paramref name="joint"/>, N·m·s/rad. Real-time safe.</summary>
    public double CalibratedViscousNmsPerRad(int joint) => _fv0[joint];

    /// <summary>Unit Coulomb term tanh(q̇/ε) of joint <paramref name="joint"/>. Real-time safe.</summary>
    public double CoulombShape(int joint, double qd) => Math.Tanh(qd * _invEps[joint]);

    private static void ThrowLengths() => throw new ArgumentException("servo model: span lengths must equal the joint count");

    /// <summary>exp(A) for a 4×4 matrix: scaling and squaring with a degree-16 Taylor series. Prepare time only.</summary>
    internal static void MatrixExp4(ReadOnlySpan<double> a, Span<double> result)
    {
        double norm = 0;
        for (int i = 0; i < 16; i++) norm = Math.Max(norm, Math.Abs(a[i]));
        int squarings = Math.Max(0, (int)Math.Ceiling(Math.Log2(Math.Max(norm * 4, 1e-300))) + 1);
        double scale = Math.Pow(2, -squarings);
        Span<double> x = stackalloc double[16];
        Span<double> term = stackalloc double[16];
        Span<double> tmp = stackalloc double[16];
        for (int i = 0; i < 16; i++) x[i] = a[i] * scale;
        result.Clear();
        term.Clear();
        for (int i = 0; i < 4; i++)
        {
            result[i * 5] = 1;
            term[i * 5] = 1;
        }
        for (int k = 1; k <= 16; k++)
        {
            Mul4(term, x, tmp);
            for (int i = 0; i < 16; i++)
            {
                term[i] = tmp[i] / k;
                result[i] += term[i];
            }
        }
        for (int s = 0; s < squarings; s++)
        {
            Mul4(result, result, tmp);
            tmp.CopyTo(result);
        }
    }

    private static void Mul4(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c)
    {
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                double s = 0;
                for (int k = 0; k < 4; k++) s += a[i * 4 + k] * b[k * 4 + j];
                c[i * 4 + j] = s;
            }
    }
}
