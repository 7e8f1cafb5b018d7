using System.Buffers.Binary;
using System.Device.I2c;
using Iot.Device.Bno055;
using Iot.Device.Imu;
using Rt.Core.ProcessData;

namespace Rt.Drivers.Imu.I2c;

/// <summary>
/// One IMU chip on I²C: the Iot.Device.Bindings binding resets and configures it; <see cref="Read"/> then takes the
/// data registers in ONE burst so accelerometer and gyroscope come from the same instant and the raw counts are at
/// hand for the saturation check. Read: sampler thread only (bus I/O), no allocation.
/// </summary>
public interface II2cImuChip : IDisposable
{
    string Model { get; }

    /// <summary>Full scale in SI: m/s² and rad/s (a sample at or beyond it is saturated).</summary>
    double AccelFullScale { get; }
    double GyroFullScale { get; }

    /// <summary>Reads one sample in the chip frame into <paramref name="s"/> (SI, saturation bits). Throws IOException on a bus error.</summary>
    void Read(ref I2cImuSample s);
}

/// <summary>Register numbers and identities the opener checks before handing the device to a binding (datasheets).</summary>
public static class ImuChipIds
{
    /// <summary>BNO055 (BST-BNO055-DS000 §4.3): CHIP_ID at page-0 register 0x00 reads 0xA0.</summary>
    public const byte Bno055ChipIdRegister = 0x00, Bno055ChipId = 0xA0;

    /// <summary>MPU-6500 / MPU-9250 (register maps §4.x): WHO_AM_I at 0x75 reads 0x70 / 0x71.</summary>
    public const byte MpuWhoAmIRegister = 0x75, Mpu6500WhoAmI = 0x70, Mpu9250WhoAmI = 0x71;

    /// <summary>AK8963 magnetometer inside the MPU-9250 (bypass address 0x0C), WIA = 0x48.</summary>
    public const byte Ak8963Address = 0x0C;
}

/// <summary>
/// BNO055 in IMU fusion mode (OPR_MODE 0x08: accelerometer + gyroscope, 100 Hz output, accelerometer fixed at ±4 g,
/// gyroscope ±2000 °/s). Units as the binding sets UNIT_SEL: 1 m/s² = 100 LSB, 1 °/s = 16 LSB.
/// </summary>
public sealed class Bno055Chip : II2cImuChip
{
    private const byte AccDataXLsb = 0x08, Temp = 0x34;
    private const double Gravity = 9.80665;
    private const int AccelLsbPerMs2 = 100, GyroLsbPerDps = 16;
    private readonly I2cDevice _device;
    private readonly Bno055Sensor _sensor;
    private readonly int _accelSatLsb, _gyroSatLsb;

    public Bno055Chip(I2cDevice device)
    {
        _device = device;
        _sensor = new Bno055Sensor(device, OperationMode.AccelerometerGyroscopeRelativeOrientation, false);
        AccelFullScale = 4 * Gravity;
        GyroFullScale = 2000 * Math.PI / 180;
        // The fusion output clips at the range: a count within one LSB of full scale is saturation.
        _accelSatLsb = (int)Math.Floor(AccelFullScale * AccelLsbPerMs2) - 1;
        _gyroSatLsb = 2000 * GyroLsbPerDps - 1;
    }

    public string Model => "bno055";
    public double AccelFullScale { get; }
    public double GyroFullScale { get; }

    public void Read(ref I2cImuSample s)
    {
        // ACC_DATA (0x08..0x0D), MAG_DATA (0x0E..0x13), GYR_DATA (0x14..0x19): one 18-byte burst, little-endian.
        Span<byte> reg = [AccDataXLsb];
        Span<byte> d = stackalloc byte[18];
        _device.WriteRead(reg, d);
        short ax = BinaryPrimitives.ReadInt16LittleEndian(d), ay = BinaryPrimitives.ReadInt16LittleEndian(d[2..]), az = BinaryPrimitives.ReadInt16LittleEndian(d[4..]);
        short gx = BinaryPrimitives.ReadInt16LittleEndian(d[12..]), gy = BinaryPrimitives.ReadInt16LittleEndian(d[14..]), gz = BinaryPrimitives.ReadInt16LittleEndian(d[16..]);
        Span<byte> t = stackalloc byte[1];
        reg[0] = Temp;
        _device.WriteRead(reg, t);
        s.AccelX = ax / (float)AccelLsbPerMs2;
        s.AccelY = ay / (float)AccelLsbPerMs2;
        s.AccelZ = az / (float)AccelLsbPerMs2;
        const float radPerLsb = (float)(Math.PI / 180 / GyroLsbPerDps);
        s.GyroX = gx * radPerLsb;
        s.GyroY = gy * radPerLsb;
        s.GyroZ = gz * radPerLsb;
        s.TemperatureC = (sbyte)t[0];
        s.Status = (ushort)((Saturated(ax, ay, az, _accelSatLsb) ? ImuStatus.AccelSaturated : 0)
            | (Saturated(gx, gy, gz, _gyroSatLsb) ? ImuStatus.GyroSaturated : 0));
    }

