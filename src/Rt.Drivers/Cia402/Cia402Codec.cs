using System.Buffers.Binary;
using System.Text;
using Rt.Core.Config;
using Rt.Core.ProcessData;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.Cia402;

/// <summary>One CiA 402 object a codec looks for: index, subindex, its data-type size in bits, and its name.</summary>
public readonly record struct Cia402Object(ushort Index, byte SubIndex, int Bits, string Name)
{
    public override string ToString() => $"0x{Index:X4} {Name}";

    public static readonly Cia402Object Controlword = new(0x6040, 0, 16, "controlword");
    public static readonly Cia402Object Statusword = new(0x6041, 0, 16, "statusword");
    public static readonly Cia402Object ModeOfOperation = new(0x6060, 0, 8, "modes of operation");
    public static readonly Cia402Object ModeDisplay = new(0x6061, 0, 8, "modes of operation display");
    public static readonly Cia402Object ErrorCode = new(0x603F, 0, 16, "error code");
    public static readonly Cia402Object PositionActual = new(0x6064, 0, 32, "position actual");
    public static readonly Cia402Object VelocityActual = new(0x606C, 0, 32, "velocity actual");
    public static readonly Cia402Object TargetTorque = new(0x6071, 0, 16, "target torque");
    public static readonly Cia402Object TorqueActual = new(0x6077, 0, 16, "torque actual");
    public static readonly Cia402Object TargetPosition = new(0x607A, 0, 32, "target position");
    public static readonly Cia402Object VelocityOffset = new(0x60B1, 0, 32, "velocity offset");
    public static readonly Cia402Object TorqueOffset = new(0x60B2, 0, 16, "torque offset");
    public static readonly Cia402Object DigitalInputs = new(0x60FD, 0, 32, "digital inputs");
    public static readonly Cia402Object TargetVelocity = new(0x60FF, 0, 32, "target velocity");
    public static readonly Cia402Object MaxTorque = new(0x6072, 0, 16, "max torque");
    public static readonly Cia402Object DigitalOutputs = new(0x60FE, 1, 32, "digital outputs");

    /// <summary>The target (RxPDO) and actual (TxPDO) object a joint's mode cannot do without, besides controlword/statusword.</summary>
    public static (Cia402Object Target, Cia402Object Actual) ForMode(JointMode mode) => mode switch
    {
        JointMode.Csv => (TargetVelocity, VelocityActual),
        JointMode.Cst => (TargetTorque, TorqueActual),
        _ => (TargetPosition, PositionActual),
    };
}

/// <summary>
/// Generic CiA 402 axis codec: copies one drive's process data between its bytes in the LRW frame and
/// <see cref="DriveOutputs"/>/<see cref="DriveInputs"/>, wherever the drive's actual PDO mapping puts each object
/// (found by index:subindex at prepare time; offsets accumulate the mapped bit lengths, gaps included). Nothing here
/// assumes the bench drive's layout.
/// <para>Mandatory, else refused with one line naming the joint, the slave and the object: controlword 0x6040 (RxPDO),
/// statusword 0x6041 and position actual 0x6064 (TxPDO: the position limits need it in every mode), and the target and
/// actual of the joint's <see cref="JointMode"/> (CSP 0x607A/0x6064, CSV 0x60FF/0x606C, CST 0x6071/0x6077).
/// Optional (<see cref="Feedback"/> says which are there): 0x606C, 0x6077, 0x603F, 0x60FD, 0x6061; and on the output
/// side 0x6060 (else the mode is set by SDO), the other modes' targets, the feed-forwards 0x60B1/0x60B2, 0x6072 max
/// torque (the collision hold's torque limit: <see cref="MapsMaxTorque"/>) and 0x60FE:01 digital outputs (the holding
/// brake's release, bit 0: <see cref="MapsDigitalOutputs"/>); a drive without them has those features off.</para>
/// An object mapped off a byte boundary or with a size other than its CiA 402 data type is refused too.
/// Construction: not real-time safe. <see cref="Encode"/>/<see cref="Decode"/>: real-time safe, no allocation.
/// </summary>
public sealed class Cia402Codec
{
    private readonly int _controlword, _mode, _targetPosition, _targetVelocity, _targetTorque, _velocityOffset, _torqueOffset, _maxTorque, _digitalOutputs;
    private readonly int _statusword, _modeDisplay, _position, _velocity, _torque, _errorCode, _digitalInputs;

    /// <summary>A CSP codec (the bench's default); see <see cref="Cia402Codec(IReadOnlyList{Pdo}, IReadOnlyList{Pdo}, JointMode, string, int)"/>.</summary>
    public Cia402Codec(IReadOnlyList<Pdo> rxPdos, IReadOnlyList<Pdo> txPdos, string who)
        : this(rxPdos, txPdos, JointMode.Csp, who) { }

