namespace Rt.Drivers.EtherCat.Sii;

/// <summary>Vendor, product code, revision and serial number of a slave (SII words 0x08–0x0F, CoE 0x1018).</summary>
public readonly record struct SlaveIdentity(uint Vendor, uint Product, uint Revision, uint Serial)
{
    /// <summary>Whether vendor, product and revision equal <paramref name="other"/>'s (the serial number is not compared).</summary>
    public bool SameDevice(SlaveIdentity other) => Vendor == other.Vendor && Product == other.Product && Revision == other.Revision;

    public override string ToString() => $"vendor 0x{Vendor:X8} product 0x{Product:X8} revision 0x{Revision:X8} serial 0x{Serial:X8}";
}

/// <summary>Mailbox protocols a slave supports (SII word 0x1C).</summary>
[Flags]
public enum MailboxProtocols : ushort
{
    None = 0,
    AoE = 0x01,
    EoE = 0x02,
    CoE = 0x04,
    FoE = 0x08,
    SoE = 0x10,
    VoE = 0x20,
}

/// <summary>One sync manager as the SII SyncM category (41) describes it.</summary>
public readonly record struct SiiSyncManager(ushort Start, ushort Length, byte Control, byte Status, byte Enable, SyncManagerType Type);

/// <summary>Sync manager usage (SII SyncM category byte 7).</summary>
public enum SyncManagerType : byte
{
    Unused = 0,
    MailboxOut = 1,
    MailboxIn = 2,
    Outputs = 3,
    Inputs = 4,
}

/// <summary>One PDO entry: the object it maps and its size.</summary>
public readonly record struct PdoEntry(ushort Index, byte SubIndex, byte BitLength, string Name = "", byte DataType = 0)
{
    public override string ToString() => $"0x{Index:X4}:{SubIndex:X2} {BitLength} bit{(Name.Length > 0 ? " " + Name : "")}";
}

/// <summary>One PDO (0x16xx RxPDO or 0x1Axx TxPDO) with its entries.</summary>
public sealed record Pdo(ushort Index, byte SyncManager, string Name, IReadOnlyList<PdoEntry> Entries)
{
    public int BitLength
    {
        get
        {
            int bits = 0;
            foreach (var e in Entries) bits += e.BitLength;
            return bits;
        }
    }
}

/// <summary>SII General category (30): names and mailbox details.</summary>
public sealed record SiiGeneral(string GroupName, string ImageName, string OrderName, string DeviceName, byte CoeDetails, byte FoeDetails, byte EoeDetails, byte Flags, short EbusCurrentMa);

/// <summary>One SII DC category (60) entry (ETG.2010): an operation mode's SYNC settings.</summary>
public readonly record struct SiiDcMode(uint CycleTime0, uint ShiftTime0, uint ShiftTime1, short Sync1CycleFactor, ushort AssignActivate, short Sync0CycleFactor, string Name);

/// <summary>
/// A parsed slave information interface (EEPROM) image: header words and categories. Built by <see cref="SiiParser"/>.
/// </summary>
public sealed record SiiInfo
{
    public ushort Alias { get; init; }
    public SlaveIdentity Identity { get; init; }
    public ushort BootstrapReceiveOffset { get; init; }
    public ushort BootstrapReceiveSize { get; init; }
    public ushort BootstrapSendOffset { get; init; }
    public ushort BootstrapSendSize { get; init; }

    /// <summary>SM0 (master → slave mailbox) start and length; 0 length = no mailbox.</summary>
    public ushort MailboxReceiveOffset { get; init; }
    public ushort MailboxReceiveSize { get; init; }

    /// <summary>SM1 (slave → master mailbox) start and length.</summary>
    public ushort MailboxSendOffset { get; init; }
    public ushort MailboxSendSize { get; init; }

    public MailboxProtocols Protocols { get; init; }

    /// <summary>EEPROM size in bytes (from word 0x3E: (kbit + 1) × 128).</summary>
    public int EepromBytes { get; init; }
    public ushort Version { get; init; }

    /// <summary>Strings category; index 1 is element 0. Empty when absent.</summary>
    public IReadOnlyList<string> Strings { get; init; } = [];
    public SiiGeneral? General { get; init; }

    /// <summary>FMMU usage bytes (1 outputs, 2 inputs, 3 SM status).</summary>
    public IReadOnlyList<byte> Fmmus { get; init; } = [];
    public IReadOnlyList<SiiSyncManager> SyncManagers { get; init; } = [];
    public IReadOnlyList<Pdo> TxPdos { get; init; } = [];
    public IReadOnlyList<Pdo> RxPdos { get; init; } = [];
    public IReadOnlyList<SiiDcMode> DcModes { get; init; } = [];

    /// <summary>Category type codes seen, in order (for the scanner and diagnostics).</summary>
    public IReadOnlyList<ushort> Categories { get; init; } = [];

    public bool HasMailbox => MailboxReceiveSize > 0 && MailboxSendSize > 0;

    /// <summary>String by SII index (1-based; 0 = none).</summary>
    public string String(int index) => index >= 1 && index <= Strings.Count ? Strings[index - 1] : "";
}
