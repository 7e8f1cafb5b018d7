namespace Rt.Core.Hardware;

/// <summary>
/// One digital input line (e-stop, reset button) as the logical level: true = asserted (active-low wiring is
/// handled by the implementation). Implemented by a GPIO line (Rt.Drivers.Gpio) or an emulated line on the bench.
/// </summary>
public interface IDigitalInput
{
    /// <summary>Real-time safe: no allocation; at most one non-blocking ioctl.</summary>
    bool Read();
}

/// <summary>One digital output line (drive-enable / STO relay): true = energised.</summary>
public interface IDigitalOutput
{
    /// <summary>Real-time safe: no allocation; at most one non-blocking ioctl.</summary>
    void Write(bool value);
}
