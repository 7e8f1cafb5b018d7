using Rt.Hil.Esc.Esc;
using Rt.Hil.Esc.Mailbox;
using Rt.Hil.Esc.ObjectDictionary;
using Rt.Hil.Esc.Sii;

namespace Rt.Hil.Esc.Devices;

/// <summary>Who a device says it is (SII header, 0x1018, 0x1000, 0x1008). Not real-time safe (prepare-time description).</summary>
public sealed record DeviceIdentity(uint VendorId, uint ProductCode, uint Revision, uint SerialNumber, uint DeviceType, string Name, string OrderCode)
{
    /// <summary>Vendor id of the fictional "Rt bench" vendor.</summary>
    public const uint RtBenchVendor = 0x00000E7A;
}

/// <summary>Per-slave construction options. Not real-time safe (plain options object).</summary>
public sealed class SlaveOptions
{
    public uint SerialNumber { get; init; } = 1;
    public ushort Alias { get; init; }
    public bool CorruptSiiChecksum { get; init; }
    public bool ProcessDataWatchdog { get; init; }
    public bool RequireOutputsBeforeOp { get; init; }

    /// <summary>Local clock offset against bench time, ns.</summary>
    public long ClockOffsetNs { get; init; }

    /// <summary>Local clock drift, ppm.</summary>
    public double ClockDriftPpm { get; init; }

    /// <summary>One-way delay from the previous node (master or slave) into this slave's port 0, ns.</summary>
    public long LinkDelayNs { get; init; } = 500;
}

/// <summary>
/// One emulated EtherCAT slave device: the ESC, the SII it boots from, the CoE object dictionary with PDO mapping,
/// the mailbox/SDO server and the AL checks, all built from one <see cref="SlaveDescription"/> (written in code for the
/// Rt bench devices, read from an ESI file by <see cref="Esi.EsiSlaveLibrary"/> for everything else). Derived devices
/// bind their behaviour to the description's objects and exchange plain process-data structs with the bench.
/// Construction is not real-time safe; <see cref="BeforeFrame"/>, <see cref="AfterFrame"/> and
/// <see cref="AdvanceTime"/> are real-time safe.
/// </summary>
public abstract class EmulatedSlave : IEscApplication, IObjectWriteHandler
{
    public const int MailboxSize = 128;
    public const ushort MailboxOutStart = 0x1000, MailboxInStart = 0x1080, OutputsStart = 0x1100, InputsStart = 0x1180;
    private const int MaxMappedEntries = 16;

    private readonly OdEntry _syncType;
    private readonly int _maxOutputBits;

