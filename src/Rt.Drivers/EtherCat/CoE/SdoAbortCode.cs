namespace Rt.Drivers.EtherCat.CoE;

/// <summary>SDO abort codes (ETG.1000.6 / CiA 301 table of abort codes, as listed in SOEM ec_print.c ec_sdoerrorlist).</summary>
public enum SdoAbortCode : uint
{
    NoError = 0x00000000,
    ToggleBitNotChanged = 0x05030000,
    SdoProtocolTimeout = 0x05040000,
    CommandSpecifierUnknown = 0x05040001,
    OutOfMemory = 0x05040005,
    UnsupportedAccess = 0x06010000,
    ReadOfWriteOnly = 0x06010001,
    WriteOfReadOnly = 0x06010002,
    SubindexCannotBeWritten = 0x06010003,
    CompleteAccessNotSupported = 0x06010004,
    ObjectLengthExceedsMailbox = 0x06010005,
    ObjectMappedToRxPdo = 0x06010006,
    ObjectDoesNotExist = 0x06020000,
    ObjectCannotBeMapped = 0x06040041,
    PdoLengthExceeded = 0x06040042,
    GeneralParameterIncompatibility = 0x06040043,
    GeneralInternalIncompatibility = 0x06040047,
    HardwareError = 0x06060000,
    DataTypeMismatch = 0x06070010,
    DataTypeLengthTooHigh = 0x06070012,
    DataTypeLengthTooLow = 0x06070013,
    SubindexDoesNotExist = 0x06090011,
    ValueRangeExceeded = 0x06090030,
    ValueTooHigh = 0x06090031,
    ValueTooLow = 0x06090032,
    MaximumLessThanMinimum = 0x06090036,
    GeneralError = 0x08000000,
    DataCannotBeStored = 0x08000020,
    DataCannotBeStoredLocalControl = 0x08000021,
    DataCannotBeStoredDeviceState = 0x08000022,
    NoObjectDictionary = 0x08000023,
}

/// <summary>Names for SDO abort codes. Not real-time safe.</summary>
public static class SdoAbortCodes
{
    public static string Describe(uint code) => $"0x{code:X8} {Name(code)}";

    public static string Name(uint code) => code switch
    {
        0x00000000 => "no error",
        0x05030000 => "toggle bit not changed",
        0x05040000 => "SDO protocol timeout",
        0x05040001 => "client/server command specifier not valid or unknown",
        0x05040005 => "out of memory",
        0x06010000 => "unsupported access to an object",
        0x06010001 => "attempt to read a write-only object",
        0x06010002 => "attempt to write a read-only object",
        0x06010003 => "subindex cannot be written, SI0 must be 0 for write access",
        0x06010004 => "SDO complete access not supported for variable-length objects",
        0x06010005 => "object length exceeds mailbox size",
        0x06010006 => "object mapped to RxPDO, SDO download blocked",
        0x06020000 => "the object does not exist in the object dictionary",
        0x06040041 => "the object cannot be mapped into the PDO",
        0x06040042 => "the number and length of the objects to be mapped would exceed the PDO length",
        0x06040043 => "general parameter incompatibility reason",
        0x06040047 => "general internal incompatibility in the device",
        0x06060000 => "access failed due to a hardware error",
        0x06070010 => "data type does not match, length of service parameter does not match",
        0x06070012 => "data type does not match, length of service parameter too high",
        0x06070013 => "data type does not match, length of service parameter too low",
        0x06090011 => "subindex does not exist",
        0x06090030 => "value range of parameter exceeded (only for write access)",
        0x06090031 => "value of parameter written too high",
        0x06090032 => "value of parameter written too low",
        0x06090036 => "maximum value is less than minimum value",
        0x08000000 => "general error",
        0x08000020 => "data cannot be transferred or stored to the application",
        0x08000021 => "data cannot be transferred or stored to the application because of local control",
        0x08000022 => "data cannot be transferred or stored to the application because of the present device state",
        0x08000023 => "object dictionary dynamic generation fails or no object dictionary is present",
        _ => "unknown abort code",
    };
}

/// <summary>A slave aborted an SDO transfer. Not real-time safe (bring-up only).</summary>
public sealed class SdoAbortException : EtherCatException
{
    public SdoAbortException(int position, ushort index, byte subIndex, uint code, bool upload)
        : base(BusErrorKind.DeviceRefused, $"slave at position {position}: SDO {(upload ? "upload" : "download")} 0x{index:X4}:{subIndex:X2} aborted: {SdoAbortCodes.Describe(code)}", position)
    {
        Index = index;
        SubIndex = subIndex;
        Code = code;
    }

    public ushort Index { get; }
    public byte SubIndex { get; }
    public uint Code { get; }
    public SdoAbortCode Abort => (SdoAbortCode)Code;
}
