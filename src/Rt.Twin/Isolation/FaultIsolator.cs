using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Twin.CrossCheck;
using Rt.Twin.Dynamics;
using Rt.Twin.Models;

namespace Rt.Twin.Isolation;

/// <summary>
/// Names the cause of a divergence (issue 13), not the first channel over threshold in layout order. Runs in the
/// twin's tick after the cross-check, only when something diverges (a channel over threshold, or an external-torque
/// residual clearly above its noise); allocation-free. The order of the questions:
/// <list type="number">
/// <item>An IMU diverges and no joint channel does as much: the IMU (sensor), its worst axis.</item>
/// <item>The joint whose position/velocity innovation is largest: is that innovation physically possible? A real
/// deviation within one tick needs an acceleration the joint's peak torque can give (an encoder jump or freeze needs
/// far more), and it turns the links beyond the joint, so the IMU downstream sees the angular rate change
/// Σ aᵢ·Δq̇ᵢ. An innovation the physics or the IMU contradicts is the encoder's own: sensor at that joint. When only the
/// IMU contradicted it, the gyro's next tick decides in the evidence window (it samples a tick behind the encoders).</item>
/// <item>Otherwise the momentum observer's residual r is physical. A contact explains it as J_pᵀ f: a point force f at
/// a point on a link, acting on the joints between the base and that link only. For every candidate point (origin,
/// centre of mass, midpoint and end of each link) the force is fitted by weighted least squares (3×3 normal
/// equations) and the best fit names the link. A residual on one joint that no contact explains (a joint deep in the
/// chain alone), or one that cancels a share of the joint's own torque (the drive delivers less than it reports), is
/// the actuator's: torque loss or friction at that joint.</item>
/// </list>
/// Evidence: the location's channel with the largest ratio, and which test it fired (CUSUM or χ² gate) with that
/// test's statistic and threshold. Not real-time safe to construct; <see cref="Diagnose"/> is.
/// </summary>
internal sealed class FaultIsolator
{
    /// <summary>Residual significance (weighted sum of squares, σ² units) above which a residual is looked at without an alarm.</summary>
    private const double ResidualSignificance = 25;

    /// <summary>A contact fit must explain this share of the residual's weighted energy to name a link.</summary>
    private const double ContactExplains = 0.85;

    /// <summary>One joint carries at least this share of the residual: a single-joint pattern.</summary>
    private const double SingleJointShare = 0.8;

    /// <summary>The physical acceleration bound is peak torque × this over the joint's inertia (margin for contact forces).</summary>
    private const double AccelerationMargin = 10;

    /// <summary>The IMU sees less than this share of the angular-rate change the encoders claim: the encoders lie.</summary>
    private const double ImuAgreement = 0.15;

    /// <summary>
    /// Smoothing of the observer's per-tick external-torque input u (the external-torque channels' innovation): a
    /// two-tick average sees a contact the tick after it starts (the observer's own residual takes ~1/K = 5 ms).
    /// </summary>
    private const double ResidualSmoothing = 0.5;

    /// <summary>A link farther from the base must fit this much better (cost ratio) to win: it has more joints to fit errors with.</summary>
    private const double ProximalPreference = 0.7;

    /// <summary>The model's relative torque error in the contact fit's weights.</summary>
    private const double RelativeModelError = 0.2;

    /// <summary>
    /// The gyro's innovation on the tick after an IMU alone contradicted an encoder, along the rate change the encoders
    /// claimed, over that claim, at least this: the motion was real (a push keeps turning the link the way the encoders
    /// said, and the gyro shows it a tick behind them); after a wrong reading it turns against the claim (≈ −1 to −2: the
    /// next prediction was built on the wrong reading).
    /// </summary>
    private const double GyroConfirms = 0.25;

    /// <summary>A joint velocity innovation this many σ says the IMU's link really moved.</summary>
    private const double MovedSigma = 3.0;

    /// <summary>Joints with a position/velocity ratio at least this are checked for an encoder contradiction.</summary>
    private const double EncoderCandidateRatio = 0.3;

    private readonly int _n, _nImu;
    private readonly double _dt;
    private readonly ChannelLayout _layout;
    private readonly CrossCheckEvaluator _cc;
    private readonly RigidBodyModel _model;
    private readonly int[] _map;            // config → model
    private readonly int[] _configOf;       // model → config
    private readonly JointChannels[] _jointCh;
    private readonly ImuChannels[] _imuCh;
    private readonly int[] _imuBody;        // model body per IMU (−1 = base)
    private readonly M3[] _imuRot;          // per IMU: sensor → body rotation
    private readonly double[] _wTau;        // per model joint: 1/σ² of the observer residual
    private readonly double[] _gyroSigma;   // per IMU: σ of the angular-rate innovation norm (rad/s)
    private readonly double[] _posSigma, _velSigma; // per config joint: σ of the raw position / velocity innovation
    private readonly double[] _epNow, _epPrev;     // per config joint: the position innovation this compared tick and the one before (NaN: none)
    private readonly double[] _torqueLimit; // per config joint, N·m
    private readonly bool[] _onPath;        // [b·n + i]: model joint i lies between the base and body b
    private readonly int[] _candBody;
    private readonly V3[] _candPoint;       // body frame

    // Workspace.
    private readonly V3[] _axis, _origin;
    private readonly M3[] _rot;
    private readonly double[] _massDiag;
    private readonly double[] _u;           // smoothed per-tick external torque, model order
    private readonly double[] _dv, _acc, _wAcc; // Δq̇/dt, M·Δq̇/dt and its weights, model order
    private readonly double[] _wFit;        // the contact fit's weights, model order
    private bool _uPrimed;

    // The evidence window (Refine): the episode's first tick over threshold, its ticks so far, its first diagnosis and the
    // refined one once published; per joint (config order) sums over the settled ticks.
    private long _episodeStart = -1;
    private int _episodeTicks, _settled;
    private FaultDiagnosis _first, _refined;
    private int _firstChannel = -1, _refinedChannel = -1;     // the evidence: the trip tick's, and the refined cause's
    private double _firstValue, _firstThreshold, _refinedValue, _refinedThreshold;
    private readonly double[] _rSum, _rr, _rTau, _tauTau, _tauSum, _rSgn, _sgnSgn; // config order
    private readonly int[] _encoderVotes;   // config order: ticks that named this joint's encoder
    // An encoder named because an IMU alone contradicted it (not the physics bound): that IMU and the rate change the
    // encoders claimed at it (world), this tick's and the episode's; the next tick's gyro decides (ConfirmByGyro).
    private int _tickImu = -1, _episodeImu = -1;
    private V3 _tickClaim, _episodeClaim;
    private bool _gyroConfirmed;
    // A contact the trip tick named from an IMU's specific force alone (the joints not yet showing it): that IMU and the
    // channel's worst axis then, else −1.
    private int _firstImu = -1;
    private sbyte _firstImuAxis;
    // The actuator regressors passed through the observer's own first-order filter (pole e^(−K·dt)), config order: r is
    // the external torque low-passed by the observer, so a lost torque shows as r = (s − 1)·τ̃, not (s − 1)·τ (a torque
    // that changes within ~1/K would otherwise decorrelate from r by the observer's lag alone).
    private readonly double[] _tauF, _sgnF;
    // The joint's own acceleration (Δq̇/dt) through the same filter, config order, its sums over the settled ticks and the
    // last velocity: the third actuator signature (r opposes q̈).
    private readonly double[] _accF, _vPrev, _rAcc, _accAcc;
    private readonly double _pole;
    private bool _filterPrimed;
    private readonly double[] _rMean, _wMean; // model order, at the window's end: r̄ and its weights
    private readonly double[] _bodyChainCost; // model order: LocateContact's best chain cost per body (the last fit's)
    private readonly double[] _chainEnergy;   // model order: the window's weighted residual energy per joint, then per chain root
    private readonly int[] _chainRoot;        // model order: the body's ancestor that hangs from the fixed base
    private readonly bool[] _chainSeen;       // ChainsDiverging's answer for _chainsTick: by chain root (model order), diverging
    private int _chains;                      // and how many
    private long _chainsTick = long.MinValue;

