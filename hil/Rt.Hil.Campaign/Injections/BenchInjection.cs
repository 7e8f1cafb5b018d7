using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Errors;
using Rt.Hil;
using Rt.Hil.Esc.Esc;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Plant;
using Rt.Hil.Campaign.Realtime;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Injections;

/// <summary>
/// One injection resolved against a bench: its target's index on the plant, drive, IMU or slave chain, and how to start
/// and end it (the end restores what the start changed). <see cref="FaultInjector"/> schedules these in lockstep;
/// anything that owns a <see cref="Bench"/> (and its <see cref="EscSegment"/>) can reuse them.
/// <para>
/// <see cref="Prepare"/> is not real-time safe (name lookups). <see cref="Arm"/>, <see cref="Start"/> and
/// <see cref="End"/> are meant for between two ticks: they do not allocate, except payload and joint-friction edges,
/// which go through MuJoCo's parameter setters (set_const: bounded work, but not a tick's), broker outages (a process
/// stop/start) and the CPU hog (threads).
/// </para>
/// </summary>
public sealed class BenchInjection : IDisposable
{
    /// <summary>How deep a placed obstacle starts inside the link's surface, m: contact in the very next plant step.</summary>
    public const double ObstacleOverlapM = 0.003;

    private readonly Bench? _bench;
    private readonly EscSegment? _segment;
    private readonly PrivateBroker? _broker;
    private readonly RtConfig _config;
    private readonly int _joint = -1, _imu = -1, _link = -1, _slave = -1;
    private readonly int[] _childLinks = [];
    private readonly CollisionShape[] _shapes; // the link's collision geoms (collision_obstacle), sized at Prepare

    // What Start changed, for End to restore.
    private double _savedA, _savedB;
    private int _savedCounts;
    private Vec3 _savedV1, _savedV2;
    private Vec3 _armPoint;
    private bool _armed, _active;
    private CpuHog? _hog;

    private BenchInjection(Injection injection, Bench? bench, EscSegment? segment, RtConfig config, PrivateBroker? broker,
        int joint, int imu, int link, int slave, int[] childLinks, int shapeCount)
    {
        Injection = injection;
        _bench = bench;
        _segment = segment;
        _config = config;
        _broker = broker;
        _joint = joint;
        _imu = imu;
        _link = link;
        _slave = slave;
        _childLinks = childLinks;
        _shapes = new CollisionShape[shapeCount];
    }

    public Injection Injection { get; }

    /// <summary>Whether the injection is on (started, not ended).</summary>
    public bool Active => _active;

    /// <summary>cpu_hog: how many hog threads are spinning now (0 before the start and after the end).</summary>
    public int HogThreadsSpinning => _hog is { Running: true } h ? h.Spinning : 0;

    /// <summary>Where the obstacle was put (collision_obstacle, after <see cref="Start"/>), world m.</summary>
    public Vec3 ObstaclePlacedAt { get; private set; }

    /// <summary>The way the obstacle faces the link (collision_obstacle, after <see cref="Start"/>): unit, world, from the link towards the box.</summary>
    public Vec3 ObstacleDirection { get; private set; }

    /// <summary>The link's collision shape the obstacle was put against (collision_obstacle, after <see cref="Start"/>), at the placement.</summary>
    public CollisionShape ObstacleStruck { get; private set; }

