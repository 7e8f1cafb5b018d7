using Rt.Core.ProcessData;

namespace Rt.Safety.Jog;

/// <summary>
/// Brakes released through their drives (CiA 402): <see cref="SetReleased"/> sets or clears 0x60FE:01 digital outputs
/// bit 0 in the joint's slot of the process image, which the drive codec sends in the next frame (the joint's drive must
/// map 0x60FE:01: <c>brakes[i].release_by_drive</c>, checked at start). The bit goes out every cycle, so no heartbeat is
/// needed: a host that stops sending frames lets the drive's sync-manager watchdog invalidate its outputs, and the drive
/// engages the brake. Construction is not real-time safe; every member after it is (array stores, no allocation).
/// </summary>
public sealed class DriveBrakeOutputs : IBrakeOutputs
{
    private readonly DriveOutputs[] _outputs;
    private readonly bool[] _releasable;

    /// <param name="image">The tick's process image (its drive outputs are written in place).</param>
    /// <param name="releasable">Per joint (config order): the brake is released through this joint's drive.</param>
    public DriveBrakeOutputs(ProcessImage image, IReadOnlyList<bool> releasable)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(releasable);
        if (releasable.Count != image.DriveCount)
            throw new ArgumentException($"expected one flag per drive ({image.DriveCount}), got {releasable.Count}", nameof(releasable));
        _outputs = image.Outputs;
        _releasable = [.. releasable];
    }

    public int Joints => _releasable.Length;

    /// <summary>Real-time safe. A release on a joint without a drive-released brake is ignored (never a stray bit); engaging always clears it.</summary>
    public void SetReleased(int joint, bool released)
    {
        if ((uint)joint >= (uint)_releasable.Length) return;
        ref var o = ref _outputs[joint];
        if (released && _releasable[joint]) o.DigitalOutputs |= DriveDigitalOutputs.BrakeRelease;
        else o.DigitalOutputs &= ~DriveDigitalOutputs.BrakeRelease;
    }

    public bool IsReleased(int joint) => (uint)joint < (uint)_releasable.Length && (_outputs[joint].DigitalOutputs & DriveDigitalOutputs.BrakeRelease) != 0;

    public bool CanRelease(int joint) => (uint)joint < (uint)_releasable.Length && _releasable[joint];
}

/// <summary>
/// A robot with both release paths: per joint, the brake is released through <paramref name="gpio"/> where it has a
/// release output, else through <paramref name="drives"/>; engaging clears both. Real-time safe after construction.
/// </summary>
public sealed class BrakeOutputsByJoint(IBrakeOutputs gpio, IBrakeOutputs drives) : IBrakeOutputs
{
    public int Joints => Math.Max(gpio.Joints, drives.Joints);

    public void SetReleased(int joint, bool released)
    {
        if (!released)
        {
            if ((uint)joint < (uint)gpio.Joints) gpio.SetReleased(joint, false);
            if ((uint)joint < (uint)drives.Joints) drives.SetReleased(joint, false);
            return;
        }
        if (gpio.CanRelease(joint)) gpio.SetReleased(joint, true);
        else if (drives.CanRelease(joint)) drives.SetReleased(joint, true);
    }

    public bool IsReleased(int joint) => ((uint)joint < (uint)gpio.Joints && gpio.IsReleased(joint)) || ((uint)joint < (uint)drives.Joints && drives.IsReleased(joint));

    public void Heartbeat()
    {
        gpio.Heartbeat();
        drives.Heartbeat();
    }

    public bool CanRelease(int joint) => gpio.CanRelease(joint) || drives.CanRelease(joint);
}