    /// <summary>σ of the window's mean residual r̄ over σ of the per-tick input: r is u low-passed (pole e^(−K·dt)) and averaged over the window.</summary>
    private const double MeanNoiseShare = 0.3;

    /// <summary>The window fit's relative model error (r̄ is clean of the first tick's coupling errors).</summary>
    private const double WindowModelError = 0.1;

    /// <summary>The window fit's force prior F₀, N.</summary>
    private const double ForcePriorN = 150;

    /// <summary>The window fit's proximal preference (cost ratio a farther link must beat).</summary>
    private const double WindowProximalPreference = 0.85;

    /// <summary>The window's residual on its main joint holds (mean²/mean square) at least this: a steady cause.</summary>
    private const double SteadyResidual = 0.5;

    /// <summary>An encoder named at the trip is overruled by a contact only when its own joint carries less than this share of the window's residual.</summary>
    private const double OwnJointShare = 0.05;
    private readonly int _windowTicks, _settleTicks;
    private long _refinedSince = -1;
    private int _quietTicks;

    /// <summary>The evidence window after the first tick over threshold.</summary>
    private const double WindowS = 0.02;

    /// <summary>The observer's residual needs ~1/K to build: the window's first ticks are not summed.</summary>
    private const double SettleS = 0.005;

    /// <summary>Ticks without a channel over threshold after which a new one is a new onset.</summary>
    private const int OnsetQuietTicks = 3;

    /// <summary>tanh(q̇/this) is the friction's direction.</summary>
    private const double MovingVelocity = 0.02;

    /// <summary>An encoder named on at least 1/this of the window's ticks is the cause (after a trip the stop's own mispredictions name an encoder on up to a quarter of them).</summary>
    private const int EncoderVoteShare = 2;

    /// <summary>An encoder named on at least 1/this of the window's ticks while the residual swings about zero (not steady) is the cause: noise on an encoder; above the quarter of the ticks the stop's own mispredictions reach.</summary>
    private const int NoiseVoteShare = 3;

    /// <summary>The steepest r = k·τ̃ a lost torque gives: k = s − 1 ≥ −1 for a drive delivering the share s, less 30 % for the
    /// model's error on a joint that falls unpowered (its inertia and coupling; −1.26 measured on a hip pitch that lost all).</summary>
    private const double LostTorqueMin = -1.3;

    /// <summary>An actuator residual follows its own torque (or the motion's direction) this well (R²).</summary>
    private const double TrackR2 = 0.8;

    /// <summary>
    /// The drive's torque varied over the window by at least this (SD, N·m): r must then follow it in how the two vary
    /// (centred R²) as well as in their levels (uncentred R², which is 1 for any two constants: a contact held still
    /// gives r and τ constant, as a lost torque on a joint held still does; below this only the levels can tell).
    /// </summary>
    private const double TorqueVaries = 0.1;

    /// <summary>The IMUs' kinematic consistency with the encoders (set once by the twin; null = not used).</summary>
    public ImuKinematicCheck? Kinematics { get; set; }

    public FaultIsolator(ChannelLayout layout, CrossCheckEvaluator crossCheck, NoiseModel noise, RigidBodyModel model, int[] map,
        ImuModel imu, IReadOnlyList<JointDriveConfig> joints, double periodS, double observerPole)
    {
        _layout = layout;
        _cc = crossCheck;
        _model = model;
        _map = map;
        _n = layout.JointCount;
        _nImu = layout.ImuCount;
        _dt = periodS;
        _configOf = new int[_n];
        for (int j = 0; j < _n; j++) _configOf[map[j]] = j;
        _jointCh = JointChannels.For(layout, crossCheck);
        _imuCh = ImuChannels.For(layout, crossCheck);
        _imuBody = new int[_nImu];
        _imuRot = new M3[_nImu];
        _gyroSigma = new double[_nImu];
        for (int i = 0; i < _nImu; i++)
        {
            _imuBody[i] = imu.BodyOf(i);
            _imuRot[i] = imu.SensorRotation(i);
            int o = _imuCh[i].Rate.Offset;
            _gyroSigma[i] = Math.Sqrt(Sq(noise.Sigma[o]) + Sq(noise.Sigma[o + 1]) + Sq(noise.Sigma[o + 2]));
        }
        // The smoothed input ū_k = ū_(k−1) + α(u_k − ū_(k−1)) of white u has σ_u·√(α/(2 − α)).
        double scale = Math.Sqrt(ResidualSmoothing / (2 - ResidualSmoothing));
        _pole = observerPole is > 0 and < 1 ? observerPole : 0;
        _wTau = new double[_n];
        _torqueLimit = new double[_n];
        _posSigma = new double[_n];
        _epNow = new double[_n];
        _epPrev = new double[_n];
        Array.Fill(_epNow, double.NaN);
        Array.Fill(_epPrev, double.NaN);
        _velSigma = new double[_n];
        for (int j = 0; j < _n; j++)
        {
            _posSigma[j] = Raw(noise, _jointCh[j].Position.Offset);
            _velSigma[j] = Raw(noise, _jointCh[j].Velocity.Offset);
            double s = noise.Sigma[_jointCh[j].External.Offset] * scale;
            _wTau[map[j]] = 1 / Sq(Math.Max(s, 1e-6));
            double lim = j < joints.Count ? joints[j].Limits.TorqueNm : 0;
            _torqueLimit[j] = lim > 0 && double.IsFinite(lim) ? lim : double.PositiveInfinity;
        }

        var parents = model.Parents;
        _onPath = model.PathMatrix();

        // Candidate contact points per body, body frame: origin, centre of mass, each child joint's origin and the
        // midpoint to it; a leaf body also gets the point as far beyond its centre of mass as the centre is from the origin.
        var pi = new double[model.ParameterCount];
        model.GetInertialParameters(pi);
        var tree = model.TreeOrigins;
        var bodies = new List<int>();
        var points = new List<V3>();
        for (int b = 0; b < _n; b++)
        {
            double m = pi[10 * b];
            var com = m > 0 ? new V3(pi[10 * b + 1] / m, pi[10 * b + 2] / m, pi[10 * b + 3] / m) : V3.Zero;
            Add(b, V3.Zero);
            Add(b, com);
            bool leaf = true;
            for (int c = 0; c < _n; c++)
            {
                if (parents[c] != b) continue;
                leaf = false;
                Add(b, tree[c] * 0.5);
                Add(b, tree[c]);
            }
            if (leaf) Add(b, com * 2);
        }
        _candBody = [.. bodies];
        _candPoint = [.. points];

        _axis = new V3[_n];
        _origin = new V3[_n];
        _rot = new M3[_n];
        _massDiag = new double[_n];
        _u = new double[_n];
        _dv = new double[_n];
        _acc = new double[_n];
        _wAcc = new double[_n];
        _wFit = new double[_n];
        _rSum = new double[_n];
        _tauSum = new double[_n];
        _rr = new double[_n];
        _rTau = new double[_n];
        _tauTau = new double[_n];
        _rSgn = new double[_n];
        _sgnSgn = new double[_n];
        _encoderVotes = new int[_n];
        _tauF = new double[_n];
        _sgnF = new double[_n];
        _accF = new double[_n];
        _vPrev = new double[_n];
        _rAcc = new double[_n];
        _accAcc = new double[_n];
        _rMean = new double[_n];
        _wMean = new double[_n];
        _chainEnergy = new double[_n];
        _bodyChainCost = new double[_n];
        _chainRoot = new int[_n];
        _chainSeen = new bool[_n];
        for (int b = 0; b < _n; b++) _chainRoot[b] = model.ChainRoot(b);
        _windowTicks = Math.Max(1, (int)Math.Round(WindowS / periodS));
        _settleTicks = (int)Math.Round(SettleS / periodS);

        void Add(int b, V3 p)
        {
            bodies.Add(b);
            points.Add(p);
        }
    }

