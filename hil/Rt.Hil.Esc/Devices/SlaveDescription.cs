using Rt.Hil.Esc.ObjectDictionary;
using Rt.Hil.Esc.Sii;

namespace Rt.Hil.Esc.Devices;

/// <summary>What an emulated device does with its process data: the behaviour bound to the bench.</summary>
public enum SlaveBehaviour
{
    /// <summary>Bytes only: outputs are taken, inputs keep their object values (I/O terminals, unknown devices).</summary>
    Generic,

    /// <summary>A CiA 402 drive (ESI <c>Profile/ProfileNo</c> 402): bound to one of the bench's drive models.</summary>
    Cia402Drive,

    /// <summary>An IMU with the Rt bench object layout (0x6000/0x6010/0x6020/0x6030/0x6031): bound to a plant IMU.</summary>
    Imu,
}

/// <summary>One subindex of an object as described (ESI dictionary or code). Not real-time safe (description).</summary>
public sealed record ObjectEntrySpec(byte SubIndex, string Name, OdDataType Type, int BitLength, OdAccess Access, byte[] Default)
{
    /// <summary>Builds the live entry with its default value. Not real-time safe.</summary>
    public OdEntry Create(ushort index)
    {
        var e = new OdEntry(index, SubIndex, Name, Type, BitLength, Access);
        int n = Math.Min(Default.Length, e.Value.Length);
        Default.AsSpan(0, n).CopyTo(e.Value);
        if (e.IsString) e.Length = n;
        return e;
    }
}

/// <summary>One object (index) as described: 7 VAR, 8 ARRAY, 9 RECORD. Not real-time safe (description).</summary>
public sealed record ObjectSpec(ushort Index, string Name, byte ObjectCode, IReadOnlyList<ObjectEntrySpec> Entries)
{
    /// <summary>Builds the live object with its default values. Not real-time safe.</summary>
    public OdObject Create()
    {
        var entries = new OdEntry[Entries.Count];
        for (int i = 0; i < entries.Length; i++) entries[i] = Entries[i].Create(Index);
        return new OdObject(Index, Name, ObjectCode, entries);
    }

    /// <summary>A VAR object with one entry at subindex 0.</summary>
    public static ObjectSpec Var(ushort index, string name, OdDataType type, int bits, OdAccess access, byte[]? value = null) =>
        new(index, name, OdObject.Var, [new ObjectEntrySpec(0, name, type, bits, access, value ?? [])]);
}

/// <summary>One entry of a PDO: index 0 is padding.</summary>
public sealed record PdoEntrySpec(ushort Index, byte SubIndex, byte BitLength, string Name)
{
    /// <summary>The u32 a mapping object holds for this entry: index&lt;&lt;16 | sub&lt;&lt;8 | bits.</summary>
    public uint MappingValue => ((uint)Index << 16) | ((uint)SubIndex << 8) | BitLength;
}

/// <summary>One PDO (0x16xx/0x1Axx): <see cref="Sm"/> = the sync manager it is assigned to at power-up (null: an
/// alternative, not assigned unless the master chooses it); <see cref="Fixed"/>: its entries cannot be changed.</summary>
public sealed record PdoSpec(ushort Index, string Name, int? Sm, bool Fixed, IReadOnlyList<PdoEntrySpec> Entries);

/// <summary>One sync manager: start, default length (mailboxes), control byte and type (SII SyncM).</summary>
public sealed record SyncManagerSpec(ushort Start, ushort DefaultLength, byte Control, SiiSmType Type);

/// <summary>
/// Everything an <see cref="EmulatedSlave"/> is built from, whether written in code (the Rt bench drive and IMU) or read
/// from an ESI file (<see cref="Esi.EsiSlaveLibrary"/>): identity and names, sync managers, FMMU usages, PDOs (default
/// and alternative), CoE flags, mailbox protocols, DC support and the application objects. The communication objects
/// (0x1000, 0x1008–0x100A, 0x1018, 0x1C00, the PDO mapping and assignment objects, 0x1C32/0x1C33) are generated from
/// these by <see cref="EmulatedSlave"/>, as a device's firmware derives them from its own description; an application
/// object with the same index replaces the generated one. Not real-time safe (description).
/// </summary>
public sealed class SlaveDescription
{
    public required DeviceIdentity Identity { get; init; }

    /// <summary>SII group string (ESI <c>GroupType</c>'s group name).</summary>
    public string GroupName { get; init; } = "Rt bench";

    /// <summary>SM0 mailbox out, SM1 mailbox in, SM2 outputs, SM3 inputs (exactly four).</summary>
    public IReadOnlyList<SyncManagerSpec> SyncManagers { get; init; } = DefaultSyncManagers;

    /// <summary>SII FMMU usages (1 outputs, 2 inputs, 3 mailbox state); null: derived from the PDOs.</summary>
    public IReadOnlyList<byte>? Fmmus { get; init; }

    public IReadOnlyList<PdoSpec> RxPdos { get; init; } = [];
    public IReadOnlyList<PdoSpec> TxPdos { get; init; } = [];

    /// <summary>The device's own objects (profile and vendor area), with defaults, access and PDO mappability.</summary>
    public IReadOnlyList<ObjectSpec> Objects { get; init; } = [];

    /// <summary>CoE flags (SII general category CoE details; the assignment/mapping objects' write access).</summary>
    public bool SdoInfo { get; init; }
    public bool PdoAssign { get; init; } = true;
    public bool PdoConfig { get; init; } = true;

    /// <summary>SII word 0x1C: bit 0 AoE, 1 EoE, 2 CoE, 3 FoE, 4 SoE, 5 VoE.</summary>
    public ushort MailboxProtocols { get; init; } = 0x0004;

    /// <summary>Whether the device runs DC SYNC0 (an ESI <c>Dc/OpMode</c> with AssignActivate 0x0200): 0x1C32/0x1C33:04 bit 2.</summary>
    public bool DcSync0 { get; init; } = true;

    public SlaveBehaviour Behaviour { get; init; }

    /// <summary>Where the description came from ("file:line" of the ESI device, or "built-in").</summary>
    public string Source { get; init; } = "built-in";

    public bool HasOutputs => RxPdos.Count > 0;

    /// <summary>SII general category CoE details: bit 0 SDO, 1 SDO info, 2 PDO assign, 3 PDO config.</summary>
    public byte CoeDetails => (byte)(0x01 | (SdoInfo ? 0x02 : 0) | (PdoAssign ? 0x04 : 0) | (PdoConfig ? 0x08 : 0));

    /// <summary>The bench's layout: mailboxes of 128 bytes at 0x1000/0x1080, process data at 0x1100/0x1180.</summary>
    public static readonly IReadOnlyList<SyncManagerSpec> DefaultSyncManagers =
    [
        new(EmulatedSlave.MailboxOutStart, EmulatedSlave.MailboxSize, 0x26, SiiSmType.MailboxOut),
        new(EmulatedSlave.MailboxInStart, EmulatedSlave.MailboxSize, 0x22, SiiSmType.MailboxIn),
        new(EmulatedSlave.OutputsStart, 0, 0x64, SiiSmType.Outputs),
        new(EmulatedSlave.InputsStart, 0, 0x20, SiiSmType.Inputs),
    ];
}
