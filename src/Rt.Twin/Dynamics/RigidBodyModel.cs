using Rt.Core.Description;
using Rt.Core.Errors;

namespace Rt.Twin.Dynamics;

/// <summary>
/// Rigid-body dynamics of a fixed-base kinematic tree built from the URDF (Featherstone's spatial algebra):
/// forward kinematics, inverse dynamics (RNEA), joint-space mass matrix (CRBA), bias/gravity torques, Cᵀ(q,q̇)q̇
/// and the generalised momentum M(q)q̇.
/// <para>
/// Bodies: one per movable joint — the joint's child link with every link hanging below it through fixed joints
/// merged in (their inertias added, their frames remembered for sensor mounts). The root link (e.g. <c>pelvis</c>)
/// is the fixed base; its frame is the world frame, gravity is (0, 0, −9.81) in it unless set otherwise.
/// Body i's frame is the child link frame of movable joint i.
/// </para>
/// <para>
/// Joint-space order = <see cref="RobotDescription.MovableJoints"/> order (depth-first tree order). The host's
/// config may list joints in another order: <see cref="MapJointNames"/> gives the model index of each config joint.
/// </para>
/// <para>
/// Inertial parameters: a flat vector π of 10 per body, [m, m·cx, m·cy, m·cz, Ixx, Ixy, Ixz, Iyy, Iyz, Izz] with the
/// inertia about the body-frame origin in body coordinates. Inverse dynamics is linear in π, so the identification
/// regressor's column j is <see cref="InverseDynamics(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, ReadOnlySpan{double})"/>
/// with the unit vector e_j as π.
/// </para>
/// Construction is not real-time safe; every computation method is real-time safe (spans in, spans out, preallocated
/// workspace, no allocation). An instance is NOT thread-safe: it owns one workspace; use one instance per thread.
/// </summary>
public sealed class RigidBodyModel
{
    private readonly int _n;
    private readonly int[] _parent;
    private readonly bool[] _prismatic;
    private readonly V3[] _axis;
    private readonly M3[] _treeR;   // joint frame orientation in the parent body frame (fixed chain + joint origin)
    private readonly V3[] _treeP;   // joint frame origin in the parent body frame
    private readonly double[] _pi;
    private readonly string[] _jointNames;
    private readonly string[] _bodyNames;
    private readonly Dictionary<string, LinkFrame> _linkFrames;
    private V3 _gravity = new(0, 0, -9.81);

    // Workspace, sized once.
    private readonly M3[] _e;       // parent→child rotation of X_i
    private readonly V3[] _r;       // child origin in parent coordinates
    private readonly V3[] _w, _v, _aw, _av, _fn, _ff;
    private readonly BodyInertia[] _ic;
    private readonly M3[] _worldR;
    private readonly V3[] _worldP;

    private RigidBodyModel(
        string robotName, int[] parent, bool[] prismatic, V3[] axis, M3[] treeR, V3[] treeP, double[] pi,
        string[] jointNames, string[] bodyNames, Dictionary<string, LinkFrame> linkFrames, double baseMass)
    {
        RobotName = robotName;
        _n = parent.Length;
        _parent = parent;
        _prismatic = prismatic;
        _axis = axis;
        _treeR = treeR;
        _treeP = treeP;
        _pi = pi;
        _jointNames = jointNames;
        _bodyNames = bodyNames;
        _linkFrames = linkFrames;
        BaseMass = baseMass;
        _e = new M3[_n];
        _r = new V3[_n];
        _w = new V3[_n];
        _v = new V3[_n];
        _aw = new V3[_n];
        _av = new V3[_n];
        _fn = new V3[_n];
        _ff = new V3[_n];
        _ic = new BodyInertia[_n];
        _worldR = new M3[_n];
        _worldP = new V3[_n];
        var names = new string[10 * _n];
        string[] suffix = ["m", "mcx", "mcy", "mcz", "Ixx", "Ixy", "Ixz", "Iyy", "Iyz", "Izz"];
        for (int b = 0; b < _n; b++)
            for (int k = 0; k < 10; k++) names[b * 10 + k] = $"{bodyNames[b]}.{suffix[k]}";
        ParameterNames = names;
    }

    public string RobotName { get; }

