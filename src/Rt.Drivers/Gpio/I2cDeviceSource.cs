using System.Device.I2c;
using System.Globalization;

namespace Rt.Drivers.Gpio;

/// <summary>
/// Where I²C devices come from: the Linux /dev/i2c-N buses, or (in tests) register-level chip models. Used by the
/// MCP23017 GPIO expander and by the I²C IMUs. Not real-time safe.
/// </summary>
public class I2cDeviceSource
{
    /// <summary>The Linux I²C character devices (/dev/i2c-N).</summary>
    public static readonly I2cDeviceSource Linux = new();

    /// <summary>Path shown in messages.</summary>
    public virtual string BusPath(int bus) => "/dev/i2c-" + bus.ToString(CultureInfo.InvariantCulture);

    public virtual bool BusExists(int bus) => File.Exists(BusPath(bus));

    /// <summary>Opens a device handle; does not touch the bus (a missing chip shows up as an IOException on the first transfer).</summary>
    public virtual I2cDevice Open(int bus, int address) => I2cDevice.Create(new I2cConnectionSettings(bus, address));
}
