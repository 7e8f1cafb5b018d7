using System.Device.Gpio;
using Rt.Core.Config;
using Rt.Drivers.Gpio;
using Rt.Hil.Drives;

namespace Rt.Hil.Campaign;

/// <summary>
/// A GPIO chip on the bench whose lines are the brake release coils of <c>brakes[].release_output</c>: writing a line
/// energised releases that joint's emulated <see cref="HoldingBrake"/> by hand (<see cref="HoldingBrake.ManualRelease"/>),
/// as the coil on the robot would. Other lines are plain levels. Write/Read: real-time safe (no allocation).
/// </summary>
public sealed class BenchBrakeGpioDriver : GpioDriver
{
    private const int Lines = BrakeReleaseOutput.MaxLine + 1;
    private readonly bool[] _level = new bool[Lines];
    private readonly HoldingBrake?[] _brake = new HoldingBrake?[Lines];
    private readonly bool[] _activeLow = new bool[Lines];

    /// <summary>Not real-time safe. The lines of <paramref name="spec"/>'s chip that release a configured brake.</summary>
    public BenchBrakeGpioDriver(IReadOnlyList<EmulatedServoDrive> drives, RtConfig config, GpioLineSpec spec)
    {
        ArgumentNullException.ThrowIfNull(drives);
        ArgumentNullException.ThrowIfNull(config);
        string chip = Path.GetFileName(spec.ChipPath);
        foreach (var b in config.Brakes)
        {
            if (b.ReleaseOutput is not { } o || Path.GetFileName(o.Chip) != chip || o.Line is < 0 or >= Lines) continue;
            int j = config.Joints.FindIndex(x => x.Name == b.Joint);
            if (j >= 0 && j < drives.Count) _brake[o.Line] = drives[j].Brake;
            _activeLow[o.Line] = o.ActiveLow;
        }
    }

    protected override int PinCount => Lines;
    protected override void OpenPin(int pinNumber) { }
    protected override void ClosePin(int pinNumber) { }
    protected override void SetPinMode(int pinNumber, PinMode mode) { }
    protected override PinMode GetPinMode(int pinNumber) => PinMode.Output;
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => mode is PinMode.Input or PinMode.Output;
    protected override PinValue Read(int pinNumber) => Volatile.Read(ref _level[pinNumber]) ? PinValue.High : PinValue.Low;

    protected override void Write(int pinNumber, PinValue value)
    {
        bool high = value == PinValue.High;
        Volatile.Write(ref _level[pinNumber], high);
        if (_brake[pinNumber] is { } brake) brake.ManualRelease = high ^ _activeLow[pinNumber];
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the bench's brake lines are outputs");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        throw new NotSupportedException("the bench's brake lines are outputs");

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) { }
}