    /// <summary>Real-time safe. Forget the smoothed residual (after a reset or a gap in the measurements).</summary>
    public void Reset()
    {
        Array.Clear(_u);
        _uPrimed = false;
        Array.Fill(_epNow, double.NaN);
        Array.Fill(_epPrev, double.NaN);
        _episodeStart = -1;
        _refined = default;
        _refinedSince = -1;
        _filterPrimed = false;
        _tickImu = _episodeImu = -1;
        _gyroConfirmed = false;
        _firstImu = -1;
    }

    /// <summary>
    /// Real-time safe. Every compared tick: smooths the observer's per-tick input (the external-torque innovations) and
    /// keeps each joint's position innovation and the one before it (<see cref="Contradiction"/>'s one-tick step).
    /// </summary>
    public void Observe(ReadOnlySpan<double> components)
    {
        for (int j = 0; j < _n; j++)
        {
            _epPrev[j] = _epNow[j];
            _epNow[j] = components[_jointCh[j].Position.Offset];
            double u = components[_jointCh[j].External.Offset];
            if (!double.IsFinite(u)) continue;
            int mj = _map[j];
            _u[mj] = _uPrimed ? _u[mj] + ResidualSmoothing * (u - _u[mj]) : u;
        }
        _uPrimed = true;
    }

    /// <summary>
    /// Real-time safe, allocation-free. Fills <see cref="DivergenceRecord.Diagnosis"/> and the evidence fields.
    /// <paramref name="q"/> and <paramref name="residual"/> are in model order (the corrected state and the observer's
    /// residual); <paramref name="velocity"/> and <paramref name="torque"/> (measured) in config order;
    /// <paramref name="components"/> the innovations in layout order.
    /// </summary>
    public void Diagnose(DivergenceRecord record, ReadOnlySpan<double> q, ReadOnlySpan<double> velocity,
        ReadOnlySpan<double> torque, ReadOnlySpan<double> components)
    {
        DiagnoseTick(record, q, velocity, torque, components);
        ConfirmByGyro(record, q, components);
        Refine(record, q, velocity, torque);
        _tickImu = -1;
    }

    private void DiagnoseTick(DivergenceRecord record, ReadOnlySpan<double> q, ReadOnlySpan<double> velocity,
        ReadOnlySpan<double> torque, ReadOnlySpan<double> components)
    {
        ReadOnlySpan<double> residual = _u;
        _tickImu = -1;
        record.Diagnosis = default;
        record.EvidenceChannel = -1;
        record.EvidenceValue = record.EvidenceThreshold = 0;

        double total = 0;
        for (int i = 0; i < _n; i++) total += _wTau[i] * residual[i] * residual[i];
        if (!record.Valid || (record.OverCount == 0 && !(total > ResidualSignificance))) return;

        // Largest ratios: per IMU channel; per joint its kinematic (position/velocity) and dynamic channels.
        double imuMax = 0, jointMax = 0, kinMax = 0;
        int imuCh = -1, kinJoint = -1, jointWorstCh = -1;
        for (int i = 0; i < _nImu; i++)
        {
            Better(Ratio(record, _imuCh[i].Rate.Channel), _imuCh[i].Rate.Channel, ref imuMax, ref imuCh);
            Better(Ratio(record, _imuCh[i].Force.Channel), _imuCh[i].Force.Channel, ref imuMax, ref imuCh);
        }
        for (int j = 0; j < _n; j++)
        {
            ref readonly var ch = ref _jointCh[j];
            double p = Ratio(record, ch.Position.Channel), v = Ratio(record, ch.Velocity.Channel);
            double kin = Math.Max(p, v);
            if (kin > kinMax) { kinMax = kin; kinJoint = j; }
            Better(p, ch.Position.Channel, ref jointMax, ref jointWorstCh);
            Better(v, ch.Velocity.Channel, ref jointMax, ref jointWorstCh);
            Better(Ratio(record, ch.Torque.Channel), ch.Torque.Channel, ref jointMax, ref jointWorstCh);
            Better(Ratio(record, ch.External.Channel), ch.External.Channel, ref jointMax, ref jointWorstCh);
        }

        _model.JointAxesWorld(q, _axis, _origin, _rot);
        _model.MassMatrixDiagonal(q, _massDiag);

        // 0. An IMU that disagrees with the encoders' kinematics on one of its two sensors only, while no joint that
        // carries it diverges: the IMU's own fault (a wrong encoder moves the pose both sensors are checked against;
        // a contact moves the link the way the encoders say, so neither fires).
        if (Kinematics is { } kc)
        {
            int bestImu = -1;
            double bestKin = 1;
            for (int i = 0; i < _nImu; i++)
            {
                double rr = kc.RateStatistic(i) / kc.Threshold, fr = kc.ForceStatistic(i) / kc.Threshold;
                if ((rr > 1) == (fr > 1) || Math.Max(rr, fr) <= bestKin) continue;
                int body = _imuBody[i];
                bool jointsDiverge = false;
                if (body >= 0)
                    for (int k = 0; k < _n; k++)
                    {
                        if (!_onPath[body * _n + k]) continue;
                        ref readonly var jc = ref _jointCh[_configOf[k]];
                        if (Math.Max(Ratio(record, jc.Position.Channel), Ratio(record, jc.Velocity.Channel)) >= 1) jointsDiverge = true;
                    }
                if (jointsDiverge) continue;
                bestKin = Math.Max(rr, fr);
                bestImu = i;
            }
            if (bestImu >= 0)
            {
                bool rate = kc.RateStatistic(bestImu) >= kc.ForceStatistic(bestImu);
                // A frozen encoder on a joint that turns slowly: the gyro says the link turned about that joint's axis
                // while its encoder has not changed a count for the whole window (a live encoder on a turning joint
                // changes every few ticks); the gyro alone disagrees, so this is the one case question 0 must hand on.
                int frozen = rate ? FrozenEncoder(kc, bestImu) : -1;
                if (frozen >= 0)
                {
                    Set(record, FaultClass.Sensor, FaultSite.Joint, frozen, -1, _imuCh[bestImu].Rate.Channel);
                    return;
                }
                int ch = rate ? _imuCh[bestImu].Rate.Channel : _imuCh[bestImu].Force.Channel;
                Set(record, FaultClass.Sensor, FaultSite.Imu, bestImu, (sbyte)kc.WorstAxis(bestImu), ch);
                return;
            }
        }

        // 1. An encoder the physics or the IMUs contradict (the most contradicted joint). One encoder cannot move another
        // chain's joints (the legs hang from the fixed base: no coupling in the model): when another leg diverges in the
        // same tick, something physical moved both (an obstacle between the thighs), not this encoder.
        int liar = -1, liarImu = -1;
        double lie = 1;
        V3 liarClaim = V3.Zero;
        for (int j = 0; j < _n; j++)
        {
            ref readonly var ch = ref _jointCh[j];
            if (Math.Max(Ratio(record, ch.Position.Channel), Ratio(record, ch.Velocity.Channel)) < EncoderCandidateRatio) continue;
            if (OtherChainDiverges(record, j)) continue;
            double c = Contradiction(record, j, components, out int imuAlone, out V3 claim);
            if (c > lie) { lie = c; liar = j; liarImu = imuAlone; liarClaim = claim; }
        }
        if (liar >= 0 && Math.Max(kinMax, imuMax) >= 1)
        {
            ref readonly var ch = ref _jointCh[liar];
            int ev = Ratio(record, ch.Position.Channel) >= Ratio(record, ch.Velocity.Channel) ? ch.Position.Channel : ch.Velocity.Channel;
            Set(record, FaultClass.Sensor, FaultSite.Joint, liar, -1, ev);
            _tickImu = liarImu;
            _tickClaim = liarClaim;
            return;
        }

        // 2. An IMU diverging more than any joint, with no contact torque on the joints that carry it: the IMU itself.
        if (imuMax >= 1 && imuMax > jointMax)
        {
            int imu = _layout.Channels[imuCh].Index;
            int body = _imuBody[imu];
            // Real motion the IMU sees moves the joints that carry it (their velocity innovations) or pushes on them
            // (the residual); a sensor fault does neither.
            double carried = 0, moved = 0;
            if (body >= 0)
                for (int i = 0; i < _n; i++)
                {
                    if (!_onPath[body * _n + i]) continue;
                    carried += _wTau[i] * residual[i] * residual[i];
                    int j = _configOf[i];
                    moved = Math.Max(moved, Math.Abs(components[_jointCh[j].Velocity.Offset] / _velSigma[j]));
                }
            if (!(carried > ResidualSignificance) && !(moved > MovedSigma))
            {
                // On a link that moves, an accelerometer step alone is what the first tick of a contact looks like too
                // (the joints need a few ticks to show the deceleration); the contact is the likelier cause and the
                // one whose reaction (compliance) is safe for both. A gyro step alone is the gyro's.
                // A frozen encoder on a slowly turning joint shows first as this IMU's innovation: the gyro turns about
                // the joint's axis, the encoder has not changed a count for the whole window.
                int frozen = Kinematics is { } kf && kf.RateStatistic(imu) >= 0.5 * kf.Threshold ? FrozenEncoder(kf, imu) : -1;
                if (frozen >= 0)
                {
                    Set(record, FaultClass.Sensor, FaultSite.Joint, frozen, -1, imuCh);
                    return;
                }
                bool force = _layout.Channels[imuCh].Kind == ChannelKind.ImuSpecificForce;
                if (body >= 0 && force)
                    Set(record, FaultClass.Collision, FaultSite.Link, _configOf[body], -1, imuCh);
                else
                    Set(record, FaultClass.Sensor, FaultSite.Imu, imu, (sbyte)_cc.WorstComponent(imuCh), imuCh);
                return;
            }
        }

        // 3. The residual: a contact on a link, or one actuator. Before the observer's residual has built up (the first
        // ticks of a contact), the torque the unpredicted motion needs, M(q)·Δq̇/dt, stands in for it.
        ReadOnlySpan<double> weight = _wTau;
        if (!(total > ResidualSignificance))
        {
            for (int j = 0; j < _n; j++) _dv[_map[j]] = components[_jointCh[j].Velocity.Offset] / _dt;
            _model.MassTimes(q, _dv, _acc);
            total = 0;
            for (int i = 0; i < _n; i++)
            {
                double s = _massDiag[i] * _velSigma[_configOf[i]] / _dt;
                _wAcc[i] = 1 / Math.Max(s * s, 1e-12);
                total += _wAcc[i] * _acc[i] * _acc[i];
            }
            residual = _acc;
            weight = _wAcc;
        }
        if (total > ResidualSignificance)
        {
            int bestBody = LocateContact(residual, weight, total, out double explained);
            int single = -1;
            double share = 0;
            for (int i = 0; i < _n; i++)
            {
                double e = weight[i] * residual[i] * residual[i] / total;
                if (e > share) { share = e; single = i; }
            }
            int sj = single >= 0 ? _configOf[single] : -1;
            bool singleJoint = share >= SingleJointShare;
            // The drive delivers less than it reports: r cancels a share of the measured torque.
            bool cancelsOwnTorque = singleJoint && sj >= 0 && Math.Abs(torque[sj]) > 0
                && residual[single] / torque[sj] is <= -0.5 and >= -1.15;
            if (bestBody >= 0 && explained >= ContactExplains && !cancelsOwnTorque)
            {
                int joint = _configOf[bestBody];
                Set(record, FaultClass.Collision, FaultSite.Link, joint, -1, WorstOnPath(record, bestBody, jointWorstCh));
                return;
            }
            if (singleJoint || cancelsOwnTorque)
            {
                Set(record, FaultClass.Actuator, FaultSite.Joint, sj, -1, WorstOfJoint(record, sj));
                return;
            }
            if (bestBody >= 0)
            {
                int joint = _configOf[bestBody];
                Set(record, FaultClass.Collision, FaultSite.Link, joint, -1, WorstOnPath(record, bestBody, jointWorstCh));
                return;
            }
        }

        // 4. A joint that does not follow while the residual says nothing: its drive (torque channel first).
        if (jointWorstCh >= 0)
        {
            int j = _layout.Channels[jointWorstCh].Index;
            Set(record, FaultClass.Actuator, FaultSite.Joint, j, -1, jointWorstCh);
        }
    }

