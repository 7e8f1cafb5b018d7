using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.ProcessData;

namespace Rt.Core.Tick;

/// <summary>
/// The blackboard one tick works on: every stage reads and writes fields of this object in place.
/// Allocated once at prepare time, sized from the config; nothing in it is resized afterwards. Real-time safe.
/// Joint-space arrays are in the robot's joint order (config order of <c>joints</c>), joint side, SI units.
/// </summary>
public sealed class TickState
{
    public TickState(int jointCount, int imuCount, ChannelLayout layout, int faultCapacity = 64)
    {
        JointCount = jointCount;
        ImuCount = imuCount;
        Image = new ProcessImage(jointCount, imuCount);
        Position = new double[jointCount];
        Velocity = new double[jointCount];
        Torque = new double[jointCount];
        TargetPosition = new double[jointCount];
        TargetVelocity = new double[jointCount];
        FeedforwardTorque = new double[jointCount];
        DriveOperational = new bool[jointCount];
        ModeOverride = new sbyte[jointCount];
        ControlwordBits = new ushort[jointCount];
        HoldTorqueFraction = new double[jointCount];
        BrakeEngage = new bool[jointCount];
        Divergence = new DivergenceRecord(layout);
        Faults = new FaultList(faultCapacity);
    }

    public int JointCount { get; }
    public int ImuCount { get; }

    /// <summary>Tick number since start (0-based).</summary>
    public long Tick;

    /// <summary>The tick's scheduled time on the injected clock, ns. The pipeline never reads a clock itself.</summary>
    public long TimeNs;

    /// <summary>Tick period, ns.</summary>
    public long PeriodNs;

    /// <summary>How late the tick started relative to its deadline (0 in lockstep), ns.</summary>
    public long WakeLatencyNs;

    /// <summary>The bus process image (raw drive units).</summary>
    public ProcessImage Image { get; }

    /// <summary>Measured joint position (rad), velocity (rad/s) and torque (N·m), converted from the image.</summary>
    public readonly double[] Position, Velocity, Torque;

    /// <summary>Controller output: desired joint position/velocity (feed-forward) and torque feed-forward.</summary>
    public readonly double[] TargetPosition, TargetVelocity, FeedforwardTorque;

    /// <summary>Per joint: the drive reports "operation enabled".</summary>
    public readonly bool[] DriveOperational;

    /// <summary>
    /// Per joint, written by the manual mode (homing) for this tick only: a mode of operation (0x6060) instead of the
    /// joint's configured one (0 = none), and controlword bits OR-ed into the state machine's (bit 4: homing start).
    /// </summary>
    public readonly sbyte[] ModeOverride;
    public readonly ushort[] ControlwordBits;

    /// <summary>True when every drive is in "operation enabled".</summary>
    public bool AllDrivesOperational;

    /// <summary>
    /// False when this tick's bus exchange brought no new inputs (a lost frame, a working-counter error, the link down,
    /// even within the frame-loss budget): the image still holds the last good inputs. Set by the fieldbus every tick;
    /// the twin does not compare stale inputs with its prediction (they are not evidence of divergence).
    /// </summary>
    public bool InputsFresh = true;

    /// <summary>Twin output (issue 4).</summary>
    public DivergenceRecord Divergence { get; }

    /// <summary>Faults raised this tick, by any stage. Cleared at the start of each tick.</summary>
    public FaultList Faults { get; }

    /// <summary>The safety gate's decision for this tick.</summary>
    public DrivePowerRequest PowerRequest;

    public SafetyState SafetyState;

    /// <summary>Set by the safety gate when it overrode the controller's targets (ramp/hold).</summary>
    public bool TargetsOverridden;

    /// <summary>
    /// Set by the safety gate from a collision's trip tick on, while its compliant hold (and the standstill after it)
    /// lasts: the drive layer writes each drive's hold torque limit (0x6072), <see cref="HoldTorqueFraction"/> × the
    /// joint's normal one.
    /// </summary>
    public bool CollisionHold;

    /// <summary>Per joint, while <see cref="CollisionHold"/>: the fraction of the joint's torque limit its drive may use (written by the hold).</summary>
    public readonly double[] HoldTorqueFraction;

    /// <summary>
    /// Per joint, written by the safety gate: close this joint's holding brake while its drive stays powered (a push the
    /// collision hold's full torque cannot hold). The drive layer sets the brake's 0x60FE:01 bit
    /// (<c>brakes[i].engage_bit</c>) where the config names one. Cleared whenever the drives are not in a stop or hold.
    /// </summary>
    public readonly bool[] BrakeEngage;

    /// <summary>Operator has asked for motion (enable) — from the host, not from the network.</summary>
    public bool MotionRequested;

    /// <summary>
    /// Set by the safety gate (for one tick) after an accepted local reset, while power is off: the drive layer
    /// acknowledges drive faults with a rising edge on controlword bit 7.
    /// </summary>
    public bool DriveFaultReset;
}
