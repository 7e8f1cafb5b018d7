using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using System.Globalization;
using Iot.Device.Mcp23xxx;
using Rt.Core.Errors;

namespace Rt.Drivers.Gpio;

/// <summary>How a line is read from the tick.</summary>
public enum GpioReadMode
{
    /// <summary>Direct when the driver is a non-blocking syscall and its Read measured 0 bytes at open; else polled.</summary>
    Auto,

    /// <summary>The tick calls the driver (one ioctl).</summary>
    Direct,

    /// <summary>A dedicated thread reads the driver and publishes the debounced level through a lock-free word.</summary>
    Polled,
}

/// <summary>Options for a safety input or output line. Not real-time safe (config object).</summary>
public sealed class GpioLineOptions
{
    public string Consumer { get; init; } = "rt";
    public bool ActiveLow { get; init; }

    /// <summary>The level must hold this long before it is reported (kernel attribute on the character device, software elsewhere).</summary>
    public TimeSpan Debounce { get; init; }

    /// <summary>Level reported when the line cannot be read (true for an e-stop: a broken line reads as pressed).</summary>
    public bool LevelOnError { get; init; }

    public GpioReadMode ReadMode { get; init; } = GpioReadMode.Auto;

    /// <summary>Poll period of the dedicated thread (polled lines).</summary>
    public TimeSpan PollPeriod { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>A polled level older than this reads as <see cref="LevelOnError"/> (the poller is stuck or dead).</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Clock for debounce and staleness (injected; <see cref="TimeProvider.System"/> on the robot).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>False in lockstep tests: nothing starts a thread; the test calls <see cref="PolledGpioInput.PollOnce"/>.</summary>
    public bool StartThread { get; init; } = true;
}

/// <summary>Opens the <see cref="GpioDriver"/> a spec names. Replaced by a model in tests. Not real-time safe.</summary>
public delegate GpioDriver GpioDriverFactory(GpioLineSpec spec, GpioLineOptions options, string configSource, string key);

/// <summary>
/// Opens the safety I/O lines named in the config (<c>safety.estop_input</c>, <c>safety.reset_input</c>,
/// <c>safety.enable_output</c>) through System.Device.Gpio's <see cref="GpioController"/> with the driver the spec names
/// (<see cref="GpioLineSpec"/>). Bad text is an <see cref="InputError"/> (exit 2); a chip, bus or line that is not
/// there is a <see cref="DeviceUnavailableException"/> (exit 3); each is one line naming the key. Not real-time safe.
/// </summary>
public static class GpioLines
{
    /// <summary>Today's call (kept for the session): kernel/software debounce in µs, system clock.</summary>
    public static GpioInput OpenInput(string spec, string configSource, string key, string consumer,
        bool activeLow, uint debounceUs, bool levelOnError) =>
        OpenInput(spec, configSource, key, new GpioLineOptions
        {
            Consumer = consumer, ActiveLow = activeLow, Debounce = TimeSpan.FromMicroseconds(debounceUs), LevelOnError = levelOnError,
        });

    /// <summary>Today's call (kept for the session): an output line, initially off.</summary>
    public static GpioOutput OpenOutput(string spec, string configSource, string key, string consumer) =>
        OpenOutput(spec, configSource, key, new GpioLineOptions { Consumer = consumer });

    public static GpioInput OpenInput(string spec, string configSource, string key, GpioLineOptions options,
        GpioDriverFactory? drivers = null)
    {
        var s = GpioLineSpec.Parse(spec, configSource, key);
        var controller = OpenController(s, options, configSource, key, drivers ?? DefaultDrivers);
        // No bias is requested: the wiring provides the pull (a guessed bias could fight it).
        controller.OpenPin((int)s.Offset, PinMode.Input);
        bool direct = options.ReadMode switch
        {
            GpioReadMode.Direct => true,
            GpioReadMode.Polled => false,
            _ => s.Driver is GpioDriverKind.CharDevice or GpioDriverKind.Libgpiod
                && MeasureBytesPerRead(controller, (int)s.Offset, 64) == 0,
        };
        // The character device debounces in the kernel; elsewhere the wrapper debounces by duration.
        var softwareDebounce = s.Driver == GpioDriverKind.CharDevice ? TimeSpan.Zero : options.Debounce;
        return direct
            ? new DirectGpioInput(controller, (int)s.Offset, s, options, softwareDebounce)
            : new PolledGpioInput(controller, (int)s.Offset, s, options, softwareDebounce);
    }