    /// <summary>
    /// Not real-time safe. Resolves <paramref name="injection"/> against this bench. Throws <see cref="InputError"/>
    /// (naming <paramref name="sourcePath"/>, the injection's line and key) when the target does not exist here or the
    /// session lacks what the kind acts on (the EtherCAT segment, a private broker, real time).
    /// </summary>
    public static BenchInjection Prepare(Injection injection, int index, Bench? bench, EscSegment? segment, RtConfig config,
        PrivateBroker? broker, bool realtime, string sourcePath)
    {
        ArgumentNullException.ThrowIfNull(injection);
        ArgumentNullException.ThrowIfNull(config);
        string kn = ScenarioLoader.KindName(injection.Kind);
        string at = $"line {injection.Line}, key injections[{index}]";
        InputError Refuse(string key, string problem) => new(sourcePath, key.Length == 0 ? at : $"{at}.{key}", problem);
        string target = injection.Target ?? "";
        int joint = -1, imu = -1, link = -1, slave = -1;
        int[] children = [];
        int shapes = 0;

        bool needsBench = injection.Kind is not (InjectionKind.FrameLoss or InjectionKind.LinkDown or InjectionKind.SlaveSafeOp
            or InjectionKind.BrokerOutage or InjectionKind.CpuHog);
        if (needsBench && bench is null)
            throw Refuse("kind", $"{kn} acts on the emulated robot, and this session has no bench in its process (the emulator serves it elsewhere); expected a lockstep or in-process bench session");
        bool needsSegment = injection.Kind is InjectionKind.FrameLoss or InjectionKind.LinkDown or InjectionKind.SlaveSafeOp;
        if (needsSegment && segment is null)
            throw Refuse("kind", $"{kn} acts on the EtherCAT segment, and this session has none in its process; expected bus.kind: ethercat on the in-process bench");

        switch (injection.Kind)
        {
            case InjectionKind.CollisionObstacle or InjectionKind.CollisionWrench or InjectionKind.Payload:
            {
                var plant = bench!.Plant;
                try
                {
                    link = plant.LinkIndex(target);
                }
                catch (ArgumentException)
                {
                    throw Refuse("target", $"no link '{target}' in the plant; expected one of {string.Join(", ", plant.Robot.Links.Select(l => l.Name))}");
                }
                if (injection.Kind == InjectionKind.CollisionObstacle)
                {
                    if (plant.ObstacleCount == 0) throw Refuse("kind", "this bench has no obstacle to move; expected a bench built with obstacles (BenchOptions.ObstacleCount ≥ 1)");
                    children = [.. plant.Robot.Joints.Where(j => j.Parent == target).Select(j => plant.LinkIndex(j.Child))];
                    shapes = plant.LinkShapeCount(link);
                    var found = new CollisionShape[shapes];
                    plant.LinkShapes(link, found);
                    if (!found.Any(x => x.Kind != CollisionShapeKind.Other))
                        throw Refuse("target", $"link '{target}' has no collision geometry, so no obstacle can touch it; expected a link with a <collision> box, cylinder or sphere");
                }
                break;
            }
            case InjectionKind.JointFriction or InjectionKind.TorqueLoss or InjectionKind.EncoderFreeze or InjectionKind.EncoderJump or InjectionKind.EncoderNoise:
                joint = config.Joints.FindIndex(j => j.Name == target);
                if (joint < 0 || joint >= bench!.Drives.Count)
                    throw Refuse("target", $"no drive for joint '{target}' on this bench; expected one of {string.Join(", ", config.Joints.Select(j => j.Name))}");
                break;
            case InjectionKind.ImuBias or InjectionKind.ImuFreeze or InjectionKind.ImuSaturation:
                imu = config.Imus.FindIndex(i => i.Name == target);
                if (imu < 0 || imu >= bench!.Imus.Count)
                    throw Refuse("target", $"no IMU '{target}' on this bench; expected one of {string.Join(", ", config.Imus.Select(i => i.Name))}");
                break;
            case InjectionKind.SlaveSafeOp:
            {
                int j = config.Joints.FindIndex(x => x.Name == target), m = config.Imus.FindIndex(x => x.Name == target);
                slave = j >= 0 ? config.Joints[j].Drive : m >= 0 ? config.Imus[m].Device : -1;
                if (slave < 0 || slave >= segment!.Slaves.Count)
                    throw Refuse("target", $"no slave for '{target}' on this segment; expected a joint or IMU: {string.Join(", ", config.Joints.Select(x => x.Name).Concat(config.Imus.Select(x => x.Name)))}");
                break;
            }
            case InjectionKind.BrokerOutage:
                if (broker is null)
                    throw Refuse("kind", "broker_outage needs the scenario's private broker (PrivateBroker) with telemetry sent to it; this session has none");
                break;
            case InjectionKind.CpuHog:
                if (!realtime)
                    throw Refuse("kind", "cpu_hog only exists in real time (it competes with the tick thread for its CPU); this run is lockstep: run the scenario with --realtime");
                break;
        }
        return new BenchInjection(injection, bench, segment, config, broker, joint, imu, link, slave, children, shapes);
    }

    /// <summary>The tick before <see cref="Start"/>: a collision obstacle samples where its link is, to learn which way it moves.</summary>
    public void Arm()
    {
        if (Injection.Kind != InjectionKind.CollisionObstacle) return;
        _armPoint = ShapesCentre(_bench!.Plant.LinkShapes(_link, _shapes));
        _armed = true;
    }