    /// <param name="rxPdos">The drive's RxPDOs as assigned (SM2), in order.</param>
    /// <param name="txPdos">The drive's TxPDOs as assigned (SM3), in order.</param>
    /// <param name="mode">The joint's mode: decides which target and actual are mandatory.</param>
    /// <param name="who">Names the joint and the slave in messages, e.g. "joint l_knee (drive at bus position 3, …)".</param>
    /// <param name="position">Bus position for <see cref="EtherCatException.Position"/>.</param>
    /// <exception cref="EtherCatException"><see cref="BusErrorKind.ConfigMismatch"/> when a mandatory object is missing or mis-sized.</exception>
    public Cia402Codec(IReadOnlyList<Pdo> rxPdos, IReadOnlyList<Pdo> txPdos, JointMode mode, string who, int position = -1)
    {
        ArgumentNullException.ThrowIfNull(rxPdos);
        ArgumentNullException.ThrowIfNull(txPdos);
        Mode = mode;
        Who = who;
        _controlword = Find(rxPdos, Cia402Object.Controlword, who, position);
        _mode = Find(rxPdos, Cia402Object.ModeOfOperation, who, position);
        _targetPosition = Find(rxPdos, Cia402Object.TargetPosition, who, position);
        _targetVelocity = Find(rxPdos, Cia402Object.TargetVelocity, who, position);
        _targetTorque = Find(rxPdos, Cia402Object.TargetTorque, who, position);
        _velocityOffset = Find(rxPdos, Cia402Object.VelocityOffset, who, position);
        _torqueOffset = Find(rxPdos, Cia402Object.TorqueOffset, who, position);
        _maxTorque = Find(rxPdos, Cia402Object.MaxTorque, who, position);
        _digitalOutputs = Find(rxPdos, Cia402Object.DigitalOutputs, who, position);
        _statusword = Find(txPdos, Cia402Object.Statusword, who, position);
        _modeDisplay = Find(txPdos, Cia402Object.ModeDisplay, who, position);
        _position = Find(txPdos, Cia402Object.PositionActual, who, position);
        _velocity = Find(txPdos, Cia402Object.VelocityActual, who, position);
        _torque = Find(txPdos, Cia402Object.TorqueActual, who, position);
        _errorCode = Find(txPdos, Cia402Object.ErrorCode, who, position);
        _digitalInputs = Find(txPdos, Cia402Object.DigitalInputs, who, position);

        var (target, actual) = Cia402Object.ForMode(mode);
        string modeName = mode.ToString().ToLowerInvariant();
        Require(_controlword, Cia402Object.Controlword, "RxPDO", "every CiA 402 drive", rxPdos);
        Require(_statusword, Cia402Object.Statusword, "TxPDO", "every CiA 402 drive", txPdos);
        Require(OffsetOf(target), target, "RxPDO", $"mode {modeName}", rxPdos);
        Require(OffsetOf(actual), actual, "TxPDO", $"mode {modeName}", txPdos);
        Require(_position, Cia402Object.PositionActual, "TxPDO", "the position limits (every mode)", txPdos);

        var f = DriveFeedback.None;
        if (_velocity >= 0) f |= DriveFeedback.Velocity;
        if (_torque >= 0) f |= DriveFeedback.Torque;
        if (_errorCode >= 0) f |= DriveFeedback.ErrorCode;
        if (_digitalInputs >= 0) f |= DriveFeedback.DigitalInputs;
        if (_modeDisplay >= 0) f |= DriveFeedback.ModeDisplay;
        Feedback = f;

        void Require(int offset, Cia402Object o, string direction, string neededBy, IReadOnlyList<Pdo> pdos)
        {
            if (offset >= 0) return;
            throw new EtherCatException(BusErrorKind.ConfigMismatch,
                $"{who}: {neededBy} needs {o} (0x{o.Index:X4}:{o.SubIndex:X2}) in the {direction} mapping, which holds {Describe(pdos)}; map it (startup PDO configuration) or change joints[].mode",
                position);
        }
    }

    public JointMode Mode { get; }
    public string Who { get; }

    /// <summary>The optional feedback objects this drive maps.</summary>
    public DriveFeedback Feedback { get; }

    public bool MapsModeOfOperation => _mode >= 0;
    public bool MapsTargetPosition => _targetPosition >= 0;
    public bool MapsTargetVelocity => _targetVelocity >= 0;
    public bool MapsTargetTorque => _targetTorque >= 0;
    public bool MapsPositionActual => _position >= 0;

    /// <summary>0x6072 max torque is in the RxPDO: the collision hold can lower the drive's torque limit on the tick.</summary>
    public bool MapsMaxTorque => _maxTorque >= 0;

    /// <summary>0x60FE:01 digital outputs is in the RxPDO: the host can release the drive's holding brake (bit 0).</summary>
    public bool MapsDigitalOutputs => _digitalOutputs >= 0;

