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
        for (int j = 0; j < config.Joints.Count; j++) s.Image.Outputs[j].MaxTorque = 0; // so a write that skipped it shows
        io.WriteOutputs(s);
        for (int j = 0; j < config.Joints.Count; j++)
            Assert.Equal(io.MotionMaxTorque(j), s.Image.Outputs[j].MaxTorque); // hold over: back to the motion clamp
    }
    [Fact]
    public void The_drives_own_0x6072_caps_both_the_motion_clamp_and_the_collision_hold()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var s = new TickState(config.Joints.Count, config.Imus.Count, layout);
        var plain = new JointIo(config);
        plain.WriteOutputs(s);
        ushort motion0 = s.Image.Outputs[0].MaxTorque, motion1 = s.Image.Outputs[1].MaxTorque, motion2 = s.Image.Outputs[2].MaxTorque;
        s.CollisionHold = true;
        Array.Fill(s.HoldTorqueFraction, 0.6);
        plain.WriteOutputs(s);
        ushort hold0 = s.Image.Outputs[0].MaxTorque, hold1 = s.Image.Outputs[1].MaxTorque, hold2 = s.Image.Outputs[2].MaxTorque;
        Assert.True(hold0 > 2 && hold1 < motion1);

        // Joint 0's drive is commissioned below both, joint 1's between hold and motion, joint 2's not known (0).
        var commissioned = new ushort[config.Joints.Count];
        commissioned[0] = (ushort)(hold0 / 2);
        commissioned[1] = (ushort)((hold1 + motion1) / 2);
        Assert.True(commissioned[0] < motion0);
        var io = new JointIo(config, commissioned);
        s.CollisionHold = false;
        io.WriteOutputs(s);
        Assert.Equal(commissioned[0], s.Image.Outputs[0].MaxTorque);
        Assert.Equal(commissioned[1], s.Image.Outputs[1].MaxTorque);
        Assert.Equal(motion2, s.Image.Outputs[2].MaxTorque);
        Assert.Equal(commissioned[1], io.MotionMaxTorque(1));
        // One start-up line naming each lowered joint; none where the drive's own limit is not known or not lower.
        Assert.Empty(plain.Notes);
        var note = Assert.Single(io.Notes);
        Assert.Contains("on 2 joint(s)", note, StringComparison.Ordinal);
        Assert.Contains($"{config.Joints[0].Name} {commissioned[0]} < {motion0} ‰", note, StringComparison.Ordinal);
        Assert.Contains($"{config.Joints[1].Name} {commissioned[1]} < {motion1} ‰", note, StringComparison.Ordinal);
        Assert.DoesNotContain(config.Joints[2].Name + " ", note, StringComparison.Ordinal);
        s.CollisionHold = true;
        io.WriteOutputs(s);
        Assert.Equal(commissioned[0], s.Image.Outputs[0].MaxTorque);
        Assert.Equal(hold1, s.Image.Outputs[1].MaxTorque);
        Assert.Equal(hold2, s.Image.Outputs[2].MaxTorque);
    }

    /// <summary>The collision hold's brake under power: the brake's own 0x60FE:01 bit (brakes[i].engage_bit), only where configured, other bits kept.</summary>
    [Fact]
    public void A_brake_closed_under_power_sets_its_engage_bit_only_where_the_config_names_one_and_clears_it_after()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Brakes[0].EngageBit = null; // l_hip_yaw: a drive without the command
        config.Brakes[1].EngageBit = 20;   // l_hip_roll: another vendor's bit
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var s = new TickState(config.Joints.Count, config.Imus.Count, layout);
        var io = new JointIo(config);
        s.PowerRequest = DrivePowerRequest.Operate;
        s.Image.Outputs[2].DigitalOutputs = Rt.Core.ProcessData.DriveDigitalOutputs.BrakeRelease; // bit 0 belongs to the release
        Array.Fill(s.BrakeEngage, true);
        io.WriteOutputs(s);
        Assert.Equal(0u, s.Image.Outputs[0].DigitalOutputs);
        Assert.Equal(1u << 20, s.Image.Outputs[1].DigitalOutputs);
        Assert.Equal((1u << 16) | 1u, s.Image.Outputs[2].DigitalOutputs);
        Array.Clear(s.BrakeEngage);
        io.WriteOutputs(s);
        Assert.Equal(0u, s.Image.Outputs[1].DigitalOutputs);
        Assert.Equal(1u, s.Image.Outputs[2].DigitalOutputs);
    }
}
