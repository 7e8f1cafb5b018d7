namespace Rt.Core.Config;

/// <summary>
/// One startup SDO write of a slave (<c>bus.slaves[i].startup[k]</c>), run on the PREOP→SAFEOP transition after the
/// ESI's InitCmds (config wins: a write to the same index:subindex replaces the ESI's). <see cref="Bits"/> says how many
/// bytes go on the wire (8, 16, 32 or 64, little-endian); <see cref="Value"/> may be negative for signed objects.
/// </summary>
public sealed class SlaveSdoWriteConfig
{
    public uint Index { get; set; }
    public int SubIndex { get; set; }
    public int Bits { get; set; } = 32;
    public long Value { get; set; }

    /// <summary>Why (printed when the write fails).</summary>
    public string Comment { get; set; } = "";
}

/// <summary>
/// The PDO configuration of a slave (<c>bus.slaves[i].pdo</c>): which PDOs to assign (<c>rx</c> → 0x1C12, <c>tx</c> →
/// 0x1C13; empty = keep the ESI default or the drive's own) and, for PDOs whose entries must change, their mapping
/// (<c>map</c>: entries as the mapping objects hold them, index&lt;&lt;16 | subindex&lt;&lt;8 | bits, e.g. 0x607A0020).
/// </summary>
public sealed class SlavePdoConfig
{
    public uint[] Rx { get; set; } = [];
    public uint[] Tx { get; set; } = [];
    public List<PdoMappingConfig> Map { get; set; } = [];
}

/// <summary>One PDO's mapping (<c>bus.slaves[i].pdo.map[k]</c>).</summary>
public sealed class PdoMappingConfig
{
    /// <summary>0x1600–0x17FF (RxPDO) or 0x1A00–0x1BFF (TxPDO).</summary>
    public uint Pdo { get; set; }
    public uint[] Entries { get; set; } = [];
}
