using Rt.Drivers.EtherCat.CoE;
using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.EtherCat.ProcessData;

/// <summary>
/// Reads the PDO mapping a slave actually uses: over CoE from the assignment objects 0x1C12 (RxPDOs, SM2) and 0x1C13
/// (TxPDOs, SM3) and the mapping objects they list (0x16xx/0x1Axx, entries as u32 index&lt;&lt;16 | sub&lt;&lt;8 | bits), as SOEM
/// does; or, for slaves without CoE, from the SII RxPDO/TxPDO categories (PDOs with an SM assigned). Not real-time safe.
/// </summary>
public static class PdoMappingReader
{
    /// <summary>Reads the PDOs assigned through <paramref name="assignIndex"/> (0x1C12 or 0x1C13).</summary>
    public static List<Pdo> ReadAssigned(SdoClient sdo, ushort assignIndex, byte syncManager, SiiInfo? sii)
    {
        var pdos = new List<Pdo>();
        int count = sdo.UploadU8(assignIndex, 0);
        for (int i = 1; i <= count; i++)
        {
            ushort pdoIndex = sdo.UploadU16(assignIndex, (byte)i);
            if (pdoIndex == 0) continue;
            int entries = sdo.UploadU8(pdoIndex, 0);
            var list = new List<PdoEntry>(entries);
            for (int e = 1; e <= entries; e++)
            {
                uint raw = sdo.UploadU32(pdoIndex, (byte)e);
                var entry = new PdoEntry((ushort)(raw >> 16), (byte)(raw >> 8), (byte)raw);
                list.Add(entry with { Name = NameFromSii(sii, entry) });
            }
            pdos.Add(new Pdo(pdoIndex, syncManager, NameOfPdo(sii, pdoIndex), list));
        }
        return pdos;
    }

    /// <summary>PDOs from the SII categories that are assigned to a sync manager (SM byte below 0xFF... i.e. a valid SM number).</summary>
    public static List<Pdo> FromSii(IReadOnlyList<Pdo> category)
    {
        var list = new List<Pdo>();
        foreach (var p in category) if (p.SyncManager < 8) list.Add(p);
        return list;
    }

    private static string NameFromSii(SiiInfo? sii, PdoEntry entry)
    {
        if (sii is null) return "";
        foreach (var pdo in sii.RxPdos)
            foreach (var e in pdo.Entries)
                if (e.Index == entry.Index && e.SubIndex == entry.SubIndex && e.Name.Length > 0) return e.Name;
        foreach (var pdo in sii.TxPdos)
            foreach (var e in pdo.Entries)
                if (e.Index == entry.Index && e.SubIndex == entry.SubIndex && e.Name.Length > 0) return e.Name;
        return "";
    }

    private static string NameOfPdo(SiiInfo? sii, ushort index)
    {
        if (sii is null) return "";
        foreach (var p in sii.RxPdos) if (p.Index == index) return p.Name;
        foreach (var p in sii.TxPdos) if (p.Index == index) return p.Name;
        return "";
    }
}
