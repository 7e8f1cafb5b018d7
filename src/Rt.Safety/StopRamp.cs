using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// SS1/SS2 (and the operator's own stop): from the velocity measured when the stop begins, a ramp at the configured
/// deceleration to standstill, written as targets each tick; the ramp is monitored (the drive must follow it, and be
/// at standstill within the stop time), and SS2's hold (SOS) is monitored against the standstill window.
/// <para>
/// The compliant hold (a collision, <see cref="ReactionPolicy"/>): instead of a ramp that keeps driving into the
/// obstacle for v²/2a, every joint's target is its measured position at the trip moved back a little along the way it
/// came (<see cref="RetractTimeS"/>, a reflex), velocity 0, from the very next frame: the drives brake at their own
/// loop's strength and, having overshot, pull back to just before where the contact was detected (away from the
/// obstacle, so the contact force falls instead of being held). Gravity stays compensated: the drives' velocity-loop integrators carry the
/// gravity torque while the robot moves (the controller sends no torque feed-forward in CSP) and the hold neither
/// switches mode nor resets them. The drives' torque is limited too: while <see cref="Compliant"/> the supervisor sets
/// <see cref="TickState.CollisionHold"/> and the drive layer writes the hold's lower 0x6072 (safety.collision_hold_torque_limit). Monitored: no joint may travel further from its trip position than the configured
/// ramp would have (v0²/2a) plus <see cref="HoldTravelAllowanceRad"/>, and standstill must come within the stop time; the standstill window (SOS) is then kept around where the joints came
/// to rest. A failure is <see cref="FaultCode.StopMonitor"/> → STO.
/// </para>
/// Real-time safe after construction.
/// </summary>
internal sealed class StopRamp
{
    private readonly SupervisorLimits _l;
    private readonly double[] _v0, _p0, _retracted, _reflex, _hold, _rampVelocity, _sosReference, _holdTravel;
    private readonly int[] _pushTicks; // per joint: ticks in a row the observer said the world pushes it one way (sign = the way)
    private readonly sbyte[] _yieldSide; // per joint: the way the hold yields (0: not yet)
    private readonly double[] _lastVelocity; // the measured velocity of the tick before (the ramp's start is checked against it)
    private readonly double[] _speedHistory; // per joint × DecelWindowTicks: the hold's recent speeds along each joint's travel (a ring)
    private readonly double[] _brakeAt; // per joint: where its brake was closed while stopping (the braked joint's target from then on)
    private readonly bool[] _brakeLogged; // per joint: its closing has been handed to the safety log
    private readonly bool[] _brakeClosed; // per joint: the hold closed its brake under power (latched until the stop ends)

    /// <summary>Travel a joint may make during the compliant hold beyond the ramp's own v0²/2a (a knock at the impact), rad.</summary>
    public const double HoldTravelAllowanceRad = 0.1;

    /// <summary>
    /// The hold's reflex: each joint's target is its trip position moved back along the way it came, by its speed at the
    /// trip times this, s (about the path since the contact began: detection takes 1–3 ms, plus the margin the contact
    /// compresses), at most <see cref="RetractMaxRad"/>. Holding exactly at the trip position keeps the link pressed
    /// into what it hit, and the drive's integrator pushes harder the longer it holds (the contact force rose).
    /// </summary>
    public const double RetractTimeS = 0.010;

    /// <summary>Largest reflex retraction per joint, rad.</summary>
    public const double RetractMaxRad = 0.03;

    /// <summary>
    /// |τ_ext| / the joint's collision threshold from which the hold yields to the push (the observer's estimate in
    /// nominal motion stays well below the threshold; half of it is a contact).
    /// </summary>
    public const double YieldRatio = 0.5;

    /// <summary>
    /// How far the yielding target leads the measured position the way the joint is pushed, rad: at the bench drives'
    /// 12 Hz position loop about 0.4 rad/s off the obstacle.
    /// </summary>
    public const double YieldLeadRad = 0.005;

    /// <summary>Furthest the hold's target yields from the reflex position, rad (well inside the hold's travel allowance).</summary>
    public const double YieldMaxRad = 0.05;

    /// <summary>Ticks in a row a push the other way must keep its direction before the yielding hold turns to it.</summary>
    public const int YieldPersistTicks = 2;

    /// <summary>
    /// The hold's torque limit stiffens with travel: at the hold's limit (safety.collision_hold_torque_limit) while a
    /// joint has used less than this share of its travel allowance, rising linearly to the joint's full limit at
    /// <see cref="StiffenFullShare"/>. The low limit bounds the push on what was hit; a push that keeps moving the joint
    /// (a sustained wrench) meets the full torque before the travel monitor would cut power and drop the limb.
    /// </summary>
    public const double StiffenFromShare = 0.1;