    /// <summary>Number of movable joints (= bodies).</summary>
    public int DegreesOfFreedom => _n;

    /// <summary>Length of the π vector: 10 per body.</summary>
    public int ParameterCount => 10 * _n;

    /// <summary>Movable joint names in model (joint-space) order.</summary>
    public IReadOnlyList<string> JointNames => _jointNames;

    /// <summary>Body names (the child link of each movable joint) in model order.</summary>
    public IReadOnlyList<string> BodyNames => _bodyNames;

    /// <summary>Names of the π entries, e.g. "l_thigh.m", "l_thigh.mcx", "l_thigh.Ixx".</summary>
    public IReadOnlyList<string> ParameterNames { get; }

    /// <summary>Parent body of each body (−1 = the fixed base).</summary>
    public ReadOnlySpan<int> Parents => _parent;

    /// <summary>
    /// The kinematic paths, row-major n×n: [b·n + i] is true when joint i lies between the fixed base and body b (b's own
    /// joint included). Not real-time safe (allocates); for construction.
    /// </summary>
    internal bool[] PathMatrix()
    {
        var onPath = new bool[_n * _n];
        for (int b = 0; b < _n; b++)
            for (int i = b; i >= 0; i = _parent[i]) onPath[b * _n + i] = true;
        return onPath;
    }

    /// <summary>The body's ancestor that hangs from the fixed base (the root of its chain: a leg). Allocation-free; used at construction.</summary>
    internal int ChainRoot(int body)
    {
        int root = body;
        while (_parent[root] >= 0) root = _parent[root];
        return root;
    }

    /// <summary>Joints between the fixed base and <paramref name="body"/>, its own excluded (0 for a body on the base). Allocation-free; used at construction.</summary>
    internal int DepthOf(int body)
    {
        int depth = 0;
        for (int a = _parent[body]; a >= 0; a = _parent[a]) depth++;
        return depth;
    }

    /// <summary>Mass of the fixed base with its fixed children (does not enter the joint-space dynamics).</summary>
    public double BaseMass { get; }

    /// <summary>Gravity in the base (world) frame, m/s². Default (0, 0, −9.81). Set at prepare time.</summary>
    public (double X, double Y, double Z) Gravity
    {
        get => (_gravity.X, _gravity.Y, _gravity.Z);
        set => _gravity = new V3(value.X, value.Y, value.Z);
    }

