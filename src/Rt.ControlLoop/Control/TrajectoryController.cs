using Rt.Core.Config;
using Rt.Core.Tick;

namespace Rt.ControlLoop.Control;

/// <summary>
/// The host's motion controller: while the drives are not all operating it follows the measured pose (so enabling
/// never jumps); once they are, it moves from where the robot is to the motion's start pose on a minimum-jerk
/// path (settle), then plays the configured motion. Every target passes a per-joint velocity and acceleration
/// limiter and the position limits. Construction is not real-time safe; <see cref="Update"/> is.
/// </summary>
public sealed class TrajectoryController : IMotionController
{
    public enum Phase : byte
    {
        Idle,
        Settle,
        Run,
    }

    private readonly MotionGenerator _motion;
    private readonly double[] _start, _reference, _target, _velocity;
    private readonly double[] _vMax, _aMax, _min, _max;
    private readonly double _settleS;
    // Time into the current phase, advanced one period per tick that actually ran: after a stall (skipped periods) the
    // motion resumes where it was instead of jumping ahead and making the drives chase it.
    private long _phaseElapsedNs;

    // An operator pause: the motion slows to rest along its own path. Its clock's rate falls from 1 to 0 on a half
    // cosine over the requested time, so the targets stay smooth (continuous velocity and acceleration) and the twin
    // keeps predicting them; a stop ramp that left the path made the twin diverge on the IMUs at every stop mid-march.
    private long _pauseRequestNs;
    private long _pauseElapsedNs;
    private volatile bool _atRest;

    public TrajectoryController(RtConfig config)
    {
        _motion = new MotionGenerator(config);
        int n = config.Joints.Count;
        _start = new double[n];
        _reference = new double[n];
        _target = new double[n];
        _velocity = new double[n];
        _vMax = new double[n];
        _aMax = new double[n];
        _min = new double[n];
        _max = new double[n];
        for (int i = 0; i < n; i++)
        {
            var l = config.Joints[i].Limits;
            _vMax[i] = l.VelocityRadS;
            _aMax[i] = l.AccelerationRadS2 > 0 ? l.AccelerationRadS2 : double.PositiveInfinity;
            _min[i] = l.PositionMinRad;
            _max[i] = l.PositionMaxRad;
        }
        _settleS = Math.Max(config.Motion.SettleS, 0.01);
    }

    public Phase CurrentPhase { get; private set; }
    public MotionGenerator Motion => _motion;

    /// <summary>Seconds into the motion (0 until the settle phase is over).</summary>
    public double MotionTimeS { get; private set; }

    /// <summary>
    /// Asks the motion to slow to rest along its path within <paramref name="seconds"/> (an operator stop's first half;
    /// the drives are disabled once <see cref="IsAtRest"/>). Not real-time safe to call from the tick; any other thread may.
    /// </summary>
    public void RequestPause(double seconds) => Volatile.Write(ref _pauseRequestNs, Math.Max(1, (long)(seconds * 1e9)));

    /// <summary>A pause was requested and the motion is at rest (or the drives are off). Any thread may read it.</summary>
    public bool IsAtRest => _atRest;

    /// <summary>Real-time safe.</summary>
    public void Update(TickState s)
    {
        int n = _target.Length;
        double dt = s.PeriodNs * 1e-9;
        long pauseNs = Volatile.Read(ref _pauseRequestNs);
        if (!s.AllDrivesOperational)
        {
            if (pauseNs > 0) _atRest = true;
            CurrentPhase = Phase.Idle;
            MotionTimeS = 0;
            for (int i = 0; i < n; i++)
            {
                _target[i] = s.Position[i];
                _velocity[i] = 0;
                s.TargetPosition[i] = s.Position[i];
                s.TargetVelocity[i] = 0;
                s.FeedforwardTorque[i] = 0;
            }
            return;
        }
        if (CurrentPhase == Phase.Idle)
        {
            CurrentPhase = Phase.Settle;
            _phaseElapsedNs = -s.PeriodNs;
            Array.Copy(_target, _start, n);
        }
        _phaseElapsedNs += pauseNs > 0 ? PausedStep(s.PeriodNs, pauseNs) : s.PeriodNs;
        double t = _phaseElapsedNs * 1e-9;
        if (CurrentPhase == Phase.Settle)
        {
            _motion.Sample(0, _reference);
            double u = Math.Min(t / _settleS, 1.0);
            double blend = u * u * u * (10 - 15 * u + 6 * u * u); // minimum jerk
            for (int i = 0; i < n; i++) _reference[i] = _start[i] + (_reference[i] - _start[i]) * blend;
            if (u >= 1.0)
            {
                CurrentPhase = Phase.Run;
                _phaseElapsedNs = -s.PeriodNs; // the first Run tick is t = 0
            }
        }
        else
        {
            MotionTimeS = t;
            _motion.Sample(t, _reference);
        }
        Limit(dt);
        for (int i = 0; i < n; i++)
        {
            s.TargetPosition[i] = _target[i];
            s.TargetVelocity[i] = _velocity[i];
            s.FeedforwardTorque[i] = 0;
        }
    }

    // The motion clock's step while pausing: the period times a rate that falls from 1 to 0 as 0.5·(1 + cos(π·u)).
    private long PausedStep(long periodNs, long pauseNs)
    {
        _pauseElapsedNs += periodNs;
        double u = Math.Min((double)_pauseElapsedNs / pauseNs, 1.0);
        if (u >= 1.0)
        {
            _atRest = true;
            return 0;
        }
        return (long)Math.Round(periodNs * 0.5 * (1 + Math.Cos(Math.PI * u)));
    }

    // Velocity- and acceleration-limited step of each target toward its reference. The references are smooth and
    // inside the limits by construction, so the limiter only bites on a bad reference or the first settle tick.
    private void Limit(double dt)
    {
        for (int i = 0; i < _target.Length; i++)
        {
            double desired = (_reference[i] - _target[i]) / dt;
            double v = Math.Clamp(desired, -_vMax[i], _vMax[i]);
            double dv = _aMax[i] * dt;
            v = Math.Clamp(v, _velocity[i] - dv, _velocity[i] + dv);
            _velocity[i] = v;
            _target[i] = Math.Clamp(_target[i] + v * dt, _min[i], _max[i]);
        }
    }
}
