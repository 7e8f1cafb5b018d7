using Rt.Core.ProcessData;
using Rt.Hil.Esc.Mailbox;
using Rt.Hil.Esc.ObjectDictionary;

namespace Rt.Hil.Esc.Devices;

/// <summary>
/// An emulated CiA 402 servo drive. The ESC side only moves bytes: after each frame that wrote outputs in OP, the RxPDO
/// (current mapping) is decoded into <see cref="Command"/>; before the master reads inputs, <see cref="Feedback"/> is
/// encoded into the TxPDO. The bench copies <see cref="Command"/> to its drive physics and the physics' state back into
/// <see cref="Feedback"/> every cycle. The CiA 402 objects are found by index in the device's dictionary, so any
/// description works: the built-in Rt bench drive (<see cref="ServoDriveDevice()"/>, vendor 0x00000E7A, product
/// 0x00000402, revision 0x00010000) or a vendor's drive read from its ESI (<see cref="Esi.EsiSlaveLibrary"/>, ESI
/// <c>Profile/ProfileNo</c> 402). An object the drive lacks (e.g. 0x6077 torque actual) is simply not exchanged.
/// 0x6060 accepts 0 and the modes 0x6502 (supported drive modes) names. 0x6072 max torque and 0x60FE:01 digital
/// outputs (bit 0 releases the brake where 0x60FE:02 bit 0 enables it) go to the drive model where the drive has them;
/// a drive without them (arm6's) leaves <see cref="DriveOutputs.MaxTorque"/> 0 (the model keeps its own limit) and
/// <see cref="DriveOutputs.DigitalOutputs"/> 0. Construction is not real-time safe; the frame hooks are.
/// </summary>
public class ServoDriveDevice : EmulatedSlave
{
    public const uint ProductCode = 0x00000402, RevisionNumber = 0x00010000;
    public const uint CiA402ServoDeviceType = 0x00020192;

    private readonly OdEntry? _controlword, _mode, _targetPosition, _targetVelocity, _targetTorque, _velocityOffset, _torqueOffset,
        _statusword, _modeDisplay, _positionActual, _velocityActual, _torqueActual, _errorCode, _supportedModes,
        _homeOffset, _homingMethod, _switchSpeed, _zeroSpeed, _homingAcceleration, _maxTorque, _digitalOutputs, _digitalOutputMask;

    /// <summary>The homing objects as written by SDO (0x6098, 0x6099:01/02, 0x609A, 0x607C; zero where the drive lacks one). Real-time safe.</summary>
    public Drives.HomingParameters HomingParameters => new()
    {
        Method = _homingMethod?.I8 ?? 0,
        SwitchSpeed = _switchSpeed?.U32 ?? 0,
        ZeroSpeed = _zeroSpeed?.U32 ?? 0,
        Acceleration = _homingAcceleration?.U32 ?? 0,
        HomeOffset = _homeOffset?.I32 ?? 0,
    };

    /// <summary>What the master commanded (decoded from the RxPDO after each output update in OP).</summary>
    public DriveOutputs Command;

    /// <summary>What the drive reports (encoded into the TxPDO before each read); set by the bench.</summary>
    public DriveInputs Feedback;

    /// <summary>The Rt bench drive (biped12's), as described in code by <see cref="RtBenchDescription"/>.</summary>
    public ServoDriveDevice(SlaveOptions? options = null)
        : this(RtBenchDescription(), options)
    {
    }

    /// <summary>A drive built from its description (an ESI entry, see <see cref="Esi.EsiSlaveLibrary"/>).</summary>
    public ServoDriveDevice(SlaveDescription description, SlaveOptions? options)
        : base(description, options)
    {
        _errorCode = Od.Find(0x603F, 0);
        _controlword = Od.Find(0x6040, 0);
        _statusword = Od.Find(0x6041, 0);
        _mode = Od.Find(0x6060, 0);
        _modeDisplay = Od.Find(0x6061, 0);
        _positionActual = Od.Find(0x6064, 0);
        _velocityActual = Od.Find(0x606C, 0);
        _targetTorque = Od.Find(0x6071, 0);
        _maxTorque = Od.Find(0x6072, 0);
        _torqueActual = Od.Find(0x6077, 0);
        _targetPosition = Od.Find(0x607A, 0);
        _velocityOffset = Od.Find(0x60B1, 0);
        _torqueOffset = Od.Find(0x60B2, 0);
        _targetVelocity = Od.Find(0x60FF, 0);
        _digitalOutputs = Od.Find(0x60FE, 1);
        _digitalOutputMask = Od.Find(0x60FE, 2);
        _supportedModes = Od.Find(0x6502, 0);
        _homeOffset = Od.Find(0x607C, 0);
        _homingMethod = Od.Find(0x6098, 0);
        _switchSpeed = Od.Find(0x6099, 1);
        _zeroSpeed = Od.Find(0x6099, 2);
        _homingAcceleration = Od.Find(0x609A, 0);
        Feedback.Statusword = 0x0250; // switch on disabled, remote
    }