    /// <summary>Byte offset of a mapped object in the drive's outputs or inputs, −1 when not mapped (diagnostics, tests).</summary>
    public int OffsetOf(Cia402Object o) => o.Index switch
    {
        0x60FE when o.SubIndex == 1 => _digitalOutputs,
        0x6072 => _maxTorque,
        0x6040 => _controlword,
        0x6060 => _mode,
        0x607A => _targetPosition,
        0x60FF => _targetVelocity,
        0x6071 => _targetTorque,
        0x60B1 => _velocityOffset,
        0x60B2 => _torqueOffset,
        0x6041 => _statusword,
        0x6061 => _modeDisplay,
        0x6064 => _position,
        0x606C => _velocity,
        0x6077 => _torque,
        0x603F => _errorCode,
        0x60FD => _digitalInputs,
        _ => -1,
    };

    /// <summary>Writes <paramref name="o"/> into the drive's output bytes; objects it does not map are skipped. Real-time safe.</summary>
    public void Encode(in DriveOutputs o, Span<byte> outputs)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(outputs[_controlword..], o.Controlword);
        if (_mode >= 0) outputs[_mode] = unchecked((byte)o.ModeOfOperation);
        if (_targetPosition >= 0) BinaryPrimitives.WriteInt32LittleEndian(outputs[_targetPosition..], o.TargetPosition);
        if (_targetVelocity >= 0) BinaryPrimitives.WriteInt32LittleEndian(outputs[_targetVelocity..], o.TargetVelocity);
        if (_targetTorque >= 0) BinaryPrimitives.WriteInt16LittleEndian(outputs[_targetTorque..], o.TargetTorque);
        if (_velocityOffset >= 0) BinaryPrimitives.WriteInt32LittleEndian(outputs[_velocityOffset..], o.VelocityOffset);
        if (_torqueOffset >= 0) BinaryPrimitives.WriteInt16LittleEndian(outputs[_torqueOffset..], o.TorqueOffset);
        if (_maxTorque >= 0) BinaryPrimitives.WriteUInt16LittleEndian(outputs[_maxTorque..], o.MaxTorque);
        if (_digitalOutputs >= 0) BinaryPrimitives.WriteUInt32LittleEndian(outputs[_digitalOutputs..], o.DigitalOutputs);
    }

    /// <summary>Reads the drive's input bytes into <paramref name="i"/>; fields it does not map are left unchanged. Real-time safe.</summary>
    public void Decode(ReadOnlySpan<byte> inputs, ref DriveInputs i)
    {
        i.Statusword = BinaryPrimitives.ReadUInt16LittleEndian(inputs[_statusword..]);
        if (_modeDisplay >= 0) i.ModeDisplay = unchecked((sbyte)inputs[_modeDisplay]);
        if (_position >= 0) i.PositionActual = BinaryPrimitives.ReadInt32LittleEndian(inputs[_position..]);
        if (_velocity >= 0) i.VelocityActual = BinaryPrimitives.ReadInt32LittleEndian(inputs[_velocity..]);
        if (_torque >= 0) i.TorqueActual = BinaryPrimitives.ReadInt16LittleEndian(inputs[_torque..]);
        if (_errorCode >= 0) i.ErrorCode = BinaryPrimitives.ReadUInt16LittleEndian(inputs[_errorCode..]);
        if (_digitalInputs >= 0) i.DigitalInputs = BinaryPrimitives.ReadUInt32LittleEndian(inputs[_digitalInputs..]);
    }

    /// <summary>
    /// Byte offset of <paramref name="o"/> in the PDOs (entries in order, bit offsets accumulated, index-0 gaps counted),
    /// or −1. Refuses an object off a byte boundary or not of its data type's size. Not real-time safe.
    /// </summary>
    public static int Find(IReadOnlyList<Pdo> pdos, Cia402Object o, string who, int position = -1)
    {
        ArgumentNullException.ThrowIfNull(pdos);
        int bit = 0;
        foreach (var pdo in pdos)
        {
            foreach (var e in pdo.Entries)
            {
                if (e.Index == o.Index && e.SubIndex == o.SubIndex)
                {
                    if (bit % 8 != 0)
                        throw new EtherCatException(BusErrorKind.ConfigMismatch, $"{who}: object 0x{o.Index:X4}:{o.SubIndex:X2} ({o.Name}) is mapped at bit {bit}, not on a byte boundary", position);
                    if (e.BitLength != o.Bits)
                        throw new EtherCatException(BusErrorKind.ConfigMismatch, $"{who}: object 0x{o.Index:X4}:{o.SubIndex:X2} is mapped with {e.BitLength} bits, {o.Bits} expected ({o.Name})", position);
                    return bit / 8;
                }
                bit += e.BitLength;
            }
        }
        return -1;
    }

    private static string Describe(IReadOnlyList<Pdo> pdos)
    {
        var sb = new StringBuilder();
        foreach (var pdo in pdos)
            foreach (var e in pdo.Entries)
            {
                if (e.Index == 0) continue;
                if (sb.Length > 0) sb.Append(", ");
                sb.Append($"0x{e.Index:X4}:{e.SubIndex:X2}");
            }
        return sb.Length == 0 ? "nothing" : sb.ToString();
    }
}