    /// <summary>Share of the travel allowance at which the hold's torque limit is the joint's full limit again.</summary>
    public const double StiffenFullShare = 0.3;

    /// <summary>
    /// Brake under power: a joint whose hold is overpowered (it has used this share of its travel allowance, its drive
    /// delivers <see cref="BrakeAtTorqueShare"/> of limits.torque_nm against the travel, it still moves away, and at its
    /// deceleration over the last <see cref="DecelWindowTicks"/> it would not stop within the allowance) has
    /// its holding brake closed while the drive stays on (brakes[i].engage_bit): drive and brake then hold together
    /// what the drive alone could not (a sustained push of more than the joint's torque limit), and power stays on.
    /// Cutting power instead (the travel monitor's STO) left the brake alone against the push, after its engage time.
    /// </summary>
    public const double BrakeFromShare = 0.4;

    /// <summary>Share of limits.torque_nm the drive must deliver against the travel before the hold closes the brake.</summary>
    public const double BrakeAtTorqueShare = 0.9;

    /// <summary>
    /// Ticks over which the hold measures a joint's deceleration for <see cref="Overpowered"/>: a drive at its limit that
    /// is stopping the joint in time (a yield that reached its bound brakes its own momentum at full torque for ~15 ms)
    /// is not overpowered; one that does not slow it down enough to stop within the allowance is.
    /// </summary>
    public const int DecelWindowTicks = 10;
    private long _startTick, _rampTicks, _step; // _step: ticks since the stop began (the speed history's clock)

    public StopRamp(SupervisorLimits limits)
    {
        _l = limits;
        _v0 = new double[limits.Joints];
        _p0 = new double[limits.Joints];
        _retracted = new double[limits.Joints];
        _reflex = new double[limits.Joints];
        _pushTicks = new int[limits.Joints];
        _yieldSide = new sbyte[limits.Joints];
        _hold = new double[limits.Joints];
        _rampVelocity = new double[limits.Joints];
        _sosReference = new double[limits.Joints];
        _holdTravel = new double[limits.Joints];
        _lastVelocity = new double[limits.Joints];
        _brakeClosed = new bool[limits.Joints];
        _brakeLogged = new bool[limits.Joints];
        _speedHistory = new double[limits.Joints * DecelWindowTicks];
        _brakeAt = new double[limits.Joints];
    }

    /// <summary>
    /// Real-time safe. The joint whose brake the hold closed under power since the last call (one per call; the
    /// supervisor logs it), or −1.
    /// </summary>
    public int TakeBrakeClosed()
    {
        for (int j = 0; j < _l.Joints; j++)
        {
            if (!_brakeClosed[j] || _brakeLogged[j]) continue;
            _brakeLogged[j] = true;
            return j;
        }
        return -1;
    }

    /// <summary>Every tick, after the stop logic: remembers the measured velocities (the next tick's stop may start from them). Real-time safe.</summary>
    public void Remember(TickState s)
    {
        for (int j = 0; j < _l.Joints; j++)
        {
            double v = s.Velocity[j];
            _lastVelocity[j] = double.IsFinite(v) ? v : 0;
        }
    }

    /// <summary>
    /// Real-time safe. The speed a ramp starts from: the measured <paramref name="velocity"/>, unless it is faster than
    /// the joint's speed a tick before (<paramref name="last"/>) by more than the ramp monitor's own slack
    /// <paramref name="tolerance"/>; then the last tick's velocity. A failed encoder's jump reads as a velocity spike
    /// (−11.9 rad/s on a standing hip yaw); a ramp from it drove that joint at its torque limit into the drive's
    /// following-error fault and STO. A stop decelerates what the joint was doing, not what a failed sensor says; a joint
    /// that really gains more than the slack in one tick (spun by an external torque) starts from its slower last speed,
    /// the ramp's targets lag it, and the monitor ends the stop in STO if it does not slow down.
    /// </summary>
    internal static double StartVelocity(double velocity, double last, double tolerance)
    {
        if (!double.IsFinite(velocity)) velocity = 0;
        if (!double.IsFinite(last)) last = 0;
        return Math.Abs(velocity) <= Math.Abs(last) + tolerance ? velocity : last;
    }

    /// <summary>The position targets the stop sent last (the ramp's step, the hold), per joint. Read-only for callers.</summary>
    public double[] CommandedTargets => _hold;