    /// <summary>
    /// The tick after an episode opened on an encoder that an IMU alone contradicted (<see cref="Contradiction"/>; the gyro
    /// samples a tick behind the encoders, so a push's first tick looks like a wrong reading to it): whether the gyro now
    /// turns along the rate change the encoders claimed. A push keeps turning the link the way the encoders said; after a
    /// frozen or jumping reading the gyro's innovation turns against the claim (the twin's next prediction was built on
    /// the wrong reading). Asked once per episode. Real-time safe.
    /// </summary>
    private void ConfirmByGyro(DivergenceRecord record, ReadOnlySpan<double> q, ReadOnlySpan<double> components)
    {
        if (_episodeImu < 0 || _episodeStart < 0 || _episodeTicks != 1 || _refinedSince == _episodeStart || !record.Valid) return;
        int i = _episodeImu;
        _episodeImu = -1;
        int b = _imuBody[i];
        if (b < 0 || _cc.IsExcluded(_imuCh[i].Rate.Channel)) return;
        int o = _imuCh[i].Rate.Offset;
        var sensor = new V3(components[o], components[o + 1], components[o + 2]);
        double claim2 = V3.Dot(_episodeClaim, _episodeClaim);
        if (!double.IsFinite(sensor.X + sensor.Y + sensor.Z) || !(claim2 > 0)) return;
        _model.JointAxesWorld(q, _axis, _origin, _rot);
        var gyro = _rot[b].Mul(_imuRot[i].Mul(sensor));
        _gyroConfirmed = V3.Dot(_episodeClaim, gyro) >= GyroConfirms * claim2;
    }

    /// <summary>
    /// The evidence window: from the first tick over threshold, <see cref="WindowS"/> of the observer's residual r (not
    /// the per-tick input: r has built up after ~1/K and is clean of the first tick's coupling errors) decide again
    /// between a contact and an actuator, and count the ticks that named an encoder. Real-time safe.
    /// </summary>
    internal void Refine(DivergenceRecord record, ReadOnlySpan<double> q, ReadOnlySpan<double> velocity, ReadOnlySpan<double> torque)
    {
        // The regressors through the observer's filter, every compared tick (the residual at the window's start already
        // carries the ticks before it).
        for (int j = 0; j < _n; j++)
        {
            double tau = torque[j], sg = Math.Tanh(velocity[j] / MovingVelocity);
            if (!double.IsFinite(tau) || !double.IsFinite(sg))
            {
                _vPrev[j] = double.NaN; // the next tick's Δv would span the gap: no acceleration from it
                continue;
            }
            _tauF[j] = _filterPrimed ? _pole * _tauF[j] + (1 - _pole) * tau : tau;
            _sgnF[j] = _filterPrimed ? _pole * _sgnF[j] + (1 - _pole) * sg : sg;
            double acc = _filterPrimed ? (velocity[j] - _vPrev[j]) / _dt : 0; // velocity is finite here (sg is)
            if (!double.IsFinite(acc)) acc = 0;
            _accF[j] = _filterPrimed ? _pole * _accF[j] + (1 - _pole) * acc : 0;
            _vPrev[j] = velocity[j];
        }
        _filterPrimed = true;
        bool over = record.Valid && record.OverCount > 0;
        bool diagnosed = over && record.Diagnosis.Class != FaultClass.Unknown;
        // An episode opens on a tick over threshold with a diagnosis, and afresh at a new onset (over threshold again
        // after a quiet spell): a window must not belong to a blip before the fault, nor a fault to the one before.
        if (diagnosed && (_episodeStart < 0 || _quietTicks >= OnsetQuietTicks))
        {
            _episodeStart = record.Tick;
            _episodeTicks = _settled = 0;
            _first = record.Diagnosis;
            _episodeImu = _first.Class == FaultClass.Sensor && _first.Site == FaultSite.Joint ? _tickImu : -1;
            _episodeClaim = _tickClaim;
            _gyroConfirmed = false;
            _firstChannel = record.EvidenceChannel;
            _firstImu = -1;
            if (_first.Class == FaultClass.Collision && _firstChannel >= 0 && _layout.Channels[_firstChannel].Kind == ChannelKind.ImuSpecificForce)
            {
                _firstImu = _layout.Channels[_firstChannel].Index;
                _firstImuAxis = (sbyte)_cc.WorstComponent(_firstChannel);
            }
            _firstValue = record.EvidenceValue;
            _firstThreshold = record.EvidenceThreshold;
            Array.Clear(_rSum); Array.Clear(_rr); Array.Clear(_rTau); Array.Clear(_tauTau); Array.Clear(_tauSum); Array.Clear(_rSgn); Array.Clear(_sgnSgn);
            Array.Clear(_rAcc); Array.Clear(_accAcc);
            Array.Clear(_encoderVotes);
        }
        _quietTicks = over ? 0 : _quietTicks + 1;
        if (_episodeStart < 0)
        {
            Publish(record);
            return;
        }
        if (_refinedSince != _episodeStart)
        {
            var d = record.Diagnosis;
            if (d.Class == FaultClass.Sensor && d.Site == FaultSite.Joint && d.Location >= 0 && d.Location < _n) _encoderVotes[d.Location]++;
            if (_episodeTicks >= _settleTicks && record.Valid)
            {
                for (int j = 0; j < _n; j++)
                {
                    double r = record.ExternalTorque[j], tau = _tauF[j], sg = _sgnF[j];
                    if (!double.IsFinite(r) || !double.IsFinite(tau) || !double.IsFinite(sg)) continue;
                    _rSum[j] += r;
                    _rr[j] += r * r;
                    _rTau[j] += r * tau;
                    _tauTau[j] += tau * tau;
                    _tauSum[j] += tau;
                    _rSgn[j] += r * sg;
                    _sgnSgn[j] += sg * sg;
                    double a = _accF[j];
                    _rAcc[j] += r * a;
                    _accAcc[j] += a * a;
                }
                _settled++;
            }
            if (++_episodeTicks >= _windowTicks) Decide(record, q);
        }
        Publish(record);
    }

