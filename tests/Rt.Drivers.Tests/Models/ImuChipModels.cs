using System.Buffers.Binary;

namespace Rt.Drivers.Tests.Models;

/// <summary>BNO055 page-0 registers (Bosch BST-BNO055-DS000, table 4-2).</summary>
internal enum Bno055Register : byte
{
    ChipId = 0x00, AccId = 0x01, MagId = 0x02, GyrId = 0x03, SwRevIdLsb = 0x04, SwRevIdMsb = 0x05, BlRevId = 0x06, PageId = 0x07,
    AccDataXLsb = 0x08, MagDataXLsb = 0x0E, GyrDataXLsb = 0x14, EulHeadingLsb = 0x1A, QuaDataWLsb = 0x20,
    LiaDataXLsb = 0x28, GrvDataXLsb = 0x2E, Temp = 0x34, CalibStat = 0x35, StResult = 0x36, IntSta = 0x37,
    SysClkStatus = 0x38, SysStatus = 0x39, SysErr = 0x3A, UnitSel = 0x3B, OprMode = 0x3D, PwrMode = 0x3E,
    SysTrigger = 0x3F, TempSource = 0x40, AxisMapConfig = 0x41, AxisMapSign = 0x42, AccOffsetXLsb = 0x55,
    MagRadiusMsb = 0x6A,
}

/// <summary>
/// BNO055 model: identity registers as shipped (CHIP_ID 0xA0, ACC_ID 0xFB, MAG_ID 0x32, GYR_ID 0x0F), OPR_MODE, and
/// data registers in the units the binding selects (1 m/s² = 100 LSB, 1 °/s = 16 LSB, little-endian), clipped at
/// the fusion-mode ranges ±4 g and ±2000 °/s as the chip clips them.
/// </summary>
internal sealed class Bno055Model : RegisterI2cDevice
{
    public Bno055Model(int bus = 1, int address = 0x28, byte chipId = 0xA0) : base(bus, address)
    {
        this[(int)Bno055Register.ChipId] = chipId;
        this[(int)Bno055Register.AccId] = 0xFB;
        this[(int)Bno055Register.MagId] = 0x32;
        this[(int)Bno055Register.GyrId] = 0x0F;
        this[(int)Bno055Register.SwRevIdLsb] = 0x11;
        this[(int)Bno055Register.SwRevIdMsb] = 0x03;
        this[(int)Bno055Register.BlRevId] = 0x15;
        this[(int)Bno055Register.AxisMapConfig] = 0x24;
        this[(int)Bno055Register.Temp] = 25;
    }

    public byte OperatingMode => this[(int)Bno055Register.OprMode];

    /// <summary>Sets the measured specific force (m/s²) and angular rate (°/s) in the chip frame.</summary>
    public void Set(float ax, float ay, float az, float gxDps, float gyDps, float gzDps)
    {
        const double fsAccel = 4 * 9.80665 * 100;
        Put(Bno055Register.AccDataXLsb, ax * 100, ay * 100, az * 100, fsAccel);
        Put(Bno055Register.GyrDataXLsb, gxDps * 16, gyDps * 16, gzDps * 16, 2000 * 16);
    }

    private void Put(Bno055Register r, double x, double y, double z, double fs)
    {
        Span<byte> b = stackalloc byte[6];
        BinaryPrimitives.WriteInt16LittleEndian(b, Clip(x, fs));
        BinaryPrimitives.WriteInt16LittleEndian(b[2..], Clip(y, fs));
        BinaryPrimitives.WriteInt16LittleEndian(b[4..], Clip(z, fs));
        b.CopyTo(Regs.AsSpan((int)r));
    }

    private static short Clip(double v, double fs) => (short)Math.Round(Math.Clamp(v, -fs, fs));
}

/// <summary>MPU-6500 / MPU-9250 registers (InvenSense register maps RM-MPU-6500A-00 / RM-MPU-9250A-00).</summary>
internal enum MpuRegister : byte
{
    SelfTestXGyro = 0x00, SelfTestXAccel = 0x0D, SmplrtDiv = 0x19, Config = 0x1A, GyroConfig = 0x1B, AccelConfig = 0x1C,
    AccelConfig2 = 0x1D, LpAccelOdr = 0x1E, WomThr = 0x1F, FifoEn = 0x23, I2cMstCtrl = 0x24, IntPinCfg = 0x37,
    IntEnable = 0x38, IntStatus = 0x3A, AccelXoutH = 0x3B, TempOutH = 0x41, GyroXoutH = 0x43, UserCtrl = 0x6A,
    PwrMgmt1 = 0x6B, PwrMgmt2 = 0x6C, WhoAmI = 0x75,
}

/// <summary>
/// MPU-6500 (WHO_AM_I 0x70) / MPU-9250 (0x71) model: PWR_MGMT_1 bit 7 resets the registers, ACCEL_CONFIG[4:3] and
/// GYRO_CONFIG[4:3] select the full scale, and the data registers (big-endian) follow the physical input at the
/// current scale, clipped to int16 as the ADC clips.
/// </summary>
internal sealed class MpuModel : RegisterI2cDevice
{
    private readonly byte _whoAmI;
    private double _ax, _ay, _az, _gx, _gy, _gz;

    public MpuModel(int bus = 1, int address = 0x68, byte whoAmI = 0x71) : base(bus, address)
    {
        _whoAmI = whoAmI;
        ResetRegisters();
    }

    public int Resets { get; private set; }

