using Rt.Drivers.EtherCat.Esi;
using Rt.Drivers.EtherCat.Sii;
using Rt.Drivers.EtherCat.SubDevices;

namespace Rt.Drivers.EtherCat.Startup;

/// <summary>One startup SDO write and where it came from ("ESI file:line" or "config bus.slaves[2].startup[0]").</summary>
public sealed record StartupSdoWrite(ushort Index, byte SubIndex, byte[] Data, string Origin, string Comment)
{
    public override string ToString() => $"0x{Index:X4}:{SubIndex:X2} = {Convert.ToHexString(Data)} ({Origin}{(Comment.Length > 0 ? $" '{Comment}'" : "")})";
}

/// <summary>
/// The PDOs one sync manager gets: the assignment object (0x1C12 RxPDOs / 0x1C13 TxPDOs), the PDOs to assign in order,
/// and the mapping objects whose entries are rewritten (u32 index&lt;&lt;16 | sub&lt;&lt;8 | bits each).
/// </summary>
public sealed record PdoAssignmentPlan(ushort AssignIndex, IReadOnlyList<ushort> Pdos, IReadOnlyDictionary<ushort, IReadOnlyList<uint>> Mappings, string Origin);

/// <summary>
/// What startup does to one slave on PREOP→SAFEOP, in this order: the ESI's IP commands (CoE only exists from PREOP),
/// PDO mapping and assignment (each object read back), then the PS commands (ESI, then config; config wins on the same
/// index:subindex). <see cref="PlannedRx"/>/<see cref="PlannedTx"/> are the mapping the slave will have afterwards, as far
/// as it is known before writing (entries from the plan, the ESI or the mapping read in PREOP), for the checks before OP.
/// Not real-time safe.
/// </summary>
public sealed class SlaveStartupPlan
{
    public required SubDevice Slave { get; init; }
    public EsiMatch Esi { get; init; } = EsiMatch.None;
    public IReadOnlyList<StartupSdoWrite> EarlyWrites { get; init; } = [];
    public PdoAssignmentPlan? Rx { get; init; }
    public PdoAssignmentPlan? Tx { get; init; }
    public IReadOnlyList<StartupSdoWrite> Writes { get; init; } = [];
    public IReadOnlyList<Pdo> PlannedRx { get; init; } = [];
    public IReadOnlyList<Pdo> PlannedTx { get; init; } = [];

    /// <summary>PDOs to use as the mapping when the slave has no CoE but the ESI describes it (else null: SII as today).</summary>
    public (IReadOnlyList<Pdo> Rx, IReadOnlyList<Pdo> Tx)? EsiMappingWithoutCoe { get; init; }

    /// <summary>"position 2 (vendor 0x… product 0x… revision 0x… 'name')" for messages.</summary>
    public static string Who(SubDevice s)
    {
        var id = s.Identity;
        string name = s.Name.Length > 0 ? $" '{s.Name}'" : "";
        return $"slave at position {s.Position} (vendor 0x{id.Vendor:X8} product 0x{id.Product:X8} revision 0x{id.Revision:X8}{name})";
    }
}