    protected EmulatedSlave(SlaveDescription description, SlaveOptions? options)
    {
        ArgumentNullException.ThrowIfNull(description);
        options ??= new SlaveOptions();
        Description = description;
        Identity = description.Identity with { SerialNumber = options.SerialNumber };
        Od = new CoeObjectDictionary();
        HasOutputs = description.HasOutputs;
        LinkDelayNs = options.LinkDelayNs;
        if (description.SyncManagers.Count != 4)
            throw new InvalidOperationException($"{description.Source}: expected 4 sync managers (mailbox out, mailbox in, outputs, inputs), found {description.SyncManagers.Count}");

        AddStandardObjects();
        foreach (var o in description.Objects) Od.Add(o.Create()); // the device's own objects (an own 0x1xxx replaces the generated one)
        _syncType = Od.Find(HasOutputs ? (ushort)0x1C32 : (ushort)0x1C33, 1)!;

        if (HasOutputs) SetDefaultMapping(description.RxPdos, 0x1C12);
        SetDefaultMapping(description.TxPdos, 0x1C13);
        RxMap = new PdoMap(Od, 0x1C12);
        TxMap = new PdoMap(Od, 0x1C13);

        var sm = description.SyncManagers;
        var layout = new[]
        {
            new SyncManagerLayout(sm[0].Start, sm[0].DefaultLength, sm[0].Control),
            new SyncManagerLayout(sm[1].Start, sm[1].DefaultLength, sm[1].Control),
            new SyncManagerLayout(sm[2].Start, (ushort)RxMap.TotalBytes, sm[2].Control),
            new SyncManagerLayout(sm[3].Start, (ushort)TxMap.TotalBytes, sm[3].Control),
        };
        // Outputs must end before the inputs buffer (the usual order); the mapping objects refuse more.
        _maxOutputBits = sm[3].Start > sm[2].Start ? (sm[3].Start - sm[2].Start) * 8 : 0x0800 * 8;
        if (HasOutputs && RxMap.TotalBits > _maxOutputBits) throw new InvalidOperationException($"{description.Source}: outputs overlap the inputs buffer");

        SiiWords = SiiBuilder.Build(new SiiDescription
        {
            VendorId = Identity.VendorId,
            ProductCode = Identity.ProductCode,
            Revision = Identity.Revision,
            SerialNumber = Identity.SerialNumber,
            Alias = options.Alias,
            Name = Identity.Name,
            GroupName = description.GroupName,
            OrderCode = Identity.OrderCode,
            SyncManagers = layout,
            Fmmus = description.Fmmus,
            RxPdos = SiiPdos(description.RxPdos),
            TxPdos = SiiPdos(description.TxPdos),
            CoeDetails = description.CoeDetails,
            MailboxProtocols = description.MailboxProtocols,
            CorruptChecksum = options.CorruptSiiChecksum,
        });

        Esc = new EscController([.. SiiWords], new EscOptions
        {
            SyncManagers = layout,
            ProcessDataWatchdog = options.ProcessDataWatchdog,
            RequireOutputsBeforeOp = options.RequireOutputsBeforeOp,
        })
        {
            Application = this,
        };
        Esc.Clock.OffsetNs = options.ClockOffsetNs;
        Esc.Clock.DriftPpm = options.ClockDriftPpm;
        Sdo = new CoeSdoServer(Od, this);
        Mailbox = new MailboxHandler(Esc, Sdo, Math.Min(sm[0].DefaultLength, sm[1].DefaultLength));
    }

    /// <summary>What this device was built from.</summary>
    public SlaveDescription Description { get; }

    public DeviceIdentity Identity { get; }
    public EscController Esc { get; }
    public CoeObjectDictionary Od { get; }
    public CoeSdoServer Sdo { get; }
    public MailboxHandler Mailbox { get; }

    /// <summary>The SII image this device was generated with (the ESC holds its own copy).</summary>
    public IReadOnlyList<ushort> SiiWords { get; }

    public PdoMap RxMap { get; }
    public PdoMap TxMap { get; }
    public bool HasOutputs { get; }

    /// <summary>One-way delay from the previous node into this slave's port 0, ns.</summary>
    public long LinkDelayNs { get; set; }

    /// <summary>Output buffers received in OP and decoded.</summary>
    public long OutputUpdates { get; private set; }

    /// <summary>Copies the application's feedback into the TxPDO objects before they are encoded. Real-time safe.</summary>
    protected abstract void PublishInputs();

    /// <summary>Reads the RxPDO objects (just decoded) into the application's command. Real-time safe.</summary>
    protected abstract void ConsumeOutputs();

    /// <summary>Device-specific SDO write checks (value ranges); 0 to accept. Real-time safe.</summary>
    protected virtual uint CheckDeviceWrite(OdEntry entry, ReadOnlySpan<byte> value) => 0;

    // ------------------------------------------------------------------ frame hooks

    /// <summary>Before a frame passes: publish inputs into the SM3 buffer (SAFEOP/OP). Real-time safe.</summary>
    public void BeforeFrame()
    {
        var s = Esc.State;
        if (s is not (AlState.SafeOp or AlState.Op) || TxMap.TotalBytes == 0 || !Esc.SmEnabled(3)) return;
        PublishInputs();
        var buffer = Esc.InputsBuffer(3);
        TxMap.Encode(buffer);
        Esc.CommitInputs(3);
    }

    /// <summary>After a frame passed: decode new outputs (OP only) and serve the mailbox. Real-time safe.</summary>
    public void AfterFrame()
    {
        if (Esc.TryTakeOutputs(2, out var outputs) && Esc.State == AlState.Op && HasOutputs)
        {
            RxMap.Decode(outputs);
            ConsumeOutputs();
            OutputUpdates++;
        }

        if (Esc.State != AlState.Init) Mailbox.Poll();
    }

