namespace Rt.Drivers.EtherCat.Transport;

/// <summary>ESC register addresses the master uses (Beckhoff ESC datasheet section II; see docs/ETHERCAT-NOTES.md).</summary>
public static class EscRegister
{
    public const ushort Type = 0x0000;
    public const ushort FmmuCount = 0x0004;
    public const ushort SyncManagerCount = 0x0005;
    public const ushort PortDescriptor = 0x0007;
    public const ushort Features = 0x0008;
    public const ushort StationAddress = 0x0010;
    public const ushort StationAlias = 0x0012;
    public const ushort DlControl = 0x0100;
    public const ushort DlStatus = 0x0110;
    public const ushort AlControl = 0x0120;
    public const ushort AlStatus = 0x0130;
    public const ushort AlStatusCode = 0x0134;
    public const ushort PdiControl = 0x0140;
    public const ushort EventMask = 0x0200;
    public const ushort RxErrorCounters = 0x0300;
    public const ushort WatchdogDivider = 0x0400;
    public const ushort EepromConfig = 0x0500;
    public const ushort EepromControl = 0x0502;
    public const ushort EepromAddress = 0x0504;
    public const ushort EepromData = 0x0508;
    public const ushort Fmmu0 = 0x0600;
    public const ushort SyncManager0 = 0x0800;
    public const ushort DcReceiveTimePort0 = 0x0900;
    public const ushort DcReceiveTimePort1 = 0x0904;
    public const ushort DcSystemTime = 0x0910;
    public const ushort DcReceiveTimeProcessingUnit = 0x0918;
    public const ushort DcSystemTimeOffset = 0x0920;
    public const ushort DcSystemTimeDelay = 0x0928;
    public const ushort DcSystemTimeDifference = 0x092C;
    public const ushort DcSpeedCounterStart = 0x0930;
    public const ushort DcTimeFilterDepth = 0x0934;
    public const ushort DcCyclicUnitControl = 0x0980;
    public const ushort DcActivation = 0x0981;
    public const ushort DcStartTime = 0x0990;
    public const ushort DcSync0Cycle = 0x09A0;
    public const ushort DcSync1Cycle = 0x09A4;

    /// <summary>FMMU n register block (16 bytes each).</summary>
    public static ushort Fmmu(int n) => (ushort)(Fmmu0 + 16 * n);

    /// <summary>Sync manager n register block (8 bytes each).</summary>
    public static ushort SyncManager(int n) => (ushort)(SyncManager0 + 8 * n);
}
