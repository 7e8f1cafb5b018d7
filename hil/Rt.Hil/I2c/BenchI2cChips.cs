using System.Buffers.Binary;
using System.Device.I2c;
using Rt.Core.Config;
using Rt.Drivers.Gpio;

namespace Rt.Hil.I2c;

/// <summary>
/// A register-level I²C chip on the bench: a write's first byte sets the register pointer, further bytes are written
/// with auto-increment; reads return registers from the pointer with auto-increment (as the BNO055 and MPU-6500/9250
/// do). An absent chip (<see cref="Present"/> = false) fails every transfer with the IOException Linux's i2c-dev gives
/// for a missing ACK — the bench's way to pull a chip off the bus. Transfers: no allocation.
/// </summary>
public class BenchI2cDevice(int bus, int address) : I2cDevice
{
    protected readonly byte[] Regs = new byte[256];
    private byte _pointer;

    /// <summary>False: the chip no longer acknowledges (a fault injection). Settable from another thread.</summary>
    public bool Present { get; set; } = true;

    public override I2cConnectionSettings ConnectionSettings { get; } = new(bus, address);

    public byte this[int register]
    {
        get => Regs[register];
        set => Regs[register] = value;
    }

    private void Ack()
    {
        if (!Present) throw new IOException($"Error 6 performing I2C data transfer (no ACK at 0x{ConnectionSettings.DeviceAddress:X2}).");
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Ack();
        if (buffer.Length == 0) return;
        _pointer = buffer[0];
        for (int i = 1; i < buffer.Length; i++) OnWrite(_pointer++, buffer[i]);
    }

    public override void Read(Span<byte> buffer)
    {
        Ack();
        for (int i = 0; i < buffer.Length; i++) buffer[i] = Regs[_pointer++];
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    protected virtual void OnWrite(byte register, byte value) => Regs[register] = value;

    /// <summary>Sets the physical input in the chip frame: specific force m/s², angular rate rad/s. Real-time safe.</summary>
    public virtual void SetMotion(double ax, double ay, double az, double gx, double gy, double gz) { }

    protected static short Clip(double v) => (short)Math.Clamp(Math.Round(v), short.MinValue, short.MaxValue);

    protected override void Dispose(bool disposing) { } // the bench owns its chips
}

/// <summary>
/// BNO055 (Bosch BST-BNO055-DS000 table 4-2): identity registers as shipped (CHIP_ID 0xA0, ACC_ID 0xFB, MAG_ID 0x32,
/// GYR_ID 0x0F) and the data registers in the units the binding selects (1 m/s² = 100 LSB, 1 °/s = 16 LSB,
/// little-endian), clipped at the fusion-mode ranges ±4 g and ±2000 °/s as the chip clips them.
/// </summary>
public sealed class BenchBno055 : BenchI2cDevice
{
    public BenchBno055(int bus, int address) : base(bus, address)
    {
        (Regs[0x00], Regs[0x01], Regs[0x02], Regs[0x03]) = (0xA0, 0xFB, 0x32, 0x0F);
        (Regs[0x04], Regs[0x05], Regs[0x06]) = (0x11, 0x03, 0x15);
        Regs[0x41] = 0x24; // AXIS_MAP_CONFIG default
        Regs[0x34] = 25;   // TEMP, °C
    }

    public override void SetMotion(double ax, double ay, double az, double gx, double gy, double gz)
    {
        const double fsAccel = 4 * 9.80665 * 100, fsGyro = 2000 * 16, lsbPerRadS = 16 * 180 / Math.PI;
        Put(0x08, ax * 100, ay * 100, az * 100, fsAccel);
        Put(0x14, gx * lsbPerRadS, gy * lsbPerRadS, gz * lsbPerRadS, fsGyro);
    }

    private void Put(int r, double x, double y, double z, double fs)
    {
        var b = Regs.AsSpan(r, 6);
        BinaryPrimitives.WriteInt16LittleEndian(b, Clip(Math.Clamp(x, -fs, fs)));
        BinaryPrimitives.WriteInt16LittleEndian(b[2..], Clip(Math.Clamp(y, -fs, fs)));
        BinaryPrimitives.WriteInt16LittleEndian(b[4..], Clip(Math.Clamp(z, -fs, fs)));
    }
}

/// <summary>
/// MPU-6500 (WHO_AM_I 0x70) / MPU-9250 (0x71) (InvenSense register maps): PWR_MGMT_1 bit 7 resets the registers,
/// ACCEL_CONFIG[4:3] and GYRO_CONFIG[4:3] select the full scale, and the data registers (big-endian, from 0x3B) follow
/// the physical input at the current scale, clipped to int16 as the ADC clips.
/// </summary>
public sealed class BenchMpu65xx : BenchI2cDevice
{
    private readonly byte _whoAmI;
    private double _ax, _ay, _az, _gx, _gy, _gz;