    /// <summary>Builds the model from a parsed URDF description. Not real-time safe.</summary>
    /// <exception cref="InputError">A body without a usable mass, or a joint axis of zero length.</exception>
    public static RigidBodyModel FromDescription(RobotDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var frames = new Dictionary<string, LinkFrame>(StringComparer.Ordinal)
        {
            [description.RootLink] = new LinkFrame(-1, M3.Identity, V3.Zero),
        };
        var parent = new List<int>();
        var prismatic = new List<bool>();
        var axis = new List<V3>();
        var treeR = new List<M3>();
        var treeP = new List<V3>();
        var jointNames = new List<string>();
        var bodyNames = new List<string>();
        foreach (var j in description.JointsInTreeOrder)
        {
            if (!frames.TryGetValue(j.Parent, out var pf))
                throw new InputError(description.SourcePath, $"joint '{j.Name}'", $"parent link '{j.Parent}' is not reachable from the root '{description.RootLink}'");
            var ro = M3.FromRpy(j.Origin.Rpy.X, j.Origin.Rpy.Y, j.Origin.Rpy.Z);
            var po = new V3(j.Origin.Xyz.X, j.Origin.Xyz.Y, j.Origin.Xyz.Z);
            var rj = pf.R * ro;
            var pj = pf.P + pf.R.Mul(po);
            if (j.Type == JointType.Fixed)
            {
                frames[j.Child] = new LinkFrame(pf.Body, rj, pj);
                continue;
            }
            var a = new V3(j.Axis.X, j.Axis.Y, j.Axis.Z);
            double norm = a.Norm;
            if (!(norm > 1e-12) || !double.IsFinite(norm))
                throw new InputError(description.SourcePath, $"joint '{j.Name}' <axis>", "axis must be a finite non-zero vector");
            int body = parent.Count;
            parent.Add(pf.Body);
            prismatic.Add(j.Type == JointType.Prismatic);
            axis.Add(a * (1 / norm));
            treeR.Add(rj);
            treeP.Add(pj);
            jointNames.Add(j.Name);
            bodyNames.Add(j.Child);
            frames[j.Child] = new LinkFrame(body, M3.Identity, V3.Zero);
        }

        int n = parent.Count;
        var pi = new double[10 * n];
        double baseMass = 0;
        var acc = new BodyInertia[n];
        foreach (var link in description.Links)
        {
            if (link.Inertial is not { } inertial) continue;
            if (!frames.TryGetValue(link.Name, out var lf)) continue; // not attached to the tree: the parser rejects this
            if (!(inertial.Mass >= 0) || !double.IsFinite(inertial.Mass))
                throw new InputError(description.SourcePath, $"link '{link.Name}' <inertial>", $"mass {inertial.Mass} must be finite and ≥ 0");
            if (lf.Body < 0)
            {
                baseMass += inertial.Mass;
                continue;
            }
            // Inertial frame in body coordinates.
            var rc = lf.R * M3.FromRpy(inertial.Origin.Rpy.X, inertial.Origin.Rpy.Y, inertial.Origin.Rpy.Z);
            var c = lf.P + lf.R.Mul(new V3(inertial.Origin.Xyz.X, inertial.Origin.Xyz.Y, inertial.Origin.Xyz.Z));
            var ic = new M3
            {
                M00 = inertial.Ixx, M01 = inertial.Ixy, M02 = inertial.Ixz,
                M10 = inertial.Ixy, M11 = inertial.Iyy, M12 = inertial.Iyz,
                M20 = inertial.Ixz, M21 = inertial.Iyz, M22 = inertial.Izz,
            };
            var ib = rc * ic * rc.Transpose();
            double m = inertial.Mass, cc = V3.Dot(c, c);
            acc[lf.Body].Add(new BodyInertia
            {
                M = m,
                H = m * c,
                Ixx = ib.M00 + m * (cc - c.X * c.X),
                Iyy = ib.M11 + m * (cc - c.Y * c.Y),
                Izz = ib.M22 + m * (cc - c.Z * c.Z),
                Ixy = ib.M01 - m * c.X * c.Y,
                Ixz = ib.M02 - m * c.X * c.Z,
                Iyz = ib.M12 - m * c.Y * c.Z,
            });
        }
        for (int b = 0; b < n; b++) acc[b].ToPi(pi, b);

        return new RigidBodyModel(
            description.Name, [.. parent], [.. prismatic], [.. axis], [.. treeR], [.. treeP], pi,
            [.. jointNames], [.. bodyNames], frames, baseMass);
    }

    /// <summary>
    /// Model index of each of <paramref name="jointNames"/> (e.g. the config's joint order). Not real-time safe.
    /// </summary>
    /// <exception cref="ArgumentException">A name that is not a movable joint of the model, or a duplicate.</exception>
    public int[] MapJointNames(IReadOnlyList<string> jointNames)
    {
        ArgumentNullException.ThrowIfNull(jointNames);
        var map = new int[jointNames.Count];
        var seen = new HashSet<int>();
        for (int i = 0; i < jointNames.Count; i++)
        {
            int k = Array.IndexOf(_jointNames, jointNames[i]);
            if (k < 0)
                throw new ArgumentException($"joint '{jointNames[i]}' is not a movable joint of robot '{RobotName}' (movable joints: {string.Join(", ", _jointNames)})", nameof(jointNames));
            if (!seen.Add(k)) throw new ArgumentException($"joint '{jointNames[i]}' is listed twice", nameof(jointNames));
            map[i] = k;
        }
        return map;
    }

    /// <summary>
    /// The frame of a link (movable body or fixed child) as (body index, rotation row-major 9, position 3) relative
    /// to its body frame; body −1 is the fixed base. Not real-time safe (dictionary lookup by string).
    /// </summary>
    public bool TryGetLinkFrame(string link, out int body, Span<double> rotation, Span<double> position)
    {
        body = -1;
        if (!_linkFrames.TryGetValue(link, out var f)) return false;
        body = f.Body;
        WriteR(f.R, rotation);
        position[0] = f.P.X;
        position[1] = f.P.Y;
        position[2] = f.P.Z;
        return true;
    }

