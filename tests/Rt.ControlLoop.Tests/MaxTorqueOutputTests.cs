using Rt.ControlLoop.Pipeline;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.TestSupport;

namespace Rt.ControlLoop.Tests;

/// <summary>0x6072 max torque on every tick: the joint's limit in motion, the hold's fraction of it (<see cref="TickState.HoldTorqueFraction"/>) while <see cref="TickState.CollisionHold"/>.</summary>
public sealed class MaxTorqueOutputTests
{
    [Fact]
    public void Every_tick_writes_the_joints_limit_or_the_hold_limit_in_per_mille_of_rated_torque()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var s = new TickState(config.Joints.Count, config.Imus.Count, layout);
        var io = new JointIo(config);
        s.PowerRequest = DrivePowerRequest.Operate;
        io.WriteOutputs(s);
        for (int j = 0; j < config.Joints.Count; j++)
        {
            var joint = config.Joints[j];
            double rated = joint.RatedTorqueNm * joint.GearRatio;
            // In motion the clamp sits above the monitored limit, so the supervisor still sees a drive fighting past it.
            Assert.Equal(Math.Round(JointIo.MotionTorqueClampShare * joint.Limits.TorqueNm / rated * 1000), s.Image.Outputs[j].MaxTorque);
        }
        s.CollisionHold = true;
        Array.Fill(s.HoldTorqueFraction, 0.25);
        s.HoldTorqueFraction[1] = 7; // out of range: clamped to the joint's own limit, never above
        io.WriteOutputs(s);
        for (int j = 0; j < config.Joints.Count; j++)
        {
            var joint = config.Joints[j];
            double rated = joint.RatedTorqueNm * joint.GearRatio;
            Assert.Equal(Math.Round((j == 1 ? 1 : 0.25) * joint.Limits.TorqueNm / rated * 1000), s.Image.Outputs[j].MaxTorque);
        }
        s.CollisionHold = false;
        s.PowerRequest = DrivePowerRequest.Off; // also while the drives are off: the value is always a defined limit
        io.WriteOutputs(s);
        Assert.NotEqual(0, s.Image.Outputs[0].MaxTorque);
    }
}