    public BenchMpu65xx(int bus, int address, byte whoAmI) : base(bus, address)
    {
        _whoAmI = whoAmI;
        ResetRegisters();
    }

    private void ResetRegisters()
    {
        Array.Clear(Regs);
        Regs[0x6B] = 0x01;
        Regs[0x75] = _whoAmI;
        Update();
    }

    private int AccelRangeG => 2 << ((Regs[0x1C] >> 3) & 3);
    private int GyroRangeDps => 250 << ((Regs[0x1B] >> 3) & 3);

    public override void SetMotion(double ax, double ay, double az, double gx, double gy, double gz)
    {
        (_ax, _ay, _az, _gx, _gy, _gz) = (ax, ay, az, gx, gy, gz);
        Update();
    }

    protected override void OnWrite(byte register, byte value)
    {
        if (register == 0x6B && (value & 0x80) != 0)
        {
            ResetRegisters();
            return;
        }
        if (register == 0x75) return; // WHO_AM_I is read-only
        base.OnWrite(register, value);
        if (register is 0x1B or 0x1C) Update();
    }

    private void Update()
    {
        double aLsb = 32768 / (AccelRangeG * 9.80665), gLsb = 32768.0 / GyroRangeDps * 180 / Math.PI;
        var b = Regs.AsSpan(0x3B, 14);
        BinaryPrimitives.WriteInt16BigEndian(b, Clip(_ax * aLsb));
        BinaryPrimitives.WriteInt16BigEndian(b[2..], Clip(_ay * aLsb));
        BinaryPrimitives.WriteInt16BigEndian(b[4..], Clip(_az * aLsb));
        BinaryPrimitives.WriteInt16BigEndian(b[6..], Clip((30 - 21) * 333.87)); // 30 °C
        BinaryPrimitives.WriteInt16BigEndian(b[8..], Clip(_gx * gLsb));
        BinaryPrimitives.WriteInt16BigEndian(b[10..], Clip(_gy * gLsb));
        BinaryPrimitives.WriteInt16BigEndian(b[12..], Clip(_gz * gLsb));
    }
}

/// <summary>AK8963 magnetometer inside the MPU-9250 (AKM datasheet §8): WIA 0x48, fuse ROM sensitivity 1.0.</summary>
public sealed class BenchAk8963 : BenchI2cDevice
{
    public BenchAk8963(int bus) : base(bus, 0x0C)
    {
        (Regs[0x00], Regs[0x01], Regs[0x10], Regs[0x11], Regs[0x12]) = (0x48, 0x9A, 0x80, 0x80, 0x80);
    }

    protected override void OnWrite(byte register, byte value)
    {
        if (register == 0x0B && (value & 1) != 0) return; // CNTL2 SRST self-clears
        base.OnWrite(register, value);
    }
}

/// <summary>
/// The bench's I²C bus (number <see cref="BusNumber"/>): a model of each configured <c>i2c_imus</c> chip on bus 1 at its
/// address; other buses do not exist and other addresses do not acknowledge, as on a robot with that wiring. Not
/// real-time safe (construction, <see cref="Open"/>).
/// </summary>
public sealed class BenchI2cBuses : I2cDeviceSource
{
    public const int BusNumber = 1;
    private readonly Dictionary<int, BenchI2cDevice> _chips = [];

    public BenchI2cBuses(RtConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var c in config.I2cImus)
        {
            if (c.Bus != BusNumber) continue;
            BenchI2cDevice chip = c.Chip switch
            {
                "bno055" => new BenchBno055(c.Bus, c.Address),
                "mpu6500" => new BenchMpu65xx(c.Bus, c.Address, 0x70),
                _ => new BenchMpu65xx(c.Bus, c.Address, 0x71),
            };
            _chips[c.Address] = chip;
            if (c.Chip == "mpu9250") _chips.TryAdd(0x0C, new BenchAk8963(c.Bus));
        }
    }

    /// <summary>The chip model at <paramref name="address"/> on the bench bus, or null.</summary>
    public BenchI2cDevice? Chip(int address) => _chips.GetValueOrDefault(address);

    public override string BusPath(int bus) => $"/dev/i2c-{bus} (bench)";

    public override bool BusExists(int bus) => bus == BusNumber;

    public override I2cDevice Open(int bus, int address) =>
        bus == BusNumber && _chips.TryGetValue(address, out var d) ? d : new BenchI2cDevice(bus, address) { Present = false };
}
