namespace Rt.Core.Config;

/// <summary>
/// An IMU wired to an I²C bus of the controller itself (not an EtherCAT slave): <c>i2c_imus:</c>, one entry per chip.
/// Read by <c>Rt.Drivers.Imu.I2c.I2cImuSet</c>; sampled on its own thread, handed to the tick through a lock-free slot.
/// Not real-time safe (config object).
/// </summary>
public sealed class I2cImuConfig
{
    public string Name { get; set; } = "";

    /// <summary>Link the IMU is mounted on (as for EtherCAT IMUs; informational for the drivers).</summary>
    public string Link { get; set; } = "";

    /// <summary>I²C bus number: /dev/i2c-N.</summary>
    public int Bus { get; set; } = -1;

    /// <summary>7-bit device address (0x08..0x77), e.g. 0x28 for a BNO055, 0x68 for an MPU-6500/9250.</summary>
    public int Address { get; set; } = -1;

    /// <summary>"bno055", "mpu6500" or "mpu9250".</summary>
    public string Chip { get; set; } = "";

    /// <summary>
    /// Body-frame axes as a signed permutation of the chip's axes, e.g. [x, -y, -z]: body x = chip x, body y = -chip y,
    /// body z = -chip z. Each chip axis exactly once.
    /// </summary>
    public List<string> Axes { get; set; } = ["x", "y", "z"];

    /// <summary>Sampling rate of the sampler thread, Hz (bno055 ≤ 100, mpu65xx ≤ 1000).</summary>
    public double RateHz { get; set; } = 100;

    /// <summary>A sample older than this (injected clock) raises <c>FaultCode.ImuStale</c> in the tick.</summary>
    public double StaleAfterS { get; set; } = 0.05;

    /// <summary>Accelerometer full scale, g (mpu65xx: 2, 4, 8, 16; bno055: 4, fixed in fusion mode); 0 = 16 (mpu) / 4 (bno055).</summary>
    public int AccelRangeG { get; set; }

    /// <summary>Gyroscope full scale, °/s (mpu65xx: 250, 500, 1000, 2000; bno055: 2000); 0 = 2000.</summary>
    public int GyroRangeDps { get; set; }

    /// <summary>Mounting position in the link frame, metres (the twin predicts the IMU there).</summary>
    public double[] Xyz { get; set; } = [0, 0, 0];

    /// <summary>Mounting orientation of the body-frame axes (after <see cref="Axes"/>) in the link frame, roll-pitch-yaw radians.</summary>
    public double[] Rpy { get; set; } = [0, 0, 0];

    /// <summary>Accelerometer full scale actually used, g (0 resolved to the chip default).</summary>
    public int EffectiveAccelRangeG => AccelRangeG != 0 ? AccelRangeG : Chip == "bno055" ? 4 : 16;

    /// <summary>Gyroscope full scale actually used, °/s.</summary>
    public int EffectiveGyroRangeDps => GyroRangeDps != 0 ? GyroRangeDps : 2000;

    /// <summary>
    /// The IMU as the twin, the supervisor and the plant see every IMU: a mount on a link with its ranges and rate.
    /// <c>Device</c> is -1 (not on the bus). Not real-time safe.
    /// </summary>
    public ImuConfig AsImu() => new()
    {
        Name = Name,
        Link = Link,
        Device = -1,
        Xyz = Xyz,
        Rpy = Rpy,
        AccelRangeMs2 = EffectiveAccelRangeG * 9.80665,
        GyroRangeRadS = EffectiveGyroRangeDps * Math.PI / 180,
        RateHz = RateHz,
    };
}