    internal static bool Saturated(int x, int y, int z, int lsb) => Math.Abs(x) >= lsb || Math.Abs(y) >= lsb || Math.Abs(z) >= lsb;

    public void Dispose()
    {
        _sensor.Dispose();
        _device.Dispose();
    }
}

/// <summary>
/// MPU-6500 or MPU-9250 (its MPU-6500 die; the AK8963 magnetometer is brought up by the binding and not sampled).
/// Full scales from the config (ACCEL_CONFIG 0x1C, GYRO_CONFIG 0x1B); data ACCEL_XOUT_H 0x3B .. GYRO_ZOUT_L 0x48,
/// big-endian, ±32768 counts = full scale; a count at the int16 limit is saturation.
/// </summary>
public sealed class Mpu65xxChip : II2cImuChip
{
    private const byte AccelXoutH = 0x3B;
    private const double Gravity = 9.80665;
    private readonly I2cDevice _device;
    private readonly I2cDevice? _magnetometer;
    private readonly Mpu6500 _sensor;
    private readonly float _accelPerLsb, _gyroPerLsb;

    public Mpu65xxChip(I2cDevice device, bool mpu9250, int accelRangeG, int gyroRangeDps, I2cDevice? magnetometer)
    {
        _device = device;
        _magnetometer = magnetometer;
        _sensor = mpu9250 ? new Mpu9250(device, shouldDispose: false, magnetometer) : new Mpu6500(device);
        _sensor.AccelerometerRange = accelRangeG switch
        {
            2 => AccelerometerRange.Range02G, 4 => AccelerometerRange.Range04G, 8 => AccelerometerRange.Range08G, 16 => AccelerometerRange.Range16G,
            _ => throw new ArgumentOutOfRangeException(nameof(accelRangeG)),
        };
        _sensor.GyroscopeRange = gyroRangeDps switch
        {
            250 => GyroscopeRange.Range0250Dps, 500 => GyroscopeRange.Range0500Dps, 1000 => GyroscopeRange.Range1000Dps, 2000 => GyroscopeRange.Range2000Dps,
            _ => throw new ArgumentOutOfRangeException(nameof(gyroRangeDps)),
        };
        Model = mpu9250 ? "mpu9250" : "mpu6500";
        AccelFullScale = accelRangeG * Gravity;
        GyroFullScale = gyroRangeDps * Math.PI / 180;
        _accelPerLsb = (float)(AccelFullScale / 32768);
        _gyroPerLsb = (float)(GyroFullScale / 32768);
    }

    public string Model { get; }
    public double AccelFullScale { get; }
    public double GyroFullScale { get; }

    public void Read(ref I2cImuSample s)
    {
        Span<byte> reg = [AccelXoutH];
        Span<byte> d = stackalloc byte[14];
        _device.WriteRead(reg, d);
        short ax = BinaryPrimitives.ReadInt16BigEndian(d), ay = BinaryPrimitives.ReadInt16BigEndian(d[2..]), az = BinaryPrimitives.ReadInt16BigEndian(d[4..]);
        short t = BinaryPrimitives.ReadInt16BigEndian(d[6..]);
        short gx = BinaryPrimitives.ReadInt16BigEndian(d[8..]), gy = BinaryPrimitives.ReadInt16BigEndian(d[10..]), gz = BinaryPrimitives.ReadInt16BigEndian(d[12..]);
        s.AccelX = ax * _accelPerLsb;
        s.AccelY = ay * _accelPerLsb;
        s.AccelZ = az * _accelPerLsb;
        s.GyroX = gx * _gyroPerLsb;
        s.GyroY = gy * _gyroPerLsb;
        s.GyroZ = gz * _gyroPerLsb;
        s.TemperatureC = (float)(t / 333.87 + 21); // MPU-6500 register map: TEMP_degC = TEMP_OUT / 333.87 + 21
        s.Status = (ushort)((Bno055Chip.Saturated(ax, ay, az, short.MaxValue) ? ImuStatus.AccelSaturated : 0)
            | (Bno055Chip.Saturated(gx, gy, gz, short.MaxValue) ? ImuStatus.GyroSaturated : 0));
    }

    public void Dispose()
    {
        _sensor.Dispose();
        _device.Dispose();
        _magnetometer?.Dispose();
    }
}