    /// <summary>Whether the model has 0x6077 torque actual.</summary>
    public bool HasTorqueActual => _torqueActual is not null;

    /// <summary>
    /// The Rt bench CiA 402 drive in code: RxPDO 0x1600 = 0x6040, 0x6060, 0x607A, 0x60FF, 0x6071, 0x60B1, 0x60B2, 0x6072,
    /// 0x60FE:01 (25 bytes), TxPDO 0x1A00 = 0x6041, 0x6061, 0x6064, 0x606C, 0x6077, 0x603F (15 bytes). hil/robots/biped12/esi/RtBench-Servo.xml
    /// describes the same device; a test proves the two build identical SII and object dictionaries. Not real-time safe.
    /// </summary>
    public static SlaveDescription RtBenchDescription()
    {
        const OdAccess rx = OdAccess.ReadWrite | OdAccess.RxPdo, tx = OdAccess.Read | OdAccess.TxPdo;
        var objects = new List<ObjectSpec>
        {
            ObjectSpec.Var(0x603F, "Error code", OdDataType.Unsigned16, 16, tx),
            ObjectSpec.Var(0x6040, "Controlword", OdDataType.Unsigned16, 16, rx),
            ObjectSpec.Var(0x6041, "Statusword", OdDataType.Unsigned16, 16, tx),
            ObjectSpec.Var(0x6060, "Modes of operation", OdDataType.Integer8, 8, rx),
            ObjectSpec.Var(0x6061, "Modes of operation display", OdDataType.Integer8, 8, tx),
            ObjectSpec.Var(0x6064, "Position actual value", OdDataType.Integer32, 32, tx),
            ObjectSpec.Var(0x606C, "Velocity actual value", OdDataType.Integer32, 32, tx),
            ObjectSpec.Var(0x6071, "Target torque", OdDataType.Integer16, 16, rx),
            ObjectSpec.Var(0x6072, "Max torque", OdDataType.Unsigned16, 16, rx, [0xB8, 0x0B]), // 3000 ‰ (the model's own peak)
            ObjectSpec.Var(0x6077, "Torque actual value", OdDataType.Integer16, 16, tx),
            ObjectSpec.Var(0x607A, "Target position", OdDataType.Integer32, 32, rx),
            ObjectSpec.Var(0x607C, "Home offset", OdDataType.Integer32, 32, OdAccess.ReadWrite),
            ObjectSpec.Var(0x6098, "Homing method", OdDataType.Integer8, 8, OdAccess.ReadWrite),
            new(0x6099, "Homing speeds", OdObject.Record,
            [
                new(0, "Number of entries", OdDataType.Unsigned8, 8, OdAccess.Read, [2]),
                new(1, "Speed during search for switch", OdDataType.Unsigned32, 32, OdAccess.ReadWrite, [0, 0, 0, 0]),
                new(2, "Speed during search for zero", OdDataType.Unsigned32, 32, OdAccess.ReadWrite, [0, 0, 0, 0]),
            ]),
            ObjectSpec.Var(0x609A, "Homing acceleration", OdDataType.Unsigned32, 32, OdAccess.ReadWrite),
            ObjectSpec.Var(0x60B1, "Velocity offset", OdDataType.Integer32, 32, rx),
            ObjectSpec.Var(0x60B2, "Torque offset", OdDataType.Integer16, 16, rx),
            new(0x60C2, "Interpolation time period", OdObject.Record,
            [
                new(0, "Number of entries", OdDataType.Unsigned8, 8, OdAccess.Read, [2]),
                new(1, "Interpolation time period value", OdDataType.Unsigned8, 8, OdAccess.ReadWrite, [1]),
                new(2, "Interpolation time index", OdDataType.Integer8, 8, OdAccess.ReadWrite, [unchecked((byte)-3)]),
            ]),
            new(0x60FE, "Digital outputs", OdObject.Record,
            [
                new(0, "Number of entries", OdDataType.Unsigned8, 8, OdAccess.Read, [2]),
                new(1, "Physical outputs", OdDataType.Unsigned32, 32, rx, [0, 0, 0, 0]),
                new(2, "Bit mask", OdDataType.Unsigned32, 32, OdAccess.ReadWrite, [1, 0, 1, 0]), // bits 0 and 16: the brake's release and its close under power are the master's
            ]),
            ObjectSpec.Var(0x60FF, "Target velocity", OdDataType.Integer32, 32, rx),
            ObjectSpec.Var(0x6502, "Supported drive modes", OdDataType.Unsigned32, 32, OdAccess.Read, [0xA0, 0x03, 0, 0]), // homing, CSP, CSV, CST
        };
        return new SlaveDescription
        {
            Identity = new DeviceIdentity(DeviceIdentity.RtBenchVendor, ProductCode, RevisionNumber, 1, CiA402ServoDeviceType, "Rt bench servo drive", "RT-SERVO-402"),
            Objects = objects,
            RxPdos = [Pdo(0x1600, "RxPDO 1", 2, objects, (0x6040, 0), (0x6060, 0), (0x607A, 0), (0x60FF, 0), (0x6071, 0), (0x60B1, 0), (0x60B2, 0), (0x6072, 0), (0x60FE, 1))],
            TxPdos = [Pdo(0x1A00, "TxPDO 1", 3, objects, (0x6041, 0), (0x6061, 0), (0x6064, 0), (0x606C, 0), (0x6077, 0), (0x603F, 0))],
            Behaviour = SlaveBehaviour.Cia402Drive,
        };
    }

