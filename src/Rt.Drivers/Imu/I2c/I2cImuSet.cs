using System.Device.I2c;
using System.Globalization;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Faults;
using Rt.Core.ProcessData;
using Rt.Drivers.Gpio;

namespace Rt.Drivers.Imu.I2c;

/// <summary>
/// The <c>i2c_imus:</c> of a config, opened: one chip, sampler thread and tick-side reader per entry.
/// <see cref="Open"/> refuses bad values (<see cref="InputError"/>, exit 2) and missing or wrong hardware — a bus that is
/// not there, no ACK at the address, a chip ID that does not match — with one <see cref="DeviceUnavailableException"/>
/// line naming the key, bus, address, expected and found ID (exit 3). Opening/disposing: not real-time safe;
/// <see cref="ReadAll"/>: real-time safe.
/// </summary>
public sealed class I2cImuSet : IDisposable
{
    private readonly I2cImuSampler[] _samplers;
    private readonly I2cImuReader[] _readers;

    private I2cImuSet(I2cImuSampler[] samplers, I2cImuReader[] readers)
    {
        _samplers = samplers;
        _readers = readers;
    }

    public IReadOnlyList<I2cImuReader> Readers => _readers;
    public IReadOnlyList<I2cImuSampler> Samplers => _samplers;
    public int Count => _readers.Length;

    /// <summary>
    /// Opens every configured I²C IMU. <paramref name="firstSource"/> is the process-image index of the first one
    /// (they go after the EtherCAT IMUs). <paramref name="startThreads"/> = false for lockstep tests (call
    /// <see cref="I2cImuSampler.SampleOnce"/>). Not real-time safe.
    /// </summary>
    public static I2cImuSet Open(RtConfig config, TimeProvider clock, I2cDeviceSource? i2c = null, int firstSource = 0, bool startThreads = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(clock);
        i2c ??= I2cDeviceSource.Linux;
        var samplers = new List<I2cImuSampler>();
        var readers = new List<I2cImuReader>();
        try
        {
            for (int i = 0; i < config.I2cImus.Count; i++)
            {
                var c = config.I2cImus[i];
                string key = $"i2c_imus[{i.ToString(CultureInfo.InvariantCulture)}]";
                var axes = Validate(c, config.SourcePath, key);
                var chip = OpenChip(c, config.SourcePath, key, i2c);
                var slot = new ImuSampleSlot();
                string name = string.IsNullOrEmpty(c.Name) ? key : c.Name;
                samplers.Add(new I2cImuSampler(name, chip, axes, clock, c.RateHz, slot, startThreads));
                readers.Add(new I2cImuReader(name, firstSource + i, slot, TimeSpan.FromSeconds(c.StaleAfterS)));
            }
        }
        catch
        {
            foreach (var s in samplers) s.Dispose();
            throw;
        }
        return new I2cImuSet([.. samplers], [.. readers]);
    }

    /// <summary>
    /// Real-time safe. Reads every IMU into <paramref name="imus"/>[0..Count) (a slice of the process image) and adds
    /// its faults to <paramref name="faults"/>.
    /// </summary>
    public void ReadAll(Span<ImuInputs> imus, long nowNs, long tick, FaultList faults)
    {
        for (int i = 0; i < _readers.Length && i < imus.Length; i++) _readers[i].Read(ref imus[i], nowNs, tick, faults);
    }

    /// <summary>
    /// Waits until every sampler has published a sample, so the first tick does not see an empty slot as a stale IMU.
    /// The timeout is a duration on <paramref name="clock"/>. Throws <see cref="DeviceUnavailableException"/> naming the
    /// first IMU that stayed silent (exit 3). Not real-time safe (sleeps).
    /// </summary>
    public void WaitForFirstSamples(RtConfig config, TimeProvider clock, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(clock);
        long deadline = ClockNs.Now(clock) + (long)timeout.TotalNanoseconds;
        for (int i = 0; i < _samplers.Length; i++)
        {
            while (_samplers[i].Published == 0)
            {
                if (ClockNs.Now(clock) > deadline)
                {
                    var c = config.I2cImus[i];
                    throw new DeviceUnavailableException(config.SourcePath, $"i2c_imus[{i.ToString(CultureInfo.InvariantCulture)}]",
                        $"no sample from the {c.Chip} at /dev/i2c-{c.Bus.ToString(CultureInfo.InvariantCulture)} address 0x{c.Address:X2} within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s ({_samplers[i].Errors} bus errors); expected samples at {c.RateHz.ToString(CultureInfo.InvariantCulture)} Hz");
                }
                Thread.Sleep(1);
            }
        }
    }