    internal bool TryGetLinkFrame(string link, out LinkFrame frame) => _linkFrames.TryGetValue(link, out frame);

    /// <summary>Replaces the inertial parameters (length <see cref="ParameterCount"/>). Real-time safe.</summary>
    public void SetInertialParameters(ReadOnlySpan<double> pi)
    {
        if (pi.Length != _pi.Length) ThrowLength(nameof(pi), _pi.Length, pi.Length);
        pi.CopyTo(_pi);
    }

    /// <summary>Copies the current inertial parameters. Real-time safe.</summary>
    public void GetInertialParameters(Span<double> pi)
    {
        if (pi.Length != _pi.Length) ThrowLength(nameof(pi), _pi.Length, pi.Length);
        _pi.CopyTo(pi);
    }

    // ---------------------------------------------------------------- kinematics

    /// <summary>Joint transforms X_i(q) = X_J(q_i)·X_tree,i as (E_i, r_i).</summary>
    private void UpdateTransforms(ReadOnlySpan<double> q)
    {
        if (q.Length != _n) ThrowLength(nameof(q), _n, q.Length);
        for (int i = 0; i < _n; i++)
        {
            M3 rot;
            V3 pos = _treeP[i];
            if (_prismatic[i])
            {
                rot = _treeR[i];
                pos = pos + _treeR[i].Mul(_axis[i] * q[i]);
            }
            else
            {
                var (s, c) = Math.SinCos(q[i]);
                rot = _treeR[i] * M3.AxisAngle(_axis[i], c, s);
            }
            _e[i] = rot.Transpose();
            _r[i] = pos;
        }
    }

    /// <summary>
    /// Body velocities and accelerations (body coordinates) from (q̇, q̈); with <paramref name="gravity"/> the base
    /// accelerates at −g so every body's acceleration already carries gravity (RBDA §5.3).
    /// </summary>
    private void ForwardPass(ReadOnlySpan<double> qd, ReadOnlySpan<double> qdd, bool gravity, bool accelerations)
    {
        var g = gravity ? -_gravity : V3.Zero;
        for (int i = 0; i < _n; i++)
        {
            int p = _parent[i];
            ref readonly var e = ref _e[i];
            ref readonly var r = ref _r[i];
            V3 w, v, aw, av;
            if (p < 0)
            {
                w = V3.Zero;
                v = V3.Zero;
                aw = V3.Zero;
                av = e.Mul(g);
            }
            else
            {
                var wp = _w[p];
                w = e.Mul(wp);
                v = e.Mul(_v[p] - V3.Cross(r, wp));
                if (accelerations)
                {
                    var awp = _aw[p];
                    aw = e.Mul(awp);
                    av = e.Mul(_av[p] - V3.Cross(r, awp));
                }
                else
                {
                    aw = V3.Zero;
                    av = V3.Zero;
                }
            }
            var a = _axis[i];
            double qdi = qd.IsEmpty ? 0 : qd[i];
            double qddi = qdd.IsEmpty ? 0 : qdd[i];
            var sq = a * qdi;
            if (_prismatic[i])
            {
                v = v + sq;
                if (accelerations)
                {
                    av = av + a * qddi + V3.Cross(w, sq);
                }
            }
            else
            {
                if (accelerations)
                {
                    aw = aw + a * qddi + V3.Cross(w, sq);
                    av = av + V3.Cross(v, sq);
                }
                w = w + sq;
            }
            _w[i] = w;
            _v[i] = v;
            _aw[i] = aw;
            _av[i] = av;
        }
    }

    /// <summary>
    /// Forward kinematics: every body's pose in the base (world) frame — <paramref name="rotations"/> 9 per body
    /// (row-major, body→world), <paramref name="positions"/> 3 per body. Real-time safe.
    /// </summary>
    public void ForwardKinematics(ReadOnlySpan<double> q, Span<double> rotations, Span<double> positions)
    {
        if (rotations.Length < 9 * _n) ThrowLength(nameof(rotations), 9 * _n, rotations.Length);
        if (positions.Length < 3 * _n) ThrowLength(nameof(positions), 3 * _n, positions.Length);
        UpdateTransforms(q);
        UpdateWorldPoses();
        for (int i = 0; i < _n; i++)
        {
            WriteR(_worldR[i], rotations.Slice(9 * i, 9));
            positions[3 * i] = _worldP[i].X;
            positions[3 * i + 1] = _worldP[i].Y;
            positions[3 * i + 2] = _worldP[i].Z;
        }
    }

