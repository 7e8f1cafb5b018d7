using Rt.ControlLoop.Scheduling;
using Rt.Core.Config;
using Rt.Core.Tick;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.Gpio;
using Rt.Drivers.Imu.I2c;

namespace Rt.Session;

/// <summary>
/// Builds the emulated robot a bench session runs against (<see cref="SessionOptions.Bench"/>). Implemented on the bench
/// side (hil/Rt.Hil.Campaign); the robot's binary passes none, so nothing in src/ links the plant or the slave emulator.
/// Not real-time safe.
/// </summary>
public interface IBenchFactory
{
    /// <summary>Throws <see cref="HostUnavailableException"/> when the bench cannot start (e.g. MuJoCo is missing).</summary>
    ISessionRig Create(RtConfig config, SessionOptions options);
}

/// <summary>
/// The emulated robot as a session sees it: a fieldbus, a world to advance, and an Ethernet segment to emulated slaves.
/// Construction and <see cref="CreateLink"/> are not real-time safe; the fieldbus exchange and the world's advance are.
/// </summary>
public interface ISessionRig : IDisposable
{
    /// <summary>One line for the session's notes (what the bench is).</summary>
    string Description { get; }

    /// <summary>The in-process process image (<c>bus.kind: in_process</c>).</summary>
    IFieldbus Fieldbus { get; }

    /// <summary>Advanced by the scheduler after every tick.</summary>
    ISimulatedWorld World { get; }

    /// <summary>An in-process Ethernet segment to the emulated EtherCAT slaves in front of the plant (<c>bus.kind: ethercat</c>, no interface).</summary>
    IEthernetLink CreateLink();

    /// <summary>I²C buses carrying models of the config's <c>i2c_imus</c> chips, or null for the machine's /dev/i2c-N.</summary>
    I2cDeviceSource? I2cBuses => null;

    /// <summary>The clock the rig stamps I²C samples on (its simulated time), or null for the system clock.</summary>
    TimeProvider? Clock => null;

    /// <summary>The GPIO drivers of the brake release outputs on the rig (its emulated brakes), or null for the machine's chips.</summary>
    Rt.Drivers.Gpio.GpioDriverFactory? BrakeGpioDrivers => null;

    /// <summary>
    /// Not real-time safe. Hands the rig the opened I²C IMUs (when <see cref="I2cBuses"/> is set): it samples them itself,
    /// in step with its world (no sampler threads), and has published a first sample when this returns.
    /// </summary>
    void AttachI2cImus(I2cImuSet imus) { }
}
