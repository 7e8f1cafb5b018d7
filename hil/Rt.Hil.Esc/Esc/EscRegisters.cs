namespace Rt.Hil.Esc.Esc;

/// <summary>ESC register addresses and bits used by the emulator (ESC datasheet section II; see docs/ETHERCAT-NOTES.md).</summary>
public static class EscRegisters
{
    public const int Type = 0x0000;
    public const int Revision = 0x0001;
    public const int Build = 0x0002;
    public const int FmmuCount = 0x0004;
    public const int SmCount = 0x0005;
    public const int RamSize = 0x0006;
    public const int PortDescriptor = 0x0007;
    public const int Features = 0x0008;
    public const int StationAddress = 0x0010;
    public const int StationAlias = 0x0012;
    public const int DlControl = 0x0100;
    public const int DlControlAliasEnable = 0x0103;
    public const int DlStatus = 0x0110;
    public const int AlControl = 0x0120;
    public const int AlStatus = 0x0130;
    public const int AlStatusCode = 0x0134;
    public const int PdiControl = 0x0140;
    public const int EscConfig = 0x0141;
    public const int EventMask = 0x0200;
    public const int ErrorCounters = 0x0300;
    public const int ErrorCountersEnd = 0x0313;
    public const int WatchdogDivider = 0x0400;
    public const int WatchdogTimePdi = 0x0410;
    public const int WatchdogTimeProcessData = 0x0420;
    public const int WatchdogStatusProcessData = 0x0440;
    public const int WatchdogCounterProcessData = 0x0442;
    public const int WatchdogCounterPdi = 0x0443;
    public const int EepromConfig = 0x0500;
    public const int EepromPdiAccess = 0x0501;
    public const int EepromControl = 0x0502;
    public const int EepromAddress = 0x0504;
    public const int EepromData = 0x0508;
    public const int Fmmu0 = 0x0600;
    public const int Sm0 = 0x0800;
    public const int DcReceiveTimePort0 = 0x0900;
    public const int DcReceiveTimePort1 = 0x0904;
    public const int DcReceiveTimePort2 = 0x0908;
    public const int DcReceiveTimePort3 = 0x090C;
    public const int DcSystemTime = 0x0910;
    public const int DcReceiveTimeProcessingUnit = 0x0918;
    public const int DcSystemTimeOffset = 0x0920;
    public const int DcSystemTimeDelay = 0x0928;
    public const int DcSystemTimeDifference = 0x092C;
    public const int DcSpeedCounterStart = 0x0930;
    public const int DcSpeedCounterDiff = 0x0932;
    public const int DcFilterDepth = 0x0934;
    public const int DcCyclicUnitControl = 0x0980;
    public const int DcActivation = 0x0981;
    public const int DcActivationStatus = 0x0984;
    public const int DcSync0Status = 0x098E;
    public const int DcStartTime = 0x0990;
    public const int DcSync0Cycle = 0x09A0;
    public const int DcSync1Cycle = 0x09A4;
    public const int ProcessRam = 0x1000;

    /// <summary>EEPROM control/status bits (0x0502).</summary>
    public const ushort EepromWriteEnable = 0x0001;
    public const ushort EepromRead8Bytes = 0x0040;
    public const ushort EepromTwoAddressBytes = 0x0080;
    public const ushort EepromCommandMask = 0x0700;
    public const ushort EepromCommandRead = 0x0100;
    public const ushort EepromCommandWrite = 0x0200;
    public const ushort EepromCommandReload = 0x0400;
    public const ushort EepromChecksumError = 0x0800;
    public const ushort EepromDeviceInfoError = 0x1000;
    public const ushort EepromCommandError = 0x2000;
    public const ushort EepromWriteEnableError = 0x4000;
    public const ushort EepromBusy = 0x8000;

    /// <summary>SyncManager register offsets within the 8-byte block.</summary>
    public const int SmStart = 0, SmLength = 2, SmControl = 4, SmStatus = 5, SmActivate = 6, SmPdiControl = 7;
}

/// <summary>EtherCAT datagram commands (ETG.1000.4).</summary>
public enum EcCommand : byte
{
    Nop = 0, Aprd = 1, Apwr = 2, Aprw = 3, Fprd = 4, Fpwr = 5, Fprw = 6, Brd = 7, Bwr = 8, Brw = 9,
    Lrd = 10, Lwr = 11, Lrw = 12, Armw = 13, Frmw = 14,
}

/// <summary>Application-layer states as coded in AL control/status (0x0120/0x0130).</summary>
public enum AlState : byte
{
    None = 0, Init = 1, PreOp = 2, Boot = 3, SafeOp = 4, Op = 8,
}

/// <summary>AL status codes (0x0134) the emulator raises (ETG.1000.6 Table 11; SOES esc.h).</summary>
public static class AlStatusCodes
{
    public const ushort NoError = 0x0000;
    public const ushort Unspecified = 0x0001;
    public const ushort InvalidStateChange = 0x0011;
    public const ushort UnknownState = 0x0012;
    public const ushort BootstrapNotSupported = 0x0013;
    public const ushort InvalidMailboxConfig = 0x0016;
    public const ushort InvalidSyncManagerConfig = 0x0017;
    public const ushort SyncManagerWatchdog = 0x001B;
    public const ushort InvalidOutputConfig = 0x001D;
    public const ushort InvalidInputConfig = 0x001E;
    public const ushort DcSyncConfig = 0x0030;
}

/// <summary>How an emulated slave corrupts its working-counter contribution (fault injection).</summary>
public enum WkcFault : byte
{
    /// <summary>Counts as the standard says.</summary>
    None = 0,

    /// <summary>Accesses memory but never increments the working counter.</summary>
    Skip = 1,

    /// <summary>Adds one extra to every increment it makes.</summary>
    AddOne = 2,
}
