using System.Globalization;
using Rt.Core.Errors;

namespace Rt.Drivers.Gpio;

/// <summary>Which <see cref="System.Device.Gpio.GpioDriver"/> serves a configured line.</summary>
public enum GpioDriverKind
{
    /// <summary>The Linux GPIO character device through the project's own v2-uAPI driver (no native library, kernel debounce).</summary>
    CharDevice,

    /// <summary>The Linux GPIO character device through libgpiod (System.Device.Gpio's LibGpiodDriver; needs libgpiod.so).</summary>
    Libgpiod,

    /// <summary>An MCP23017 16-bit I²C expander (Iot.Device.Bindings' Mcp23017): an I²C transfer per read.</summary>
    Mcp23017,
}

/// <summary>
/// A configured GPIO line. Today's form is kept: "chip:line" ("gpiochip0:17", "/dev/gpiochip0:17") is the character
/// device. A driver prefix chooses another driver: "libgpiod:0:17" (chip number, line) or "mcp23017:1:0x20:3"
/// (I²C bus, address, pin 0..15). Not real-time safe.
/// </summary>
public readonly record struct GpioLineSpec(GpioDriverKind Driver, string ChipPath, uint Offset, int Bus = -1, int Address = -1)
{
    /// <summary>The classic constructor: a character-device line.</summary>
    public GpioLineSpec(string chipPath, uint offset) : this(GpioDriverKind.CharDevice, chipPath, offset) { }

    /// <summary>Chip number of /dev/gpiochipN, or -1 when the path does not end in a number.</summary>
    public int ChipNumber
    {
        get
        {
            int i = ChipPath.Length;
            while (i > 0 && char.IsAsciiDigit(ChipPath[i - 1])) i--;
            return i < ChipPath.Length && int.TryParse(ChipPath.AsSpan(i), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1;
        }
    }

    /// <summary>Parses a spec; throws <see cref="InputError"/> naming the config key on bad text.</summary>
    public static GpioLineSpec Parse(string text, string configSource, string key)
    {
        if (text is not null && text.StartsWith("libgpiod:", StringComparison.Ordinal))
        {
            var parts = text.Split(':');
            if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int chip))
                throw new InputError(configSource, key, $"expected 'libgpiod:<chip number>:<line>' (e.g. libgpiod:0:17); got '{text}'");
            return new GpioLineSpec(GpioDriverKind.Libgpiod, $"/dev/gpiochip{chip.ToString(CultureInfo.InvariantCulture)}", ParseLine(parts[2], configSource, key));
        }
        if (text is not null && text.StartsWith("mcp23017:", StringComparison.Ordinal))
        {
            var parts = text.Split(':');
            if (parts.Length != 4 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int bus)
                || !TryParseAddress(parts[2], out int address))
                throw new InputError(configSource, key, $"expected 'mcp23017:<i2c bus>:<address>:<pin>' (e.g. mcp23017:1:0x20:3); got '{text}'");
            uint pin = ParseLine(parts[3], configSource, key);
            if (pin > 15) throw new InputError(configSource, key, $"MCP23017 pin {pin.ToString(CultureInfo.InvariantCulture)} does not exist; expected 0..15 (GPA0..7 = 0..7, GPB0..7 = 8..15)");
            if (address is < 0x20 or > 0x27)
                throw new InputError(configSource, key, $"MCP23017 address 0x{address:X2} is outside its strap range; expected 0x20..0x27");
            return new GpioLineSpec(GpioDriverKind.Mcp23017, $"/dev/i2c-{bus.ToString(CultureInfo.InvariantCulture)}", pin, bus, address);
        }
        int colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0 || colon == text.Length - 1)
            throw new InputError(configSource, key, $"expected a GPIO line as 'chip:line' (e.g. /dev/gpiochip0:17), 'libgpiod:0:17' or 'mcp23017:1:0x20:3'; got '{text}'");
        string chipPath = text[..colon].Trim();
        uint offset = ParseLine(text[(colon + 1)..], configSource, key);
        if (!chipPath.Contains('/', StringComparison.Ordinal)) chipPath = "/dev/" + chipPath;
        return new GpioLineSpec(chipPath, offset);
    }

    private static uint ParseLine(string text, string configSource, string key) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint offset) && offset <= int.MaxValue
            ? offset
            : throw new InputError(configSource, key, $"line offset must be a non-negative integer; got '{text}'");

    /// <summary>"0x20" or "32".</summary>
    public static bool TryParseAddress(string text, out int address)
    {
        text = text.Trim();
        return text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out address)
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out address);
    }

    public override string ToString() => Driver switch
    {
        GpioDriverKind.Mcp23017 => $"mcp23017 on {ChipPath} at 0x{Address:X2}, pin {Offset.ToString(CultureInfo.InvariantCulture)}",
        GpioDriverKind.Libgpiod => $"libgpiod {ChipPath}, line {Offset.ToString(CultureInfo.InvariantCulture)}",
        _ => $"{ChipPath}, line {Offset.ToString(CultureInfo.InvariantCulture)}",
    };
}
