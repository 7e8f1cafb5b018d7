namespace Rt.Hil.Drives;

// The drive's states are the host's vocabulary too: Rt.Drivers.Cia402.DriveState.

/// <summary>CiA 402 modes of operation (0x6060) the emulated drive supports.</summary>
public static class Cia402Modes
{
    /// <summary>Homing mode (CiA 402 §10): the drive searches its home and sets its position there (0x6098 methods).</summary>
    public const sbyte Homing = 6;

    public const sbyte CyclicSyncPosition = 8;
    public const sbyte CyclicSyncVelocity = 9;
    public const sbyte CyclicSyncTorque = 10;
}

/// <summary>Error codes (0x603F, CiA 402 / DS301) the emulated drive raises.</summary>
public static class Cia402ErrorCodes
{
    /// <summary>Following error: |target − actual| stayed beyond the window (0x6065) longer than the timeout (0x6066).</summary>
    public const ushort FollowingError = 0x8611;

    /// <summary>Generic error, used for injected faults when no specific code is given.</summary>
    public const ushort Generic = 0x1000;
}
