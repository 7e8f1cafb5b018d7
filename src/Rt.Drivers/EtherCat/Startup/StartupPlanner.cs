using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Drivers.EtherCat.Esi;
using Rt.Drivers.EtherCat.Sii;
using Rt.Drivers.EtherCat.SubDevices;

namespace Rt.Drivers.EtherCat.Startup;

/// <summary>
/// Builds a slave's <see cref="SlaveStartupPlan"/> from its ESI entry and its robot-config entry (config wins):
/// <list type="bullet">
/// <item>SDO writes: the ESI's InitCmds for IP and PS, then <c>bus.slaves[i].startup</c>; a config write to the same
/// index:subindex drops the ESI's.</item>
/// <item>PDOs per direction: <c>bus.slaves[i].pdo</c> if it says anything for that direction (and the ESI's InitCmds on
/// that direction's objects are then dropped); else the ESI's own InitCmds if they write the assignment; else, when the
/// ESI says the slave supports PDO assignment, its default PDOs (those with <c>Sm</c>), with their entries written when
/// it supports PDO configuration and the PDO is not <c>Fixed</c>; else the slave keeps its own.</item>
/// </list>
/// Config values out of range are <see cref="InputError"/> naming the key. Not real-time safe.
/// </summary>
public static class StartupPlanner
{
    public const ushort RxAssign = 0x1C12, TxAssign = 0x1C13;

    public static SlaveStartupPlan Plan(SubDevice s, EsiMatch esi, SlaveIdentityConfig? cfg, string configSource, int cfgIndex)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(esi);
        var device = esi.Device;
        bool hasCoe = s.Sdo is not null;
        string key = $"bus.slaves[{cfgIndex}]";

        var configWrites = new List<StartupSdoWrite>();
        if (cfg is not null)
            for (int k = 0; k < cfg.Startup.Count; k++) configWrites.Add(ConfigWrite(cfg.Startup[k], configSource, $"{key}.startup[{k}]"));

        var rxConfig = cfg is null ? null : ConfigAssignment(cfg.Pdo, rx: true, configSource, key);
        var txConfig = cfg is null ? null : ConfigAssignment(cfg.Pdo, rx: false, configSource, key);
        if (!hasCoe && (configWrites.Count > 0 || rxConfig is not null || txConfig is not null))
            throw new EtherCatException(BusErrorKind.ConfigMismatch,
                $"{SlaveStartupPlan.Who(s)}: {configSource} {key} has startup SDO writes or a PDO configuration, but the slave has no CoE mailbox", s.Position);

        var early = new List<StartupSdoWrite>();
        var ps = new List<StartupSdoWrite>();
        if (device is not null && hasCoe)
        {
            foreach (var c in device.InitCmds)
            {
                if (Overridden(c.Index, c.SubIndex, configWrites)) continue;
                if (rxConfig is not null && TouchesDirection(c.Index, rx: true)) continue;
                if (txConfig is not null && TouchesDirection(c.Index, rx: false)) continue;
                var w = new StartupSdoWrite(c.Index, c.SubIndex, c.Data, "ESI " + c.Source, c.Comment);
                if (c.RunsOn("IP")) early.Add(w);
                else if (c.RunsOn("PS")) ps.Add(w);
            }
        }
        ps.AddRange(configWrites);

        var rx = rxConfig ?? (EsiWrites(device, hasCoe, RxAssign) ? null : EsiDefault(device, hasCoe, rx: true));
        var tx = txConfig ?? (EsiWrites(device, hasCoe, TxAssign) ? null : EsiDefault(device, hasCoe, rx: false));

        (IReadOnlyList<Pdo>, IReadOnlyList<Pdo>)? withoutCoe = null;
        if (!hasCoe && device is not null) withoutCoe = (ToPdos(device.DefaultPdos(true)), ToPdos(device.DefaultPdos(false)));

