using System.Buffers.Binary;
using Rt.Core.ProcessData;
using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.EtherCat.Devices;

/// <summary>
/// Copies a CiA 402 drive's process data between the LRW frame bytes and <see cref="DriveOutputs"/>/<see cref="DriveInputs"/>.
/// Field positions come from the slave's actual mapping (found by object index/subindex at prepare time); objects the
/// drive does not map are skipped on output and left at their default on input.
/// Construction: not real-time safe. <see cref="Encode"/>/<see cref="Decode"/>: real-time safe.
/// </summary>
public sealed class Cia402PdoCodec
{
    private readonly int _controlword, _mode, _targetPosition, _targetVelocity, _targetTorque, _velocityOffset, _torqueOffset;
    private readonly int _statusword, _modeDisplay, _position, _velocity, _torque, _errorCode;

    public Cia402PdoCodec(IReadOnlyList<Pdo> rxPdos, IReadOnlyList<Pdo> txPdos, string who)
    {
        _controlword = PdoFieldMap.Find(rxPdos, 0x6040, 0, 16, who).ByteOffset;
        _mode = PdoFieldMap.Find(rxPdos, 0x6060, 0, 8, who).ByteOffset;
        _targetPosition = PdoFieldMap.Find(rxPdos, 0x607A, 0, 32, who).ByteOffset;
        _targetVelocity = PdoFieldMap.Find(rxPdos, 0x60FF, 0, 32, who).ByteOffset;
        _targetTorque = PdoFieldMap.Find(rxPdos, 0x6071, 0, 16, who).ByteOffset;
        _velocityOffset = PdoFieldMap.Find(rxPdos, 0x60B1, 0, 32, who).ByteOffset;
        _torqueOffset = PdoFieldMap.Find(rxPdos, 0x60B2, 0, 16, who).ByteOffset;
        _statusword = PdoFieldMap.Find(txPdos, 0x6041, 0, 16, who).ByteOffset;
        _modeDisplay = PdoFieldMap.Find(txPdos, 0x6061, 0, 8, who).ByteOffset;
        _position = PdoFieldMap.Find(txPdos, 0x6064, 0, 32, who).ByteOffset;
        _velocity = PdoFieldMap.Find(txPdos, 0x606C, 0, 32, who).ByteOffset;
        _torque = PdoFieldMap.Find(txPdos, 0x6077, 0, 16, who).ByteOffset;
        _errorCode = PdoFieldMap.Find(txPdos, 0x603F, 0, 16, who).ByteOffset;
        if (_controlword < 0 || _statusword < 0)
            throw new EtherCatException($"{who}: a CiA 402 drive must map controlword 0x6040 (RxPDO) and statusword 0x6041 (TxPDO)");
        if (_targetPosition < 0 && _targetVelocity < 0 && _targetTorque < 0)
            throw new EtherCatException($"{who}: the drive maps none of 0x607A, 0x60FF, 0x6071: nothing to command");
    }

    /// <summary>Whether the drive maps 0x607A target position / 0x6064 position actual etc. (for diagnostics).</summary>
    public bool MapsTargetPosition => _targetPosition >= 0;
    public bool MapsTargetVelocity => _targetVelocity >= 0;
    public bool MapsTargetTorque => _targetTorque >= 0;
    public bool MapsPositionActual => _position >= 0;

    /// <summary>Writes <paramref name="o"/> into the drive's output bytes. Real-time safe.</summary>
    public void Encode(in DriveOutputs o, Span<byte> outputs)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(outputs[_controlword..], o.Controlword);
        if (_mode >= 0) outputs[_mode] = unchecked((byte)o.ModeOfOperation);
        if (_targetPosition >= 0) BinaryPrimitives.WriteInt32LittleEndian(outputs[_targetPosition..], o.TargetPosition);
        if (_targetVelocity >= 0) BinaryPrimitives.WriteInt32LittleEndian(outputs[_targetVelocity..], o.TargetVelocity);
        if (_targetTorque >= 0) BinaryPrimitives.WriteInt16LittleEndian(outputs[_targetTorque..], o.TargetTorque);
        if (_velocityOffset >= 0) BinaryPrimitives.WriteInt32LittleEndian(outputs[_velocityOffset..], o.VelocityOffset);
        if (_torqueOffset >= 0) BinaryPrimitives.WriteInt16LittleEndian(outputs[_torqueOffset..], o.TorqueOffset);
    }

    /// <summary>Reads the drive's input bytes into <paramref name="i"/>; unmapped fields are left unchanged. Real-time safe.</summary>
    public void Decode(ReadOnlySpan<byte> inputs, ref DriveInputs i)
    {
        i.Statusword = BinaryPrimitives.ReadUInt16LittleEndian(inputs[_statusword..]);
        if (_modeDisplay >= 0) i.ModeDisplay = unchecked((sbyte)inputs[_modeDisplay]);
        if (_position >= 0) i.PositionActual = BinaryPrimitives.ReadInt32LittleEndian(inputs[_position..]);
        if (_velocity >= 0) i.VelocityActual = BinaryPrimitives.ReadInt32LittleEndian(inputs[_velocity..]);
        if (_torque >= 0) i.TorqueActual = BinaryPrimitives.ReadInt16LittleEndian(inputs[_torque..]);
        if (_errorCode >= 0) i.ErrorCode = BinaryPrimitives.ReadUInt16LittleEndian(inputs[_errorCode..]);
    }
}
