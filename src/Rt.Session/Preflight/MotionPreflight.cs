using System.Globalization;
using Rt.ControlLoop.Control;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Twin.Dynamics;

namespace Rt.Session.Preflight;

/// <summary>What a pre-flight found wrong, first per joint.</summary>
public enum PreflightReason : byte
{
    Position,
    Velocity,
    Acceleration,
    Torque,
    StopDistance,
}

/// <summary>One refused joint: when (seconds from the start of the pre-flight, settle included), why, the value and its limit.</summary>
public readonly record struct PreflightViolation(int Joint, string JointName, double TimeS, string Phase, PreflightReason Reason, double Value, double Limit, string Unit)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"joint {JointName} at t = {TimeS:0.000} s ({Phase}): {ReasonText(Reason)} {Value:0.###} {Unit}, limit {Limit:0.###} {Unit}");

    private static string ReasonText(PreflightReason r) => r switch
    {
        PreflightReason.Position => "position reaches",
        PreflightReason.Velocity => "velocity",
        PreflightReason.Acceleration => "acceleration",
        PreflightReason.Torque => "inverse-dynamics torque",
        PreflightReason.StopDistance => "a stop begun here would end at",
        _ => r.ToString(),
    };
}

/// <summary>The outcome of a pre-flight: feasible when no joint was refused.</summary>
public sealed class PreflightResult
{
    public required IReadOnlyList<PreflightViolation> Violations { get; init; }

    public required double HorizonS { get; init; }
    public required long Samples { get; init; }
    public required double[] PeakTorqueNm { get; init; }
    public required double[] PeakVelocityRadS { get; init; }
    public required string[] JointNames { get; init; }
    public bool Feasible => Violations.Count == 0;
}

/// <summary>
/// Trajectory pre-flight (issue 16, item 5): plays the configured motion as the host would (the
/// <see cref="TrajectoryController"/>'s minimum-jerk settle from the robot's current pose, then the
/// <see cref="MotionGenerator"/>'s reference) through the twin's rigid-body model, faster than real time, one sample per
/// loop period, and refuses a motion whose reference reaches a position limit, exceeds the velocity, acceleration or
/// torque limit (inverse dynamics of the model, fixed base, nominal inertial parameters of the description), or
/// leaves less than the supervisor's stop distance before a position limit. The stop distance is the one the
/// supervisor's SS1/SS2 ramp (<c>StopRamp</c>) commands from the measured state where the stop begins: targets
/// p0 + v0·t − ½·a·t² for t = dt, 2dt, … until standstill, so it ends exactly v0²/(2·a_stop) from p0, with a_stop the
/// configured <c>safety.stop_deceleration_rad_s2</c> (the ramp's first target is already one period on, so no extra
/// period is added). A stop-distance shortfall is refused like any other violation, reported at the joint's worst
/// sample (the deepest ramp end past the limit). Velocity and acceleration are central differences of the reference.
/// Prepare-time code, NOT real-time safe: it allocates and may take a second; it runs before any drive is enabled.
/// </summary>
public sealed class MotionPreflight
{
    /// <summary>A reference within this of a limit counts as reaching it (the generator clamps to the limit exactly).</summary>
    public const double PositionTouchRad = 1e-9;

    /// <summary>
    /// Reaching a velocity, acceleration or torque limit is allowed; this relative slack absorbs the finite differences'
    /// error (the shipped march is designed to touch the knee's acceleration limit exactly).
    /// </summary>
    public const double LimitTolerance = 1e-3;

    private readonly RtConfig _config;
    private readonly RigidBodyModel? _model;
    private readonly int[] _map;

    /// <exception cref="InputError">The robot description does not match the config's joints.</exception>
    public MotionPreflight(RtConfig config)
    {
        _config = config;
        int n = config.Joints.Count;
        _map = new int[n];
        if (config.Description is { } description)
        {
            var model = RigidBodyModel.FromDescription(description);
            var names = new string[n];
            for (int j = 0; j < n; j++) names[j] = config.Joints[j].Name;
            int[] map;
            try
            {
                map = model.MapJointNames(names);
            }
            catch (ArgumentException e)
            {
                throw new InputError(config.SourcePath, "robot.description", $"the description does not match the joints: {e.Message}");
            }
            if (model.DegreesOfFreedom != n)
                throw new InputError(config.SourcePath, "robot.description", $"the description has {model.DegreesOfFreedom} movable joints, the config drives {n}; the pre-flight needs every movable joint");
            _model = model;
            _map = map;
        }
    }

