using Rt.Core.ProcessData;
using Rt.Hil.Esc.Mailbox;
using Rt.Hil.Esc.ObjectDictionary;

namespace Rt.Hil.Esc.Devices;

/// <summary>
/// The emulated CiA 402 servo drive (vendor 0x00000E7A "Rt bench", product 0x00000402, revision 0x00010000).
/// The ESC side only moves bytes: after each frame that wrote outputs in OP, the RxPDO (current mapping) is decoded
/// into <see cref="Command"/>; before the master reads inputs, <see cref="Feedback"/> is encoded into the TxPDO.
/// The bench copies <see cref="Command"/> to its drive physics and the physics' state back into <see cref="Feedback"/>
/// every cycle. Construction is not real-time safe; the frame hooks are.
/// Other vendors' drives (e.g. arm6's <see cref="ArmServoDrive"/>) derive from it with their own identity, default
/// PDO map and optional objects; the bench drives them all through <see cref="Command"/>/<see cref="Feedback"/>.
/// </summary>
public class ServoDriveDevice : EmulatedSlave
{
    public const uint ProductCode = 0x00000402, RevisionNumber = 0x00010000;
    public const uint CiA402ServoDeviceType = 0x00020192;

    private static readonly (ushort, byte)[] RxDefault =
    [
        (0x6040, 0), (0x6060, 0), (0x607A, 0), (0x60FF, 0), (0x6071, 0), (0x60B1, 0), (0x60B2, 0),
    ];

    private static readonly (ushort, byte)[] TxDefault =
    [
        (0x6041, 0), (0x6061, 0), (0x6064, 0), (0x606C, 0), (0x6077, 0), (0x603F, 0),
    ];

    private OdEntry _controlword = null!, _mode = null!, _targetPosition = null!, _targetVelocity = null!, _targetTorque = null!,
        _velocityOffset = null!, _torqueOffset = null!, _statusword = null!, _modeDisplay = null!, _positionActual = null!,
        _velocityActual = null!, _errorCode = null!;
    private OdEntry? _torqueActual; // null on a model without 0x6077

    /// <summary>What the master commanded (decoded from the RxPDO after each output update in OP).</summary>
    public DriveOutputs Command;

    /// <summary>What the drive reports (encoded into the TxPDO before each read); set by the bench.</summary>
    public DriveInputs Feedback;

    public ServoDriveDevice(SlaveOptions? options = null)
        : this(new DeviceIdentity(DeviceIdentity.RtBenchVendor, ProductCode, RevisionNumber, 1, CiA402ServoDeviceType, "Rt bench servo drive", "RT-SERVO-402"), options)
    {
    }

    /// <summary>Another drive model: its identity; the derived class gives its PDO map and objects.</summary>
    protected ServoDriveDevice(DeviceIdentity identity, SlaveOptions? options)
        : base(identity, options, hasOutputs: true)
    {
        Feedback.Statusword = 0x0250; // switch on disabled, remote
    }

    /// <summary>Whether the model has 0x6077 torque actual. Read from the base constructor: must not use fields.</summary>
    protected virtual bool HasTorqueActual => true;

    protected override IReadOnlyList<(ushort Index, byte Sub)> DefaultRxPdo => RxDefault;
    protected override IReadOnlyList<(ushort Index, byte Sub)> DefaultTxPdo => TxDefault;

    protected override void AddDeviceObjects(CoeObjectDictionary od)
    {
        ArgumentNullException.ThrowIfNull(od);
        const OdAccess rx = OdAccess.ReadWrite | OdAccess.RxPdo, tx = OdAccess.Read | OdAccess.TxPdo;
        _errorCode = od.AddVar(0x603F, "Error code", OdDataType.Unsigned16, 16, tx);
        _controlword = od.AddVar(0x6040, "Controlword", OdDataType.Unsigned16, 16, rx);
        _statusword = od.AddVar(0x6041, "Statusword", OdDataType.Unsigned16, 16, tx);
        _mode = od.AddVar(0x6060, "Modes of operation", OdDataType.Integer8, 8, rx);
        _modeDisplay = od.AddVar(0x6061, "Modes of operation display", OdDataType.Integer8, 8, tx);
        _positionActual = od.AddVar(0x6064, "Position actual value", OdDataType.Integer32, 32, tx);
        _velocityActual = od.AddVar(0x606C, "Velocity actual value", OdDataType.Integer32, 32, tx);
        _targetTorque = od.AddVar(0x6071, "Target torque", OdDataType.Integer16, 16, rx);
        if (HasTorqueActual) _torqueActual = od.AddVar(0x6077, "Torque actual value", OdDataType.Integer16, 16, tx);
        _targetPosition = od.AddVar(0x607A, "Target position", OdDataType.Integer32, 32, rx);
        _velocityOffset = od.AddVar(0x60B1, "Velocity offset", OdDataType.Integer32, 32, rx);
        _torqueOffset = od.AddVar(0x60B2, "Torque offset", OdDataType.Integer16, 16, rx);
        var period = new OdEntry(0x60C2, 1, "Interpolation time period value", OdDataType.Unsigned8, 8, OdAccess.ReadWrite);
        period.Set((byte)1);
        var periodIndex = new OdEntry(0x60C2, 2, "Interpolation time index", OdDataType.Integer8, 8, OdAccess.ReadWrite);
        periodIndex.Set((sbyte)-3);
        od.Add(new OdObject(0x60C2, "Interpolation time period", OdObject.Record, U8(0x60C2, 0, "Number of entries", 2, OdAccess.Read), period, periodIndex));
        _targetVelocity = od.AddVar(0x60FF, "Target velocity", OdDataType.Integer32, 32, rx);
        od.AddVar(0x6502, "Supported drive modes", OdDataType.Unsigned32, 32, OdAccess.Read).Set(0x0000_0380u); // CSP, CSV, CST
    }

    protected override uint CheckDeviceWrite(OdEntry entry, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Index == 0x6060 && (sbyte)value[0] is not (0 or 8 or 9 or 10)) return SdoAbort.ValueRange;
        if (entry.Index == 0x60C2 && entry.SubIndex == 1 && value[0] == 0) return SdoAbort.ValueRange;
        return 0;
    }

    protected override void PublishInputs()
    {
        _statusword.Set(Feedback.Statusword);
        _modeDisplay.Set(Feedback.ModeDisplay);
        _positionActual.Set(Feedback.PositionActual);
        _velocityActual.Set(Feedback.VelocityActual);
        _torqueActual?.Set(Feedback.TorqueActual);
        _errorCode.Set(Feedback.ErrorCode);
    }

    protected override void ConsumeOutputs()
    {
        Command.Controlword = _controlword.U16;
        Command.ModeOfOperation = _mode.I8;
        Command.TargetPosition = _targetPosition.I32;
        Command.TargetVelocity = _targetVelocity.I32;
        Command.TargetTorque = _targetTorque.I16;
        Command.VelocityOffset = _velocityOffset.I32;
        Command.TorqueOffset = _torqueOffset.I16;
    }
}
