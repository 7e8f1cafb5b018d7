namespace Rt.Drivers.EtherCat.Sii;

/// <summary>SII header word addresses (ETG.1000.6 / ETG.2010; facts file "SII layout").</summary>
public static class SiiHeader
{
    public const int Alias = 0x04;
    public const int Checksum = 0x07;
    public const int Vendor = 0x08;
    public const int Product = 0x0A;
    public const int Revision = 0x0C;
    public const int Serial = 0x0E;
    public const int BootstrapReceiveOffset = 0x14;
    public const int BootstrapReceiveSize = 0x15;
    public const int BootstrapSendOffset = 0x16;
    public const int BootstrapSendSize = 0x17;
    public const int MailboxReceiveOffset = 0x18;
    public const int MailboxReceiveSize = 0x19;
    public const int MailboxSendOffset = 0x1A;
    public const int MailboxSendSize = 0x1B;
    public const int Protocols = 0x1C;
    public const int EepromSize = 0x3E;
    public const int Version = 0x3F;

    /// <summary>The checksum covers bytes 0–13 (words 0–6) and sits in the low byte of word 7.</summary>
    public const int ChecksummedBytes = 2 * Checksum;

    /// <summary>Category header: type u16, length u16 (in words); data follows.</summary>
    public const int CategoryHeaderWords = 2;
}

/// <summary>Byte offsets inside the General category (30).</summary>
public static class SiiGeneralLayout
{
    public const int GroupName = 0;
    public const int ImageName = 1;
    public const int OrderName = 2;
    public const int DeviceName = 3;
    public const int CoeDetails = 5;
    public const int FoeDetails = 6;
    public const int EoeDetails = 7;
    public const int Flags = 11;
    public const int EbusCurrent = 12;
    public const int MinimumSize = 14;
}

/// <summary>One SyncM category (41) record.</summary>
public static class SiiSyncManagerLayout
{
    public const int Start = 0;
    public const int Length = 2;
    public const int Control = 4;
    public const int Status = 5;
    public const int Enable = 6;
    public const int Type = 7;
    public const int Size = 8;
}

/// <summary>A PDO header in the TxPDO/RxPDO categories (50/51), followed by its entries.</summary>
public static class SiiPdoLayout
{
    public const int Index = 0;
    public const int EntryCount = 2;
    public const int SyncManager = 3;
    public const int DcSync = 4;
    public const int NameIndex = 5;
    public const int Flags = 6;
    public const int Size = 8;
}

/// <summary>A PDO entry record after its PDO header.</summary>
public static class SiiPdoEntryLayout
{
    public const int Index = 0;
    public const int SubIndex = 2;
    public const int NameIndex = 3;
    public const int DataType = 4;
    public const int BitLength = 5;
    public const int Flags = 6;
    public const int Size = 8;
}

/// <summary>One DC category (60) record.</summary>
public static class SiiDcLayout
{
    public const int Sync0Cycle = 0;
    public const int Sync0Shift = 4;
    public const int Sync1Shift = 8;
    public const int Sync1CycleFactor = 12;
    public const int AssignActivate = 14;
    public const int Sync0CycleFactor = 16;
    public const int NameIndex = 18;
    public const int Size = 24;
}