    /// <summary>
    /// Every joint's axis (unit) and origin in the base (world) frame at <paramref name="q"/>, and every body's
    /// rotation (body→world), for contact isolation. Real-time safe.
    /// </summary>
    internal void JointAxesWorld(ReadOnlySpan<double> q, Span<V3> axes, Span<V3> origins, Span<M3> rotations)
    {
        UpdateTransforms(q);
        UpdateWorldPoses();
        for (int i = 0; i < _n; i++)
        {
            axes[i] = _worldR[i].Mul(_axis[i]);
            origins[i] = _worldP[i];
            rotations[i] = _worldR[i];
        }
    }

    /// <summary>Each joint's origin in its parent body's frame (model order).</summary>
    internal ReadOnlySpan<V3> TreeOrigins => _treeP;

    private void UpdateWorldPoses()
    {
        for (int i = 0; i < _n; i++)
        {
            int p = _parent[i];
            var rt = _e[i].Transpose();
            if (p < 0)
            {
                _worldR[i] = rt;
                _worldP[i] = _r[i];
            }
            else
            {
                _worldR[i] = _worldR[p] * rt;
                _worldP[i] = _worldP[p] + _worldR[p].Mul(_r[i]);
            }
        }
    }

    /// <summary>
    /// Spatial velocity and acceleration of every body in its own coordinates, 6 per body as [ω; v] (Featherstone's
    /// spatial vectors at the body origin). With <paramref name="includeGravity"/> the accelerations are relative to a
    /// free-falling frame (a − g), which is what an accelerometer measures. Optionally the world poses too.
    /// Real-time safe.
    /// </summary>
    public void BodyMotion(
        ReadOnlySpan<double> q, ReadOnlySpan<double> qd, ReadOnlySpan<double> qdd, bool includeGravity,
        Span<double> velocities, Span<double> accelerations)
    {
        if (velocities.Length < 6 * _n) ThrowLength(nameof(velocities), 6 * _n, velocities.Length);
        if (accelerations.Length < 6 * _n) ThrowLength(nameof(accelerations), 6 * _n, accelerations.Length);
        CheckLength(qd, nameof(qd));
        CheckLength(qdd, nameof(qdd));
        UpdateTransforms(q);
        ForwardPass(qd, qdd, includeGravity, true);
        for (int i = 0; i < _n; i++)
        {
            Write6(_w[i], _v[i], velocities.Slice(6 * i, 6));
            Write6(_aw[i], _av[i], accelerations.Slice(6 * i, 6));
        }
    }

    /// <summary>Same as the public BodyMotion, leaving the results in the workspace for the IMU model.</summary>
    internal void UpdateMotion(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, ReadOnlySpan<double> qdd, bool includeGravity)
    {
        CheckLength(qd, nameof(qd));
        CheckLength(qdd, nameof(qdd));
        UpdateTransforms(q);
        ForwardPass(qd, qdd, includeGravity, true);
    }

    internal void GetBodyMotion(int body, out V3 w, out V3 v, out V3 aw, out V3 av)
    {
        w = _w[body];
        v = _v[body];
        aw = _aw[body];
        av = _av[body];
    }

    /// <summary>Rotation body→world of the bodies after the last transform update (computes the world poses).</summary>
    internal void UpdateWorldPosesFromLastTransforms() => UpdateWorldPoses();

    internal M3 WorldRotation(int body) => body < 0 ? M3.Identity : _worldR[body];

    internal V3 GravityVector => _gravity;

    // ---------------------------------------------------------------- dynamics

    /// <summary>Inverse dynamics (RNEA) with gravity and the model's own π: τ = M(q)q̈ + c(q,q̇). Real-time safe.</summary>
    public void InverseDynamics(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, ReadOnlySpan<double> qdd, Span<double> tau) =>
        InverseDynamics(q, qd, qdd, tau, _pi, true);

