using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>The conditions the supervisor watches. Each has a config key under <c>safety.triggers</c>.</summary>
public enum SafetyTrigger : byte
{
    TwinDivergence,
    Collision,
    PositionLimit,
    VelocityLimit,
    TorqueLimit,
    FollowingError,
    LoopOverrun,
    BusFrameLoss,
    BusSlaveLeftOp,
    BusLinkDown,
    DriveFault,
    ImuFault,
    EStop,
    TelemetryLoss,
}

/// <summary>
/// Names, fault codes and default reactions of the triggers, in one place (docs/SAFETY.md explains each default).
/// Not real-time safe (string tables); the supervisor copies what it needs at prepare time.
/// </summary>
public static class SafetyTriggers
{
    public const int Count = 14;

    /// <summary>Config keys, indexed by <see cref="SafetyTrigger"/>.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "twin_divergence", "collision", "position_limit", "velocity_limit", "torque_limit", "following_error",
        "loop_overrun", "bus_frame_loss", "bus_slave_left_op", "bus_link_down", "drive_fault", "imu_fault",
        "estop", "telemetry_loss",
    ];

    /// <summary>
    /// The name the stop monitor's escalation is logged and reported under (<see cref="FaultCode.StopMonitor"/>): a stop
    /// in progress that was not followed, not finished in time, or whose standstill was left. Not a configurable trigger:
    /// its reaction is always STO (Cat 0).
    /// </summary>
    public const string StopMonitorName = "stop_monitor";

    /// <summary>The name a brake the collision hold closed under power is logged under (<see cref="FaultCode.HoldBrakeClosed"/>; never a trigger).</summary>
    public const string HoldBrakeClosedName = "hold_brake_closed";

    /// <summary>The fault code a trip of this trigger is logged under.</summary>
    public static FaultCode Code(SafetyTrigger t) => t switch
    {
        SafetyTrigger.TwinDivergence => FaultCode.TwinDivergence,
        SafetyTrigger.Collision => FaultCode.Collision,
        SafetyTrigger.PositionLimit => FaultCode.PositionLimit,
        SafetyTrigger.VelocityLimit => FaultCode.VelocityLimit,
        SafetyTrigger.TorqueLimit => FaultCode.TorqueLimit,
        SafetyTrigger.FollowingError => FaultCode.FollowingError,
        SafetyTrigger.LoopOverrun => FaultCode.LoopOverrun,
        SafetyTrigger.BusFrameLoss => FaultCode.BusFrameLost,
        SafetyTrigger.BusSlaveLeftOp => FaultCode.BusSlaveLeftOp,
        SafetyTrigger.BusLinkDown => FaultCode.BusLinkDown,
        SafetyTrigger.DriveFault => FaultCode.DriveFault,
        SafetyTrigger.ImuFault => FaultCode.ImuStale,
        SafetyTrigger.EStop => FaultCode.EStop,
        SafetyTrigger.TelemetryLoss => FaultCode.TelemetryDropped,
        _ => FaultCode.None,
    };

    /// <summary>Which trigger a fault raised by another stage feeds, or false if the supervisor does not act on it.</summary>
    public static bool TryMap(FaultCode code, out SafetyTrigger trigger)
    {
        switch (code)
        {
            case FaultCode.LoopOverrun: case FaultCode.LoopClockStall: trigger = SafetyTrigger.LoopOverrun; return true;
            case FaultCode.BusWorkingCounter: case FaultCode.BusFrameLost: case FaultCode.BusMalformedFrame:
                trigger = SafetyTrigger.BusFrameLoss; return true;
            case FaultCode.BusSlaveLeftOp: trigger = SafetyTrigger.BusSlaveLeftOp; return true;
            case FaultCode.BusLinkDown: trigger = SafetyTrigger.BusLinkDown; return true;
            case FaultCode.DriveFault: case FaultCode.DriveUnexpectedState: case FaultCode.DriveNonFinite:
                trigger = SafetyTrigger.DriveFault; return true;
            case FaultCode.ImuStale: case FaultCode.ImuSaturated: case FaultCode.ImuNonFinite:
                trigger = SafetyTrigger.ImuFault; return true;
            case FaultCode.TwinDivergence: case FaultCode.SensorNonFinite: trigger = SafetyTrigger.TwinDivergence; return true;
            case FaultCode.Collision: trigger = SafetyTrigger.Collision; return true;
            case FaultCode.PositionLimit: trigger = SafetyTrigger.PositionLimit; return true;
            case FaultCode.VelocityLimit: trigger = SafetyTrigger.VelocityLimit; return true;
            case FaultCode.TorqueLimit: trigger = SafetyTrigger.TorqueLimit; return true;
            case FaultCode.FollowingError: trigger = SafetyTrigger.FollowingError; return true;
            case FaultCode.EStop: trigger = SafetyTrigger.EStop; return true;
            case FaultCode.TelemetryDropped: trigger = SafetyTrigger.TelemetryLoss; return true;
            default: trigger = default; return false;
        }
    }

    /// <summary>Default reaction when the config does not list the trigger (see docs/SAFETY.md for why).</summary>
    public static StopCategory DefaultReaction(SafetyTrigger t) => t switch
    {
        SafetyTrigger.TwinDivergence => StopCategory.Cat1,
        SafetyTrigger.Collision => StopCategory.Cat2,
        SafetyTrigger.PositionLimit => StopCategory.Cat1,
        SafetyTrigger.VelocityLimit => StopCategory.Cat1,
        SafetyTrigger.TorqueLimit => StopCategory.Cat1,
        SafetyTrigger.FollowingError => StopCategory.Cat1,
        SafetyTrigger.LoopOverrun => StopCategory.Cat0,
        SafetyTrigger.BusFrameLoss => StopCategory.Cat0,
        SafetyTrigger.BusSlaveLeftOp => StopCategory.Cat0,
        SafetyTrigger.BusLinkDown => StopCategory.Cat0,
        SafetyTrigger.DriveFault => StopCategory.Cat0,
        SafetyTrigger.ImuFault => StopCategory.Cat1,
        SafetyTrigger.EStop => StopCategory.Cat0,
        SafetyTrigger.TelemetryLoss => StopCategory.Warning,
        _ => StopCategory.Cat0,
    };

    /// <summary>Default discrepancy (consecutive ticks the condition must hold) when not configured.</summary>
    public static int DefaultDiscrepancyTicks(SafetyTrigger t, int busFrameLossBudget) => t switch
    {
        SafetyTrigger.TwinDivergence => 1, // the twin's CUSUM already integrates over time
        SafetyTrigger.Collision => 2,
        SafetyTrigger.TorqueLimit => 3, // measured torque is noisy
        SafetyTrigger.FollowingError => 3,
        // The budget is the number of consecutive lost (or short-WKC) frames tolerated: the fieldbus reports every bad
        // cycle, so 1 … budget bad cycles never trip and the (budget + 1)-th trips in the tick it is lost.
        SafetyTrigger.BusFrameLoss => Math.Max(1, busFrameLossBudget) + 1,
        SafetyTrigger.ImuFault => 3,
        SafetyTrigger.EStop => 2, // software debounce: two agreeing samples
        _ => 1,
    };

    /// <summary>Whether the trigger only applies while the drives are powered (it compares motion to a command).</summary>
    internal static bool OnlyWhilePowered(SafetyTrigger t) =>
        t is SafetyTrigger.TwinDivergence or SafetyTrigger.Collision or SafetyTrigger.FollowingError;

    /// <summary>"cat0" etc. for logs and messages.</summary>
    public static string ReactionName(StopCategory c) => c switch
    {
        StopCategory.Cat0 => "cat0",
        StopCategory.Cat1 => "cat1",
        StopCategory.Cat2 => "cat2",
        StopCategory.Warning => "warn",
        _ => "none",
    };

    /// <summary>Severity rank: higher is stronger (Cat 0 &gt; Cat 1 &gt; Cat 2 &gt; warning). Real-time safe.</summary>
    public static int Severity(StopCategory c) => c switch
    {
        StopCategory.Cat0 => 4,
        StopCategory.Cat1 => 3,
        StopCategory.Cat2 => 2,
        StopCategory.Warning => 1,
        _ => 0,
    };
}
