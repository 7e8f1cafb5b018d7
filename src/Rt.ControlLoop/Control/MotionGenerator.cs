using Rt.Core.Config;

namespace Rt.ControlLoop.Control;

/// <summary>What a joint does in the robot's terms; motions address joints by role, not by index.</summary>
public enum JointRole : byte
{
    Other,
    HipYaw,
    HipRoll,
    HipPitch,
    Knee,
    AnklePitch,
    AnkleRoll,
}

/// <summary>
/// Reference motions for a leg pair on a stand: hold, a per-joint sine sweep, and a "march in the air".
/// Pure functions of time (seconds since the motion started) and the neutral pose, so a motion is repeatable and
/// costs no state. Real-time safe.
/// </summary>
public sealed class MotionGenerator
{
    private readonly MotionSection _motion;
    private readonly JointRole[] _roles;
    private readonly int[] _side; // -1 left, +1 right, 0 unknown
    private readonly double[] _neutral;
    private readonly double[] _min, _max;
    private readonly double _sweepSegmentS;

    public MotionGenerator(RtConfig config)
    {
        _motion = config.Motion;
        int n = config.Joints.Count;
        _roles = new JointRole[n];
        _side = new int[n];
        _neutral = new double[n];
        _min = new double[n];
        _max = new double[n];
        for (int i = 0; i < n; i++)
        {
            var j = config.Joints[i];
            _roles[i] = RoleOf(j.Name);
            _side[i] = j.Name.StartsWith("l_", StringComparison.Ordinal) || j.Name.StartsWith("left", StringComparison.Ordinal) ? -1
                : j.Name.StartsWith("r_", StringComparison.Ordinal) || j.Name.StartsWith("right", StringComparison.Ordinal) ? 1 : 0;
            _min[i] = j.Limits.PositionMinRad;
            _max[i] = j.Limits.PositionMaxRad;
        }
        // Neutral: a slightly bent knee with a level foot (hip + knee + ankle pitch = 0), so no joint rests on a stop.
        for (int i = 0; i < n; i++)
        {
            double q = _roles[i] switch
            {
                JointRole.HipPitch => -0.1,
                JointRole.Knee => 0.2,
                JointRole.AnklePitch => -0.1,
                _ => 0.0,
            };
            _neutral[i] = Math.Clamp(q, _min[i] + 0.05, _max[i] - 0.05);
        }
        // Sweep each joint in turn: long enough to pass from the start to the end frequency a few times.
        _sweepSegmentS = Math.Max(2.0, 4.0 / Math.Max(_motion.FrequencyHz, 0.05));
    }

    public IReadOnlyList<double> Neutral => _neutral;
    public JointRole Role(int joint) => _roles[joint];

    public static JointRole RoleOf(string name)
    {
        if (name.EndsWith("hip_yaw", StringComparison.Ordinal)) return JointRole.HipYaw;
        if (name.EndsWith("hip_roll", StringComparison.Ordinal)) return JointRole.HipRoll;
        if (name.EndsWith("hip_pitch", StringComparison.Ordinal)) return JointRole.HipPitch;
        if (name.EndsWith("knee", StringComparison.Ordinal)) return JointRole.Knee;
        if (name.EndsWith("ankle_pitch", StringComparison.Ordinal)) return JointRole.AnklePitch;
        if (name.EndsWith("ankle_roll", StringComparison.Ordinal)) return JointRole.AnkleRoll;
        return JointRole.Other;
    }

    /// <summary>Duration of one full sine sweep over all joints.</summary>
    public double SweepDurationS => _sweepSegmentS * _neutral.Length;

    /// <summary>Reference pose at <paramref name="t"/> seconds into the motion. Real-time safe.</summary>
    public void Sample(double t, Span<double> q)
    {
        for (int i = 0; i < q.Length; i++) q[i] = _neutral[i];
        switch (_motion.Kind)
        {
            case MotionKind.Sine:
                SampleSweep(t, q);
                break;
            case MotionKind.March:
                SampleMarch(t, q);
                break;
        }
        for (int i = 0; i < q.Length; i++) q[i] = Math.Clamp(q[i], _min[i], _max[i]);
    }

    private void SampleSweep(double t, Span<double> q)
    {
        int joint = (int)(t / _sweepSegmentS) % q.Length;
        double tau = t - Math.Floor(t / _sweepSegmentS) * _sweepSegmentS;
        double u = tau / _sweepSegmentS;
        // Linear chirp f0 → f1 over the segment: phase = 2π (f0 τ + (f1 − f0) τ² / (2T)).
        double f0 = _motion.FrequencyHz, f1 = _motion.FrequencyEndHz;
        double phase = 2 * Math.PI * (f0 * tau + (f1 - f0) * tau * tau / (2 * _sweepSegmentS));
        // A sin² window fades the sweep in and out, so position and velocity are continuous between joints.
        double window = Math.Sin(Math.PI * u);
        window *= window;
        double room = Math.Min(_neutral[joint] - _min[joint], _max[joint] - _neutral[joint]);
        double amplitude = Math.Min(_motion.AmplitudeRad, 0.8 * room);
        q[joint] = _neutral[joint] + amplitude * window * Math.Sin(phase);
    }

    private void SampleMarch(double t, Span<double> q)
    {
        double period = _motion.StepPeriodS;
        double phi = t / period - Math.Floor(t / period);
        for (int i = 0; i < q.Length; i++)
        {
            // Left lifts in the first half of the cycle, right in the second. The lift is the bump 64·s³(1−s)³
            // (s = 2p, peak 1 at s = ½): position, velocity and acceleration are continuous at lift-off and touch-down.
            // A sin² bump would step the acceleration there, a jerk impulse no drive follows without a transient
            // (and the twin's cross-check would see it as a spike on every step).
            double p = _side[i] > 0 ? phi + 0.5 : phi;
            p -= Math.Floor(p);
            double lift = 0.0;
            if (p < 0.5)
            {
                double s = 2 * p, b = s * (1 - s);
                lift = 64 * b * b * b;
            }
            double hip = -_motion.HipPitchRad * lift;
            double knee = _motion.KneeRad * lift;
            switch (_roles[i])
            {
                case JointRole.HipPitch:
                    q[i] = _neutral[i] + hip;
                    break;
                case JointRole.Knee:
                    q[i] = _neutral[i] + knee;
                    break;
                case JointRole.AnklePitch:
                    q[i] = _neutral[i] - (hip + knee); // keep the sole level
                    break;
            }
        }
    }
}
