using System.Runtime.InteropServices;
using Rt.Core.Hardware;

namespace Rt.Drivers.Gpio;

/// <summary>
/// A requested GPIO input line. <see cref="Read"/> is real-time safe: one GPIO_V2_LINE_GET_VALUES_IOCTL on a stack
/// struct, no allocation, never blocks. A failed read returns the configured fail-safe level (true for an e-stop:
/// a broken line reads as "pressed") and is counted in <see cref="ReadErrors"/>.
/// </summary>
public sealed unsafe class GpioInputLine : IDigitalInput, IDisposable
{
    private int _fd;
    private readonly bool _levelOnError;
    private long _errors;

    internal GpioInputLine(int fd, uint offset, bool levelOnError)
    {
        _fd = fd;
        Offset = offset;
        _levelOnError = levelOnError;
    }

    public uint Offset { get; }
    public long ReadErrors => Volatile.Read(ref _errors);

    /// <summary>Real-time safe.</summary>
    public bool Read()
    {
        var v = new GpioV2LineValues { Bits = 0, Mask = 1 };
        if (_fd < 0 || GpioNative.Ioctl(_fd, GpioUapi.V2LineGetValues, &v) < 0)
        {
            _errors++;
            return _levelOnError;
        }
        return (v.Bits & 1) != 0;
    }

    public void Dispose()
    {
        if (_fd >= 0) GpioNative.Close(_fd);
        _fd = -1;
    }
}

/// <summary>
/// A requested GPIO output line (the drive-enable / STO relay). <see cref="Write"/> is real-time safe: one
/// GPIO_V2_LINE_SET_VALUES_IOCTL, no allocation. Failures are counted in <see cref="WriteErrors"/> (the enable
/// chain must be wired so that a de-energised or floating output removes power).
/// </summary>
public sealed unsafe class GpioOutputLine : IDigitalOutput, IDisposable
{
    private int _fd;
    private long _errors;

    internal GpioOutputLine(int fd, uint offset)
    {
        _fd = fd;
        Offset = offset;
    }

    public uint Offset { get; }
    public long WriteErrors => Volatile.Read(ref _errors);

    /// <summary>Real-time safe.</summary>
    public void Write(bool value)
    {
        var v = new GpioV2LineValues { Bits = value ? 1UL : 0UL, Mask = 1 };
        if (_fd < 0 || GpioNative.Ioctl(_fd, GpioUapi.V2LineSetValues, &v) < 0) _errors++;
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            var v = new GpioV2LineValues { Bits = 0, Mask = 1 }; // leave the enable off
            _ = GpioNative.Ioctl(_fd, GpioUapi.V2LineSetValues, &v);
            GpioNative.Close(_fd);
        }
        _fd = -1;
        _ = Marshal.GetLastPInvokeError();
    }
}
