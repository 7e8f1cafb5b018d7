using System.Buffers.Binary;
using Rt.Drivers.EtherCat.CoE;
using Rt.Drivers.EtherCat.ProcessData;
using Rt.Drivers.EtherCat.Sii;
using Rt.Drivers.EtherCat.SubDevices;

namespace Rt.Drivers.EtherCat.Startup;

/// <summary>A startup step a slave refused or did not take: names the slave, the object and, for an abort, the code by name.</summary>
public sealed class StartupFailedException : EtherCatException
{
    public StartupFailedException(int position, string message, uint? abortCode = null, Exception? inner = null)
        : base(BusErrorKind.DeviceRefused, message, position, inner) => AbortCode = abortCode;

    /// <summary>The SDO abort code, null when the step failed otherwise (e.g. a read-back that differs).</summary>
    public uint? AbortCode { get; }
}

/// <summary>
/// Executes a <see cref="SlaveStartupPlan"/> over the slave's SDO client, in PREOP: early writes; per direction the
/// assignment cleared (count subindex 0 = 0), each mapping object rewritten (count 0, entries 1…n, count n), the PDOs
/// assigned (entries, then count), and every written assignment and mapping object read back; then the PS writes. Finally
/// the mapping in use is read again (CoE), so SM/FMMU setup follows what the slave now has. Not real-time safe.
/// </summary>
public static class StartupRunner
{
    public static void Run(SlaveStartupPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var s = plan.Slave;
        if (plan.EsiMappingWithoutCoe is { } esi)
        {
            SetMapping(s, esi.Rx, esi.Tx, "ESI");
            return;
        }
        if (s.Sdo is not { } sdo) return;
        foreach (var w in plan.EarlyWrites) Write(s, sdo, w);
        if (plan.Rx is { } rx) Assign(s, sdo, rx, s.RxPdos);
        if (plan.Tx is { } tx) Assign(s, sdo, tx, s.TxPdos);
        foreach (var w in plan.Writes) Write(s, sdo, w);

        bool touched = plan.Rx is not null || plan.Tx is not null;
        foreach (var w in plan.EarlyWrites) touched |= StartupPlanner.TouchesDirection(w.Index, true) || StartupPlanner.TouchesDirection(w.Index, false);
        foreach (var w in plan.Writes) touched |= StartupPlanner.TouchesDirection(w.Index, true) || StartupPlanner.TouchesDirection(w.Index, false);
        if (!touched) return;
        try
        {
            SetMapping(s, PdoMappingReader.ReadAssigned(sdo, StartupPlanner.RxAssign, 2, s.Sii), PdoMappingReader.ReadAssigned(sdo, StartupPlanner.TxAssign, 3, s.Sii), "CoE");
        }
        catch (SdoAbortException e)
        {
            throw new StartupFailedException(s.Position, $"{SlaveStartupPlan.Who(s)}: reading the mapping back after startup: SDO upload 0x{e.Index:X4}:{e.SubIndex:X2} aborted: {SdoAbortCodes.Describe(e.Code)}", e.Code, e);
        }
    }

    private static void SetMapping(SubDevice s, IReadOnlyList<Pdo> rx, IReadOnlyList<Pdo> tx, string source)
    {
        s.RxPdos = rx;
        s.TxPdos = tx;
        s.MappingSource = source;
        int o = 0, i = 0;
        foreach (var p in rx) o += p.BitLength;
        foreach (var p in tx) i += p.BitLength;
        s.OutputBits = o;
        s.InputBits = i;
    }

    private static void Write(SubDevice s, SdoClient sdo, StartupSdoWrite w) =>
        Download(s, sdo, w.Index, w.SubIndex, w.Data, $"startup SDO write {w}");

