namespace Rt.Drivers.Cia402;

/// <summary>CiA 402 (IEC 61800-7-201) drive states, decoded from the statusword (0x6041).</summary>
public enum DriveState : byte
{
    NotReadyToSwitchOn,
    SwitchOnDisabled,
    ReadyToSwitchOn,
    SwitchedOn,
    OperationEnabled,
    QuickStopActive,
    FaultReactionActive,
    Fault,
}

/// <summary>Controlword (0x6040) commands. Bits: 0 switch on, 1 enable voltage, 2 quick stop (active low), 3 enable operation, 7 fault reset (rising edge).</summary>
public static class Controlword
{
    public const ushort DisableVoltage = 0x0000;
    public const ushort QuickStop = 0x0002;
    public const ushort Shutdown = 0x0006;
    public const ushort SwitchOn = 0x0007;
    public const ushort EnableOperation = 0x000F;
    public const ushort FaultResetBit = 0x0080;
}

/// <summary>Modes of operation (0x6060 / 0x6061).</summary>
public enum OperationMode : sbyte
{
    CyclicSynchronousPosition = 8,
    CyclicSynchronousVelocity = 9,
    CyclicSynchronousTorque = 10,
}

/// <summary>Statusword (0x6041) decoding. Real-time safe.</summary>
public static class Statusword
{
    public const ushort FaultBit = 0x0008;
    public const ushort WarningBit = 0x0080;
    public const ushort TargetReachedBit = 0x0400;

    /// <summary>Bit 13 in CSP: following error.</summary>
    public const ushort FollowingErrorBit = 0x2000;

    /// <summary>Masks and values per the CiA 402 state table (x = don't care).</summary>
    public static DriveState Decode(ushort statusword)
    {
        int s4f = statusword & 0x4F;
        int s6f = statusword & 0x6F;
        if (s4f == 0x00) return DriveState.NotReadyToSwitchOn;
        if (s4f == 0x40) return DriveState.SwitchOnDisabled;
        if (s6f == 0x21) return DriveState.ReadyToSwitchOn;
        if (s6f == 0x23) return DriveState.SwitchedOn;
        if (s6f == 0x27) return DriveState.OperationEnabled;
        if (s6f == 0x07) return DriveState.QuickStopActive;
        if (s4f == 0x0F) return DriveState.FaultReactionActive;
        if (s4f == 0x08) return DriveState.Fault;
        // Remaining bit patterns are not states of the table; treat as not ready rather than guess.
        return DriveState.NotReadyToSwitchOn;
    }
}
