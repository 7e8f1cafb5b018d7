using Rt.Core.Description;
using Rt.Core.Errors;
using static Rt.Hil.Plant.MuJoCoNative;

namespace Rt.Hil.Plant;

/// <summary>
/// The bench's physical robot: a MuJoCo 2.2.2 model generated from the robot description (see <see cref="MjcfWriter"/>),
/// hanging on a fixed stand. Every joint-space vector is in <see cref="JointNames"/> order (the robot's joint order).
/// <para>
/// Prepare (not real-time safe): <see cref="Load"/>, <see cref="SetJointState"/>, name lookups, parameter setters.
/// Perform (real-time safe, no allocation): torque in, <see cref="Step"/>, state/IMU out, wrench and obstacle
/// injection by index, and the dynamics queries (<see cref="InverseDynamics"/>, <see cref="MassMatrix"/>, <see cref="Bias"/>),
/// which run on a scratch copy and never disturb the simulation.
/// </para>
/// Not thread-safe: one thread drives a plant.
/// </summary>
public sealed unsafe class MujocoPlant : IDisposable
{
    private nint _h;
    private readonly int[] _qposAdr;
    private readonly int[] _dofAdr;
    private readonly int[] _imuAccelAdr;
    private readonly int[] _imuGyroAdr;
    private readonly int[] _obstacleMocap;
    private readonly int[] _obstacleBody;
    // Robot link name by link index (MuJoCo body id); null for the world and the obstacles.
    private readonly string?[] _linkNames;
    private readonly int[] _obstacleTouchAdr;
    private readonly double* _qpos, _qvel, _qacc, _qfrcApplied, _xfrcApplied, _sensordata, _mocapPos, _mocapQuat, _xpos, _geomXpos, _geomXmat;
    private readonly int _nq, _nv;
    private readonly double[] _contactTau; // DOF order: ObstacleContactTorque's scratch
    // Scratch in MuJoCo order for the dynamics queries (pinned, sized at load).
    private readonly double[] _sq, _sqd, _sqdd, _sout, _sM;
    private readonly long _timestepNs;
    private long _steps;
    private long _warningsAtLoad;