    /// <summary>Whether the stop in progress is the compliant hold (a collision) rather than a ramp.</summary>
    public bool Compliant { get; private set; }

    /// <summary>The category of the stop in progress: Cat1, Cat2, or None for the operator's own stop or no stop.</summary>
    public StopCategory Category { get; set; }

    /// <summary>
    /// Starts the ramp (or, <paramref name="compliant"/>, the hold) from the measured state; its first step goes out in
    /// the very next frame.
    /// </summary>
    public void Begin(TickState s, long tick, bool compliant = false)
    {
        _startTick = tick;
        Compliant = compliant;
        double longest = 0;
        for (int j = 0; j < _l.Joints; j++)
        {
            double v = s.Velocity[j];
            double p = s.Position[j];
            // The compliant hold keeps the measured speed (a collision's push is real motion; its travel allowance needs it).
            _v0[j] = compliant ? (double.IsFinite(v) ? v : 0) : StartVelocity(v, _lastVelocity[j], _l.RampTolerance);
            _p0[j] = double.IsFinite(p) ? p : 0;
            _retracted[j] = _p0[j] - Math.Sign(_v0[j]) * Math.Min(Math.Abs(_v0[j]) * RetractTimeS, RetractMaxRad);
            _reflex[j] = _retracted[j];
            _pushTicks[j] = 0;
            _yieldSide[j] = 0;
            longest = Math.Max(longest, Math.Abs(_v0[j]) / _l.Decel);
            _holdTravel[j] = _v0[j] * _v0[j] / (2 * _l.Decel) + HoldTravelAllowanceRad;
            _brakeClosed[j] = false;
            _brakeLogged[j] = false;
            Array.Fill(_speedHistory, Math.Abs(_v0[j]), j * DecelWindowTicks, DecelWindowTicks);
            s.BrakeEngage[j] = false;
        }

        _rampTicks = compliant ? 0 : (long)Math.Ceiling(longest / _l.Dt - 1e-9);
        Write(s, 0);
    }

    /// <summary>
    /// While Stopping: writes this tick's ramp step and checks the drive follows. Returns StopFailed (with the cause),
    /// the stop's completion input, or None.
    /// </summary>
    public SafetyInput MonitorStop(TickState s, long tick, ref SafetyCause failure)
    {
        long k = tick - _startTick;
        _step = k;
        Write(s, k);
        bool still = true, failed = false;
        for (int j = 0; j < _l.Joints; j++)
        {
            double vm = s.Velocity[j];
            if (Compliant)
            {
                // The hold may not travel further than the configured ramp would have (v0²/2a) plus a knock's allowance.
                double travel = s.Position[j] - _p0[j];
                if (!(Math.Abs(travel) <= _holdTravel[j]) && !failed)
                {
                    failed = true; // the drive is not holding: STO at once
                    failure = new SafetyCause(FaultCode.StopMonitor, (short)j, travel, _holdTravel[j]);
                }
            }
            else
            {
                // The ramp commanded for this tick's time was sent one frame ago, so compare against the previous step.
                double allowed = Math.Abs(PreviousRampVelocity(j, k)) + _l.RampTolerance;
                if (!(Math.Abs(vm) <= allowed) && !failed)
                {
                    failed = true; // the drive is not following the ramp: STO at once
                    failure = new SafetyCause(FaultCode.StopMonitor, (short)j, vm, allowed);
                }
            }
            if (!(Math.Abs(vm) <= SupervisorLimits.StandstillVelocityRadS)) still = false;
        }
        if (failed) return SafetyInput.StopFailed;
        // The compliant hold stays in its yielding phase for at least the settle time: a limb that was still when the
        // obstacle came (iso-obstacle-right-foot, the sine sweep had the right leg at rest) is at standstill within a
        // few ticks, before the push builds up, and an SOS taken then held it rigidly while the drives wound up
        // against the obstacle (24 → 83 N).
        if (k >= _rampTicks && still && (!Compliant || k >= _l.SettleTicks))
        {
            // SOS is monitored around where the joints came to rest (the ramp's end; for the hold, the measured pose).
            for (int j = 0; j < _l.Joints; j++)
            {
                _sosReference[j] = Compliant && double.IsFinite(s.Position[j]) ? s.Position[j] : _hold[j];
                _hold[j] = _sosReference[j]; // the collision's SOS holds where the joints came to rest
            }
            return Category switch
            {
                StopCategory.Cat2 => SafetyInput.HoldReached,
                StopCategory.Cat1 => SafetyInput.StopComplete,
                _ => SafetyInput.OperatorStopComplete,
            };
        }
        long limit = Math.Max(_l.StopTimeTicks, _rampTicks) + _l.SettleTicks;
        if (k < limit) return SafetyInput.None;
        failure = new SafetyCause(FaultCode.StopMonitor, -1, k * _l.Dt, limit * _l.Dt); // not at standstill in time
        return SafetyInput.StopFailed;
    }