    public static GpioOutput OpenOutput(string spec, string configSource, string key, GpioLineOptions options,
        GpioDriverFactory? drivers = null)
    {
        var s = GpioLineSpec.Parse(spec, configSource, key);
        var controller = OpenController(s, options, configSource, key, drivers ?? DefaultDrivers);
        controller.OpenPin((int)s.Offset, PinMode.Output, options.ActiveLow ? PinValue.High : PinValue.Low);
        bool direct = options.ReadMode switch
        {
            GpioReadMode.Direct => true,
            GpioReadMode.Polled => false,
            _ => s.Driver is GpioDriverKind.CharDevice or GpioDriverKind.Libgpiod,
        };
        return direct ? new DirectGpioOutput(controller, (int)s.Offset, s, options) : new PolledGpioOutput(controller, (int)s.Offset, s, options);
    }

    /// <summary>Bytes allocated per <see cref="GpioController.Read(int)"/> on this thread, after a warm-up. Not real-time safe.</summary>
    public static long MeasureBytesPerRead(GpioController controller, int pin, int reads)
    {
        ArgumentNullException.ThrowIfNull(controller);
        for (int i = 0; i < 8; i++) _ = controller.Read(pin);
        long a0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < reads; i++) _ = controller.Read(pin);
        return (GC.GetAllocatedBytesForCurrentThread() - a0) / reads;
    }

    private static GpioController OpenController(GpioLineSpec s, GpioLineOptions o, string configSource, string key, GpioDriverFactory drivers)
    {
        var driver = drivers(s, o, configSource, key);
        GpioController controller;
        try
        {
            controller = new GpioController(driver);
        }
        catch
        {
            driver.Dispose();
            throw;
        }
        if (s.Offset >= (uint)controller.PinCount)
        {
            int n = controller.PinCount;
            controller.Dispose();
            throw new DeviceUnavailableException(configSource, key,
                $"GPIO line {s.Offset.ToString(CultureInfo.InvariantCulture)} does not exist on {s}: the chip has {n.ToString(CultureInfo.InvariantCulture)} lines; expected 0..{Math.Max(0, n - 1).ToString(CultureInfo.InvariantCulture)}");
        }
        return controller;
    }

    /// <summary>The drivers on the robot: the character device, libgpiod, or an MCP23017 on a Linux I²C bus.</summary>
    public static GpioDriver DefaultDrivers(GpioLineSpec s, GpioLineOptions o, string configSource, string key) =>
        OpenDriver(s, o, configSource, key, I2cDeviceSource.Linux);

    public static GpioDriver OpenDriver(GpioLineSpec s, GpioLineOptions o, string configSource, string key, I2cDeviceSource i2c)
    {
        ArgumentNullException.ThrowIfNull(i2c);
        switch (s.Driver)
        {
            case GpioDriverKind.CharDevice:
                GpioChip chip;
                try { chip = GpioChip.Open(s.ChipPath); }
                catch (InputError e) { throw new DeviceUnavailableException(configSource, key, $"{s.ChipPath}: {e.Problem}; expected a GPIO character device", e); }
                return new CharDeviceGpioDriver(chip, o.Consumer, (uint)Math.Clamp(o.Debounce.TotalMicroseconds, 0, uint.MaxValue), o.LevelOnError);
            case GpioDriverKind.Libgpiod:
                if (!File.Exists(s.ChipPath))
                    throw new DeviceUnavailableException(configSource, key, $"GPIO chip {s.ChipPath} not found; expected a GPIO character device (is the gpio driver loaded?)");
                try { return new LibGpiodDriver(s.ChipNumber); }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or PlatformNotSupportedException or IOException or TypeInitializationException)
                {
                    throw new DeviceUnavailableException(configSource, key, $"libgpiod cannot open {s.ChipPath} ({e.GetType().Name}: {e.Message}); install libgpiod or use the character-device form 'gpiochipN:line'", e);
                }
            case GpioDriverKind.Mcp23017:
                return OpenMcp23017(s, configSource, key, i2c);
            default:
                throw new InputError(configSource, key, $"unknown GPIO driver {s.Driver}");
        }
    }

    /// <summary>MCP23017 register IOCON (bank 0): readable on any MCP23017, used to probe for an ACK.</summary>
    private const byte Mcp23017Iocon = 0x0A;

    private static Mcp23017 OpenMcp23017(GpioLineSpec s, string configSource, string key, I2cDeviceSource i2c)
    {
        if (!i2c.BusExists(s.Bus))
            throw new DeviceUnavailableException(configSource, key, $"I2C bus {i2c.BusPath(s.Bus)} not found; expected the bus of an MCP23017 at 0x{s.Address:X2} (is i2c-dev loaded?)");
        var device = i2c.Open(s.Bus, s.Address);
        try
        {
            Span<byte> reg = [Mcp23017Iocon];
            Span<byte> value = stackalloc byte[1];
            device.WriteRead(reg, value);
            return new Mcp23017(device);
        }
        catch (IOException e)
        {
            device.Dispose();
            throw new DeviceUnavailableException(configSource, key, $"no ACK from 0x{s.Address:X2} on {i2c.BusPath(s.Bus)}; expected an MCP23017 there ({e.Message})", e);
        }
    }
}