    /// <summary>Whether torques are checked (a robot description is configured).</summary>
    public bool ChecksTorque => _model != null;

    /// <summary>
    /// The horizon that covers the whole motion: the settle plus one period of the (periodic) motion, or
    /// <paramref name="durationS"/> if that is shorter. The motions are pure functions of time, so one period is all of it.
    /// </summary>
    public double Horizon(double durationS)
    {
        var m = _config.Motion;
        double period = m.Kind switch
        {
            MotionKind.March => m.StepPeriodS,
            MotionKind.Sine => new MotionGenerator(_config).SweepDurationS,
            _ => 0.1,
        };
        return Math.Min(durationS, period + 0.01);
    }

    /// <summary>The motion's neutral pose (its start when nothing else is known).</summary>
    public double[] Neutral() => [.. new MotionGenerator(_config).Neutral];

    /// <summary>Runs the pre-flight from <paramref name="start"/> (one position per joint, rad) over the settle and <paramref name="motionS"/> seconds of motion.</summary>
    public PreflightResult Run(ReadOnlySpan<double> start, double motionS)
    {
        int n = _config.Joints.Count;
        if (start.Length != n) throw new ArgumentException($"{start.Length} start positions for {n} joints", nameof(start));
        var gen = new MotionGenerator(_config);
        double dt = 1.0 / _config.Loop.RateHz;
        double settleS = Math.Max(_config.Motion.SettleS, 0.01);
        double aStop = _config.Safety.StopDecelerationRadS2;
        long settleSamples = (long)Math.Ceiling(settleS / dt - 1e-9);
        long total = settleSamples + (long)Math.Ceiling(Math.Max(motionS, 0) / dt - 1e-9) + 1;

        var names = new string[n];
        var min = new double[n];
        var max = new double[n];
        var vMax = new double[n];
        var aMax = new double[n];
        var tMax = new double[n];
        for (int j = 0; j < n; j++)
        {
            var l = _config.Joints[j].Limits;
            names[j] = _config.Joints[j].Name;
            min[j] = l.PositionMinRad;
            max[j] = l.PositionMaxRad;
            vMax[j] = l.VelocityRadS * (1 + LimitTolerance);
            aMax[j] = l.AccelerationRadS2 > 0 ? l.AccelerationRadS2 * (1 + LimitTolerance) : double.PositiveInfinity;
            tMax[j] = l.TorqueNm > 0 ? l.TorqueNm * (1 + LimitTolerance) : double.PositiveInfinity;
        }
        var violation = new PreflightViolation?[n];
        var stopShort = new PreflightViolation?[n]; // per joint: the deepest stop-ramp end past a limit
        var peakTau = new double[n];
        var peakV = new double[n];

        // Start positions: outside the limits is refused outright (the host would not enable there either).
        for (int j = 0; j < n; j++)
        {
            if (!double.IsFinite(start[j]) || start[j] < min[j] || start[j] > max[j])
                violation[j] = new PreflightViolation(j, names[j], 0, "start", PreflightReason.Position, start[j], start[j] < min[j] ? min[j] : max[j], "rad");
        }

        var motionStart = new double[n];
        gen.Sample(0, motionStart);
        var startCopy = start.ToArray();
        // Three consecutive reference samples (k−1, k, k+1) for central differences.
        var prev = new double[n];
        var cur = new double[n];
        var next = new double[n];
        var q = new double[n];
        var qd = new double[n];
        var qdd = new double[n];
        var tau = new double[n];
        void Reference(long k, double[] r)
        {
            if (k <= 0)
            {
                Array.Copy(startCopy, r, n);
                return;
            }
            if (k < settleSamples)
            {
                double u = (double)k / settleSamples;
                double blend = u * u * u * (10 - 15 * u + 6 * u * u); // the controller's minimum-jerk settle
                for (int j = 0; j < n; j++) r[j] = startCopy[j] + (motionStart[j] - startCopy[j]) * blend;
                return;
            }
            gen.Sample((k - settleSamples) * dt, r);
        }

        Reference(-1, prev);
        Reference(0, cur);
        for (long k = 0; k < total; k++)
        {
            Reference(k + 1, next);
            double t = k * dt;
            bool settling = k < settleSamples;
            string phase = settling ? "settle" : "motion";
            for (int j = 0; j < n; j++)
            {
                double v = (next[j] - prev[j]) / (2 * dt);
                double a = (next[j] - 2 * cur[j] + prev[j]) / (dt * dt);
                peakV[j] = Math.Max(peakV[j], Math.Abs(v));
                if (_model != null)
                {
                    int mj = _map[j];
                    q[mj] = cur[j];
                    qd[mj] = v;
                    qdd[mj] = a;
                }
                if (violation[j] != null) continue;
                if (k > 0 && (cur[j] <= min[j] + PositionTouchRad || cur[j] >= max[j] - PositionTouchRad))
                {
                    violation[j] = new PreflightViolation(j, names[j], t, phase, PreflightReason.Position, cur[j], cur[j] <= min[j] + PositionTouchRad ? min[j] : max[j], "rad");
                    continue;
                }
                if (Math.Abs(v) > vMax[j])
                {
                    violation[j] = new PreflightViolation(j, names[j], t, phase, PreflightReason.Velocity, Math.Abs(v), vMax[j], "rad/s");
                    continue;
                }
                if (Math.Abs(a) > aMax[j])
                {
                    violation[j] = new PreflightViolation(j, names[j], t, phase, PreflightReason.Acceleration, Math.Abs(a), aMax[j], "rad/s²");
                    continue;
                }
                // Where the supervisor's ramp would bring the joint to rest if a stop began at this sample.
                double stop = v * v / (2 * aStop);
                if (v > 0 && cur[j] + stop > max[j] && !(stopShort[j] is { } s && s.Value - s.Limit >= cur[j] + stop - max[j]))
                    stopShort[j] = new PreflightViolation(j, names[j], t, phase, PreflightReason.StopDistance, cur[j] + stop, max[j], "rad");
                else if (v < 0 && cur[j] - stop < min[j] && !(stopShort[j] is { } s2 && s2.Limit - s2.Value >= min[j] - (cur[j] - stop)))
                    stopShort[j] = new PreflightViolation(j, names[j], t, phase, PreflightReason.StopDistance, cur[j] - stop, min[j], "rad");
            }
            if (_model != null)
            {
                _model.InverseDynamics(q, qd, qdd, tau);
                for (int j = 0; j < n; j++)
                {
                    double tj = Math.Abs(tau[_map[j]]);
                    peakTau[j] = Math.Max(peakTau[j], tj);
                    if (violation[j] == null && tj > tMax[j])
                        violation[j] = new PreflightViolation(j, names[j], t, phase, PreflightReason.Torque, tj, tMax[j], "N·m");
                }
            }
            (prev, cur, next) = (cur, next, prev);
        }
        // First per joint: a limit the reference itself breaks comes before a stop-distance shortfall found later.
        var list = new List<PreflightViolation>();
        for (int j = 0; j < n; j++)
        {
            if (violation[j] is { } x && !(stopShort[j] is { } s0 && s0.TimeS < x.TimeS)) list.Add(x);
            else if (stopShort[j] is { } s) list.Add(s);
        }
        list.Sort((a, b) => a.TimeS != b.TimeS ? a.TimeS.CompareTo(b.TimeS) : a.Joint.CompareTo(b.Joint));
        return new PreflightResult
        {
            Violations = list,
            HorizonS = total * dt,
            Samples = total,
            PeakTorqueNm = peakTau,
            PeakVelocityRadS = peakV,
            JointNames = names,
        };
    }
}
