namespace Rt.Drivers.EtherCat.Esi;

/// <summary>One ESI file (ETG.2000 <c>EtherCATInfo</c>): the vendor and the devices it describes. Immutable; not real-time safe.</summary>
public sealed record EsiFile(string Path, uint VendorId, string VendorName, IReadOnlyList<EsiDevice> Devices);

/// <summary>
/// One <c>Descriptions/Devices/Device</c>: identity (<c>Type</c> ProductCode/RevisionNo), names, sync managers, FMMUs,
/// PDOs (default assignment through their <c>Sm</c> attribute, alternatives through <c>Exclude</c>), mailbox protocols with
/// the CoE startup commands (<c>InitCmd</c>) and the DC operation modes. <see cref="RevisionNo"/> is null when the ESI
/// names none (the entry then fits every revision). Immutable; not real-time safe.
/// </summary>
public sealed record EsiDevice
{
    public required uint VendorId { get; init; }
    public required uint ProductCode { get; init; }
    public uint? RevisionNo { get; init; }

    /// <summary>The <c>Type</c> element's text (the order code, e.g. "EL7211-0010").</summary>
    public string TypeName { get; init; } = "";

    /// <summary>The <c>Name</c> (LcId 1033 when there are several).</summary>
    public string Name { get; init; } = "";

    /// <summary>Where the device was read from: "file:line".</summary>
    public string Source { get; init; } = "";

    /// <summary><c>Fmmu</c> usages in order: "Outputs", "Inputs", "MBoxState".</summary>
    public IReadOnlyList<string> Fmmus { get; init; } = [];
    public IReadOnlyList<EsiSyncManager> SyncManagers { get; init; } = [];
    public IReadOnlyList<EsiPdo> RxPdos { get; init; } = [];
    public IReadOnlyList<EsiPdo> TxPdos { get; init; } = [];
    public EsiMailbox? Mailbox { get; init; }
    public IReadOnlyList<EsiDcMode> DcModes { get; init; } = [];

    /// <summary>The CoE startup commands (empty without CoE).</summary>
    public IReadOnlyList<EsiInitCmd> InitCmds => Mailbox?.Coe?.InitCmds ?? [];

    /// <summary>PDOs of one direction assigned by default (those with an <c>Sm</c> attribute), in ESI order.</summary>
    public IReadOnlyList<EsiPdo> DefaultPdos(bool rx)
    {
        var list = new List<EsiPdo>();
        foreach (var p in rx ? RxPdos : TxPdos) if (p.Sm is not null) list.Add(p);
        return list;
    }

    /// <summary>"vendor 0x… product 0x… revision 0x… 'Name'" for messages.</summary>
    public override string ToString() =>
        $"vendor 0x{VendorId:X8} product 0x{ProductCode:X8} revision {(RevisionNo is { } r ? $"0x{r:X8}" : "any")} '{Name}' ({Source})";
}

/// <summary>One <c>Sm</c> element: its number is its order in the device.</summary>
public sealed record EsiSyncManager(int Number, ushort StartAddress, ushort DefaultSize, byte ControlByte, bool Enable, string Type);

/// <summary>One PDO entry; index 0 is padding (gap of <see cref="BitLen"/> bits).</summary>
public sealed record EsiPdoEntry(ushort Index, byte SubIndex, byte BitLen, string Name, string DataType)
{
    /// <summary>The u32 a mapping object (0x16xx/0x1Axx) holds for this entry: index&lt;&lt;16 | sub&lt;&lt;8 | bits.</summary>
    public uint MappingValue => ((uint)Index << 16) | ((uint)SubIndex << 8) | BitLen;
}

/// <summary>
/// One <c>RxPdo</c>/<c>TxPdo</c>. <see cref="Sm"/>: the sync manager it is assigned to by default (null: not assigned
/// unless chosen); <see cref="Fixed"/>: its entries cannot be changed; <see cref="Mandatory"/>: it must be assigned;
/// <see cref="Excludes"/>: PDOs that cannot be assigned together with it.
/// </summary>
public sealed record EsiPdo(ushort Index, string Name, int? Sm, bool Fixed, bool Mandatory, IReadOnlyList<ushort> Excludes, IReadOnlyList<EsiPdoEntry> Entries)
{
    public int BitLength
    {
        get
        {
            int bits = 0;
            foreach (var e in Entries) bits += e.BitLen;
            return bits;
        }
    }
}

/// <summary>The <c>Mailbox</c> element: which protocols, and the CoE details.</summary>
public sealed record EsiMailbox(bool CoE, bool EoE, bool FoE, bool SoE, bool AoE, bool VoE, EsiCoe? Coe);

/// <summary>The <c>CoE</c> element's flags and startup commands.</summary>
public sealed record EsiCoe(bool SdoInfo, bool PdoAssign, bool PdoConfig, bool PdoUpload, bool CompleteAccess, bool SegmentedSdo, IReadOnlyList<EsiInitCmd> InitCmds);

/// <summary>
/// One CoE <c>InitCmd</c>: write <see cref="Data"/> (bytes as written, little-endian) to index:subindex on each of the
/// <see cref="Transitions"/> ("PS" = PREOP→SAFEOP, "IP", "SO", …).
/// </summary>
public sealed record EsiInitCmd(IReadOnlyList<string> Transitions, ushort Index, byte SubIndex, byte[] Data, string Comment, bool CompleteAccess, string Source)
{
    public bool RunsOn(string transition)
    {
        foreach (var t in Transitions) if (t == transition) return true;
        return false;
    }
}

/// <summary>One DC <c>OpMode</c>: AssignActivate (register 0x0980 word) and the SYNC0/SYNC1 settings.</summary>
public sealed record EsiDcMode(string Name, string Desc, ushort AssignActivate, uint CycleTimeSync0, int CycleTimeSync0Factor, int ShiftTimeSync0, uint CycleTimeSync1, int CycleTimeSync1Factor, int ShiftTimeSync1)
{
    /// <summary>Whether this mode runs SYNC0 (AssignActivate bit 0x0100 "cyclic unit" with 0x0200 SYNC0).</summary>
    public bool UsesSync0 => (AssignActivate & 0x0200) != 0;
}