    private void Publish(DivergenceRecord record)
    {
        record.RefinedDiagnosis = _refined;
        record.RefinedSinceTick = _refined.Class != FaultClass.Unknown ? _refinedSince : -1;
        bool refined = _refined.Class != FaultClass.Unknown;
        record.RefinedEvidenceChannel = refined ? _refinedChannel : -1;
        record.RefinedEvidenceValue = refined ? _refinedValue : 0;
        record.RefinedEvidenceThreshold = refined ? _refinedThreshold : 0;
    }

    /// <summary>The window has closed: the refined cause. Real-time safe.</summary>
    private void Decide(DivergenceRecord record, ReadOnlySpan<double> q)
    {
        _refinedSince = _episodeStart;
        _refined = _first;
        _refinedChannel = _firstChannel;
        _refinedValue = _firstValue;
        _refinedThreshold = _firstThreshold;
        // An IMU named at the trip keeps its name: its own kinematic checks decided it, the residual says nothing of it.
        if ((_first.Class == FaultClass.Sensor && _first.Site != FaultSite.Joint) || _settled == 0) return;

        int enc = -1, votes = 0;
        for (int j = 0; j < _n; j++) if (_encoderVotes[j] > votes) { votes = _encoderVotes[j]; enc = j; }
        bool encoderVoted = enc >= 0 && votes * EncoderVoteShare >= _episodeTicks;

        double total = 0;
        for (int j = 0; j < _n; j++)
        {
            double m = _rSum[j] / _settled;
            int mj = _map[j];
            _rMean[mj] = m;
            _wMean[mj] = _wTau[mj] / Sq(MeanNoiseShare);
            total += _wMean[mj] * m * m;
        }
        _model.JointAxesWorld(q, _axis, _origin, _rot);
        double explained = 0;
        bool significant = total > ResidualSignificance;
        int body = significant ? LocateContact(_rMean, _wMean, total, out explained, WindowModelError, 1 / Sq(ForcePriorN), WindowProximalPreference, chainPreference: true) : -1;
        // The two hypotheses on the same weights (the contact fit's, left in _wFit): one joint's drive (one parameter: the
        // torque that joint lacks) leaves everything off that joint unexplained; a contact (up to three force components)
        // leaves the fit's residual. Each free parameter costs ln(n) χ² units, n the window's data (settled ticks × joints:
        // BIC), so a contact that fits a
        // single-joint pattern only as well as the joint itself does not win by its extra parameters, and a joint whose
        // neighbours carry a large residual (a contact on the link, not the joint's drive) is not an actuator.
        double fitTotal = 0, own = 0;
        int single = -1;
        if (significant)
            for (int i = 0; i < _n; i++)
            {
                double e = _wFit[i] * _rMean[i] * _rMean[i];
                fitTotal += e;
                if (e > own) { own = e; single = i; }
            }
        int sj = single >= 0 ? _configOf[single] : -1;
        double penalty = Math.Log((double)_settled * _n);
        double rssActuator = fitTotal - own + penalty;
        double rssContact = body >= 0 ? (1 - explained) * fitTotal + Math.Min(3, Depth(body)) * penalty : double.PositiveInfinity;
        double k = 0, r2Tau = 0, kf = 0, r2F = 0, moving = 0, steady = 0, ka = 0, r2Acc = 0;
        if (sj >= 0)
        {
            k = _tauTau[sj] > 0 ? _rTau[sj] / _tauTau[sj] : 0;
            r2Tau = _tauTau[sj] > 0 && _rr[sj] > 0 ? _rTau[sj] * _rTau[sj] / (_tauTau[sj] * _rr[sj]) : 0;
            double mt = _tauSum[sj] / _settled, mr = _rSum[sj] / _settled;
            double vt = _tauTau[sj] / _settled - mt * mt, vr = _rr[sj] / _settled - mr * mr;
            if (vt >= Sq(TorqueVaries)) r2Tau = Math.Min(r2Tau, vr > 0 ? Sq(_rTau[sj] / _settled - mr * mt) / (vt * vr) : 0);
            kf = _sgnSgn[sj] > 0 ? _rSgn[sj] / _sgnSgn[sj] : 0;
            r2F = _sgnSgn[sj] > 0 && _rr[sj] > 0 ? _rSgn[sj] * _rSgn[sj] / (_sgnSgn[sj] * _rr[sj]) : 0;
            moving = _sgnSgn[sj] / _settled;
            ka = _accAcc[sj] > 0 ? _rAcc[sj] / _accAcc[sj] : 0;
            r2Acc = _accAcc[sj] > 0 && _rr[sj] > 0 ? _rAcc[sj] * _rAcc[sj] / (_accAcc[sj] * _rr[sj]) : 0;
            // mean² over mean square: a residual that holds its sign and size (a force, a lost torque) is near 1, the
            // residual a noisy encoder makes of its own velocity swings about zero.
            steady = _rr[sj] > 0 ? _rSum[sj] * _rSum[sj] / (_settled * _rr[sj]) : 0;
        }
        // The drive's own signature on that joint: r follows its own (filtered) torque, the drive delivering a share of
        // what it reports, or opposes its own motion (friction); and the one-joint hypothesis beats the best contact.
        // A third signature: r opposes the joint's own (filtered) acceleration. A contact on the link is what decelerates it
        // (r and q̈ of one sign, R² 0.6–0.9 on the obstacle runs); a lost torque or a friction works against what the
        // drive does (a friction during a stop's hard braking resists the braking whichever way the joint turns: it is
        // MuJoCo's soft friction constraint and a pre-sliding friction alike, so it does not follow sign(q̇)).
        bool actuator = significant && sj >= 0 && rssActuator < rssContact
            && ((k is <= -0.5 and >= LostTorqueMin && r2Tau >= TrackR2) || (kf < 0 && r2F >= TrackR2 && moving >= 0.5)
                || (ka < 0 && r2Acc >= TrackR2));
        // Whether a contact explains the residual is judged on the leg that carries it (the BIC above compares both
        // hypotheses on every joint: the other leg's residual costs each the same), unless the trip tick already named a
        // contact on that leg: then the leg is settled, and the fit over every joint decides whether the window's cause
        // is strong (an actuator or encoder then overrules the onset); the link on that leg is the window's either way,
        // unless the trip tick's link fits as well (below).
        bool firstOnLeg = _first.Class == FaultClass.Collision && _first.Site == FaultSite.Link && _first.Location >= 0
            && _first.Location < _n && body >= 0 && _chainRoot[_map[_first.Location]] == _chainRoot[body];
        if (!firstOnLeg) explained = ChainExplained(body, explained, fitTotal);
        bool contact = significant && body >= 0 && explained >= ContactExplains;
        bool strong = significant && steady >= SteadyResidual && (actuator || contact);
        // An encoder named at the trip stays named unless the window shows a steady contact that leaves that encoder's
        // joint out: a wrong encoder puts its error into its own joint's momentum (a frozen or jumping encoder's residual
        // sits on its joint), a contact beyond it (the first tick's coupling error) does not. When the gyro confirmed the
        // motion that encoder reported (ConfirmByGyro), the encoder read right and the window decides as for any onset.
        if (_first.Class == FaultClass.Sensor && !_gyroConfirmed)
        {
            int fj = _first.Location;
            bool ownQuiet = fj >= 0 && fj < _n && _wMean[_map[fj]] * Sq(_rMean[_map[fj]]) < OwnJointShare * total;
            bool firstVoted = fj >= 0 && fj < _n && _encoderVotes[fj] * EncoderVoteShare >= _episodeTicks;
            if (strong && contact && !actuator && ownQuiet && !firstVoted)
                RefineContact(body, explained);
            return;
        }
        // An encoder named on a third of the window's ticks while the residual swings about zero: that encoder's noise (a
        // contact or a lost torque holds its residual).
        if (enc >= 0 && votes * NoiseVoteShare >= _episodeTicks && steady < SteadyResidual)
        {
            RefineEncoder(enc, votes, NoiseVoteShare);
            return;
        }
        // A residual that holds and that a contact or an actuator explains is the cause; failing that, an encoder named
        // on enough of the window's ticks (its noise or jumps); failing that, the trip tick's answer.
        if (strong && actuator)
        {
            RefineActuator(sj, Math.Max(r2Tau, Math.Max(r2F, r2Acc)));
            return;
        }
        if (strong)
        {
            RefineContact(body, explained);
            return;
        }
        if (encoderVoted)
        {
            RefineEncoder(enc, votes, EncoderVoteShare);
            return;
        }
        // A contact named on the trip tick from an accelerometer's step alone (the joints need a few ticks to show one)
        // that left no residual on any joint over the whole window was no contact: the accelerometer's own fault.
        if (!significant && _firstImu >= 0)
        {
            _refined = new FaultDiagnosis(FaultClass.Sensor, FaultSite.Imu, (short)_firstImu, _firstImuAxis, _first.Test);
            SetRefinedEvidence(_firstChannel, total, ResidualSignificance);
            return;
        }
        if (!significant) return;
        if (actuator) RefineActuator(sj, Math.Max(r2Tau, Math.Max(r2F, r2Acc)));
        // A contact the trip tick put on this leg moves to the window's link on it, even when the window's fit explains
        // less than ContactExplains: the window's mean residual places a contact along the leg better than the onset's
        // single tick (docs/TWIN.md, "Session 14: the window places the contact along the leg"). Unless the trip tick's
        // link fits the window as well, within the proximal preference: then the window cannot tell the two apart (a
        // force through the ankle on the foot, or sideways on it, is one on the shin or hip as well) and the onset's
        // link stays. A contact the trip tick put on the other leg stays where it is.
        else if (body >= 0 && (_first.Class != FaultClass.Collision || (firstOnLeg && !TripLinkFitsAsWell(body))))
            RefineContact(body, explained);
    }

