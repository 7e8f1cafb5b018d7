using Rt.Drivers.Gpio;
using Rt.Safety.Jog;

namespace Rt.Session;

/// <summary>
/// The tick's side of the brake release outputs: <see cref="BrakeHold"/> sets a joint's slot and beats the heartbeat;
/// <see cref="BrakeReleaseWriter"/>'s own thread writes the GPIO lines. Real-time safe (volatile loads and stores).
/// </summary>
public sealed class GpioBrakeOutputs(BrakeReleaseWriter writer) : IBrakeOutputs
{
    public int Joints => writer.Joints;
    public void SetReleased(int joint, bool released) => writer.Set(joint, released);
    public bool IsReleased(int joint) => writer.IsSet(joint);
    public void Heartbeat() => writer.Beat();
    public bool CanRelease(int joint) => writer.HasOutput(joint);
}