    private static AxisMap Validate(I2cImuConfig c, string source, string key)
    {
        static string Hz(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        double maxRate = c.Chip switch
        {
            "bno055" => 100,
            "mpu6500" or "mpu9250" => 1000,
            _ => throw new InputError(source, key + ".chip", $"unknown I2C IMU chip '{c.Chip}'; expected bno055, mpu6500 or mpu9250"),
        };
        if (c.Bus < 0) throw new InputError(source, key + ".bus", $"expected an I2C bus number >= 0 (/dev/i2c-N); got {c.Bus.ToString(CultureInfo.InvariantCulture)}");
        if (c.Address is < 0x08 or > 0x77)
            throw new InputError(source, key + ".address", $"expected a 7-bit I2C address 0x08..0x77; got 0x{c.Address:X2}");
        if (!(c.RateHz > 0 && c.RateHz <= maxRate))
            throw new InputError(source, key + ".rate_hz", $"expected 0 < rate_hz <= {Hz(maxRate)} for a {c.Chip}; got {Hz(c.RateHz)}");
        if (!(c.StaleAfterS >= 1.0 / c.RateHz && c.StaleAfterS <= 1.0))
            throw new InputError(source, key + ".stale_after_s",
                $"expected one sample period ({Hz(1.0 / c.RateHz)} s) <= stale_after_s <= 1 s; got {Hz(c.StaleAfterS)}");
        if (c.Chip == "bno055")
        {
            if (c.AccelRangeG is not (0 or 4))
                throw new InputError(source, key + ".accel_range_g", $"the BNO055 in fusion mode has a fixed ±4 g range; expected 4; got {c.AccelRangeG.ToString(CultureInfo.InvariantCulture)}");
            if (c.GyroRangeDps is not (0 or 2000))
                throw new InputError(source, key + ".gyro_range_dps", $"the BNO055 in fusion mode has a fixed ±2000 °/s range; expected 2000; got {c.GyroRangeDps.ToString(CultureInfo.InvariantCulture)}");
        }
        else
        {
            if (c.AccelRangeG is not (0 or 2 or 4 or 8 or 16))
                throw new InputError(source, key + ".accel_range_g", $"expected 2, 4, 8 or 16 (g); got {c.AccelRangeG.ToString(CultureInfo.InvariantCulture)}");
            if (c.GyroRangeDps is not (0 or 250 or 500 or 1000 or 2000))
                throw new InputError(source, key + ".gyro_range_dps", $"expected 250, 500, 1000 or 2000 (°/s); got {c.GyroRangeDps.ToString(CultureInfo.InvariantCulture)}");
        }
        return AxisMap.Parse(c.Axes, source, key + ".axes");
    }

    private static II2cImuChip OpenChip(I2cImuConfig c, string source, string key, I2cDeviceSource i2c)
    {
        string where = $"{i2c.BusPath(c.Bus)} address 0x{c.Address:X2}";
        if (!i2c.BusExists(c.Bus))
            throw new DeviceUnavailableException(source, key, $"I2C bus {i2c.BusPath(c.Bus)} not found; expected the bus of a {c.Chip} at 0x{c.Address:X2} (is i2c-dev loaded?)");
        bool bno = c.Chip == "bno055";
        byte idRegister = bno ? ImuChipIds.Bno055ChipIdRegister : ImuChipIds.MpuWhoAmIRegister;
        byte expected = c.Chip switch { "bno055" => ImuChipIds.Bno055ChipId, "mpu6500" => ImuChipIds.Mpu6500WhoAmI, _ => ImuChipIds.Mpu9250WhoAmI };
        var device = i2c.Open(c.Bus, c.Address);
        I2cDevice? magnetometer = null;
        try
        {
            byte found;
            try
            {
                Span<byte> reg = [idRegister];
                Span<byte> id = stackalloc byte[1];
                device.WriteRead(reg, id);
                found = id[0];
            }
            catch (IOException e)
            {
                throw new DeviceUnavailableException(source, key, $"no ACK from {where}; expected a {c.Chip} there ({e.Message})", e);
            }
            if (found != expected)
            {
                throw new DeviceUnavailableException(source, key,
                    $"chip ID mismatch at {where}: expected 0x{expected:X2} ({c.Chip}, register 0x{idRegister:X2}), found 0x{found:X2}{Guess(found)}");
            }
            try
            {
                if (bno) return new Bno055Chip(device);
                if (c.Chip == "mpu9250") magnetometer = i2c.Open(c.Bus, ImuChipIds.Ak8963Address);
                return new Mpu65xxChip(device, c.Chip == "mpu9250", c.AccelRangeG == 0 ? 16 : c.AccelRangeG, c.GyroRangeDps == 0 ? 2000 : c.GyroRangeDps, magnetometer);
            }
            catch (Exception e) when (e is IOException or ArgumentException)
            {
                // The bindings throw IOException (or a bare Exception, caught below) when the chip does not take its setup.
                throw new DeviceUnavailableException(source, key, $"{c.Chip} at {where} did not accept its setup: {e.Message}", e);
            }
        }
        catch
        {
            device.Dispose();
            magnetometer?.Dispose();
            throw;
        }
    }

    private static string Guess(byte id) => id switch
    {
        ImuChipIds.Bno055ChipId => " (a BNO055)",
        ImuChipIds.Mpu6500WhoAmI => " (an MPU-6500)",
        ImuChipIds.Mpu9250WhoAmI => " (an MPU-9250)",
        0x68 => " (an MPU-6050)",
        _ => "",
    };

    public void Dispose()
    {
        foreach (var s in _samplers) s.Dispose();
    }
}
