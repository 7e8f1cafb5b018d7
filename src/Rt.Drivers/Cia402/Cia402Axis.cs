namespace Rt.Drivers.Cia402;

/// <summary>What the host wants from one drive this cycle.</summary>
public enum AxisRequest : byte
{
    /// <summary>Power off (disable voltage): the drive goes to "switch on disabled" and produces no torque.</summary>
    Off,

    /// <summary>Walk the drive up to "operation enabled" and follow the target.</summary>
    Operate,

    /// <summary>CiA 402 quick stop.</summary>
    QuickStop,

    /// <summary>Like <see cref="Off"/>, and acknowledge a drive fault with a rising edge on controlword bit 7.</summary>
    ResetFault,
}

/// <summary>
/// The host side of the CiA 402 state machine for one axis: given the drive's statusword and the host's request,
/// the next controlword. One step per cycle, so the enable sequence (0x06 → 0x07 → 0x0F) advances one transition per
/// frame, as drives expect. Fault reset is a rising edge: the bit is set for one cycle, cleared the next.
/// Real-time safe (a struct with no references).
/// </summary>
public struct Cia402Axis
{
    private ushort _lastControlword;

    public DriveState State { get; private set; }

    /// <summary>The controlword to send this cycle. Real-time safe.</summary>
    public ushort Next(ushort statusword, AxisRequest request)
    {
        State = Statusword.Decode(statusword);
        ushort cw = request switch
        {
            AxisRequest.Operate => State switch
            {
                DriveState.SwitchOnDisabled => Controlword.Shutdown,
                DriveState.ReadyToSwitchOn => Controlword.SwitchOn,
                DriveState.SwitchedOn => Controlword.EnableOperation,
                DriveState.OperationEnabled => Controlword.EnableOperation,
                // From quick stop, go down to switch-on-disabled first; enabling again is a deliberate new sequence.
                DriveState.QuickStopActive => Controlword.DisableVoltage,
                _ => Controlword.DisableVoltage, // not ready, fault reaction, fault: wait (a fault needs ResetFault)
            },
            AxisRequest.QuickStop => State is DriveState.OperationEnabled or DriveState.QuickStopActive
                ? Controlword.QuickStop
                : Controlword.DisableVoltage,
            AxisRequest.ResetFault => State == DriveState.Fault && (_lastControlword & Controlword.FaultResetBit) == 0
                ? Controlword.FaultResetBit
                : Controlword.DisableVoltage,
            _ => Controlword.DisableVoltage,
        };
        _lastControlword = cw;
        return cw;
    }

    public readonly bool IsOperational => State == DriveState.OperationEnabled;
}