    /// <summary>
    /// Inverse dynamics (RNEA) with gravity and the given inertial parameters <paramref name="pi"/> (10 per body).
    /// Linear in π: with a unit vector e_j this is column j of the identification regressor. Real-time safe.
    /// </summary>
    public void InverseDynamics(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, ReadOnlySpan<double> qdd, Span<double> tau, ReadOnlySpan<double> pi) =>
        InverseDynamics(q, qd, qdd, tau, pi, true);

    /// <summary>
    /// Inverse dynamics (RNEA) with optional gravity. <paramref name="qd"/> or <paramref name="qdd"/> may be empty
    /// (= zero). Real-time safe.
    /// </summary>
    public void InverseDynamics(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, ReadOnlySpan<double> qdd, Span<double> tau, ReadOnlySpan<double> pi, bool gravity)
    {
        if (pi.Length != _pi.Length) ThrowLength(nameof(pi), _pi.Length, pi.Length);
        if (tau.Length < _n) ThrowLength(nameof(tau), _n, tau.Length);
        CheckLength(qd, nameof(qd));
        CheckLength(qdd, nameof(qdd));
        UpdateTransforms(q);
        ForwardPass(qd, qdd, gravity, true);
        for (int i = 0; i < _n; i++)
        {
            var bi = BodyInertia.FromPi(pi, i);
            var w = _w[i];
            var v = _v[i];
            bi.Mul(_aw[i], _av[i], out var n, out var f);
            bi.Mul(w, v, out var hn, out var hf);
            // f_i = I a + v ×* (I v);  v ×* (n, f) = (ω × n + v × f, ω × f).
            _fn[i] = n + V3.Cross(w, hn) + V3.Cross(v, hf);
            _ff[i] = f + V3.Cross(w, hf);
        }
        BackwardForces(tau);
    }

    /// <summary>τ_i = S_iᵀ f_i, then f_parent += X_iᵀ f_i, leaves to root.</summary>
    private void BackwardForces(Span<double> tau)
    {
        for (int i = _n - 1; i >= 0; i--)
        {
            var n = _fn[i];
            var f = _ff[i];
            tau[i] = _prismatic[i] ? V3.Dot(_axis[i], f) : V3.Dot(_axis[i], n);
            int p = _parent[i];
            if (p >= 0)
            {
                ref readonly var e = ref _e[i];
                var fp = e.MulT(f);
                _ff[p] = _ff[p] + fp;
                _fn[p] = _fn[p] + e.MulT(n) + V3.Cross(_r[i], fp);
            }
        }
    }

    /// <summary>The diagonal of M(q) (composite-inertia pass of the CRBA only, O(n)). Real-time safe.</summary>
    public void MassMatrixDiagonal(ReadOnlySpan<double> q, Span<double> diagonal)
    {
        if (diagonal.Length < _n) ThrowLength(nameof(diagonal), _n, diagonal.Length);
        UpdateTransforms(q);
        for (int i = 0; i < _n; i++) _ic[i] = BodyInertia.FromPi(_pi, i);
        for (int i = _n - 1; i >= 0; i--)
        {
            int p = _parent[i];
            if (p >= 0) _ic[p].Add(_ic[i].ToParent(_e[i], _r[i]));
        }
        for (int i = 0; i < _n; i++)
        {
            var a = _axis[i];
            diagonal[i] = _prismatic[i] ? _ic[i].M : V3.Dot(a, _ic[i].RotMul(a));
        }
    }

    /// <summary>M(q)·<paramref name="v"/> without forming M (RNEA with q̇ = 0, no gravity, q̈ = v). Real-time safe.</summary>
    public void MassTimes(ReadOnlySpan<double> q, ReadOnlySpan<double> v, Span<double> result) =>
        InverseDynamics(q, [], v, result, _pi, false);

    /// <summary>Bias torques c(q,q̇) = C(q,q̇)q̇ + g(q) (RNEA with q̈ = 0). Real-time safe.</summary>
    public void Bias(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, Span<double> c) =>
        InverseDynamics(q, qd, [], c, _pi, true);

    /// <summary>Gravity torques g(q) (RNEA with q̇ = q̈ = 0). Real-time safe.</summary>
    public void GravityTorques(ReadOnlySpan<double> q, Span<double> g)
    {
        if (g.Length < _n) ThrowLength(nameof(g), _n, g.Length);
        UpdateTransforms(q);
        GravityFromTransforms(g);
    }

