using Rt.Core.Faults;

namespace Rt.Core.Tick;

/// <summary>The supervisor's states (issue 5). Numbers are stable: they go to the log and to telemetry.</summary>
public enum SafetyState : byte
{
    Disabled = 0,
    Enabling = 1,
    Operational = 2,
    Stopping = 3,
    Stopped = 4,
    Holding = 5,
    Faulted = 6,
    Resetting = 7,
}

/// <summary>Stop categories per IEC 60204-1 (0: remove power now; 1: controlled stop, then remove power; 2: controlled stop, keep power).</summary>
public enum StopCategory : byte
{
    None = 0,
    Warning = 1,
    Cat0 = 2,
    Cat1 = 3,
    Cat2 = 4,
}

/// <summary>What the safety gate lets the drives do this tick; the drive layer turns it into CiA 402 controlwords.</summary>
public enum DrivePowerRequest : byte
{
    /// <summary>STO: drives to "switch on disabled", no torque.</summary>
    Off = 0,

    /// <summary>Bring drives to / keep them in "operation enabled" and follow the targets.</summary>
    Operate = 1,

    /// <summary>CiA 402 quick stop (drive-internal ramp).</summary>
    QuickStop = 2,
}

/// <summary>
/// A safety event: a state change and its cause. Unmanaged so it leaves the tick through a ring. <see cref="Channel"/>,
/// <see cref="Value"/> and <see cref="Threshold"/> are the evidence (worst channel, its statistic, its threshold);
/// <see cref="Diagnosis"/> is the isolated cause (class, location, test).
/// </summary>
public readonly record struct SafetyEvent(
    long Id,
    long Tick,
    long TimeNs,
    SafetyState From,
    SafetyState To,
    FaultCode Trigger,
    short Channel,
    StopCategory Reaction,
    double Value,
    double Threshold,
    FaultDiagnosis Diagnosis = default);
