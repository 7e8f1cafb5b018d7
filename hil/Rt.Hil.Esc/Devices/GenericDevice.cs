namespace Rt.Hil.Esc.Devices;

/// <summary>
/// An emulated device without bench behaviour (an ESI entry that is neither a CiA 402 drive nor an IMU: I/O terminals,
/// a vendor's module tried on the bench): it reaches OP with its described SII, objects and PDOs, takes its outputs
/// into its objects and reports its input objects' current values (their defaults, or what an SDO wrote).
/// Construction is not real-time safe; the frame hooks are.
/// </summary>
public sealed class GenericDevice(SlaveDescription description, SlaveOptions? options) : EmulatedSlave(description, options)
{
    protected override void PublishInputs()
    {
    }

    protected override void ConsumeOutputs()
    {
    }
}
