using System.Buffers.Binary;
using Rt.Core.ProcessData;
using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.EtherCat.Devices;

/// <summary>
/// Decodes the bench IMU's TxPDO into <see cref="ImuInputs"/>. Object dictionary (agreed with the emulator):
/// 0x6000:01..03 specific force REAL32 m/s², 0x6010:01..03 angular rate REAL32 rad/s, 0x6020:00 temperature REAL32 °C,
/// 0x6030:00 sample counter UINT16, 0x6031:00 status UINT16 — default TxPDO 0x1A00 with these 9 entries, no RxPDO.
/// Fields are found in the actual mapping. Construction: not real-time safe. <see cref="Decode"/>: real-time safe.
/// </summary>
public sealed class ImuPdoCodec
{
    private readonly int _fx, _fy, _fz, _wx, _wy, _wz, _temperature, _counter, _status;

    public ImuPdoCodec(IReadOnlyList<Pdo> txPdos, string who)
    {
        _fx = PdoFieldMap.Find(txPdos, 0x6000, 1, 32, who).ByteOffset;
        _fy = PdoFieldMap.Find(txPdos, 0x6000, 2, 32, who).ByteOffset;
        _fz = PdoFieldMap.Find(txPdos, 0x6000, 3, 32, who).ByteOffset;
        _wx = PdoFieldMap.Find(txPdos, 0x6010, 1, 32, who).ByteOffset;
        _wy = PdoFieldMap.Find(txPdos, 0x6010, 2, 32, who).ByteOffset;
        _wz = PdoFieldMap.Find(txPdos, 0x6010, 3, 32, who).ByteOffset;
        _temperature = PdoFieldMap.Find(txPdos, 0x6020, 0, 32, who).ByteOffset;
        _counter = PdoFieldMap.Find(txPdos, 0x6030, 0, 16, who).ByteOffset;
        _status = PdoFieldMap.Find(txPdos, 0x6031, 0, 16, who).ByteOffset;
        if (_fx < 0 && _wx < 0) throw new EtherCatException($"{who}: the IMU maps neither specific force 0x6000 nor angular rate 0x6010");
    }

    /// <summary>Reads the IMU's input bytes into <paramref name="imu"/>; unmapped fields are left unchanged. Real-time safe.</summary>
    public void Decode(ReadOnlySpan<byte> inputs, ref ImuInputs imu)
    {
        if (_fx >= 0) imu.SpecificForceX = BinaryPrimitives.ReadSingleLittleEndian(inputs[_fx..]);
        if (_fy >= 0) imu.SpecificForceY = BinaryPrimitives.ReadSingleLittleEndian(inputs[_fy..]);
        if (_fz >= 0) imu.SpecificForceZ = BinaryPrimitives.ReadSingleLittleEndian(inputs[_fz..]);
        if (_wx >= 0) imu.AngularRateX = BinaryPrimitives.ReadSingleLittleEndian(inputs[_wx..]);
        if (_wy >= 0) imu.AngularRateY = BinaryPrimitives.ReadSingleLittleEndian(inputs[_wy..]);
        if (_wz >= 0) imu.AngularRateZ = BinaryPrimitives.ReadSingleLittleEndian(inputs[_wz..]);
        if (_temperature >= 0) imu.TemperatureC = BinaryPrimitives.ReadSingleLittleEndian(inputs[_temperature..]);
        if (_counter >= 0) imu.SampleCounter = BinaryPrimitives.ReadUInt16LittleEndian(inputs[_counter..]);
        if (_status >= 0) imu.Status = BinaryPrimitives.ReadUInt16LittleEndian(inputs[_status..]);
    }
}