    /// <summary>While Holding (SOS): holds the ramp's end position; leaving the standstill window is StopFailed.</summary>
    public SafetyInput MonitorHold(TickState s, ref SafetyCause failure)
    {
        _step++;
        bool failed = false;
        for (int j = 0; j < _l.Joints; j++)
        {
            s.TargetPosition[j] = _hold[j];
            s.TargetVelocity[j] = 0;
            s.FeedforwardTorque[j] = 0;
            double dev = s.Position[j] - _sosReference[j];
            double window = Compliant ? _l.StandstillWindow + YieldMaxRad : _l.StandstillWindow;
            // The collision's standstill may be overpowered too (a push that goes on, a joint that lost its torque
            // sagging once it came to rest): the same test against the standstill window closes the brake.
            if (Compliant && !_brakeClosed[j] && _l.BrakeUnderPower[j] && double.IsFinite(dev))
            {
                double speed = Remember(j, _step, s.Velocity[j], dev, out double speedBefore);
                if (Overpowered(s, j, dev, window, speed, speedBefore)) _brakeClosed[j] = true; // the hold's target stays its rest position
            }
            s.BrakeEngage[j] = _brakeClosed[j]; // a brake closed under power stays closed through the standstill
            if (!(Math.Abs(dev) <= window) && !failed)
            {
                failed = true; // SOS window left: STO
                failure = new SafetyCause(FaultCode.StopMonitor, (short)j, dev, window);
            }
        }
        return failed ? SafetyInput.StopFailed : SafetyInput.None;
    }

    /// <summary>Writes the ramp's targets for ramp step k (the target for time (k+1)·dt, the next frame's time), or the hold's.</summary>
    private void Write(TickState s, long k)
    {
        if (Compliant)
        {
            var d = s.Divergence;
            int observed = d.Valid ? Math.Min(_l.Joints, d.ExternalTorque.Length) : 0;
            for (int j = 0; j < _l.Joints; j++)
            {
                double p = s.Position[j];
                double target = _retracted[j]; // the hold's anchor: the reflex position, moved on by yielding
                // Yield: while the momentum observer says the world pushes this joint (|τ_ext| over a fraction of the
                // collision threshold), the target leads the measured position by YieldLeadRad the way it is pushed,
                // so the drive moves the link off the obstacle instead of holding it there (its integrator would
                // otherwise wind up to the torque limit against the contact: the force rose). Once the push is gone
                // the target stays where it was last put. The first frame is the reflex alone; the yield is bounded
                // (YieldMaxRad from the reflex), so a push that does not stop (a person leaning on the leg, a wrong
                // estimate) ends in a hold, not a walk-away.
                // It turns the other way only for a push that keeps the new direction for YieldPersistTicks: the
                // observer's estimate on a joint its drive brakes hard swings both ways tick by tick, and a yield that
                // followed every tick drove its own limit cycle (a free knee braked from 3 rad/s: target ± 5 mrad,
                // torque ± 38 N·m every 2 ticks, never at standstill, then stop_monitor; the random fault search,
                // docs/SAFETY.md). The first yield is at once: a contact's push is released a tick sooner.
                if (_brakeClosed[j]) target = _brakeAt[j]; // braked: held where the brake closed, no more yield (the
                // observer reads the brake's torque as a push, and a yield that followed it drove the joint through the brake)
                double te = j < observed ? d.ExternalTorque[j] : 0;
                int push = double.IsFinite(te) && Math.Abs(te) >= YieldRatio * _l.CollisionMax[j] ? Math.Sign(te) : 0;
                _pushTicks[j] = push == 0 ? 0 : Math.Sign(_pushTicks[j]) == push ? _pushTicks[j] + push : push;
                if (k > 0 && double.IsFinite(p) && push != 0 && !_brakeClosed[j]
                    && (_yieldSide[j] == 0 || _yieldSide[j] == push || Math.Abs(_pushTicks[j]) >= YieldPersistTicks))
                {
                    double side = push;
                    _yieldSide[j] = (sbyte)push;
                    if (side * (target - p) < YieldLeadRad)
                        target = _retracted[j] = Math.Clamp(p + side * YieldLeadRad, _reflex[j] - YieldMaxRad, _reflex[j] + YieldMaxRad);
                }
                // Compliance: the target stays within ± half the following-error limit of where the joint is, so a
                // joint the obstacle pushes gives way (a bounded position error bounds the drive's push) instead of
                // the drive faulting on its following-error window.
                double give = 0.5 * _l.FollowMax[j];
                if (double.IsFinite(p)) target = Math.Clamp(target, p - give, p + give);
                double share = double.IsFinite(p) ? Math.Abs(p - _p0[j]) / _holdTravel[j] : 1;
                double stiffen = Math.Clamp((share - StiffenFromShare) / (StiffenFullShare - StiffenFromShare), 0, 1);
                s.HoldTorqueFraction[j] = _l.HoldTorqueFraction + (1 - _l.HoldTorqueFraction) * stiffen;
                double speed = Remember(j, k, s.Velocity[j], p - _p0[j], out double speedBefore);
                if (!_brakeClosed[j] && _l.BrakeUnderPower[j] && double.IsFinite(p) && Overpowered(s, j, p - _p0[j], _holdTravel[j], speed, speedBefore))
                {
                    _brakeClosed[j] = true;
                    _brakeAt[j] = p;
                }
                s.BrakeEngage[j] = _brakeClosed[j];
                _rampVelocity[j] = 0;
                s.TargetPosition[j] = target;
                s.TargetVelocity[j] = 0;
                s.FeedforwardTorque[j] = 0;
                _hold[j] = target;
            }
            return;
        }
        double t = (k + 1) * _l.Dt;
        double decel = _l.Decel;
        for (int j = 0; j < _l.Joints; j++)
        {
            double v0 = _v0[j];
            double speed0 = Math.Abs(v0);
            double sign = Math.Sign(v0);
            double tc = Math.Min(t, speed0 / decel);
            _rampVelocity[j] = t < speed0 / decel ? sign * (speed0 - decel * t) : 0;
            double pr = _p0[j] + v0 * tc - sign * 0.5 * decel * tc * tc;
            s.TargetPosition[j] = pr;
            s.TargetVelocity[j] = _rampVelocity[j];
            s.FeedforwardTorque[j] = 0;
            s.BrakeEngage[j] = false;
            _hold[j] = pr;
        }
    }