        return new SlaveStartupPlan
        {
            Slave = s,
            Esi = esi,
            EarlyWrites = early,
            Rx = rx,
            Tx = tx,
            Writes = ps,
            PlannedRx = withoutCoe?.Item1 ?? Planned(rx, s.RxPdos, device, 2),
            PlannedTx = withoutCoe?.Item2 ?? Planned(tx, s.TxPdos, device, 3),
            EsiMappingWithoutCoe = withoutCoe,
        };
    }

    /// <summary>Whether <paramref name="index"/> is an assignment or mapping object of one direction.</summary>
    public static bool TouchesDirection(ushort index, bool rx) =>
        rx ? index == RxAssign || index is >= 0x1600 and <= 0x17FF : index == TxAssign || index is >= 0x1A00 and <= 0x1BFF;

    private static bool Overridden(ushort index, byte sub, List<StartupSdoWrite> config)
    {
        foreach (var w in config) if (w.Index == index && w.SubIndex == sub) return true;
        return false;
    }

    private static bool EsiWrites(EsiDevice? device, bool hasCoe, ushort assign)
    {
        if (device is null || !hasCoe) return false;
        foreach (var c in device.InitCmds) if (c.Index == assign && (c.RunsOn("PS") || c.RunsOn("IP"))) return true;
        return false;
    }

    private static PdoAssignmentPlan? EsiDefault(EsiDevice? device, bool hasCoe, bool rx)
    {
        if (device?.Mailbox?.Coe is not { PdoAssign: true } coe || !hasCoe) return null;
        var defaults = device.DefaultPdos(rx);
        if (defaults.Count == 0) return null;
        var pdos = new List<ushort>();
        var maps = new Dictionary<ushort, IReadOnlyList<uint>>();
        foreach (var p in defaults)
        {
            pdos.Add(p.Index);
            if (coe.PdoConfig && !p.Fixed)
            {
                var entries = new List<uint>();
                foreach (var e in p.Entries) entries.Add(e.MappingValue);
                maps[p.Index] = entries;
            }
        }
        return new PdoAssignmentPlan(rx ? RxAssign : TxAssign, pdos, maps, "ESI " + device.Source);
    }

    private static PdoAssignmentPlan? ConfigAssignment(SlavePdoConfig pdo, bool rx, string source, string key)
    {
        var list = rx ? pdo.Rx : pdo.Tx;
        string listKey = $"{key}.pdo.{(rx ? "rx" : "tx")}";
        var pdos = new List<ushort>();
        for (int i = 0; i < list.Length; i++)
        {
            if (!IsPdoIndex(list[i], rx))
                throw new InputError(source, $"{listKey}[{i}]", $"expected an {(rx ? "RxPDO index 0x1600–0x17FF" : "TxPDO index 0x1A00–0x1BFF")}, found 0x{list[i]:X}");
            pdos.Add((ushort)list[i]);
        }
        var maps = new Dictionary<ushort, IReadOnlyList<uint>>();
        for (int m = 0; m < pdo.Map.Count; m++)
        {
            var map = pdo.Map[m];
            string mapKey = $"{key}.pdo.map[{m}]";
            if (!IsPdoIndex(map.Pdo, true) && !IsPdoIndex(map.Pdo, false))
                throw new InputError(source, $"{mapKey}.pdo", $"expected a mapping object 0x1600–0x17FF or 0x1A00–0x1BFF, found 0x{map.Pdo:X}");
            if (!IsPdoIndex(map.Pdo, rx)) continue;
            if (map.Entries.Length > 255) throw new InputError(source, $"{mapKey}.entries", $"expected at most 255 entries, found {map.Entries.Length}");
            for (int e = 0; e < map.Entries.Length; e++)
                if ((map.Entries[e] & 0xFF) == 0)
                    throw new InputError(source, $"{mapKey}.entries[{e}]", $"expected index<<16 | subindex<<8 | bits with 1–255 bits (e.g. 0x607A0020), found 0x{map.Entries[e]:X8}");
            maps[(ushort)map.Pdo] = map.Entries;
        }
        if (pdos.Count == 0 && maps.Count == 0) return null;
        return new PdoAssignmentPlan(rx ? RxAssign : TxAssign, pdos, maps, $"config {key}.pdo");
    }

    private static bool IsPdoIndex(uint index, bool rx) => rx ? index is >= 0x1600 and <= 0x17FF : index is >= 0x1A00 and <= 0x1BFF;

    private static StartupSdoWrite ConfigWrite(SlaveSdoWriteConfig w, string source, string key)
    {
        if (w.Index is < 0x1000 or > 0xFFFF) throw new InputError(source, $"{key}.index", $"expected an object index 0x1000–0xFFFF, found 0x{w.Index:X}");
        if (w.SubIndex is < 0 or > 255) throw new InputError(source, $"{key}.sub_index", $"expected 0–255, found {w.SubIndex}");
        if (w.Bits is not (8 or 16 or 32 or 64)) throw new InputError(source, $"{key}.bits", $"expected 8, 16, 32 or 64, found {w.Bits}");
        if (w.Bits < 64)
        {
            long min = -(1L << (w.Bits - 1)), max = (1L << w.Bits) - 1;
            if (w.Value < min || w.Value > max) throw new InputError(source, $"{key}.value", $"expected a value that fits {w.Bits} bits ({min}…{max}), found {w.Value}");
        }
        var data = new byte[w.Bits / 8];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(w.Value >> (8 * i));
        return new StartupSdoWrite((ushort)w.Index, (byte)w.SubIndex, data, $"config {key}", w.Comment);
    }

    /// <summary>The mapping after startup as far as known now: per planned PDO, its written entries, else the entries it has now, else the ESI's.</summary>
    private static List<Pdo> Planned(PdoAssignmentPlan? plan, IReadOnlyList<Pdo> current, EsiDevice? device, byte sm)
    {
        if (plan is null) return [.. current];
        var pdos = plan.Pdos.Count > 0 ? plan.Pdos : CurrentIndices(current);
        var list = new List<Pdo>();
        foreach (var index in pdos)
        {
            if (plan.Mappings.TryGetValue(index, out var entries))
            {
                var e = new List<PdoEntry>();
                foreach (var v in entries) e.Add(new PdoEntry((ushort)(v >> 16), (byte)(v >> 8), (byte)v));
                list.Add(new Pdo(index, sm, "", e));
                continue;
            }
            Pdo? found = null;
            foreach (var p in current) if (p.Index == index) found = p;
            if (found is null && device is not null)
                foreach (var p in sm == 2 ? device.RxPdos : device.TxPdos)
                    if (p.Index == index) found = ToPdo(p);
            list.Add(found ?? new Pdo(index, sm, "(entries unknown)", []));
        }
        return list;
    }

    private static List<ushort> CurrentIndices(IReadOnlyList<Pdo> current)
    {
        var l = new List<ushort>();
        foreach (var p in current) l.Add(p.Index);
        return l;
    }

    public static Pdo ToPdo(EsiPdo p)
    {
        var entries = new List<PdoEntry>();
        foreach (var e in p.Entries) entries.Add(new PdoEntry(e.Index, e.SubIndex, e.BitLen, e.Name));
        return new Pdo(p.Index, (byte)(p.Sm ?? 0xFF), p.Name, entries);
    }

    private static List<Pdo> ToPdos(IReadOnlyList<EsiPdo> pdos)
    {
        var l = new List<Pdo>();
        foreach (var p in pdos) l.Add(ToPdo(p));
        return l;
    }
}
