using System.Globalization;
using Rt.Core.Errors;

namespace Rt.Drivers.Gpio;

/// <summary>A configured GPIO line, "chip:line" (e.g. "/dev/gpiochip0:17" or "gpiochip0:17").</summary>
public readonly record struct GpioLineSpec(string ChipPath, uint Offset)
{
    /// <summary>Parses a spec; throws <see cref="InputError"/> naming the config key on bad text.</summary>
    public static GpioLineSpec Parse(string text, string configSource, string key)
    {
        int colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0 || colon == text.Length - 1)
            throw new InputError(configSource, key, $"expected a GPIO line as 'chip:line' (e.g. /dev/gpiochip0:17); got '{text}'");
        string chip = text[..colon].Trim();
        if (!uint.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out uint offset))
            throw new InputError(configSource, key, $"line offset must be a non-negative integer; got '{text[(colon + 1)..]}'");
        if (!chip.Contains('/', StringComparison.Ordinal)) chip = "/dev/" + chip;
        return new GpioLineSpec(chip, offset);
    }
}

/// <summary>
/// Opens the safety I/O lines named in the config (<c>safety.estop_input</c>, <c>safety.reset_input</c>,
/// <c>safety.enable_output</c>). A missing chip or a line offset the chip does not have is refused at start with an
/// <see cref="InputError"/> naming the key. Not real-time safe.
/// </summary>
public static class GpioLines
{
    /// <summary>Opens an input line (kernel debounce <paramref name="debounceUs"/>); the chip stays open with the line.</summary>
    public static GpioInputLine OpenInput(string spec, string configSource, string key, string consumer,
        bool activeLow, uint debounceUs, bool levelOnError)
    {
        var s = GpioLineSpec.Parse(spec, configSource, key);
        using var chip = OpenChip(s, configSource, key);
        CheckLine(chip, s, configSource, key);
        return chip.RequestInput(s.Offset, consumer, activeLow, debounceUs, levelOnError: levelOnError);
    }

    /// <summary>Opens an output line, initially off.</summary>
    public static GpioOutputLine OpenOutput(string spec, string configSource, string key, string consumer)
    {
        var s = GpioLineSpec.Parse(spec, configSource, key);
        using var chip = OpenChip(s, configSource, key);
        CheckLine(chip, s, configSource, key);
        return chip.RequestOutput(s.Offset, consumer, initial: false);
    }

    private static GpioChip OpenChip(GpioLineSpec s, string configSource, string key)
    {
        try { return GpioChip.Open(s.ChipPath); }
        catch (InputError e) { throw new InputError(configSource, key, e.Message, e); }
    }

    private static void CheckLine(GpioChip chip, GpioLineSpec s, string configSource, string key)
    {
        if (s.Offset >= chip.Lines)
            throw new InputError(configSource, key,
                $"GPIO line {s.Offset.ToString(CultureInfo.InvariantCulture)} does not exist on {s.ChipPath} ('{chip.Name}', {chip.Lines.ToString(CultureInfo.InvariantCulture)} lines)");
    }
}