    /// <summary>
    /// The hold cannot keep joint <paramref name="j"/>: past <see cref="BrakeFromShare"/> of its travel allowance, its
    /// drive at <see cref="BrakeAtTorqueShare"/> of its limit against the travel, still moving away, and at the
    /// deceleration of the last <see cref="DecelWindowTicks"/> (<paramref name="speedBefore"/> → <paramref name="speed"/>,
    /// along the travel) it would not come to rest within the allowance (v²/2a beyond it, or not slowing down at all).
    /// </summary>
    private bool Overpowered(TickState s, int j, double travel, double allowance, double speed, double speedBefore)
    {
        double tau = s.Torque[j];
        if (!(Math.Abs(travel) >= BrakeFromShare * allowance) || !double.IsFinite(tau)) return false;
        if (!(speed > SupervisorLimits.StandstillVelocityRadS)) return false; // at rest or moving back: the hold wins
        if (!(tau * travel < 0 && Math.Abs(tau) >= BrakeAtTorqueShare * _l.DriveTorque[j])) return false; // torque left
        double decel = (speedBefore - speed) / (DecelWindowTicks * _l.Dt);
        return !(decel > 0) || Math.Abs(travel) + speed * speed / (2 * decel) > allowance;
    }

    /// <summary>Real-time safe. Joint <paramref name="j"/>'s travel since the stop began, rad.</summary>
    public double TravelSinceTrip(TickState s, int j) => s.Position[j] - _p0[j];

    /// <summary>
    /// Records joint <paramref name="j"/>'s speed along its travel (positive: moving away from where the stop began) for
    /// step <paramref name="k"/>; returns it, and the speed <see cref="DecelWindowTicks"/> steps before.
    /// </summary>
    private double Remember(int j, long k, double velocity, double travel, out double before)
    {
        double speed = double.IsFinite(velocity) && double.IsFinite(travel) ? velocity * Math.Sign(travel) : 0;
        int slot = j * DecelWindowTicks + (int)(k % DecelWindowTicks);
        before = _speedHistory[slot];
        _speedHistory[slot] = speed;
        return speed;
    }

    private double PreviousRampVelocity(int j, long k)
    {
        double t = k * _l.Dt;
        double speed0 = Math.Abs(_v0[j]);
        return t < speed0 / _l.Decel ? speed0 - _l.Decel * t : 0;
    }
}
