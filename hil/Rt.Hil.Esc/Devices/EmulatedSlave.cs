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
/// the mailbox/SDO server and the AL checks. Derived devices add their objects and exchange plain process-data
/// structs with the bench. Construction is not real-time safe; <see cref="BeforeFrame"/>, <see cref="AfterFrame"/>
/// and <see cref="AdvanceTime"/> are real-time safe.
/// </summary>
public abstract class EmulatedSlave : IEscApplication, IObjectWriteHandler
{
    public const int MailboxSize = 128;
    public const ushort MailboxOutStart = 0x1000, MailboxInStart = 0x1080, OutputsStart = 0x1100, InputsStart = 0x1180;
    private const int MaxMappedEntries = 16;

    private readonly OdEntry _syncType;

    protected EmulatedSlave(DeviceIdentity identity, SlaveOptions? options, bool hasOutputs)
    {
        ArgumentNullException.ThrowIfNull(identity);
        options ??= new SlaveOptions();
        Identity = identity with { SerialNumber = options.SerialNumber };
        Od = new CoeObjectDictionary();
        HasOutputs = hasOutputs;
        LinkDelayNs = options.LinkDelayNs;

        AddStandardObjects();
        AddDeviceObjects(Od);
        _syncType = Od.Find(hasOutputs ? (ushort)0x1C32 : (ushort)0x1C33, 1)!;

        if (hasOutputs) SetMapping(0x1600, 0x1C12, DefaultRxPdo);
        SetMapping(0x1A00, 0x1C13, DefaultTxPdo);
        RxMap = new PdoMap(Od, 0x1C12);
        TxMap = new PdoMap(Od, 0x1C13);

        var layout = new[]
        {
            new SyncManagerLayout(MailboxOutStart, MailboxSize, 0x26),
            new SyncManagerLayout(MailboxInStart, MailboxSize, 0x22),
            new SyncManagerLayout(OutputsStart, (ushort)RxMap.TotalBytes, 0x64),
            new SyncManagerLayout(InputsStart, (ushort)TxMap.TotalBytes, 0x20),
        };
        if (OutputsStart + RxMap.TotalBytes > InputsStart) throw new InvalidOperationException("outputs overlap the inputs buffer");

        SiiWords = SiiBuilder.Build(new SiiDescription
        {
            VendorId = Identity.VendorId,
            ProductCode = Identity.ProductCode,
            Revision = Identity.Revision,
            SerialNumber = Identity.SerialNumber,
            Alias = options.Alias,
            Name = Identity.Name,
            GroupName = "Rt bench",
            OrderCode = Identity.OrderCode,
            SyncManagers = layout,
            RxPdos = hasOutputs ? [SiiPdoOf(0x1600, "RxPDO 1", 2)] : [],
            TxPdos = [SiiPdoOf(0x1A00, "TxPDO 1", 3)],
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
        Mailbox = new MailboxHandler(Esc, Sdo, MailboxSize);
    }

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

    /// <summary>The default RxPDO 0x1600 as (index, sub) pairs, in order.</summary>
    protected abstract IReadOnlyList<(ushort Index, byte Sub)> DefaultRxPdo { get; }

    /// <summary>The default TxPDO 0x1A00 as (index, sub) pairs, in order.</summary>
    protected abstract IReadOnlyList<(ushort Index, byte Sub)> DefaultTxPdo { get; }

    /// <summary>Adds the device profile objects. Called from the base constructor: must not use derived fields.</summary>
    protected abstract void AddDeviceObjects(CoeObjectDictionary od);

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

                return bits > (InputsStart - OutputsStart) * 8 ? SdoAbort.MappingTooLong : 0;
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
        Od.Add(new OdObject(0x1C00, "Sync manager communication type", OdObject.Array,
            U8(0x1C00, 0, "Number of entries", 4, OdAccess.Read),
            U8(0x1C00, 1, "SM0", 1, OdAccess.Read),
            U8(0x1C00, 2, "SM1", 2, OdAccess.Read),
            U8(0x1C00, 3, "SM2", 3, OdAccess.Read),
            U8(0x1C00, 4, "SM3", 4, OdAccess.Read)));

        if (HasOutputs)
        {
            Od.Add(MappingObject(0x1600, "RxPDO 1 mapping"));
            Od.Add(AssignObject(0x1C12, "RxPDO assign"));
            Od.Add(SyncParameters(0x1C32, "SM output parameter"));
        }
        else
        {
            Od.Add(new OdObject(0x1C12, "RxPDO assign", OdObject.Array, U8(0x1C12, 0, "Number of entries", 0, OdAccess.Read)));
        }

        Od.Add(MappingObject(0x1A00, "TxPDO 1 mapping"));
        Od.Add(AssignObject(0x1C13, "TxPDO assign"));
        Od.Add(SyncParameters(0x1C33, "SM input parameter"));

        var diag = Od.AddVar(0x2001, "Bench diagnostic text", OdDataType.VisibleString, 8 * 200, OdAccess.Read);
        diag.SetString("Emulated by Rt.Hil.Esc: " + Identity.Name + ". This text is long on purpose so that reading it needs a segmented SDO upload through the 128-byte mailbox; it has no other meaning.");
        Od.AddVar(0x2002, "User label", OdDataType.VisibleString, 8 * 200, OdAccess.ReadWrite).SetString("");
        Od.AddVar(0x2003, "Bench trigger (write-only)", OdDataType.Unsigned16, 16, OdAccess.Write);
    }

    private static OdObject MappingObject(ushort index, string name)
    {
        var entries = new OdEntry[MaxMappedEntries + 1];
        entries[0] = U8(index, 0, "Number of entries", 0, OdAccess.ReadWrite);
        for (int i = 1; i <= MaxMappedEntries; i++) entries[i] = U32(index, (byte)i, $"Mapped object {i}", 0, OdAccess.ReadWrite);
        return new OdObject(index, name, OdObject.Record, entries);
    }

    private static OdObject AssignObject(ushort index, string name) => new(index, name, OdObject.Array,
        U8(index, 0, "Number of entries", 0, OdAccess.ReadWrite),
        U16(index, 1, "Assigned PDO 1", 0, OdAccess.ReadWrite));

    private static OdObject SyncParameters(ushort index, string name) => new(index, name, OdObject.Record,
        U8(index, 0, "Number of entries", 6, OdAccess.Read),
        U16(index, 1, "Sync type", 0, OdAccess.ReadWrite),
        U32(index, 2, "Cycle time", 1_000_000, OdAccess.ReadWrite),
        U32(index, 3, "Shift time", 0, OdAccess.Read),
        U16(index, 4, "Sync types supported", 0x0007, OdAccess.Read),
        U32(index, 5, "Minimum cycle time", 125_000, OdAccess.Read),
        U32(index, 6, "Calc and copy time", 10_000, OdAccess.Read));

    private void SetMapping(ushort mappingIndex, ushort assignIndex, IReadOnlyList<(ushort Index, byte Sub)> entries)
    {
        var mapping = Od.Find(mappingIndex)!;
        for (int i = 0; i < entries.Count; i++)
        {
            var (index, sub) = entries[i];
            var e = Od.Find(index, sub) ?? throw new InvalidOperationException($"default PDO 0x{mappingIndex:X4} maps missing 0x{index:X4}:{sub:X2}");
            mapping.Find((byte)(i + 1))!.Set(((uint)index << 16) | ((uint)sub << 8) | (uint)e.BitLength);
        }

        mapping.Find(0)!.Set((byte)entries.Count);
        var assign = Od.Find(assignIndex)!;
        assign.Find(1)!.Set(mappingIndex);
        assign.Find(0)!.Set((byte)1);
    }

    private SiiPdo SiiPdoOf(ushort mappingIndex, string name, byte sm)
    {
        var mapping = Od.Find(mappingIndex)!;
        var list = new List<SiiPdoEntry>();
        for (int i = 1; i <= mapping.Find(0)!.U8; i++)
        {
            uint m = mapping.Find((byte)i)!.U32;
            var e = Od.Find((ushort)(m >> 16), (byte)(m >> 8))!;
            list.Add(new SiiPdoEntry(e.Index, e.SubIndex, e.Name, (byte)e.Type, (byte)e.BitLength));
        }

        return new SiiPdo(mappingIndex, name, sm, list);
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