    private void ResetRegisters()
    {
        Array.Clear(Regs);
        this[(int)MpuRegister.PwrMgmt1] = 0x01;
        this[(int)MpuRegister.WhoAmI] = _whoAmI;
        Update();
    }

    public int AccelRangeG => 2 << ((this[(int)MpuRegister.AccelConfig] >> 3) & 3);
    public int GyroRangeDps => 250 << ((this[(int)MpuRegister.GyroConfig] >> 3) & 3);

    /// <summary>Physical input: specific force in m/s², angular rate in °/s, chip frame.</summary>
    public void Set(double ax, double ay, double az, double gxDps, double gyDps, double gzDps)
    {
        (_ax, _ay, _az, _gx, _gy, _gz) = (ax, ay, az, gxDps, gyDps, gzDps);
        Update();
    }

    protected override void OnWrite(byte register, byte value)
    {
        if (register == (byte)MpuRegister.PwrMgmt1 && (value & 0x80) != 0)
        {
            Resets++;
            ResetRegisters();
            return;
        }
        if (register == (byte)MpuRegister.WhoAmI) return; // read-only
        base.OnWrite(register, value);
        if (register is (byte)MpuRegister.AccelConfig or (byte)MpuRegister.GyroConfig) Update();
    }

    private void Update()
    {
        double aLsb = 32768 / (AccelRangeG * 9.80665), gLsb = 32768.0 / GyroRangeDps;
        Span<byte> b = Regs.AsSpan((int)MpuRegister.AccelXoutH, 14);
        BinaryPrimitives.WriteInt16BigEndian(b, Clip(_ax * aLsb));
        BinaryPrimitives.WriteInt16BigEndian(b[2..], Clip(_ay * aLsb));
        BinaryPrimitives.WriteInt16BigEndian(b[4..], Clip(_az * aLsb));
        BinaryPrimitives.WriteInt16BigEndian(b[6..], Clip((30 - 21) * 333.87)); // 30 °C
        BinaryPrimitives.WriteInt16BigEndian(b[8..], Clip(_gx * gLsb));
        BinaryPrimitives.WriteInt16BigEndian(b[10..], Clip(_gy * gLsb));
        BinaryPrimitives.WriteInt16BigEndian(b[12..], Clip(_gz * gLsb));
    }

    private static short Clip(double v) => (short)Math.Clamp(Math.Round(v), short.MinValue, short.MaxValue);
}

/// <summary>AK8963 magnetometer of the MPU-9250 (AKM datasheet §8): WIA 0x48 at 0x00, fuse ROM sensitivity 0x10..0x12.</summary>
internal sealed class Ak8963Model : RegisterI2cDevice
{
    public Ak8963Model(int bus = 1) : base(bus, 0x0C)
    {
        this[0x00] = 0x48; // WIA
        this[0x01] = 0x9A; // INFO
        this[0x10] = 0x80; // ASAX..ASAZ: sensitivity adjustment 1.0
        this[0x11] = 0x80;
        this[0x12] = 0x80;
    }

    protected override void OnWrite(byte register, byte value)
    {
        if (register == 0x0B && (value & 1) != 0) return; // CNTL2 SRST: self-clearing soft reset
        base.OnWrite(register, value);
    }
}

/// <summary>MCP23017 registers, IOCON.BANK = 0 (Microchip DS20001952, table 3-3).</summary>
internal enum Mcp23017Register : byte
{
    IodirA = 0x00, IodirB = 0x01, IpolA = 0x02, GpintenA = 0x04, DefvalA = 0x06, IntconA = 0x08, Iocon = 0x0A,
    GppuA = 0x0C, IntfA = 0x0E, IntcapA = 0x10, GpioA = 0x12, GpioB = 0x13, OlatA = 0x14, OlatB = 0x15,
}

/// <summary>MCP23017 model: IODIR resets to 0xFF (all inputs); GPIO reads pins (inputs) or latches (outputs); writes to GPIO go to OLAT.</summary>
internal sealed class Mcp23017Model : RegisterI2cDevice
{
    private ushort _pins;

    public Mcp23017Model(int bus = 1, int address = 0x20) : base(bus, address)
    {
        this[(int)Mcp23017Register.IodirA] = 0xFF;
        this[(int)Mcp23017Register.IodirB] = 0xFF;
    }

    /// <summary>Drives an input pin (0..15) from outside, as a switch would.</summary>
    public void SetPin(int pin, bool high) => _pins = (ushort)(high ? _pins | (1 << pin) : _pins & ~(1 << pin));

    /// <summary>Level of an output pin's latch.</summary>
    public bool Latch(int pin) => ((pin < 8 ? this[(int)Mcp23017Register.OlatA] : this[(int)Mcp23017Register.OlatB]) >> (pin & 7) & 1) != 0;

    protected override void OnWrite(byte register, byte value)
    {
        if (register == (byte)Mcp23017Register.GpioA) register = (byte)Mcp23017Register.OlatA;
        else if (register == (byte)Mcp23017Register.GpioB) register = (byte)Mcp23017Register.OlatB;
        base.OnWrite(register, value);
    }

    protected override byte OnRead(byte register)
    {
        if (register is (byte)Mcp23017Register.GpioA or (byte)Mcp23017Register.GpioB)
        {
            int port = register - (byte)Mcp23017Register.GpioA;
            byte dir = Regs[(int)Mcp23017Register.IodirA + port];
            byte latch = Regs[(int)Mcp23017Register.OlatA + port];
            byte pins = (byte)(_pins >> (8 * port));
            return (byte)((pins & dir) | (latch & ~dir));
        }
        return base.OnRead(register);
    }
}
