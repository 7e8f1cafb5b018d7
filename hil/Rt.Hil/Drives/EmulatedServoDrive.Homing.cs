namespace Rt.Hil.Drives;

/// <summary>
/// The homing objects of a CiA 402 drive (written by SDO before a run): 0x6098 method, 0x6099:01 speed during the search
/// for the switch, 0x6099:02 speed during the search for zero, 0x609A homing acceleration, 0x607C home offset. Units
/// are the drive's: counts, counts/s, counts/s².
/// </summary>
public struct HomingParameters
{
    public sbyte Method;
    public uint SwitchSpeed;
    public uint ZeroSpeed;
    public uint Acceleration;
    public int HomeOffset;
}

/// <summary>Where the emulated drive's homing is (the statusword's bits 13/12/10 in mode 6 follow from it).</summary>
public enum DriveHomingState : byte
{
    /// <summary>Not started, or interrupted (bit 10 set, 12 and 13 clear).</summary>
    NotStarted,

    /// <summary>Moving toward the limit switch at the switch speed (10, 12, 13 clear).</summary>
    SearchingSwitch,

    /// <summary>On the switch: moving back off it at the zero speed; its falling edge is home.</summary>
    LeavingSwitch,

    /// <summary>Home is set; decelerating to standstill (bit 12 set, bit 10 clear).</summary>
    Stopping,

    /// <summary>Homing attained and the drive at standstill (bits 12 and 10 set).</summary>
    Attained,

    /// <summary>Homing error (bit 13; bit 10 once at standstill).</summary>
    Error,
}

public sealed partial class EmulatedServoDrive
{
    private const ushort SwHomingAttained = 0x1000, SwHomingError = 0x2000;

    private DriveHomingState _homing;
    private int _homeShiftCounts;
    private double _homingRef, _homingVel, _homingStart;
    private int _negSwitchCounts, _posSwitchCounts, _rawCounts;

    /// <summary>The homing objects (0x6098, 0x6099, 0x609A, 0x607C); the bench's object dictionary writes them. Real-time safe.</summary>
    public HomingParameters Homing;

    /// <summary>Where the homing is. Real-time safe.</summary>
    public DriveHomingState HomingState => _homing;

    /// <summary>The offset homing applied to the encoder, counts (position actual = encoder + this).</summary>
    public int HomeShiftCounts => _homeShiftCounts;

    /// <summary>0x60FD bit 0: the negative limit switch (the joint at or beyond its range's end in the motor's negative direction).</summary>
    public bool NegativeLimitSwitch => _rawCounts <= _negSwitchCounts;

    /// <summary>0x60FD bit 1: the positive limit switch.</summary>
    public bool PositiveLimitSwitch => _rawCounts >= _posSwitchCounts;

    /// <summary>The methods this drive implements: 17/18 (limit switch, no index pulse) and 35/37 (current position is home).</summary>
    public static bool SupportsHomingMethod(int method) => method is 17 or 18 or 35 or 37;

    /// <summary>
    /// Not real-time safe (set before the run). Moves the modelled limit switches to joint angles
    /// <paramref name="minRad"/> and <paramref name="maxRad"/> (by default at the joint's range ends; a switch mounted
    /// inside the range lets a limit-switch homing run without crossing the supervisor's position limit).
    /// </summary>
    public void SetLimitSwitches(double minRad, double maxRad) => InitHomingSwitches(minRad, maxRad);

    private void InitHomingSwitches(double minRad, double maxRad)
    {
        int a = Scaling.PositionToCounts(minRad), b = Scaling.PositionToCounts(maxRad);
        _negSwitchCounts = Math.Min(a, b);
        _posSwitchCounts = Math.Max(a, b);
    }

    /// <summary>Mode 6 entered (or operation enabled in it): not started, holding where the joint is.</summary>
    private void ResetHoming()
    {
        _homing = DriveHomingState.NotStarted;
        _homingRef = _positionRad;
        _homingVel = 0;
    }