    /// <summary>Power cycle: ESC registers to defaults (AL INIT, EEPROM reloaded), mailbox state cleared. The object
    /// dictionary keeps its values (a real device would reload them from its own non-volatile memory). Real-time safe.</summary>
    public void PowerCycle()
    {
        Esc.Reset();
        Mailbox.Reset();
    }

    /// <summary>Advances the injected bench time (watchdog). Real-time safe.</summary>
    public void AdvanceTime(long benchTimeNs) => Esc.AdvanceTime(benchTimeNs);

    // ------------------------------------------------------------------ IEscApplication

    public int OutputBytes => RxMap.TotalBytes;
    public int InputBytes => TxMap.TotalBytes;
    public bool RequiresSync0 => _syncType.U16 == 2;

    public virtual void OnAlStateChanged(AlState from, AlState to)
    {
        if (to == AlState.Init) Mailbox.Reset();
    }

    // ------------------------------------------------------------------ SDO write rules

    public uint CheckWrite(OdEntry entry, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ushort index = entry.Index;
        bool rxMapping = index is >= 0x1600 and <= 0x17FF, txMapping = index is >= 0x1A00 and <= 0x1BFF;
        bool assign = index is 0x1C12 or 0x1C13;
        bool syncParams = index is 0x1C32 or 0x1C33;
        if ((rxMapping || txMapping || assign || syncParams) && Esc.State != AlState.PreOp) return SdoAbort.DeviceState;

        if (rxMapping || txMapping)
        {
            var obj = Od.Find(index)!;
            if (entry.SubIndex == 0)
            {
                int n = value[0];
                if (n > obj.Entries.Count - 1) return SdoAbort.ValueRange;
                int bits = 0;
                for (int i = 1; i <= n; i++)
                {
                    uint m = obj.Find((byte)i)!.U32;
                    if (!IsMappable(m, rxMapping)) return SdoAbort.CannotBeMapped;
                    bits += (byte)m;
                }

                return bits > _maxOutputBits ? SdoAbort.MappingTooLong : 0;
            }

            if (obj.Find(0)!.U8 != 0) return SdoAbort.Sub0MustBeZero;
            return IsMappable(BitConverterLe(value), rxMapping) ? 0 : SdoAbort.CannotBeMapped;
        }

        if (assign)
        {
            var obj = Od.Find(index)!;
            if (entry.SubIndex == 0) return value[0] > obj.Entries.Count - 1 ? SdoAbort.ValueRange : 0;
            if (obj.Find(0)!.U8 != 0) return SdoAbort.Sub0MustBeZero;
            ushort pdo = (ushort)(value[0] | (value[1] << 8));
            bool inRange = index == 0x1C12 ? pdo is >= 0x1600 and <= 0x17FF : pdo is >= 0x1A00 and <= 0x1BFF;
            return inRange && Od.Find(pdo) is not null ? 0 : SdoAbort.ValueRange;
        }

        if (syncParams && entry.SubIndex == 1)
        {
            int t = value[0] | (value[1] << 8);
            return t is 0 or 1 or 2 ? 0 : SdoAbort.ValueRange;
        }

        return CheckDeviceWrite(entry, value);
    }