    /// <summary>
    /// Real-time safe. Whether the trip tick's link (a contact on <paramref name="body"/>'s leg) fits the window's residual
    /// as well as <paramref name="body"/>, the window's best: its best point's cost on the leg within the proximal
    /// preference's ratio of the best (the costs of the last <see cref="LocateContact"/>).
    /// </summary>
    private bool TripLinkFitsAsWell(int body)
    {
        int trip = _map[_first.Location];
        return trip != body && _bodyChainCost[trip] * WindowProximalPreference <= _bodyChainCost[body];
    }

    /// <summary>The refined cause is a contact on <paramref name="body"/>'s link; evidence: the share of the window's residual the fit explains.</summary>
    private void RefineContact(int body, double explained)
    {
        int j = _configOf[body];
        _refined = new FaultDiagnosis(FaultClass.Collision, FaultSite.Link, (short)j, -1, _first.Test);
        SetRefinedEvidence(_jointCh[j].External.Channel, explained, ContactExplains);
    }

    /// <summary>The refined cause is joint <paramref name="j"/>'s drive; evidence: R² of its time signature (torque or motion).</summary>
    private void RefineActuator(int j, double r2)
    {
        _refined = new FaultDiagnosis(FaultClass.Actuator, FaultSite.Joint, (short)j, -1, _first.Test);
        SetRefinedEvidence(_jointCh[j].External.Channel, r2, TrackR2);
    }

    /// <summary>The refined cause is joint <paramref name="j"/>'s encoder; evidence: the share of the window's ticks that named it.</summary>
    private void RefineEncoder(int j, int votes, int share)
    {
        _refined = new FaultDiagnosis(FaultClass.Sensor, FaultSite.Joint, (short)j, -1, _first.Test);
        SetRefinedEvidence(_jointCh[j].Position.Channel, (double)votes / Math.Max(1, _episodeTicks), 1.0 / share);
    }

    private void SetRefinedEvidence(int channel, double value, double threshold)
    {
        _refinedChannel = channel;
        _refinedValue = value;
        _refinedThreshold = threshold;
    }

    /// <summary>The joint (config order) on the IMU's chain whose axis carries the gyro residual (|cos| ≥ 0.9) and whose encoder has read the same value for the whole gyro window; −1 when none.</summary>
    private int FrozenEncoder(ImuKinematicCheck kc, int imu)
    {
        int body = _imuBody[imu];
        if (body < 0) return -1;
        var r = kc.RateResidualWorld(imu);
        double norm = r.Norm;
        if (!(norm > 0)) return -1;
        int best = -1;
        double bestCos = 0.9;
        for (int k = 0; k < _n; k++)
        {
            if (!_onPath[body * _n + k]) continue;
            int j = _configOf[k];
            if (kc.StillTicks(j) < ImuKinematicCheck.GyroWindowTicks) continue;
            double cos = Math.Abs(V3.Dot(_axis[k], r)) / norm;
            if (cos > bestCos) { bestCos = cos; best = j; }
        }
        return best;
    }

    /// <summary>
    /// Real-time safe. How many chains (subtrees of the fixed base) have a joint position or velocity channel over
    /// threshold this tick; remembers which, for <see cref="OtherChainDiverges"/>.
    /// </summary>
    public int ChainsDiverging(DivergenceRecord record)
    {
        Array.Clear(_chainSeen);
        _chainsTick = record.Tick;
        _chains = 0;
        if (!record.Valid || record.OverCount == 0) return 0;
        for (int k = 0; k < _n; k++)
        {
            ref readonly var ch = ref _jointCh[k];
            if (Math.Max(Ratio(record, ch.Position.Channel), Ratio(record, ch.Velocity.Channel)) < 1) continue;
            int root = _chainRoot[_map[k]];
            if (_chainSeen[root]) continue;
            _chainSeen[root] = true;
            _chains++;
        }
        return _chains;
    }

    /// <summary>A joint on another chain than config joint <paramref name="j"/>'s has a position or velocity channel over threshold.</summary>
    private bool OtherChainDiverges(DivergenceRecord record, int j)
    {
        if (_chainsTick != record.Tick) ChainsDiverging(record);
        return _chains >= 2 || (_chains == 1 && !_chainSeen[_chainRoot[_map[j]]]);
    }

