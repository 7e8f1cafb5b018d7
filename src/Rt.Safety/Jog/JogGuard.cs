using Rt.Core.Concurrency;

namespace Rt.Safety.Jog;

/// <summary>Where a jog request came from. Only the robot's own inputs may move it by hand; the network never.</summary>
public enum JogSource : byte
{
    /// <summary>A hold-to-run button wired to the controller (GPIO).</summary>
    LocalInput,

    /// <summary>The local reset socket (Unix socket, group rt-operator), held by repeated requests.</summary>
    LocalResetSocket,

    /// <summary>Anything arriving over the network (MQTT, a remote shell's socket forward…): always refused.</summary>
    Network,
}

/// <summary>What the guard did with a request or a tick; each is logged (safety log) off the tick.</summary>
public enum JogEventKind : byte
{
    Started,
    Stopped,
    RefusedNetwork,
    RefusedDirection,
    RefusedJoint,
    RefusedNotDisabled,
    HoldReleased,
    ReachedRange,

    /// <summary>A speed above the guard's bound (or not positive) was asked for.</summary>
    RefusedSpeed,

    /// <summary>The supervisor tripped (or stopped permitting recovery) while jogging: the jog ended with it.</summary>
    StoppedByTrip,

    /// <summary>The drives did not reach "operation enabled" in time, or one dropped out while jogging.</summary>
    StoppedDriveNotEnabled,

    /// <summary>The settle after a jog ended: the drives hold no more (STO, brakes).</summary>
    Settled,
}

/// <summary>One jog event: tick time, joint, direction and the position it happened at.</summary>
public readonly record struct JogEvent(long TimeNs, JogEventKind Kind, JogSource Source, short Joint, sbyte Direction, double PositionRad);

/// <summary>
/// Supervised jog: recovers a robot by hand, one joint at a time, at reduced speed (≤ <see cref="MaxSpeedRadS"/>), and
/// for a joint outside its valid range only toward it. Hold-to-run: the motion lasts while the request is renewed
/// within the hold timeout (a duration on the tick's clock, never a count of polls); a released button or a silent
/// socket stops the joint where it is. Requests from the network are refused. Every start, stop and refusal is a
/// <see cref="JogEvent"/> pushed to a ring for the safety log; a full ring is itself counted (<see cref="EventsLost"/>)
/// and stops the jog (never a silent loss). Construction not real-time safe; <see cref="Request"/>, <see cref="Hold"/>
/// and <see cref="Step"/> are real-time safe (no allocation, no lock).
/// </summary>
public sealed class JogGuard
{
    /// <summary>Highest jog speed the guard accepts, rad/s (issue 15: reduced speed for recovery by hand).</summary>
    public const double MaxSpeedRadS = 0.1;

    private readonly double[] _min, _max;
    private readonly double _margin;
    private readonly long _holdTimeoutNs;
    private double _speed;
    private bool _recovering;
    private readonly SpscRing<JogEvent> _events;
    private int _joint = -1;
    private int _direction;
    private JogSource _source;
    private long _heldUntilNs;
    private double _target;
    private bool _targetSet;

    /// <param name="insideMarginRad">A joint recovered from outside its range stops this far inside it (0 … 0.1 rad).</param>
    public JogGuard(IReadOnlyList<double> positionMinRad, IReadOnlyList<double> positionMaxRad, double speedRadS, TimeSpan holdTimeout, SpscRing<JogEvent> events,
        double insideMarginRad = 0)
    {
        ArgumentNullException.ThrowIfNull(positionMinRad);
        ArgumentNullException.ThrowIfNull(positionMaxRad);
        ArgumentNullException.ThrowIfNull(events);
        if (positionMinRad.Count != positionMaxRad.Count) throw new ArgumentException("one minimum and one maximum per joint");
        if (!(speedRadS > 0 && speedRadS <= MaxSpeedRadS))
            throw new ArgumentOutOfRangeException(nameof(speedRadS), speedRadS, $"jog speed must be in (0, {MaxSpeedRadS}] rad/s");
        if (holdTimeout <= TimeSpan.Zero || holdTimeout > TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(holdTimeout), holdTimeout, "hold-to-run timeout must be in (0, 1] s");
        if (!(insideMarginRad >= 0 && insideMarginRad <= 0.1))
            throw new ArgumentOutOfRangeException(nameof(insideMarginRad), insideMarginRad, "inside margin must be in [0, 0.1] rad");
        _margin = insideMarginRad;
        _min = [.. positionMinRad];
        _max = [.. positionMaxRad];
        SpeedRadS = speedRadS;
        _holdTimeoutNs = (long)holdTimeout.TotalNanoseconds;
        _events = events;
    }

    public double SpeedRadS { get; }

    /// <summary>The joint being jogged, or -1.</summary>
    public int ActiveJoint => _joint;

    /// <summary>Events the ring could not take (each also stopped the jog).</summary>
    public long EventsLost { get; private set; }

    /// <summary>
    /// Real-time safe. Starts (or renews) jogging <paramref name="joint"/> in <paramref name="direction"/> (+1/−1) from
    /// <paramref name="positionRad"/>. Refused: from the network; while the supervisor is not Disabled (jog is a
    /// recovery mode, not motion beside a running program); an unknown joint; and, for a joint outside its range, away
    /// from the range. Returns whether the jog runs.
    /// </summary>
    public bool Request(JogSource source, int joint, int direction, double positionRad, bool supervisorDisabled, long nowNs) =>
        Request(source, joint, direction, positionRad, supervisorDisabled, nowNs, SpeedRadS);