    public void AfterWrite(OdEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Index is (>= 0x1600 and <= 0x17FF) or 0x1C12) RxMap.Rebuild();
        if (entry.Index is (>= 0x1A00 and <= 0x1BFF) or 0x1C13) TxMap.Rebuild();
    }

    private static uint BitConverterLe(ReadOnlySpan<byte> v) => (uint)(v[0] | (v[1] << 8) | (v[2] << 16) | (v[3] << 24));

    private bool IsMappable(uint mapping, bool rx)
    {
        ushort index = (ushort)(mapping >> 16);
        byte sub = (byte)(mapping >> 8);
        int bits = (byte)mapping;
        if (bits == 0) return false;
        if (index == 0) return true; // padding
        var e = Od.Find(index, sub);
        if (e is null) return false;
        bool flag = (e.Access & (rx ? OdAccess.RxPdo : OdAccess.TxPdo)) != 0;
        return flag && e.BitLength == bits;
    }

    // ------------------------------------------------------------------ construction helpers

    private void AddStandardObjects()
    {
        var d = Description;
        Od.AddVar(0x1000, "Device type", OdDataType.Unsigned32, 32, OdAccess.Read).Set(Identity.DeviceType);
        Od.AddVar(0x1008, "Manufacturer device name", OdDataType.VisibleString, 8 * 64, OdAccess.Read).SetString(Identity.Name);
        Od.AddVar(0x1009, "Manufacturer hardware version", OdDataType.VisibleString, 8 * 16, OdAccess.Read).SetString("1.0");
        Od.AddVar(0x100A, "Manufacturer software version", OdDataType.VisibleString, 8 * 16, OdAccess.Read).SetString("rt-esc 1.0");
        Od.Add(new OdObject(0x1018, "Identity", OdObject.Record,
            U8(0x1018, 0, "Number of entries", 4, OdAccess.Read),
            U32(0x1018, 1, "Vendor ID", Identity.VendorId, OdAccess.Read),
            U32(0x1018, 2, "Product code", Identity.ProductCode, OdAccess.Read),
            U32(0x1018, 3, "Revision", Identity.Revision, OdAccess.Read),
            U32(0x1018, 4, "Serial number", Identity.SerialNumber, OdAccess.Read)));
        var smTypes = new OdEntry[d.SyncManagers.Count + 1];
        smTypes[0] = U8(0x1C00, 0, "Number of entries", (byte)d.SyncManagers.Count, OdAccess.Read);
        for (int i = 0; i < d.SyncManagers.Count; i++) smTypes[i + 1] = U8(0x1C00, (byte)(i + 1), $"SM{i}", (byte)d.SyncManagers[i].Type, OdAccess.Read);
        Od.Add(new OdObject(0x1C00, "Sync manager communication type", OdObject.Array, smTypes));

        // Mapping objects are writable (in PREOP) when the device supports PDO configuration and the PDO is not fixed;
        // the assignment when it supports PDO assignment.
        OdAccess assignAccess = d.PdoAssign ? OdAccess.ReadWrite : OdAccess.Read;
        ushort syncTypes = (ushort)(d.DcSync0 ? 0x0007 : 0x0003); // bit 0 free run, 1 SM-synchronous, 2 DC SYNC0
        if (HasOutputs)
        {
            for (int i = 0; i < d.RxPdos.Count; i++)
                Od.Add(MappingObject(d.RxPdos[i].Index, $"RxPDO {i + 1} mapping", d.PdoConfig && !d.RxPdos[i].Fixed ? OdAccess.ReadWrite : OdAccess.Read));
            Od.Add(AssignObject(0x1C12, "RxPDO assign", d.RxPdos.Count, assignAccess));
            Od.Add(SyncParameters(0x1C32, "SM output parameter", syncTypes));
        }
        else
        {
            Od.Add(new OdObject(0x1C12, "RxPDO assign", OdObject.Array, U8(0x1C12, 0, "Number of entries", 0, OdAccess.Read)));
        }

        for (int i = 0; i < d.TxPdos.Count; i++)
            Od.Add(MappingObject(d.TxPdos[i].Index, $"TxPDO {i + 1} mapping", d.PdoConfig && !d.TxPdos[i].Fixed ? OdAccess.ReadWrite : OdAccess.Read));
        Od.Add(AssignObject(0x1C13, "TxPDO assign", d.TxPdos.Count, assignAccess));
        Od.Add(SyncParameters(0x1C33, "SM input parameter", syncTypes));

        // The emulator's own diagnostic objects (a described object with the same index replaces them).
        var diag = Od.AddVar(0x2001, "Bench diagnostic text", OdDataType.VisibleString, 8 * 200, OdAccess.Read);
        diag.SetString("Emulated by Rt.Hil.Esc: " + Identity.Name + ". This text is long on purpose so that reading it needs a segmented SDO upload through the 128-byte mailbox; it has no other meaning.");
        Od.AddVar(0x2002, "User label", OdDataType.VisibleString, 8 * 200, OdAccess.ReadWrite).SetString("");
        Od.AddVar(0x2003, "Bench trigger (write-only)", OdDataType.Unsigned16, 16, OdAccess.Write);
    }

    private static OdObject MappingObject(ushort index, string name, OdAccess access)
    {
        var entries = new OdEntry[MaxMappedEntries + 1];
        entries[0] = U8(index, 0, "Number of entries", 0, access);
        for (int i = 1; i <= MaxMappedEntries; i++) entries[i] = U32(index, (byte)i, $"Mapped object {i}", 0, access);
        return new OdObject(index, name, OdObject.Record, entries);
    }

    private static OdObject AssignObject(ushort index, string name, int pdos, OdAccess access)
    {
        var entries = new OdEntry[Math.Max(1, pdos) + 1];
        entries[0] = U8(index, 0, "Number of entries", 0, access);
        for (int i = 1; i < entries.Length; i++) entries[i] = U16(index, (byte)i, $"Assigned PDO {i}", 0, access);
        return new OdObject(index, name, OdObject.Array, entries);
    }

    private static OdObject SyncParameters(ushort index, string name, ushort syncTypes) => new(index, name, OdObject.Record,
        U8(index, 0, "Number of entries", 6, OdAccess.Read),
        U16(index, 1, "Sync type", 0, OdAccess.ReadWrite),
        U32(index, 2, "Cycle time", 1_000_000, OdAccess.ReadWrite),
        U32(index, 3, "Shift time", 0, OdAccess.Read),
        U16(index, 4, "Sync types supported", syncTypes, OdAccess.Read),
        U32(index, 5, "Minimum cycle time", 125_000, OdAccess.Read),
        U32(index, 6, "Calc and copy time", 10_000, OdAccess.Read));

    /// <summary>Power-up mapping: every described PDO's entries in its mapping object; the PDOs with a default sync
    /// manager assigned in order.</summary>
    private void SetDefaultMapping(IReadOnlyList<PdoSpec> pdos, ushort assignIndex)
    {
        var assign = Od.Find(assignIndex)!;
        int assigned = 0;
        foreach (var pdo in pdos)
        {
            var mapping = Od.Find(pdo.Index)!;
            if (pdo.Entries.Count > MaxMappedEntries)
                throw new InvalidOperationException($"{Description.Source}: PDO 0x{pdo.Index:X4} has {pdo.Entries.Count} entries; the emulator holds at most {MaxMappedEntries}");
            for (int i = 0; i < pdo.Entries.Count; i++)
            {
                var entry = pdo.Entries[i];
                if (entry.Index != 0 && Od.Find(entry.Index, entry.SubIndex) is null)
                    throw new InvalidOperationException($"{Description.Source}: default PDO 0x{pdo.Index:X4} maps missing 0x{entry.Index:X4}:{entry.SubIndex:X2}");
                mapping.Find((byte)(i + 1))!.Set(entry.MappingValue);
            }

            mapping.Find(0)!.Set((byte)pdo.Entries.Count);
            if (pdo.Sm is not null) assign.Find((byte)++assigned)!.Set(pdo.Index);
        }

        assign.Find(0)!.Set((byte)assigned);
    }

    /// <summary>The SII's PDO records: every described PDO; alternatives carry SM 0xFF (not assigned).</summary>
    private List<SiiPdo> SiiPdos(IReadOnlyList<PdoSpec> pdos)
    {
        var list = new List<SiiPdo>(pdos.Count);
        foreach (var pdo in pdos)
        {
            var entries = new List<SiiPdoEntry>(pdo.Entries.Count);
            foreach (var e in pdo.Entries)
            {
                var od = e.Index == 0 ? null : Od.Find(e.Index, e.SubIndex);
                entries.Add(new SiiPdoEntry(e.Index, e.SubIndex, od?.Name ?? e.Name, (byte)(od?.Type ?? 0), e.BitLength));
            }

            list.Add(new SiiPdo(pdo.Index, pdo.Name, pdo.Sm is { } sm ? (byte)sm : (byte)0xFF, entries));
        }

        return list;
    }

    protected static OdEntry U8(ushort index, byte sub, string name, byte value, OdAccess access)
    {
        var e = new OdEntry(index, sub, name, OdDataType.Unsigned8, 8, access);
        e.Set(value);
        return e;
    }

    protected static OdEntry U16(ushort index, byte sub, string name, ushort value, OdAccess access)
    {
        var e = new OdEntry(index, sub, name, OdDataType.Unsigned16, 16, access);
        e.Set(value);
        return e;
    }

    protected static OdEntry U32(ushort index, byte sub, string name, uint value, OdAccess access)
    {
        var e = new OdEntry(index, sub, name, OdDataType.Unsigned32, 32, access);
        e.Set(value);
        return e;
    }
}
