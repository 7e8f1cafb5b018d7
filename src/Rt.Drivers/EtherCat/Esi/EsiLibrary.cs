using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.EtherCat.Esi;

/// <summary>
/// Which ESI entry describes a scanned slave. <see cref="ExactRevision"/> is false when only vendor and product matched
/// (the ESI is for another revision): <see cref="Note"/> then says so in one line. Not real-time safe.
/// </summary>
public sealed record EsiMatch(EsiDevice? Device, bool ExactRevision, string? Note)
{
    public static readonly EsiMatch None = new(null, false, null);
}

/// <summary>
/// The ESI files given to the host (<c>--esi</c>), searchable by identity: exact (vendor, product, revision) first; else
/// an entry with no RevisionNo; else the same product's highest revision, with a note naming both revisions. Not real-time safe.
/// </summary>
public sealed class EsiLibrary
{
    public EsiLibrary(IReadOnlyList<EsiFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        Files = files;
        var all = new List<EsiDevice>();
        foreach (var f in files) all.AddRange(f.Devices);
        Devices = all;
    }

    public static readonly EsiLibrary Empty = new([]);

    public IReadOnlyList<EsiFile> Files { get; }
    public IReadOnlyList<EsiDevice> Devices { get; }

    public EsiMatch Match(SlaveIdentity identity)
    {
        EsiDevice? anyRevision = null, nearest = null;
        foreach (var d in Devices)
        {
            if (d.VendorId != identity.Vendor || d.ProductCode != identity.Product) continue;
            if (d.RevisionNo == identity.Revision) return new EsiMatch(d, true, null);
            if (d.RevisionNo is null) anyRevision ??= d;
            else if (nearest is null || d.RevisionNo > nearest.RevisionNo) nearest = d;
        }
        if (anyRevision is not null) return new EsiMatch(anyRevision, true, null);
        if (nearest is not null)
            return new EsiMatch(nearest, false,
                $"ESI has vendor 0x{identity.Vendor:X8} product 0x{identity.Product:X8} only for revision 0x{nearest.RevisionNo:X8} ({nearest.Source}), the slave is revision 0x{identity.Revision:X8}: using it for PDOs and startup commands");
        return EsiMatch.None;
    }
}