    private MujocoPlant(nint h, RobotDescription robot, IReadOnlyList<string> jointNames, IReadOnlyList<string> imuNames, string mjcf, double rootHeight)
    {
        _h = h;
        Robot = robot;
        JointNames = jointNames;
        ImuNames = imuNames;
        Mjcf = mjcf;
        RootHeightM = rootHeight;
        _nq = rtmj_nq(h);
        _nv = rtmj_nv(h);
        int n = jointNames.Count;
        _qposAdr = new int[n];
        _dofAdr = new int[n];
        for (int i = 0; i < n; i++)
        {
            int id = rtmj_name2id(h, ObjJoint, jointNames[i]);
            if (id < 0)
                throw new InputError(robot.SourcePath, $"joint '{jointNames[i]}'", "joint order names a joint that is not a movable joint of the robot");
            _qposAdr[i] = rtmj_joint_qposadr(h, id);
            _dofAdr[i] = rtmj_joint_dofadr(h, id);
        }
        if (_nq != n || _nv != n)
            throw new InputError(robot.SourcePath, "joints", $"the plant has nq={_nq}, nv={_nv} but the joint order lists {n} joints: every movable joint must be listed once");
        _imuAccelAdr = new int[imuNames.Count];
        _imuGyroAdr = new int[imuNames.Count];
        for (int i = 0; i < imuNames.Count; i++)
        {
            _imuAccelAdr[i] = rtmj_sensor_adr(h, rtmj_name2id(h, ObjSensor, imuNames[i] + MjcfWriter.AccelSuffix));
            _imuGyroAdr[i] = rtmj_sensor_adr(h, rtmj_name2id(h, ObjSensor, imuNames[i] + MjcfWriter.GyroSuffix));
        }
        var mocap = new List<int>();
        var obstacleBodies = new List<int>();
        for (int i = 0; ; i++)
        {
            int body = rtmj_name2id(h, ObjBody, MjcfWriter.ObstaclePrefix + i);
            if (body < 0) break;
            mocap.Add(rtmj_body_mocapid(h, body));
            obstacleBodies.Add(body);
        }
        _obstacleMocap = [.. mocap];
        _obstacleBody = [.. obstacleBodies];
        _linkNames = new string?[Math.Max(0, rtmj_nbody(h))];
        foreach (var link in robot.Links)
        {
            int body = rtmj_name2id(h, ObjBody, link.Name);
            if (body > 0 && body < _linkNames.Length && rtmj_body_mocapid(h, body) < 0) _linkNames[body] = link.Name;
        }
        _obstacleTouchAdr = new int[_obstacleMocap.Length];
        for (int i = 0; i < _obstacleTouchAdr.Length; i++)
        {
            int sensor = rtmj_name2id(h, ObjSensor, MjcfWriter.ObstaclePrefix + i + MjcfWriter.TouchSuffix);
            _obstacleTouchAdr[i] = sensor >= 0 ? rtmj_sensor_adr(h, sensor) : -1;
        }
        _qpos = rtmj_data_ptr(h, FieldQpos);
        _qvel = rtmj_data_ptr(h, FieldQvel);
        _qfrcApplied = rtmj_data_ptr(h, FieldQfrcApplied);
        _qacc = rtmj_data_ptr(h, FieldQacc);
        _xfrcApplied = rtmj_data_ptr(h, FieldXfrcApplied);
        _sensordata = rtmj_data_ptr(h, FieldSensordata);
        _mocapPos = rtmj_data_ptr(h, FieldMocapPos);
        _mocapQuat = rtmj_data_ptr(h, FieldMocapQuat);
        _xpos = rtmj_data_ptr(h, FieldXpos);
        _geomXpos = rtmj_data_ptr(h, FieldGeomXpos);
        _geomXmat = rtmj_data_ptr(h, FieldGeomXmat);
        _sq = GC.AllocateArray<double>(_nq, pinned: true);
        _sqd = GC.AllocateArray<double>(_nv, pinned: true);
        _sqdd = GC.AllocateArray<double>(_nv, pinned: true);
        _sout = GC.AllocateArray<double>(_nv, pinned: true);
        _sM = GC.AllocateArray<double>(_nv * _nv, pinned: true);
        _contactTau = GC.AllocateArray<double>(_nv, pinned: true);
        TimestepS = rtmj_timestep(h);
        _timestepNs = (long)Math.Round(TimestepS * 1e9);
        _warningsAtLoad = rtmj_warning_count(h);
        _contactShortcut = rtmj_set_contact_shortcut(h, 1) == 1;
    }