    /// <summary>How strongly physics or an IMU contradicts joint <paramref name="j"/>'s encoder: &gt; 1 = contradicted.</summary>
    /// <param name="imuAlone">The IMU whose disagreement alone makes it &gt; 1 (the physics bound does not), else −1.</param>
    /// <param name="imuClaim">The rate change the encoders claim at that IMU (world).</param>
    private double Contradiction(DivergenceRecord record, int j, ReadOnlySpan<double> components, out int imuAlone, out V3 imuClaim)
    {
        imuAlone = -1;
        imuClaim = V3.Zero;
        ref readonly var ch = ref _jointCh[j];
        double ep = components[ch.Position.Offset], ev = components[ch.Velocity.Offset];
        int mj = _map[j];
        double inertia = Math.Max(_massDiag[mj], 1e-6);
        double bound = AccelerationMargin * _torqueLimit[j] / inertia;
        double implied = Math.Max(Math.Abs(ev) / _dt, 2 * Math.Abs(ep) / (_dt * _dt));
        double worst = implied / bound;
        // Its own velocity: a real deviation within one tick moves the position by about ½·Δq̇·dt (the drive's velocity
        // filter can make Δq̇ read low, hence the wide margin); an encoder that jumps or is noisy moves it far more.
        // The position's step in this tick, not its innovation: a deflection that builds up over ticks (a slow push on a
        // thigh turning a standing hip yaw by 31 µrad, 4 σ, while its velocity innovation is 0.0006 rad/s) is no jump.
        double step = double.IsFinite(_epPrev[j]) ? ep - _epPrev[j] : ep;
        worst = Math.Max(worst, Math.Abs(step) / (4 * Math.Abs(ev) * _dt + 2 * _posSigma[j]));
        double physics = worst;

        // The IMUs beyond the joint: the angular-rate change the encoders claim, Σ aᵢ·Δq̇ᵢ over the joints between the
        // base and the IMU's body, against the IMU's own innovation (norms: frame-free).
        for (int i = 0; i < _nImu; i++)
        {
            int b = _imuBody[i];
            if (b < 0 || !_onPath[b * _n + mj]) continue;
            V3 claimed = V3.Zero;
            double parts = 0;
            for (int k = 0; k < _n; k++)
            {
                if (!_onPath[b * _n + k]) continue;
                double dv = components[_jointCh[_configOf[k]].Velocity.Offset];
                claimed = claimed + _axis[k] * dv;
                parts += Math.Abs(dv);
            }
            double c = claimed.Norm;
            if (c < 6 * _gyroSigma[i] || _cc.IsExcluded(_imuCh[i].Rate.Channel)) continue;
            double seen = record.Innovation[_imuCh[i].Rate.Channel];
            // Only the joint that claims most of the motion is blamed: its own share of the joints' parts must be large
            // (against the parts, not their vector sum: a hip pitch and a knee turning opposite ways cancel at the foot,
            // and against that small sum every joint of the leg would look like the one that claims the motion).
            double own = Math.Abs(ev);
            if (seen < ImuAgreement * c && own > 0.5 * parts)
            {
                double imuWorst = ImuAgreement * c / Math.Max(seen, 1e-12);
                if (imuWorst > worst)
                {
                    worst = imuWorst;
                    imuAlone = physics <= 1 ? i : -1;
                    imuClaim = claimed;
                }
            }
        }
        if (worst <= 1) imuAlone = -1;
        return worst;
    }

    /// <summary>The body whose best point force explains most of the residual; <paramref name="explained"/> = 1 − RSS/TSS.</summary>
    private int LocateContact(ReadOnlySpan<double> r, ReadOnlySpan<double> nominalWeight, double nominalTotal, out double explained,
        double relativeError = RelativeModelError, double forcePrior = 0, double proximal = ProximalPreference, bool chainPreference = false)
    {
        // The model's error grows with the torque (inertia and friction errors scale with the motion), so a joint whose
        // noise is small does not dominate the fit once its residual is large: σ_eff² = σ² + (ε·r)².
        double total = 0;
        for (int i = 0; i < _n; i++)
        {
            double w = nominalWeight[i];
            _wFit[i] = w > 0 ? 1 / (1 / w + Sq(relativeError * r[i])) : 0;
            total += _wFit[i] * r[i] * r[i];
        }
        _ = nominalTotal;
        ReadOnlySpan<double> weight = _wFit;
        // The window compares two links of one chain (one leg) on that chain's residual only: the other leg's residual (the
        // stop's own misprediction there) is common to both and would otherwise dilute the proximal preference's ratio.
        if (chainPreference)
        {
            Array.Clear(_chainEnergy);
            for (int i = 0; i < _n; i++) _chainEnergy[_chainRoot[i]] += _wFit[i] * r[i] * r[i];
        }
        int best = -1;
        double bestCost = double.PositiveInfinity, bestChainCost = double.PositiveInfinity;
        Array.Fill(_bodyChainCost, double.PositiveInfinity);
        for (int c = 0; c < _candPoint.Length; c++)
        {
            int b = _candBody[c];
            var x = _origin[b] + _rot[b].Mul(_candPoint[c]);
            // Normal equations A f = y over the joints on the path: g_i = a_i × (x − o_i), τ_i = g_i·f.
            double a00 = 0, a01 = 0, a02 = 0, a11 = 0, a12 = 0, a22 = 0, y0 = 0, y1 = 0, y2 = 0, off = 0;
            for (int i = 0; i < _n; i++)
            {
                double w = weight[i];
                if (!_onPath[b * _n + i])
                {
                    off += w * r[i] * r[i];
                    continue;
                }
                var g = V3.Cross(_axis[i], x - _origin[i]);
                a00 += w * g.X * g.X; a01 += w * g.X * g.Y; a02 += w * g.X * g.Z;
                a11 += w * g.Y * g.Y; a12 += w * g.Y * g.Z; a22 += w * g.Z * g.Z;
                y0 += w * r[i] * g.X; y1 += w * r[i] * g.Y; y2 += w * r[i] * g.Z;
            }
            // A little ridge keeps a chain shorter than 3 joints (a rank-deficient A) solvable.
            // The window's fit adds a prior on the force, |f|²/F₀²: a torque a long lever explains with a plausible force is
            // likelier than one a link next to the axis needs a kilonewton for.
            double ridge = 1e-9 * (a00 + a11 + a22) + 1e-300 + forcePrior;
            a00 += ridge; a11 += ridge; a22 += ridge;
            double c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11;
            double det = a00 * c00 + a01 * c01 + a02 * c02;
            if (!(Math.Abs(det) > 0)) continue;
            double c11 = a00 * a22 - a02 * a02, c12 = a01 * a02 - a00 * a12, c22 = a00 * a11 - a01 * a01;
            double f0 = (c00 * y0 + c01 * y1 + c02 * y2) / det;
            double f1 = (c01 * y0 + c11 * y1 + c12 * y2) / det;
            double f2 = (c02 * y0 + c12 * y1 + c22 * y2) / det;
            // RSS on the path = Σ w r² − fᵀy at the optimum; plus everything off the path.
            double onPath = total - off;
            double cost = Math.Max(0, onPath - (f0 * y0 + f1 * y1 + f2 * y2)) + off;
            // Prefer the link nearer the base when a farther one fits hardly better (it has more joints to fit noise with).
            double chainCost = chainPreference ? cost - (total - _chainEnergy[_chainRoot[b]]) : cost;
            if (chainCost < _bodyChainCost[b]) _bodyChainCost[b] = chainCost;
            bool sameChain = chainPreference && best >= 0 && _chainRoot[b] == _chainRoot[best];
            if (Replaces(cost, chainCost, bestCost, bestChainCost, sameChain, best >= 0 && Depth(b) <= Depth(best), proximal))
            {
                bestCost = cost;
                bestChainCost = chainCost;
                best = b;
            }
        }
        explained = best >= 0 && total > 0 ? 1 - bestCost / total : 0;
        return best;
    }

    /// <summary>
    /// Real-time safe. Whether a candidate link with cost <paramref name="cost"/> (of which <paramref name="chainCost"/> on its
    /// own chain) replaces the best so far: it must fit better by the proximal preference's ratio, or merely better when it
    /// is not farther from the base. Two links of one chain (<paramref name="sameChain"/>) are compared on that chain's cost
    /// only: what the other chains carry is common to both and would dilute the ratio towards 1.
    /// </summary>
    internal static bool Replaces(double cost, double chainCost, double bestCost, double bestChainCost, bool sameChain,
        bool notFarther, double proximal)
    {
        double challenger = sameChain ? chainCost : cost, holder = sameChain ? bestChainCost : bestCost;
        return challenger < holder * proximal || (notFarther && challenger < holder);
    }