    private static void Assign(SubDevice s, SdoClient sdo, PdoAssignmentPlan p, IReadOnlyList<Pdo> current)
    {
        var pdos = new List<ushort>(p.Pdos);
        if (pdos.Count == 0) foreach (var c in current) pdos.Add(c.Index);
        string what = $"PDO {(p.AssignIndex == StartupPlanner.RxAssign ? "assignment of SM2 (RxPDOs)" : "assignment of SM3 (TxPDOs)")} from {p.Origin}";
        if (pdos.Count > 255) throw new StartupFailedException(s.Position, $"{SlaveStartupPlan.Who(s)}: {what}: {pdos.Count} PDOs, at most 255");
        Span<byte> b4 = stackalloc byte[4];

        Download(s, sdo, p.AssignIndex, 0, [0], $"{what}: clearing 0x{p.AssignIndex:X4}:00");
        foreach (var (pdo, entries) in p.Mappings)
        {
            string mapWhat = $"PDO mapping 0x{pdo:X4} from {p.Origin}";
            Download(s, sdo, pdo, 0, [0], $"{mapWhat}: clearing 0x{pdo:X4}:00");
            for (int i = 0; i < entries.Count; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(b4, entries[i]);
                Download(s, sdo, pdo, (byte)(i + 1), b4.ToArray(), $"{mapWhat}: entry {i + 1} = 0x{entries[i]:X8}");
            }
            Download(s, sdo, pdo, 0, [(byte)entries.Count], $"{mapWhat}: count 0x{pdo:X4}:00 = {entries.Count} (the drive checks the entries now)");
        }
        for (int i = 0; i < pdos.Count; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b4, pdos[i]);
            Download(s, sdo, p.AssignIndex, (byte)(i + 1), b4[..2].ToArray(), $"{what}: 0x{p.AssignIndex:X4}:{i + 1:X2} = 0x{pdos[i]:X4}");
        }
        Download(s, sdo, p.AssignIndex, 0, [(byte)pdos.Count], $"{what}: count 0x{p.AssignIndex:X4}:00 = {pdos.Count}");

        // Read back: a drive may accept a write and keep another value (or clip the count).
        foreach (var (pdo, entries) in p.Mappings)
        {
            Expect(s, sdo, pdo, 0, (uint)entries.Count, 1, $"PDO mapping 0x{pdo:X4} from {p.Origin}");
            for (int i = 0; i < entries.Count; i++) Expect(s, sdo, pdo, (byte)(i + 1), entries[i], 4, $"PDO mapping 0x{pdo:X4} from {p.Origin}");
        }
        Expect(s, sdo, p.AssignIndex, 0, (uint)pdos.Count, 1, what);
        for (int i = 0; i < pdos.Count; i++) Expect(s, sdo, p.AssignIndex, (byte)(i + 1), pdos[i], 2, what);
    }

    private static void Expect(SubDevice s, SdoClient sdo, ushort index, byte sub, uint wrote, int bytes, string what)
    {
        uint read;
        try
        {
            read = bytes switch { 1 => sdo.UploadU8(index, sub), 2 => sdo.UploadU16(index, sub), _ => sdo.UploadU32(index, sub) };
        }
        catch (SdoAbortException e)
        {
            throw new StartupFailedException(s.Position, $"{SlaveStartupPlan.Who(s)}: {what}: read-back of 0x{index:X4}:{sub:X2} aborted: {SdoAbortCodes.Describe(e.Code)}", e.Code, e);
        }
        if (read != wrote)
            throw new StartupFailedException(s.Position,
                $"{SlaveStartupPlan.Who(s)}: {what}: 0x{index:X4}:{sub:X2} reads back 0x{read.ToString($"X{bytes * 2}", System.Globalization.CultureInfo.InvariantCulture)} after writing 0x{wrote.ToString($"X{bytes * 2}", System.Globalization.CultureInfo.InvariantCulture)}");
    }

    private static void Download(SubDevice s, SdoClient sdo, ushort index, byte sub, byte[] data, string what)
    {
        try
        {
            sdo.Download(index, sub, data);
        }
        catch (SdoAbortException e)
        {
            throw new StartupFailedException(s.Position, $"{SlaveStartupPlan.Who(s)}: {what}: SDO download 0x{index:X4}:{sub:X2} aborted: {SdoAbortCodes.Describe(e.Code)}", e.Code, e);
        }
    }
}