    private void GravityFromTransforms(Span<double> g)
    {
        var grav = -_gravity;
        for (int i = 0; i < _n; i++)
        {
            int p = _parent[i];
            ref readonly var e = ref _e[i];
            var aw = p < 0 ? V3.Zero : e.Mul(_aw[p]);
            var av = p < 0 ? e.Mul(grav) : e.Mul(_av[p] - V3.Cross(_r[i], _aw[p]));
            _aw[i] = aw;
            _av[i] = av;
            BodyInertia.FromPi(_pi, i).Mul(aw, av, out var n, out var f);
            _fn[i] = n;
            _ff[i] = f;
        }
        BackwardForces(g);
    }

    /// <summary>Coriolis/centrifugal torques C(q,q̇)q̇ (RNEA without gravity, q̈ = 0). Real-time safe.</summary>
    public void CoriolisTimesVelocity(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, Span<double> cqd) =>
        InverseDynamics(q, qd, [], cqd, _pi, false);

    /// <summary>
    /// Joint-space mass matrix M(q) (CRBA), row-major n×n into <paramref name="m"/>. Real-time safe.
    /// </summary>
    public void MassMatrix(ReadOnlySpan<double> q, Span<double> m)
    {
        if (m.Length < _n * _n) ThrowLength(nameof(m), _n * _n, m.Length);
        UpdateTransforms(q);
        MassMatrixFromTransforms(m);
    }

    private void MassMatrixFromTransforms(Span<double> m)
    {
        int n = _n;
        // Entries between bodies on different branches are zero and never written below.
        m[..(n * n)].Clear();
        for (int i = 0; i < n; i++) _ic[i] = BodyInertia.FromPi(_pi, i);
        for (int i = n - 1; i >= 0; i--)
        {
            int p = _parent[i];
            if (p >= 0) _ic[p].Add(_ic[i].ToParent(_e[i], _r[i]));
        }
        for (int i = 0; i < n; i++)
        {
            var a = _axis[i];
            V3 fn, ff;
            if (_prismatic[i]) _ic[i].Mul(V3.Zero, a, out fn, out ff);
            else _ic[i].Mul(a, V3.Zero, out fn, out ff);
            m[i * n + i] = _prismatic[i] ? V3.Dot(a, ff) : V3.Dot(a, fn);
            int j = i;
            while (_parent[j] >= 0)
            {
                ref readonly var e = ref _e[j];
                var fp = e.MulT(ff);
                fn = e.MulT(fn) + V3.Cross(_r[j], fp);
                ff = fp;
                j = _parent[j];
                double mij = _prismatic[j] ? V3.Dot(_axis[j], ff) : V3.Dot(_axis[j], fn);
                m[i * n + j] = mij;
                m[j * n + i] = mij;
            }
        }
    }

    /// <summary>
    /// The momentum observer's terms in one sweep: generalised momentum p = M(q)q̇ and Cᵀ(q,q̇)q̇.
    /// <para>
    /// Why it works: with h_k = I_k v_k each body's spatial momentum and H_i = Σ_{k ∈ subtree(i)} h_k, p_i = S_iᵀH_i.
    /// Differentiating, ṗ = Ṁq̇ + Mq̈ = RNEA-without-gravity + (v_i ×ₘ S_i)ᵀH_i, and since Ṁ = C + Cᵀ,
    /// Cᵀq̇ = Ṁq̇ − Cq̇ = (v_i ×ₘ S_i)ᵀH_i = −S_iᵀ(v_i ×* H_i): one forward velocity pass and one backward momentum pass,
    /// O(n), no C matrix.
    /// </para>
    /// Real-time safe.
    /// </summary>
    public void MomentumTerms(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, Span<double> momentum, Span<double> coriolisTransposeQd)
    {
        if (momentum.Length < _n) ThrowLength(nameof(momentum), _n, momentum.Length);
        if (coriolisTransposeQd.Length < _n) ThrowLength(nameof(coriolisTransposeQd), _n, coriolisTransposeQd.Length);
        if (qd.Length != _n) ThrowLength(nameof(qd), _n, qd.Length);
        UpdateTransforms(q);
        MomentumFromTransforms(qd, momentum, coriolisTransposeQd);
    }