    /// <summary>
    /// Not real-time safe. Generates the MJCF from <paramref name="robot"/>, loads it into MuJoCo and leaves the robot
    /// at rest with every joint at zero. Throws <see cref="BenchUnavailableException"/> when MuJoCo or the shim is
    /// missing, <see cref="InputError"/> when MuJoCo rejects the model (with MuJoCo's message).
    /// </summary>
    public static MujocoPlant Load(RobotDescription robot, PlantOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(robot);
        options ??= new PlantOptions();
        EnsureLoaded(options.ShimPath);
        var jointNames = options.JointOrder ?? robot.MovableJoints.Select(j => j.Name).ToArray();
        foreach (var name in jointNames)
        {
            var j = robot.FindJoint(name);
            if (j is null || !j.IsMovable)
                throw new InputError(robot.SourcePath, $"joint '{name}'", $"the plant's joint order names '{name}', which is not a movable joint of robot '{robot.Name}'");
        }
        var model = MjcfWriter.Write(robot, options);
        string path = options.MjcfPath ?? Path.Combine(Path.GetTempPath(), $"rt-bench-{Environment.ProcessId}-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, model.Xml);
        nint h;
        try
        {
            byte* err = stackalloc byte[1024];
            err[0] = 0;
            h = rtmj_load(path, err, 1024);
            if (h == 0)
            {
                string msg = new((sbyte*)err);
                throw new InputError(robot.SourcePath, $"generated MJCF {path}", $"MuJoCo rejected the model derived from this description: {msg}");
            }
        }
        finally
        {
            if (options.MjcfPath is null) File.Delete(path);
        }
        try
        {
            return new MujocoPlant(h, robot, [.. jointNames], options.Imus.Select(i => i.Name).ToArray(), model.Xml, model.RootHeightM)
            {
                ObstacleHalfSizeM = options.ObstacleHalfSizeM,
                ObstacleHalfDepthM = options.ObstacleHalfDepthM,
            };
        }
        catch
        {
            rtmj_free(h);
            throw;
        }
    }

    public RobotDescription Robot { get; }

    /// <summary>The robot's joint order: index i of every joint-space span is joint <c>JointNames[i]</c>.</summary>
    public IReadOnlyList<string> JointNames { get; }

    public int JointCount => _qposAdr.Length;

    /// <summary>IMU names in the order of <see cref="ReadImu"/>'s index.</summary>
    public IReadOnlyList<string> ImuNames { get; }

    public int ImuCount => _imuAccelAdr.Length;

    /// <summary>Number of mocap obstacle boxes (<c>obstacle0</c> …).</summary>
    public int ObstacleCount => _obstacleMocap.Length;

    /// <summary>The generated MJCF (for inspection and tests).</summary>
    public string Mjcf { get; }

    /// <summary>Height of the root link above the floor, metres.</summary>
    public double RootHeightM { get; }

    /// <summary>Integrator step (one substep), seconds.</summary>
    public double TimestepS { get; }

    /// <summary>Simulated time since load, ns (steps × timestep; exact, no clock is read).</summary>
    public long SimTimeNs => _steps * _timestepNs;

    /// <summary>
    /// Steps whose collision detection the shim skipped because no geom pair could touch (bounding spheres apart by more
    /// than any point can have moved since the last kinematics; the result is the same bit for bit). Real-time safe.
    /// </summary>
    public long ContactFreeSteps => rtmj_contact_skips(_h);

    /// <summary>
    /// Not real-time safe to change mid-run by convention (it is cheap, but tests use it to compare runs). Whether the
    /// shim may skip collision detection in provably contact-free steps (default on). False when the model does not
    /// qualify (only hinge joints, no explicit contact pairs, no height fields).
    /// </summary>
    public bool ContactShortcut
    {
        get => _contactShortcut;
        set => _contactShortcut = rtmj_set_contact_shortcut(_h, value ? 1 : 0) == 1 && value;
    }

    private bool _contactShortcut;

    /// <summary>MuJoCo warnings since load (e.g. a bad acceleration, after which MuJoCo resets the state). Real-time safe.</summary>
    public long WarningCount => rtmj_warning_count(_h) - _warningsAtLoad;

    /// <summary>Why the last failing call failed (MuJoCo's own message).</summary>
    public string LastError => MuJoCoNative.LastError(_h);

    /// <summary>Real-time safe. Sets the torque (N·m; N for a slide joint) applied at joint <paramref name="joint"/> until changed.</summary>
    public void SetJointTorque(int joint, double torque) => _qfrcApplied[_dofAdr[joint]] = torque;

    /// <summary>Real-time safe. Sets all joint torques, robot joint order.</summary>
    public void SetJointTorques(ReadOnlySpan<double> torques)
    {
        for (int i = 0; i < _dofAdr.Length; i++) _qfrcApplied[_dofAdr[i]] = torques[i];
    }

    /// <summary>Real-time safe. Joint position, rad.</summary>
    public double JointPosition(int joint) => _qpos[_qposAdr[joint]];

    /// <summary>Real-time safe. Joint velocity, rad/s.</summary>
    public double JointVelocity(int joint) => _qvel[_dofAdr[joint]];

    /// <summary>Real-time safe.</summary>
    public void GetJointPositions(Span<double> q)
    {
        for (int i = 0; i < _qposAdr.Length; i++) q[i] = _qpos[_qposAdr[i]];
    }

    /// <summary>Real-time safe.</summary>
    public void GetJointVelocities(Span<double> qd)
    {
        for (int i = 0; i < _dofAdr.Length; i++) qd[i] = _qvel[_dofAdr[i]];
    }

    /// <summary>Real-time safe. The joint accelerations of the last forward computation (a step's start, or <see cref="SetJointState"/>), robot joint order.</summary>
    public void GetJointAccelerations(Span<double> qdd)
    {
        for (int i = 0; i < _dofAdr.Length; i++) qdd[i] = _qacc[_dofAdr[i]];
    }

    /// <summary>Not real-time safe (recomputes the forward model). Teleports the robot to (q, q̇), robot joint order.</summary>
    public void SetJointState(ReadOnlySpan<double> q, ReadOnlySpan<double> qd)
    {
        for (int i = 0; i < _qposAdr.Length; i++)
        {
            _qpos[_qposAdr[i]] = q[i];
            _qvel[_dofAdr[i]] = qd.IsEmpty ? 0 : qd[i];
        }
        Check(rtmj_forward(_h), "forward");
    }

    /// <summary>
    /// Real-time safe. Integrates <paramref name="substeps"/> MuJoCo steps with the current torques and wrenches.
    /// Returns false if MuJoCo raised an error (the plant then refuses further steps; see <see cref="LastError"/>).
    /// Sensor values (IMU) are those MuJoCo computed at the start of the last step, i.e. one substep old.
    /// </summary>
    /// <summary>
    /// Real-time safe. Switches sensor evaluation (IMU accelerometers and gyros) on or off for the following steps; the
    /// dynamics are the same either way, so the bench evaluates sensors only in the substep whose values it samples.
    /// </summary>
    public void SetSensorsEnabled(bool enabled) => rtmj_set_sensors(_h, enabled ? 1 : 0);

    public bool Step(int substeps)
    {
        if (rtmj_step(_h, substeps) != 0) return false;
        _steps += substeps;
        return true;
    }

    /// <summary>Real-time safe. Specific force (m/s², +9.81 up at rest) and angular rate (rad/s) at IMU <paramref name="imu"/>, in the IMU frame.</summary>
    public void ReadImu(int imu, out Vec3 specificForce, out Vec3 angularRate)
    {
        double* a = _sensordata + _imuAccelAdr[imu];
        double* g = _sensordata + _imuGyroAdr[imu];
        specificForce = new Vec3(a[0], a[1], a[2]);
        angularRate = new Vec3(g[0], g[1], g[2]);
    }

    /// <summary>Not real-time safe. Index of an IMU by name (-1 if unknown).</summary>
    public int ImuIndexOf(string name)
    {
        for (int i = 0; i < ImuNames.Count; i++) if (ImuNames[i] == name) return i;
        return -1;
    }

    /// <summary>Not real-time safe. MuJoCo body index of a link, for the real-time wrench overload; throws for an unknown link.</summary>
    public int LinkIndex(string linkName)
    {
        int id = rtmj_name2id(_h, ObjBody, linkName);
        if (id < 0) throw new ArgumentException($"robot '{Robot.Name}' has no link '{linkName}'", nameof(linkName));
        return id;
    }

    /// <summary>Not real-time safe (name lookup). See the index overload.</summary>
    public void ApplyExternalWrench(string linkName, Vec3 force, Vec3 torque) => ApplyExternalWrench(LinkIndex(linkName), force, torque);

    /// <summary>
    /// Real-time safe. Applies a constant external force (N) and torque (N·m), world frame, at the link's centre of
    /// mass, until changed or cleared: fault injection (a push, a snagged leg).
    /// </summary>
    public void ApplyExternalWrench(int linkIndex, Vec3 force, Vec3 torque)
    {
        double* x = _xfrcApplied + 6 * linkIndex;
        x[0] = force.X; x[1] = force.Y; x[2] = force.Z;
        x[3] = torque.X; x[4] = torque.Y; x[5] = torque.Z;
    }

    /// <summary>Real-time safe. The external wrench currently applied to a link (world frame, N and N·m).</summary>
    public void ExternalWrench(int linkIndex, out Vec3 force, out Vec3 torque)
    {
        double* x = _xfrcApplied + 6 * linkIndex;
        force = new Vec3(x[0], x[1], x[2]);
        torque = new Vec3(x[3], x[4], x[5]);
    }

    /// <summary>
    /// Real-time safe. World position of a link's frame origin (m), as of MuJoCo's last forward pass (the start of the
    /// last substep): for placing obstacles next to a leg or checking clearance.
    /// </summary>
    public Vec3 LinkWorldPosition(int linkIndex)
    {
        double* p = _xpos + 3 * linkIndex;
        return new Vec3(p[0], p[1], p[2]);
    }

    /// <summary>Real-time safe. How many collision geoms link <paramref name="linkIndex"/> has in the plant.</summary>
    public int LinkShapeCount(int linkIndex) => Math.Max(0, rtmj_body_geomnum(_h, linkIndex));

    /// <summary>
    /// Real-time safe (no allocation). The link's collision geoms as MuJoCo has them in the world, as of the last forward
    /// pass, into <paramref name="into"/> (at most its length); returns how many were written.
    /// </summary>
    public int LinkShapes(int linkIndex, Span<CollisionShape> into)
    {
        int first = rtmj_body_geomadr(_h, linkIndex), n = Math.Min(LinkShapeCount(linkIndex), into.Length);
        if (first < 0) return 0;
        double* size = stackalloc double[3];
        for (int k = 0; k < n; k++)
        {
            int g = first + k;
            int type = rtmj_geom_type(_h, g);
            if (rtmj_geom_size(_h, g, size) != 0) size[0] = size[1] = size[2] = 0;
            var kind = type is (int)CollisionShapeKind.Sphere or (int)CollisionShapeKind.Capsule or (int)CollisionShapeKind.Cylinder
                or (int)CollisionShapeKind.Box ? (CollisionShapeKind)type : CollisionShapeKind.Other;
            double* p = _geomXpos + 3 * g, r = _geomXmat + 9 * g;
            into[k] = new CollisionShape(kind, new Vec3(p[0], p[1], p[2]),
                new Vec3(r[0], r[3], r[6]), new Vec3(r[1], r[4], r[7]), new Vec3(r[2], r[5], r[8]),
                new Vec3(size[0], size[1], size[2]));
        }
        return n;
    }

    /// <summary>Real-time safe. Removes every external wrench.</summary>
    public void ClearExternalWrenches() => rtmj_clear_wrenches(_h);

    /// <summary>
    /// Real-time safe. Moves obstacle box <paramref name="obstacle"/> to a world position (m) and orientation (the box's
    /// axes rotated by <paramref name="orientation"/>, MuJoCo's w, x, y, z): e.g. a face turned towards a moving leg.
    /// </summary>
    public void MoveObstacle(int obstacle, Vec3 position, Quat orientation)
    {
        MoveObstacle(obstacle, position);
        double* q = _mocapQuat + 4 * _obstacleMocap[obstacle];
        q[0] = orientation.W; q[1] = orientation.X; q[2] = orientation.Y; q[3] = orientation.Z;
    }

    /// <summary>Real-time safe. Where obstacle box <paramref name="obstacle"/> is now (world, m); at load it is parked out of reach.</summary>
    public Vec3 ObstaclePosition(int obstacle)
    {
        double* p = _mocapPos + 3 * _obstacleMocap[obstacle];
        return new Vec3(p[0], p[1], p[2]);
    }

    /// <summary>
    /// Real-time safe. The normal contact force on obstacle box <paramref name="obstacle"/>, N: the sum over the contacts
    /// between the box and the robot (MuJoCo's touch sensor on the box, <see cref="MjcfWriter.TouchSuffix"/>), as of the
    /// last substep with sensors on (the bench's sampling substep of each tick). 0 out of contact.
    /// </summary>
    public double ObstacleContactForceN(int obstacle)
    {
        int adr = _obstacleTouchAdr[obstacle];
        return adr >= 0 ? _sensordata[adr] : 0;
    }

    /// <summary>
    /// Real-time safe (no allocation). Which robot links touch obstacle box <paramref name="obstacle"/> now, and how hard:
    /// per link the normal contact force between the box and that link (N, summed over their contacts), from MuJoCo's
    /// contacts of the last substep (the same substep <see cref="ObstacleContactForceN"/> reads when sensors were on).
    /// Writes link indices (as <see cref="LinkIndex"/>, <see cref="LinkWorldPosition"/>) into <paramref name="links"/> and
    /// their forces into <paramref name="forcesN"/>, in order of first contact; returns how many links touch (spans of
    /// <see cref="LinkIndexCount"/> hold them all; a larger count than the spans means the rest were not written), or -1
    /// once MuJoCo failed (see <see cref="LastError"/>). The floor and other obstacles are not links and never reported.
    /// </summary>
    public int ObstacleContacts(int obstacle, Span<int> links, Span<double> forcesN)
    {
        int max = Math.Min(links.Length, forcesN.Length);
        int n;
        fixed (int* pl = links)
        fixed (double* pf = forcesN)
            n = rtmj_body_contacts(_h, _obstacleBody[obstacle], pl, pf, max);
        if (n < 0) return -1;
        int written = Math.Min(n, max), kept = 0;
        for (int k = 0; k < written; k++)
        {
            int body = links[k];
            if (body < 0 || body >= _linkNames.Length || _linkNames[body] is null) continue;
            links[kept] = body;
            forcesN[kept] = forcesN[k];
            kept++;
        }
        return kept + (n - written);
    }

    /// <summary>
    /// Real-time safe (no allocation). The joint torques obstacle box <paramref name="obstacle"/>'s contacts exert on the
    /// robot now (N·m, joint order into <paramref name="tau"/>): per contact Jᵀf at its point with its full force (normal
    /// and friction), from MuJoCo's contacts of the last step. The physical truth the twin's momentum observer estimates
    /// (its external torque), for comparing the two. Returns the number of contacts (0 out of contact), −1 on error.
    /// </summary>
    public int ObstacleContactTorque(int obstacle, Span<double> tau)
    {
        int n;
        fixed (double* pt = _contactTau)
            n = rtmj_body_contact_torque(_h, _obstacleBody[obstacle], pt);
        if (n < 0) return -1;
        for (int j = 0; j < _dofAdr.Length && j < tau.Length; j++) tau[j] = _contactTau[_dofAdr[j]];
        return n;
    }

    /// <summary>Real-time safe. Number of link indices (MuJoCo bodies, the world and the obstacles included): every link index is below it.</summary>
    public int LinkIndexCount => _linkNames.Length;

    /// <summary>Real-time safe. The robot link's name at a link index; null for the world, an obstacle or an index out of range.</summary>
    public string? LinkName(int linkIndex) => linkIndex >= 0 && linkIndex < _linkNames.Length ? _linkNames[linkIndex] : null;

    /// <summary>Half-size of every obstacle box, metres (<see cref="PlantOptions.ObstacleHalfSizeM"/>).</summary>
    public double ObstacleHalfSizeM { get; private init; }

    /// <summary>Half-depth of every obstacle box along its local x (the way it is struck), metres (<see cref="PlantOptions.ObstacleHalfDepthM"/>).</summary>
    public double ObstacleHalfDepthM { get; private init; }

    /// <summary>Real-time safe. Moves obstacle box <paramref name="obstacle"/> to a world position (m); it collides with the legs.</summary>
    public void MoveObstacle(int obstacle, Vec3 position)
    {
        double* p = _mocapPos + 3 * _obstacleMocap[obstacle];
        p[0] = position.X; p[1] = position.Y; p[2] = position.Z;
    }

    /// <summary>
    /// Real-time safe (no allocation). Rigid-body inverse dynamics: τ = M(q) q̈ + c(q, q̇), robot joint order.
    /// Excludes joint damping, friction loss, limits and contacts (those are not rigid-body terms).
    /// </summary>
    public void InverseDynamics(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, ReadOnlySpan<double> qdd, Span<double> tau)
    {
        Scatter(q, _sq, _qposAdr);
        Scatter(qd, _sqd, _dofAdr);
        Scatter(qdd, _sqdd, _dofAdr);
        fixed (double* pq = _sq, pqd = _sqd, pqdd = _sqdd, pout = _sout)
            Check(rtmj_rne(_h, pq, pqd, pqdd, 1, pout), "inverse dynamics");
        Gather(_sout, tau, _dofAdr);
    }

    /// <summary>Real-time safe. Bias forces c(q, q̇) (Coriolis, centrifugal, gravity), robot joint order.</summary>
    public void Bias(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, Span<double> c)
    {
        Scatter(q, _sq, _qposAdr);
        Scatter(qd, _sqd, _dofAdr);
        fixed (double* pq = _sq, pqd = _sqd, pout = _sout)
            Check(rtmj_bias(_h, pq, pqd, pout), "bias");
        Gather(_sout, c, _dofAdr);
    }

    /// <summary>Real-time safe. Joint-space mass matrix M(q) (including armature), row-major n×n, robot joint order.</summary>
    public void MassMatrix(ReadOnlySpan<double> q, Span<double> m)
    {
        Scatter(q, _sq, _qposAdr);
        fixed (double* pq = _sq, pm = _sM)
            Check(rtmj_mass_matrix(_h, pq, pm), "mass matrix");
        int n = _dofAdr.Length;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                m[i * n + j] = _sM[_dofAdr[i] * _nv + _dofAdr[j]];
    }

    /// <summary>Not real-time safe. Mass of a link's body, kg.</summary>
    public double GetLinkMass(string link)
    {
        double v;
        Check(rtmj_get_body_mass(_h, LinkIndex(link), &v), "get mass");
        return v;
    }

    /// <summary>Not real-time safe. Changes a link's mass (domain randomisation, payload); derived constants are recomputed.</summary>
    public void SetLinkMass(string link, double mass)
    {
        Check(rtmj_set_body_mass(_h, LinkIndex(link), mass), "set mass");
        SetConstKeepingState();
    }

    /// <summary>Not real-time safe. Principal moments of a link's inertia (in MuJoCo's principal frame), kg·m².</summary>
    public Vec3 GetLinkInertia(string link)
    {
        double* d = stackalloc double[3];
        Check(rtmj_get_body_inertia(_h, LinkIndex(link), d), "get inertia");
        return new Vec3(d[0], d[1], d[2]);
    }

    /// <summary>Not real-time safe. Sets a link's principal moments of inertia, kg·m².</summary>
    public void SetLinkInertia(string link, Vec3 principal)
    {
        double* d = stackalloc double[3] { principal.X, principal.Y, principal.Z };
        Check(rtmj_set_body_inertia(_h, LinkIndex(link), d), "set inertia");
        SetConstKeepingState();
    }

    /// <summary>Not real-time safe. Viscous damping of joint i (robot order), N·m·s/rad.</summary>
    public double GetJointDamping(int joint)
    {
        double v;
        Check(rtmj_get_dof_damping(_h, _dofAdr[joint], &v), "get damping");
        return v;
    }

    /// <summary>Not real-time safe. Sets joint i's viscous damping, N·m·s/rad.</summary>
    public void SetJointDamping(int joint, double damping) => Check(rtmj_set_dof_damping(_h, _dofAdr[joint], damping), "set damping");

    /// <summary>Not real-time safe. Coulomb friction (MuJoCo frictionloss) of joint i, N·m.</summary>
    public double GetJointFrictionLoss(int joint)
    {
        double v;
        Check(rtmj_get_dof_frictionloss(_h, _dofAdr[joint], &v), "get frictionloss");
        return v;
    }

    /// <summary>Not real-time safe. Sets joint i's Coulomb friction (frictionloss), N·m.</summary>
    public void SetJointFrictionLoss(int joint, double friction) => Check(rtmj_set_dof_frictionloss(_h, _dofAdr[joint], friction), "set frictionloss");

    /// <summary>Not real-time safe. Reflected rotor inertia added to joint i's diagonal, kg·m².</summary>
    public double GetJointArmature(int joint)
    {
        double v;
        Check(rtmj_get_dof_armature(_h, _dofAdr[joint], &v), "get armature");
        return v;
    }

    /// <summary>Not real-time safe. Sets joint i's armature (reflected rotor inertia), kg·m²; derived constants are recomputed.</summary>
    public void SetJointArmature(int joint, double armature)
    {
        Check(rtmj_set_dof_armature(_h, _dofAdr[joint], armature), "set armature");
        SetConstKeepingState();
    }

    /// <summary>Not real-time safe. Sets the sliding friction coefficient of every geom of a link (spin/roll kept).</summary>
    public void SetLinkFriction(string link, double sliding)
    {
        int body = LinkIndex(link);
        int adr = rtmj_body_geomadr(_h, body), num = rtmj_body_geomnum(_h, body);
        double* f = stackalloc double[3];
        for (int g = adr; g < adr + num && adr >= 0; g++)
        {
            Check(rtmj_get_geom_friction(_h, g, f), "get friction");
            f[0] = sliding;
            Check(rtmj_set_geom_friction(_h, g, f), "set friction");
        }
    }

    /// <summary>Not real-time safe. Frees the MuJoCo model and data; the plant must not be used afterwards.</summary>
    public void Dispose()
    {
        if (_h != 0)
        {
            rtmj_free(_h);
            _h = 0;
        }
    }

    /// <summary>
    /// Recomputes MuJoCo's derived constants after a parameter change without moving the robot: mj_setConst evaluates
    /// the model at qpos0 and leaves d->qpos there, which mid-run would teleport every joint to zero (a payload
    /// injected during the march did exactly that). The state is put back and the forward pass redone.
    /// </summary>
    private void SetConstKeepingState()
    {
        Span<double> q = _nq <= 64 ? stackalloc double[_nq] : new double[_nq];
        Span<double> qd = _nv <= 64 ? stackalloc double[_nv] : new double[_nv];
        for (int i = 0; i < _nq; i++) q[i] = _qpos[i];
        for (int i = 0; i < _nv; i++) qd[i] = _qvel[i];
        Check(rtmj_set_const(_h), "set const");
        for (int i = 0; i < _nq; i++) _qpos[i] = q[i];
        for (int i = 0; i < _nv; i++) _qvel[i] = qd[i];
        Check(rtmj_forward(_h), "forward");
    }

    private static void Scatter(ReadOnlySpan<double> src, double[] dst, int[] adr)
    {
        for (int i = 0; i < adr.Length; i++) dst[adr[i]] = src[i];
    }

    private static void Gather(double[] src, Span<double> dst, int[] adr)
    {
        for (int i = 0; i < adr.Length; i++) dst[i] = src[adr[i]];
    }

    private void Check(int status, string what)
    {
        if (status < 0) ThrowFailed(status, what);
    }

    private void ThrowFailed(int status, string what) =>
        throw new InvalidOperationException($"MuJoCo plant: {what} failed (status {status}): {LastError}");
}
