using System.Globalization;
using System.Text;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Sii;
using Rt.Drivers.EtherCat.SubDevices;

namespace Rt.Drivers.EtherCat;

/// <summary>One port of a slave as DL status (0x0110) shows it.</summary>
public readonly record struct PortStatus(int Port, bool Link, bool LoopClosed, bool Communication);

/// <summary>What a scan found about one slave.</summary>
public sealed record SlaveScan(
    int Position,
    ushort StationAddress,
    ushort Alias,
    SlaveIdentity Identity,
    string DeviceName,
    string OrderName,
    string GroupName,
    AlStatus Status,
    MailboxProtocols Protocols,
    string MappingSource,
    IReadOnlyList<Pdo> RxPdos,
    IReadOnlyList<Pdo> TxPdos,
    bool SupportsDc,
    bool Dc64,
    IReadOnlyList<PortStatus> Ports,
    string? Error);

/// <summary>The result of a bus scan: every slave in bus order.</summary>
public sealed record BusScanReport(IReadOnlyList<SlaveScan> Slaves, string? Error)
{
    /// <summary>Human-readable report (what `rt scan` prints). Not real-time safe.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"{Slaves.Count} slave(s)\n");
        if (Error is not null) sb.Append(c, $"scan stopped: {Error}\n");
        foreach (var s in Slaves)
        {
            sb.Append(c, $"[{s.Position}] station 0x{s.StationAddress:X4} alias {s.Alias} '{s.DeviceName}' order '{s.OrderName}' group '{s.GroupName}'\n");
            sb.Append(c, $"    vendor 0x{s.Identity.Vendor:X8} product 0x{s.Identity.Product:X8} revision 0x{s.Identity.Revision:X8} serial 0x{s.Identity.Serial:X8}\n");
            sb.Append(c, $"    state {s.Status}; mailbox {s.Protocols}; DC {(s.SupportsDc ? (s.Dc64 ? "yes (64-bit)" : "yes (32-bit)") : "no")}\n");
            sb.Append("    ports");
            foreach (var p in s.Ports) sb.Append(c, $" {p.Port}:{(p.Link ? "link" : "no-link")}{(p.Communication ? "+comm" : "")}{(p.LoopClosed ? "+closed" : "")}");
            sb.Append('\n');
            sb.Append(c, $"    mapping ({s.MappingSource}):\n");
            foreach (var (dir, pdos) in new[] { ("RxPDO", s.RxPdos), ("TxPDO", s.TxPdos) })
                foreach (var pdo in pdos)
                {
                    sb.Append(c, $"      {dir} 0x{pdo.Index:X4} '{pdo.Name}' ({pdo.BitLength} bit)\n");
                    foreach (var e in pdo.Entries) sb.Append(c, $"        0x{e.Index:X4}:{e.SubIndex:X2} {e.BitLength,2} bit {e.Name}\n");
                }
            if (s.Error is not null) sb.Append(c, $"    error: {s.Error}\n");
        }
        return sb.ToString();
    }
}

/// <summary>
/// Scans the bus without going to OP: brings the slaves to PREOP (addresses, SII, mailboxes, PDO mapping) and reports
/// what it found per slave. Problems in the middle of a scan are reported, not thrown; a bus with no slave at all (or a
/// link that is down) has nothing to report and throws the structured <see cref="EtherCatException"/>
/// (<see cref="BusErrorKind.NoSlaves"/> / <see cref="BusErrorKind.LinkDown"/>). Not real-time safe.
/// </summary>
public static class BusScanner
{
    public static BusScanReport Scan(IEthernetLink link, MasterOptions? options = null)
    {
        var master = new EtherCatMaster(link, options);
        string? error = null;
        try
        {
            master.Initialize();
            master.ToPreOp();
        }
        catch (EtherCatException e) when (master.SubDevices.Count > 0)
        {
            error = e.Message;
        }
        catch (Rt.Core.Errors.InputError e)
        {
            error = e.Message;
        }
        try
        {
            master.ReadStates();
        }
        catch (EtherCatException) { }
        var list = new List<SlaveScan>();
        foreach (var s in master.SubDevices) list.Add(Describe(s));
        return new BusScanReport(list, error);
    }

    public static SlaveScan Describe(SubDevice s)
    {
        var ports = new List<PortStatus>(4);
        for (int p = 0; p < 4; p++)
        {
            // Port descriptor 0x0007: 2 bits per port, 0 = not implemented.
            if (((s.PortDescriptor >> (2 * p)) & 0x3) == 0 && s.PortDescriptor != 0) continue;
            ports.Add(new PortStatus(p, (s.DlStatus & (1 << (4 + p))) != 0, (s.DlStatus & (1 << (8 + 2 * p))) != 0, (s.DlStatus & (1 << (9 + 2 * p))) != 0));
        }
        var g = s.Sii?.General;
        return new SlaveScan(s.Position, s.StationAddress, s.Alias, s.Identity, g?.DeviceName ?? "", g?.OrderName ?? "", g?.GroupName ?? "",
            s.Status, s.Sii?.Protocols ?? MailboxProtocols.None, s.MappingSource, s.RxPdos, s.TxPdos, s.SupportsDc, s.Dc64, ports, null);
    }
}