    private void MomentumFromTransforms(ReadOnlySpan<double> qd, Span<double> momentum, Span<double> ctqd)
    {
        ForwardPass(qd, [], false, false);
        for (int i = 0; i < _n; i++)
        {
            BodyInertia.FromPi(_pi, i).Mul(_w[i], _v[i], out var hn, out var hf);
            _fn[i] = hn;
            _ff[i] = hf;
        }
        for (int i = _n - 1; i >= 0; i--)
        {
            var hn = _fn[i];
            var hf = _ff[i];
            var a = _axis[i];
            var w = _w[i];
            if (_prismatic[i])
            {
                momentum[i] = V3.Dot(a, hf);
                ctqd[i] = -V3.Dot(a, V3.Cross(w, hf));
            }
            else
            {
                momentum[i] = V3.Dot(a, hn);
                ctqd[i] = -V3.Dot(a, V3.Cross(w, hn) + V3.Cross(_v[i], hf));
            }
            int p = _parent[i];
            if (p >= 0)
            {
                ref readonly var e = ref _e[i];
                var fp = e.MulT(hf);
                _ff[p] = _ff[p] + fp;
                _fn[p] = _fn[p] + e.MulT(hn) + V3.Cross(_r[i], fp);
            }
        }
    }

    /// <summary>Cᵀ(q,q̇)q̇ alone (see <see cref="MomentumTerms"/>). Real-time safe.</summary>
    public void CoriolisTransposeTimesVelocity(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, Span<double> result)
    {
        Span<double> p = stackalloc double[_n];
        MomentumTerms(q, qd, p, result);
    }

    /// <summary>
    /// Everything the momentum observer needs at one state, sharing one kinematics update: M(q) (row-major; pass an
    /// empty span to skip the CRBA — the observer itself only needs p), p = M q̇, Cᵀq̇ and g(q). Real-time safe.
    /// </summary>
    public void ObserverTerms(
        ReadOnlySpan<double> q, ReadOnlySpan<double> qd, Span<double> massMatrix, Span<double> momentum,
        Span<double> coriolisTransposeQd, Span<double> gravity)
    {
        if (!massMatrix.IsEmpty && massMatrix.Length < _n * _n) ThrowLength(nameof(massMatrix), _n * _n, massMatrix.Length);
        if (momentum.Length < _n) ThrowLength(nameof(momentum), _n, momentum.Length);
        if (coriolisTransposeQd.Length < _n) ThrowLength(nameof(coriolisTransposeQd), _n, coriolisTransposeQd.Length);
        if (gravity.Length < _n) ThrowLength(nameof(gravity), _n, gravity.Length);
        if (qd.Length != _n) ThrowLength(nameof(qd), _n, qd.Length);
        UpdateTransforms(q);
        if (!massMatrix.IsEmpty) MassMatrixFromTransforms(massMatrix);
        MomentumFromTransforms(qd, momentum, coriolisTransposeQd);
        GravityFromTransforms(gravity);
    }

    // ---------------------------------------------------------------- helpers

    private void CheckLength(ReadOnlySpan<double> s, string name)
    {
        if (!s.IsEmpty && s.Length != _n) ThrowLength(name, _n, s.Length);
    }

    private static void WriteR(in M3 r, Span<double> d)
    {
        d[0] = r.M00;
        d[1] = r.M01;
        d[2] = r.M02;
        d[3] = r.M10;
        d[4] = r.M11;
        d[5] = r.M12;
        d[6] = r.M20;
        d[7] = r.M21;
        d[8] = r.M22;
    }

    private static void Write6(in V3 a, in V3 b, Span<double> d)
    {
        d[0] = a.X;
        d[1] = a.Y;
        d[2] = a.Z;
        d[3] = b.X;
        d[4] = b.Y;
        d[5] = b.Z;
    }

    // Kept out of line so the hot paths stay small; a wrong length is a programming error, found at prepare time.
    private static void ThrowLength(string name, int expected, int actual) =>
        throw new ArgumentException($"{name} has length {actual}, expected {expected}", name);
}

/// <summary>A link's frame relative to the body it is merged into (body −1 = the fixed base).</summary>
internal readonly record struct LinkFrame(int Body, M3 R, V3 P);
