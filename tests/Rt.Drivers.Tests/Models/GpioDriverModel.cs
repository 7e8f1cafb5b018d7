using System.Device.Gpio;

namespace Rt.Drivers.Tests.Models;

/// <summary>
/// A <see cref="GpioDriver"/> model: lines with levels (set from outside for inputs, by Write for outputs), modes,
/// edge events to registered callbacks, and a count of reads. Read and Write allocate nothing.
/// </summary>
internal sealed class GpioDriverModel(int lines) : GpioDriver
{
    private readonly bool[] _level = new bool[lines];
    private readonly PinMode?[] _mode = new PinMode?[lines];
    private readonly List<(int Pin, PinEventTypes Types, PinChangeEventHandler Handler)> _callbacks = [];

    public long Reads;
    public bool Disposed;

    protected override int PinCount => lines;

    public PinMode? Mode(int pin) => _mode[pin];

    public bool Level(int pin) => Volatile.Read(ref _level[pin]);

    /// <summary>Drives an input line from outside (a button); fires edge callbacks.</summary>
    public void SetInput(int pin, bool high)
    {
        bool was = _level[pin];
        Volatile.Write(ref _level[pin], high);
        if (was == high) return;
        var type = high ? PinEventTypes.Rising : PinEventTypes.Falling;
        foreach (var (p, types, handler) in _callbacks.ToArray())
            if (p == pin && (types & type) != 0) handler(this, new PinValueChangedEventArgs(type, pin));
    }

    protected override void OpenPin(int pinNumber) => _mode[pinNumber] ??= PinMode.Input;

    protected override void ClosePin(int pinNumber) => _mode[pinNumber] = null;

    protected override void SetPinMode(int pinNumber, PinMode mode) => _mode[pinNumber] = mode;

    protected override PinMode GetPinMode(int pinNumber) => _mode[pinNumber] ?? PinMode.Input;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => mode is PinMode.Input or PinMode.Output;

    protected override PinValue Read(int pinNumber)
    {
        Reads++;
        return Volatile.Read(ref _level[pinNumber]) ? PinValue.High : PinValue.Low;
    }

    /// <summary>Writes to this line throw IOException (a chip that went away), or -1.</summary>
    public int FailWritesOn = -1;

    protected override void Write(int pinNumber, PinValue value)
    {
        if (pinNumber == FailWritesOn) throw new IOException("write failed (model)");
        Volatile.Write(ref _level[pinNumber], value == PinValue.High);
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        _callbacks.Add((pinNumber, eventTypes, callback));

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        _callbacks.RemoveAll(c => c.Pin == pinNumber && c.Handler == callback);

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}
