using System.Device.Gpio;
using System.Globalization;
using Rt.Core.Errors;

namespace Rt.Drivers.Gpio;

/// <summary>
/// A <see cref="GpioDriver"/> over the project's own Linux GPIO character-device code (v2 uAPI, <see cref="GpioChip"/>),
/// so the safety lines go through <see cref="GpioController"/> like any other driver while keeping what libgpiod does
/// not give us: no native library to install (libgpiod is absent on the target image and this machine), and the
/// kernel's debounce attribute on inputs. Opening: not real-time safe. <see cref="Read"/>/<see cref="Write"/>: one
/// non-blocking ioctl on a stack struct, no allocation: real-time safe.
/// </summary>
public sealed class CharDeviceGpioDriver : GpioDriver
{
    private readonly GpioChip _chip;
    private readonly string _consumer;
    private readonly bool _levelOnError;
    private readonly uint _debounceUs;
    private readonly Dictionary<int, Line> _lines = [];

    private sealed class Line
    {
        public PinMode Mode;
        public GpioInputLine? Input;
        public GpioOutputLine? Output;
    }

    /// <param name="chip">Opened chip; the driver owns it.</param>
    /// <param name="consumer">Consumer label the kernel shows for requested lines.</param>
    /// <param name="debounceUs">Kernel debounce for inputs (0 = none).</param>
    /// <param name="levelOnError">Level an input reads when the ioctl fails (true for an e-stop: broken = pressed).</param>
    public CharDeviceGpioDriver(GpioChip chip, string consumer, uint debounceUs, bool levelOnError)
    {
        ArgumentNullException.ThrowIfNull(chip);
        _chip = chip;
        _consumer = consumer;
        _debounceUs = debounceUs;
        _levelOnError = levelOnError;
    }

    protected override int PinCount => (int)_chip.Lines;

    /// <summary>Failed reads/writes summed over the lines (the fail-safe level was returned instead).</summary>
    public long Errors
    {
        get
        {
            long n = 0;
            foreach (var l in _lines.Values) n += (l.Input?.ReadErrors ?? 0) + (l.Output?.WriteErrors ?? 0);
            return n;
        }
    }

    protected override void OpenPin(int pinNumber)
    {
        if ((uint)pinNumber >= _chip.Lines)
            throw new InputError(_chip.Path, $"line {pinNumber.ToString(CultureInfo.InvariantCulture)}", "GPIO line does not exist");
        _lines.TryAdd(pinNumber, new Line());
    }

    protected override void ClosePin(int pinNumber)
    {
        if (_lines.Remove(pinNumber, out var l)) Release(l);
    }

    protected override void SetPinMode(int pinNumber, PinMode mode) => SetPinMode(pinNumber, mode, PinValue.Low);

    protected override void SetPinMode(int pinNumber, PinMode mode, PinValue initialValue)
    {
        var l = _lines[pinNumber];
        Release(l);
        l.Mode = mode;
        if (mode == PinMode.Output) l.Output = _chip.RequestOutput((uint)pinNumber, _consumer, initial: initialValue == PinValue.High);
        else
        {
            var bias = mode switch { PinMode.InputPullUp => GpioV2LineFlags.BiasPullUp, PinMode.InputPullDown => GpioV2LineFlags.BiasPullDown, _ => GpioV2LineFlags.None };
            l.Input = _chip.RequestInput((uint)pinNumber, _consumer, activeLow: false, _debounceUs, bias, _levelOnError);
        }
    }

    protected override PinMode GetPinMode(int pinNumber) => _lines[pinNumber].Mode;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        mode is PinMode.Input or PinMode.Output or PinMode.InputPullUp or PinMode.InputPullDown;

    /// <summary>Real-time safe: a dictionary lookup and one ioctl.</summary>
    protected override PinValue Read(int pinNumber)
    {
        var l = _lines[pinNumber];
        if (l.Input is { } i) return i.Read() ? PinValue.High : PinValue.Low;
        return _levelOnError ? PinValue.High : PinValue.Low;
    }

    /// <summary>Real-time safe: a dictionary lookup and one ioctl.</summary>
    protected override void Write(int pinNumber, PinValue value) => _lines[pinNumber].Output?.Write(value == PinValue.High);

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the character-device driver is polled; edge events are not used by the safety I/O");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        throw new NotSupportedException("the character-device driver is polled; edge events are not used by the safety I/O");

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) { }

    private static void Release(Line l)
    {
        l.Input?.Dispose();
        l.Output?.Dispose();
        l.Input = null;
        l.Output = null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var l in _lines.Values) Release(l);
            _lines.Clear();
            _chip.Dispose();
        }
        base.Dispose(disposing);
    }
}