    /// <summary>Starts the fault (between ticks).</summary>
    public void Start()
    {
        if (_active) return;
        _active = true;
        var i = Injection;
        switch (i.Kind)
        {
            case InjectionKind.CollisionObstacle:
                PlaceObstacle();
                break;
            case InjectionKind.CollisionWrench:
                _bench!.Plant.ApplyExternalWrench(_link, V(i.ForceN), V(i.TorqueNm));
                break;
            case InjectionKind.Payload:
            {
                var plant = _bench!.Plant;
                _savedA = plant.GetLinkMass(i.Target!);
                // With ramp_s the mass starts at nothing and grows through RampTo; without, all of it at once.
                if (i.RampS is null) plant.SetLinkMass(i.Target!, _savedA + i.MassKg!.Value);
                break;
            }
            case InjectionKind.JointFriction:
            {
                var plant = _bench!.Plant;
                _savedA = plant.GetJointFrictionLoss(_joint);
                _savedB = plant.GetJointDamping(_joint);
                if (i.FrictionNm is { } f) plant.SetJointFrictionLoss(_joint, _savedA + f);
                if (i.DampingNms is { } d) plant.SetJointDamping(_joint, _savedB + d);
                break;
            }
            case InjectionKind.TorqueLoss:
                _savedA = _bench!.Drives[_joint].TorqueScale;
                _bench.Drives[_joint].TorqueScale = i.Scale!.Value;
                break;
            case InjectionKind.EncoderFreeze:
                _bench!.Drives[_joint].EncoderFrozen = true;
                break;
            case InjectionKind.EncoderJump:
            {
                var drive = _bench!.Drives[_joint];
                _savedCounts = drive.EncoderOffsetCounts;
                // The drive adds the offset to joint angle × counts/rad (signed by the mounting direction).
                drive.EncoderOffsetCounts = _savedCounts + (int)Math.Round(i.OffsetRad!.Value * drive.Scaling.CountsPerRadian);
                break;
            }
            case InjectionKind.EncoderNoise:
                _savedA = _bench!.Drives[_joint].EncoderNoiseCounts;
                _bench.Drives[_joint].EncoderNoiseCounts = i.NoiseCounts!.Value;
                break;
            case InjectionKind.ImuBias:
            {
                var imu = _bench!.Imus[_imu];
                _savedV1 = imu.AccelBias;
                _savedV2 = imu.GyroBias;
                imu.AccelBias = Add(_savedV1, V(i.AccelBiasMs2));
                imu.GyroBias = Add(_savedV2, V(i.GyroBiasRadS));
                break;
            }
            case InjectionKind.ImuFreeze:
                _bench!.Imus[_imu].Frozen = true;
                break;
            case InjectionKind.ImuSaturation:
                _bench!.Imus[_imu].Saturated = true;
                break;
            case InjectionKind.FrameLoss:
                _segment!.DropNextFrames = Math.Max(_segment.DropNextFrames, i.Frames!.Value);
                _active = false; // instantaneous: the segment counts the frames down
                break;
            case InjectionKind.SlaveSafeOp:
                // What a slave's SyncManager watchdog does when process data stops: SAFE-OP with error 0x001B.
                _segment!.Slaves[_slave].Esc.InjectAlError(AlState.SafeOp, AlStatusCodes.SyncManagerWatchdog);
                _active = false;
                break;
            case InjectionKind.LinkDown:
                _segment!.LinkDown = true;
                break;
            case InjectionKind.BrokerOutage:
                _broker!.Stop();
                break;
            case InjectionKind.CpuHog:
                // On the tick's CPU when the loop is pinned (two threads: more than the tick's share), else one per core.
                _hog = new CpuHog(_config.Loop.Cpu >= 0 ? 2 : 0, _config.Loop.Cpu);
                _hog.Start();
                break;
        }
    }

    /// <summary>A payload with ramp_s (between ticks): the added mass is now <paramref name="fraction"/> (0..1) of mass_kg. No-op when not active.</summary>
    public void RampTo(double fraction)
    {
        if (!_active || Injection.Kind != InjectionKind.Payload) return;
        _bench!.Plant.SetLinkMass(Injection.Target!, _savedA + Math.Clamp(fraction, 0, 1) * Injection.MassKg!.Value);
    }

    /// <summary>Ends the fault (between ticks): restores what <see cref="Start"/> changed.</summary>
    public void End()
    {
        if (!_active) return;
        _active = false;
        var i = Injection;
        switch (i.Kind)
        {
            case InjectionKind.CollisionObstacle:
                _bench!.Plant.MoveObstacle(0, _savedV1, Quat.Identity);
                break;
            case InjectionKind.CollisionWrench:
                _bench!.Plant.ApplyExternalWrench(_link, Vec3.Zero, Vec3.Zero);
                break;
            case InjectionKind.Payload:
                _bench!.Plant.SetLinkMass(i.Target!, _savedA);
                break;
            case InjectionKind.JointFriction:
                _bench!.Plant.SetJointFrictionLoss(_joint, _savedA);
                _bench.Plant.SetJointDamping(_joint, _savedB);
                break;
            case InjectionKind.TorqueLoss:
                _bench!.Drives[_joint].TorqueScale = _savedA;
                break;
            case InjectionKind.EncoderFreeze:
                _bench!.Drives[_joint].EncoderFrozen = false;
                break;
            case InjectionKind.EncoderJump:
                _bench!.Drives[_joint].EncoderOffsetCounts = _savedCounts;
                break;
            case InjectionKind.EncoderNoise:
                _bench!.Drives[_joint].EncoderNoiseCounts = _savedA;
                break;
            case InjectionKind.ImuBias:
                _bench!.Imus[_imu].AccelBias = _savedV1;
                _bench.Imus[_imu].GyroBias = _savedV2;
                break;
            case InjectionKind.ImuFreeze:
                _bench!.Imus[_imu].Frozen = false;
                break;
            case InjectionKind.ImuSaturation:
                _bench!.Imus[_imu].Saturated = false;
                break;
            case InjectionKind.LinkDown:
                _segment!.LinkDown = false;
                break;
            case InjectionKind.BrokerOutage:
                _broker!.Restart();
                break;
            case InjectionKind.CpuHog:
                _hog?.Dispose();
                _hog = null;
                break;
        }
    }

