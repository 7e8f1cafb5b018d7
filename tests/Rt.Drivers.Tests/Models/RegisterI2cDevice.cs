using System.Device.I2c;
using Rt.Drivers.Gpio;

namespace Rt.Drivers.Tests.Models;

/// <summary>
/// A register-level I²C chip model: a write's first byte sets the register pointer, further bytes are written with
/// auto-increment; reads return registers from the pointer with auto-increment (as the BNO055, MPU-6500/9250 and
/// MCP23017 do). An absent chip (<see cref="Present"/> = false) fails every transfer with the IOException Linux's
/// i2c-dev gives for a missing ACK.
/// </summary>
internal class RegisterI2cDevice(int bus, int address) : I2cDevice
{
    protected readonly byte[] Regs = new byte[256];
    private byte _pointer;

    public bool Present { get; set; } = true;

    /// <summary>Transfers that reached the chip (each Write/Read/WriteRead is one).</summary>
    public int Transfers { get; private set; }

    public override I2cConnectionSettings ConnectionSettings { get; } = new(bus, address);

    public byte this[int register]
    {
        get => Regs[register];
        set => Regs[register] = value;
    }

    private void Ack()
    {
        if (!Present) throw new IOException($"Error 6 performing I2C data transfer (no ACK at 0x{ConnectionSettings.DeviceAddress:X2}).");
        Transfers++;
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
        for (int i = 0; i < buffer.Length; i++) buffer[i] = OnRead(_pointer++);
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
        Transfers--; // one combined transfer
    }

    protected virtual void OnWrite(byte register, byte value) => Regs[register] = value;

    protected virtual byte OnRead(byte register) => Regs[register];

    protected override void Dispose(bool disposing) { } // the test owns the model
}

/// <summary>I²C buses of chip models: addresses not populated do not ACK; buses not listed do not exist.</summary>
internal sealed class I2cBusModel : I2cDeviceSource
{
    private readonly Dictionary<(int Bus, int Address), RegisterI2cDevice> _devices = [];
    private readonly HashSet<int> _buses = [];

    public I2cBusModel Bus(int bus)
    {
        _buses.Add(bus);
        return this;
    }

    public T Add<T>(T device) where T : RegisterI2cDevice
    {
        _buses.Add(device.ConnectionSettings.BusId);
        _devices[(device.ConnectionSettings.BusId, device.ConnectionSettings.DeviceAddress)] = device;
        return device;
    }

    public override string BusPath(int bus) => $"/dev/i2c-{bus}";

    public override bool BusExists(int bus) => _buses.Contains(bus);

    public override I2cDevice Open(int bus, int address) =>
        _devices.TryGetValue((bus, address), out var d) ? d : new RegisterI2cDevice(bus, address) { Present = false };
}

/// <summary>The injected clock of the tests: time moves only when the test says so.</summary>
internal sealed class ManualClock : TimeProvider
{
    public long Ns;

    public override long GetTimestamp() => Volatile.Read(ref Ns);

    public override long TimestampFrequency => 1_000_000_000;

    public void Advance(TimeSpan d) => Interlocked.Add(ref Ns, (long)d.TotalNanoseconds);
}
