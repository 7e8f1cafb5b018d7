namespace Rt.Drivers.EtherCat.Devices;

/// <summary>
/// Identities of the project's own (fictional) bench devices, agreed with the slave emulator (hil/Rt.Hil.Esc).
/// Documented in docs/ETHERCAT-NOTES.md.
/// </summary>
public static class BenchDevices
{
    /// <summary>Vendor "Rt bench".</summary>
    public const uint Vendor = 0x00000E7A;

    public const uint DriveProduct = 0x00000402;
    public const uint DriveRevision = 0x00010000;

    public const uint ImuProduct = 0x00000100;
    public const uint ImuRevision = 0x00010000;
}
