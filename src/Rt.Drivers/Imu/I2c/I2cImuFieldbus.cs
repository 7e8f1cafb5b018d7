using Rt.Core.Tick;
using Rt.Drivers.Gpio;

namespace Rt.Drivers.Imu.I2c;

/// <summary>
/// The bus exchange with the I²C IMUs beside it: after the wrapped fieldbus has filled the EtherCAT IMUs, the I²C IMUs'
/// latest samples go into the process image's IMU slots from <c>firstImu</c> on (the channel layout puts them after the
/// EtherCAT IMUs), so the twin and the supervisor see them like any IMU; a stale or saturated sample adds its fault to
/// the tick's list. The sample age is measured on the injected clock the samplers stamp with. Real-time safe: one clock
/// read, no allocation, no lock.
/// </summary>
public sealed class I2cImuFieldbus(IFieldbus inner, I2cImuSet imus, int firstImu, TimeProvider clock) : IFieldbus
{
    public IFieldbus Inner { get; } = inner;

    /// <summary>Real-time safe.</summary>
    public void Exchange(TickState state)
    {
        Inner.Exchange(state);
        imus.ReadAll(state.Image.Imus.AsSpan(firstImu), ClockNs.Now(clock), state.Tick, state.Faults);
    }
}