    /// <summary>
    /// Real-time safe. As <see cref="Request(JogSource, int, int, double, bool, long)"/> at <paramref name="speedRadS"/>,
    /// which must be in (0, <see cref="SpeedRadS"/>] (else refused: <see cref="JogEventKind.RefusedSpeed"/>).
    /// </summary>
    public bool Request(JogSource source, int joint, int direction, double positionRad, bool supervisorDisabled, long nowNs, double speedRadS)
    {
        if (source == JogSource.Network) return Refuse(nowNs, JogEventKind.RefusedNetwork, source, joint, direction, positionRad);
        if (!supervisorDisabled) return Refuse(nowNs, JogEventKind.RefusedNotDisabled, source, joint, direction, positionRad);
        if ((uint)joint >= (uint)_min.Length || direction is not (1 or -1)) return Refuse(nowNs, JogEventKind.RefusedJoint, source, joint, direction, positionRad);
        if (!(speedRadS > 0 && speedRadS <= SpeedRadS)) return Refuse(nowNs, JogEventKind.RefusedSpeed, source, joint, direction, positionRad);
        if ((positionRad < _min[joint] && direction < 0) || (positionRad > _max[joint] && direction > 0))
            return Refuse(nowNs, JogEventKind.RefusedDirection, source, joint, direction, positionRad);
        bool renewal = _joint == joint && _direction == direction && _source == source && _speed == speedRadS;
        if (!renewal)
        {
            if (_joint >= 0) Stop(nowNs, JogEventKind.Stopped, positionRad);
            (_joint, _direction, _source, _targetSet, _speed) = (joint, direction, source, false, speedRadS);
            Push(new JogEvent(nowNs, JogEventKind.Started, source, (short)joint, (sbyte)direction, positionRad));
        }
        _heldUntilNs = nowNs + _holdTimeoutNs;
        return _joint >= 0;
    }

    /// <summary>Real-time safe. Whether a jog is requested and its hold has not run out at <paramref name="nowNs"/>.</summary>
    public bool Held(long nowNs) => _joint >= 0 && nowNs <= _heldUntilNs;

    /// <summary>The speed of the running jog, rad/s (0 when none).</summary>
    public double ActiveSpeedRadS => _joint >= 0 ? _speed : 0;

    /// <summary>Real-time safe. Ends the running jog with <paramref name="kind"/> (a trip, a drive that dropped out).</summary>
    public void Abort(long nowNs, JogEventKind kind, double positionRad)
    {
        if (_joint >= 0) Stop(nowNs, kind, positionRad);
    }

    /// <summary>Real-time safe. Renews the hold of the running jog (the button still pressed).</summary>
    public void Hold(JogSource source, long nowNs)
    {
        if (_joint >= 0 && source == _source) _heldUntilNs = nowNs + _holdTimeoutNs;
    }

    /// <summary>Real-time safe. Releases the hold: the joint stops where it is.</summary>
    public void Release(long nowNs, double positionRad)
    {
        if (_joint >= 0) Stop(nowNs, JogEventKind.HoldReleased, positionRad);
    }

    /// <summary>
    /// Real-time safe. One tick of the jog for the active joint: returns the position target (moved by at most
    /// speed × <paramref name="dtS"/> from the last one) or <paramref name="positionRad"/> when nothing is jogged. A
    /// joint that was outside its range stops as it reaches the range edge; one inside stops at the edge it runs to.
    /// </summary>
    public double Step(int joint, double positionRad, double dtS, long nowNs)
    {
        if (joint != _joint) return positionRad;
        if (nowNs > _heldUntilNs)
        {
            Stop(nowNs, JogEventKind.HoldReleased, positionRad);
            return positionRad;
        }
        if (!_targetSet)
        {
            _target = positionRad;
            _targetSet = true;
            _recovering = _target < _min[joint] || _target > _max[joint];
        }
        double next = _target + _direction * _speed * dtS;
        if (_recovering)
        {
            // Toward the range: stop on reaching it, the margin inside (the operator then resets; the supervisor sees a
            // valid position, and encoder noise cannot put it out again).
            double goal = _direction > 0 ? _min[joint] + _margin : _max[joint] - _margin;
            if ((_direction > 0 && next >= goal) || (_direction < 0 && next <= goal))
            {
                _target = goal;
                Stop(nowNs, JogEventKind.ReachedRange, goal);
                return goal;
            }
        }
        else
        {
            next = Math.Clamp(next, _min[joint], _max[joint]);
        }
        _target = next;
        return _target;
    }

    private bool Refuse(long nowNs, JogEventKind kind, JogSource source, int joint, int direction, double positionRad)
    {
        Push(new JogEvent(nowNs, kind, source, (short)joint, (sbyte)Math.Clamp(direction, -1, 1), positionRad));
        return false;
    }

    private void Stop(long nowNs, JogEventKind kind, double positionRad)
    {
        var e = new JogEvent(nowNs, kind, _source, (short)_joint, (sbyte)_direction, positionRad);
        (_joint, _direction, _targetSet) = (-1, 0, false);
        Push(e);
    }

    private void Push(in JogEvent e)
    {
        if (_events.TryPush(e)) return;
        EventsLost++;
        (_joint, _direction, _targetSet) = (-1, 0, false); // an unlogged jog does not run
    }
}