    private static PdoSpec Pdo(ushort index, string name, int sm, List<ObjectSpec> objects, params (ushort Index, byte Sub)[] mapped)
    {
        var entries = new List<PdoEntrySpec>();
        foreach (var (m, sub) in mapped)
        {
            var o = objects.Find(o => o.Index == m)!;
            var e = o.Entries.First(x => x.SubIndex == sub);
            entries.Add(new PdoEntrySpec(m, sub, (byte)e.BitLength, o.Entries.Count == 1 ? e.Name : o.Name)); // a record's entry is named as its object (the ESI's RxPdo entry name)
        }
        return new PdoSpec(index, name, sm, false, entries);
    }

    protected override uint CheckDeviceWrite(OdEntry entry, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Index == 0x6060)
        {
            int mode = (sbyte)value[0];
            // 0x6502 bit n-1 = mode n supported (CiA 402: bit 7 CSP 8, bit 8 CSV 9, bit 9 CST 10).
            bool supported = mode == 0 || (_supportedModes is { } s ? mode is >= 1 and <= 32 && (s.U32 & (1u << (mode - 1))) != 0 : mode is 8 or 9 or 10);
            if (!supported) return SdoAbort.ValueRange;
        }
        if (entry.Index == 0x60C2 && entry.SubIndex == 1 && value[0] == 0) return SdoAbort.ValueRange;
        if (entry.Index == 0x6098 && !Drives.EmulatedServoDrive.SupportsHomingMethod((sbyte)value[0])) return SdoAbort.ValueRange; // a method it lacks
        return 0;
    }

    protected override void PublishInputs()
    {
        _statusword?.Set(Feedback.Statusword);
        _modeDisplay?.Set(Feedback.ModeDisplay);
        _positionActual?.Set(Feedback.PositionActual);
        _velocityActual?.Set(Feedback.VelocityActual);
        _torqueActual?.Set(Feedback.TorqueActual);
        _errorCode?.Set(Feedback.ErrorCode);
    }

    protected override void ConsumeOutputs()
    {
        Command.Controlword = _controlword?.U16 ?? 0;
        Command.ModeOfOperation = _mode?.I8 ?? 0;
        Command.TargetPosition = _targetPosition?.I32 ?? 0;
        Command.TargetVelocity = _targetVelocity?.I32 ?? 0;
        Command.TargetTorque = _targetTorque?.I16 ?? 0;
        Command.VelocityOffset = _velocityOffset?.I32 ?? 0;
        Command.TorqueOffset = _torqueOffset?.I16 ?? 0;
        Command.MaxTorque = _maxTorque?.U16 ?? 0;
        // 0x60FE:02 says which outputs the master drives; the others read 0 (the drive's own brake logic keeps them).
        Command.DigitalOutputs = (_digitalOutputs?.U32 ?? 0) & (_digitalOutputMask?.U32 ?? 0);
    }
}
