using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Safety.Tests;

/// <summary>
/// A joint whose drive has no torque actual (its torque channels marked off in the layout at start) is not judged on
/// torque: neither the torque limit nor the collision check can trip on a value that was never measured; the other
/// joint keeps both checks.
/// </summary>
public sealed class DroppedChannelTests
{
    private static Rig KneeWithoutTorque() => new Rig(layoutSetup: l =>
    {
        l.MarkOff(ChannelKind.JointTorque, 1, "no torque actual (0x6077)");
        l.MarkOff(ChannelKind.ExternalTorque, 1, "no torque actual (0x6077)");
    }).Operational();

    [Fact]
    public void Torque_limit_and_collision_are_off_for_the_joint_without_torque_actual()
    {
        var rig = KneeWithoutTorque();
        rig.Condition = s =>
        {
            s.Torque[1] = -60; // above the 55 N·m limit, but knee's torque is not measured
            s.Divergence.ExternalTorque[1] = 20; // above the 15 N·m collision threshold
        };
        rig.Run(50);
        Assert.Equal(SafetyState.Operational, rig.State);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_other_joint_still_trips_on_torque_and_collision(bool torque)
    {
        var rig = KneeWithoutTorque();
        rig.Condition = torque ? s => s.Torque[0] = -60 : s => s.Divergence.ExternalTorque[0] = 20;
        rig.RunUntil(r => r.State != SafetyState.Operational, max: 50);
        Assert.NotEqual(SafetyState.Operational, rig.State);
    }
}