    /// <summary>Stops what must not outlive the run (CPU hog threads). Does not restore the bench.</summary>
    public void Dispose()
    {
        _hog?.Dispose();
        _hog = null;
    }

    /// <summary>
    /// Puts the obstacle in the link's way: a face square to the direction the link's collision shapes moved over the
    /// last tick (sideways to a link with children, so it is struck, not slid along), touching the shape that leads that
    /// way at its lead point and overlapping it by <see cref="ObstacleOverlapM"/> (<see cref="ObstaclePlacement"/>), so
    /// contact starts in the next plant step and the link keeps driving into it. A link at rest is approached from the
    /// front (world +x).
    /// </summary>
    private void PlaceObstacle()
    {
        var plant = _bench!.Plant;
        _savedV1 = plant.ObstaclePosition(0);
        LinkCentre(out var axis);
        int n = plant.LinkShapes(_link, _shapes);
        var centre = ShapesCentre(n);
        var d = _armed ? Sub(centre, _armPoint) : Vec3.Zero;
        d = Sub(d, Scale(axis, Dot(d, axis)));
        if (Norm(d) < 1e-6)
        {
            d = Sub(new Vec3(1, 0, 0), Scale(axis, axis.X));
            if (Norm(d) < 1e-6) d = Sub(new Vec3(0, 1, 0), Scale(axis, axis.Y));
        }
        d = Scale(d, 1 / Norm(d));
        int lead = ObstaclePlacement.Leading(_shapes.AsSpan(0, n), d);
        if (lead < 0) return; // Prepare refused a link without placeable shapes
        var position = ObstaclePlacement.ObstacleCentre(_shapes[lead], d, plant.ObstacleHalfDepthM, ObstacleOverlapM);
        ObstaclePlacedAt = position;
        ObstacleDirection = d;
        ObstacleStruck = _shapes[lead];
        plant.MoveObstacle(0, position, ObstaclePlacement.FacingAlong(d));
    }

    /// <summary>The mean of the link's collision shapes' centres (what the obstacle is put against), world m.</summary>
    private Vec3 ShapesCentre(int n)
    {
        var sum = Vec3.Zero;
        int k = 0;
        for (int i = 0; i < n; i++)
        {
            if (_shapes[i].Kind == CollisionShapeKind.Other) continue;
            sum = Add(sum, _shapes[i].Centre);
            k++;
        }
        return k > 0 ? Scale(sum, 1.0 / k) : LinkCentre(out _);
    }

    /// <summary>The middle of the link: halfway from its joint to its child joints (a leaf link: its joint); axis = joint → children, unit (zero for a leaf).</summary>
    private Vec3 LinkCentre(out Vec3 axis)
    {
        var plant = _bench!.Plant;
        var origin = plant.LinkWorldPosition(_link);
        axis = Vec3.Zero;
        if (_childLinks.Length == 0) return origin;
        var sum = Vec3.Zero;
        foreach (int c in _childLinks) sum = Add(sum, plant.LinkWorldPosition(c));
        var end = Scale(sum, 1.0 / _childLinks.Length);
        var along = Sub(end, origin);
        double n = Norm(along);
        if (n > 1e-9) axis = Scale(along, 1 / n);
        return Add(origin, Scale(along, 0.5));
    }

    private static Vec3 V(double[]? a) => a is null ? Vec3.Zero : new Vec3(a[0], a[1], a[2]);
    private static Vec3 Add(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    private static Vec3 Sub(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    private static Vec3 Scale(Vec3 a, double k) => new(a.X * k, a.Y * k, a.Z * k);
    private static double Dot(Vec3 a, Vec3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
    private static double Norm(Vec3 a) => Math.Sqrt(Dot(a, a));
}
