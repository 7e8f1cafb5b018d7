using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.ProcessData;

namespace Rt.Session;

/// <summary>
/// Turns what each joint's drive maps (<see cref="DriveFeedback"/>, from the bus at prepare time) into channels marked
/// off in the <see cref="ChannelLayout"/> and one start-up line per joint and stage, so a missing optional object is
/// never dropped silently. Call after the bus is up and before the twin and supervisor are built (they read the marks).
/// Not real-time safe.
/// </summary>
public static class DriveChannels
{
    /// <summary>Marks the layout and returns the lines to print, in joint order.</summary>
    public static IReadOnlyList<string> Apply(RtConfig config, IReadOnlyList<DriveFeedback> feedback, ChannelLayout layout)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(feedback);
        ArgumentNullException.ThrowIfNull(layout);
        var lines = new List<string>();
        for (int j = 0; j < config.Joints.Count && j < feedback.Count; j++)
        {
            string name = config.Joints[j].Name;
            var f = feedback[j];
            if ((f & DriveFeedback.Torque) == 0)
            {
                layout.MarkOff(ChannelKind.JointTorque, j, "no torque actual (0x6077)");
                layout.MarkOff(ChannelKind.ExternalTorque, j, "no torque actual (0x6077)");
                lines.Add($"twin: {name} has no torque actual: torque and external-torque checks off for this joint");
                lines.Add($"safety: {name} has no torque actual: torque-limit and collision checks off for this joint");
            }
            if ((f & DriveFeedback.Velocity) == 0)
            {
                layout.MarkOff(ChannelKind.JointVelocity, j, "no velocity actual (0x606C)");
                lines.Add($"twin: {name} has no velocity actual: velocity check off for this joint (velocity from the position difference)");
                lines.Add($"safety: {name} has no velocity actual: velocity limit judged on the position difference over one tick");
            }
            if ((f & DriveFeedback.ErrorCode) == 0)
                lines.Add($"safety: {name} has no error code (0x603F): a drive fault is reported by its statusword alone");
        }
        return lines;
    }
}