    /// <summary>Controlword bit 4 in mode 6: a rising edge starts, a low bit interrupts (CiA 402 homing mode).</summary>
    private void HomingControl(ushort cw, ushort previous)
    {
        bool start = (cw & 0x10) != 0, edge = start && (previous & 0x10) == 0;
        if (State != Rt.Drivers.Cia402.DriveState.OperationEnabled || ModeDisplay != Cia402Modes.Homing) return;
        if (edge && _homing is DriveHomingState.NotStarted or DriveHomingState.Attained or DriveHomingState.Error)
        {
            _homingStart = _positionRad;
            _homingRef = _positionRad;
            _homingVel = 0;
            switch (Homing.Method)
            {
                case 35:
                case 37:
                    SetHome();
                    _homing = DriveHomingState.Attained;
                    break;
                case 17:
                case 18:
                    _homing = Homing.SwitchSpeed == 0 || Homing.ZeroSpeed == 0 || Homing.Acceleration == 0
                        ? DriveHomingState.Error
                        : DriveHomingState.SearchingSwitch;
                    break;
                default:
                    _homing = DriveHomingState.Error; // a method this drive does not implement
                    break;
            }
        }
        else if (!start && _homing is DriveHomingState.SearchingSwitch or DriveHomingState.LeavingSwitch)
        {
            _homing = DriveHomingState.NotStarted; // interrupted: decelerate and hold
        }
    }

    /// <summary>One substep of homing mode: the profile toward the switch and back, then the velocity loop.</summary>
    private double HomingTorque(double dt)
    {
        // Motor-negative search for 17, positive for 18; as joint velocity through the scaling (direction, gear).
        int sign = Homing.Method == 18 ? 1 : -1;
        double accel = Math.Abs(Scaling.CountsToVelocity(Homing.Acceleration));
        double want = 0;
        switch (_homing)
        {
            case DriveHomingState.SearchingSwitch:
                if (sign < 0 ? NegativeLimitSwitch : PositiveLimitSwitch) _homing = DriveHomingState.LeavingSwitch;
                else if (Math.Abs(_positionRad - _homingStart) > _o.MaxHomingTravelRad) _homing = DriveHomingState.Error;
                else want = Scaling.CountsToVelocity(sign * (double)Homing.SwitchSpeed);
                break;
            case DriveHomingState.LeavingSwitch:
                if (!(sign < 0 ? NegativeLimitSwitch : PositiveLimitSwitch))
                {
                    SetHome(); // the switch's falling edge is home
                    _homing = DriveHomingState.Stopping;
                }
                else want = Scaling.CountsToVelocity(-sign * (double)Homing.ZeroSpeed);
                break;
        }
        if (accel <= 0) accel = _o.QuickStopDecelerationRadS2;
        double dv = accel * dt;
        _homingVel = Math.Abs(want - _homingVel) <= dv ? want : _homingVel + Math.Sign(want - _homingVel) * dv;
        _homingRef += _homingVel * dt;
        if (_homing == DriveHomingState.Stopping && _homingVel == 0) _homing = DriveHomingState.Attained;
        return VelocityLoop(_kp * (_homingRef - _positionRad) + _homingVel, dt);
    }

    /// <summary>Position actual becomes the home offset (0x607C) here; the drive's references move with it (no jump).</summary>
    private void SetHome()
    {
        int delta = unchecked(Homing.HomeOffset - _counts);
        _homeShiftCounts = unchecked(_homeShiftCounts + delta);
        _counts = unchecked(_counts + delta);
        double rad = Scaling.CountsToPosition(_counts) - _positionRad;
        _positionRad += rad;
        _homingRef += rad;
        _homingStart += rad;
        _holdPosition += rad;
    }

    /// <summary>Statusword bits 13/12/10 in homing mode (CiA 402 table "homing mode bits").</summary>
    private ushort HomingStatusBits() => _homing switch
    {
        DriveHomingState.NotStarted => _homingVel == 0 ? SwTargetReached : (ushort)0,
        DriveHomingState.Stopping => SwHomingAttained,
        DriveHomingState.Attained => SwHomingAttained | SwTargetReached,
        DriveHomingState.Error => (ushort)(SwHomingError | (_homingVel == 0 ? SwTargetReached : 0)),
        _ => 0,
    };
}