    /// <summary>
    /// The share of the window's residual a contact on <paramref name="body"/> explains, counted on the chain (a subtree of
    /// the fixed base: one leg) that carries the most of it, when the body is on that chain: a contact on one leg cannot
    /// load the other, and what the other leg carries in the window is the stop's own misprediction (the reaction brakes
    /// both legs), common to every hypothesis. <paramref name="explained"/> is the share over all joints (the contact fit's
    /// weights, left in _wFit), <paramref name="fitTotal"/> their weighted energy. Real-time safe.
    /// </summary>
    private double ChainExplained(int body, double explained, double fitTotal)
    {
        if (body < 0 || !(fitTotal > 0)) return explained;
        for (int i = 0; i < _n; i++) _chainEnergy[i] = _wFit[i] * _rMean[i] * _rMean[i];
        return ChainShare(body, explained, _chainEnergy, _chainRoot);
    }

    /// <summary>
    /// Real-time safe. <paramref name="explained"/> (the share of Σ <paramref name="energy"/> a contact on
    /// <paramref name="body"/> explains) recounted on the chain carrying the most energy, when <paramref name="body"/> is on
    /// it; else unchanged. <paramref name="energy"/> per body (model order) is overwritten with the per-chain sums (indexed
    /// by the chain's root body); <paramref name="chainRoot"/> gives each body's root.
    /// </summary>
    internal static double ChainShare(int body, double explained, Span<double> energy, ReadOnlySpan<int> chainRoot)
    {
        int n = energy.Length;
        double total = 0;
        for (int i = 0; i < n; i++) total += energy[i];
        if (body < 0 || body >= n || !(total > 0)) return explained;
        // Per-chain sums in place: each root body's slot collects its chain.
        for (int i = 0; i < n; i++)
            if (chainRoot[i] != i) { energy[chainRoot[i]] += energy[i]; energy[i] = 0; }
        int chain = chainRoot[0];
        for (int i = 0; i < n; i++) if (chainRoot[i] == i && energy[i] > energy[chain]) chain = i;
        if (chainRoot[body] != chain || !(energy[chain] > 0)) return explained;
        // The fit's cost is everything off the body's path (the other chains whole) plus its misfit on the path.
        double cost = Math.Max(0, (1 - explained) * total - (total - energy[chain]));
        return Math.Max(0, 1 - cost / energy[chain]);
    }

    private int Depth(int b)
    {
        int d = 0;
        for (int i = 0; i < _n; i++) if (_onPath[b * _n + i]) d++;
        return d;
    }

    private int WorstOnPath(DivergenceRecord record, int body, int fallback)
    {
        double best = 0;
        int ch = -1;
        for (int i = 0; i < _n; i++)
        {
            if (!_onPath[body * _n + i]) continue;
            ref readonly var jc = ref _jointCh[_configOf[i]];
            Better(Ratio(record, jc.External.Channel), jc.External.Channel, ref best, ref ch);
            Better(Ratio(record, jc.Torque.Channel), jc.Torque.Channel, ref best, ref ch);
            Better(Ratio(record, jc.Position.Channel), jc.Position.Channel, ref best, ref ch);
            Better(Ratio(record, jc.Velocity.Channel), jc.Velocity.Channel, ref best, ref ch);
        }
        return ch >= 0 ? ch : fallback;
    }

    private int WorstOfJoint(DivergenceRecord record, int j)
    {
        ref readonly var jc = ref _jointCh[j];
        double best = -1;
        int ch = jc.External.Channel;
        Better(Ratio(record, jc.Torque.Channel), jc.Torque.Channel, ref best, ref ch);
        Better(Ratio(record, jc.External.Channel), jc.External.Channel, ref best, ref ch);
        Better(Ratio(record, jc.Position.Channel), jc.Position.Channel, ref best, ref ch);
        Better(Ratio(record, jc.Velocity.Channel), jc.Velocity.Channel, ref best, ref ch);
        return ch;
    }

    /// <summary>The class and location, and the evidence: the channel's fired (or nearest) test with its statistic and threshold.</summary>
    private void Set(DivergenceRecord record, FaultClass cls, FaultSite site, int location, sbyte axis, int channel)
    {
        var test = DetectionTest.None;
        // The evidence is a test that fired whenever one did: a cause located where nothing crossed its threshold (the
        // residual's best link while the channel over threshold is elsewhere) shows the record's worst channel, never a
        // nearest value below its threshold (nominal-sine-full seed 7005: l_hip_pitch.position's gate at 1.389 of 41.18
        // named for r_hip_yaw.position's gate at 1.22 × its threshold).
        if (record.OverCount > 0 && (channel < 0 || !record.OverThreshold[channel])
            && record.WorstChannel >= 0 && record.OverThreshold[record.WorstChannel])
            channel = record.WorstChannel;
        if (channel >= 0)
        {
            double gate = _cc.GateThreshold(channel), h = record.Threshold[channel];
            double gateRatio = gate > 0 ? record.Score[channel] / gate : 0;
            double cusumRatio = h > 0 ? record.Detector[channel] / h : 0;
            double stepRatio = _cc.StepGlrStatistic(channel) / _cc.StepGlrThreshold; // 0 when the step GLR is off
            var kinCheck = Kinematics;
            double kinRatio = kinCheck is null ? 0 : kinCheck.StatisticOfChannel(channel) / kinCheck.Threshold;
            if (kinCheck is not null && kinRatio > gateRatio && kinRatio > cusumRatio && kinRatio > stepRatio)
            {
                test = DetectionTest.MeanShift;
                record.EvidenceValue = kinCheck.StatisticOfChannel(channel);
                record.EvidenceThreshold = kinCheck.Threshold;
            }
            else if (stepRatio > gateRatio && stepRatio > cusumRatio)
            {
                test = DetectionTest.MeanShift;
                record.EvidenceValue = _cc.StepGlrStatistic(channel);
                record.EvidenceThreshold = _cc.StepGlrThreshold;
            }
            else if (gateRatio > cusumRatio)
            {
                test = DetectionTest.Gate;
                record.EvidenceValue = record.Score[channel];
                record.EvidenceThreshold = gate;
            }
            else
            {
                test = DetectionTest.Cusum;
                record.EvidenceValue = record.Detector[channel];
                record.EvidenceThreshold = h;
            }
        }
        record.EvidenceChannel = channel;
        record.Diagnosis = new FaultDiagnosis(cls, site, (short)location, axis, test);
    }

    /// <summary>max(CUSUM/h, NIS/gate); 0 for an excluded channel (it does not count).</summary>
    private double Ratio(DivergenceRecord record, int c)
    {
        if (c < 0 || _cc.IsExcluded(c)) return 0;
        double h = record.Threshold[c], gate = _cc.GateThreshold(c);
        double a = h > 0 ? record.Detector[c] / h : 0, b = gate > 0 ? record.Score[c] / gate : 0;
        double r = Math.Max(Math.Max(a, b), _cc.StepGlrStatistic(c) / _cc.StepGlrThreshold);
        if (Kinematics is { } kin) r = Math.Max(r, kin.StatisticOfChannel(c) / kin.Threshold);
        return double.IsFinite(r) ? r : double.MaxValue;
    }

    private static void Better(double ratio, int channel, ref double best, ref int bestChannel)
    {
        if (ratio > best)
        {
            best = ratio;
            bestChannel = channel;
        }
    }

    private static double Sq(double x) => x * x;

    /// <summary>σ of the raw innovation: the noise model's σ is of the whitened one, σ/√(1 − ρ²) undoes it.</summary>
    private static double Raw(NoiseModel noise, int offset) =>
        noise.Sigma[offset] / Math.Sqrt(Math.Max(1e-6, 1 - Sq(noise.Ar1[offset])));

}
