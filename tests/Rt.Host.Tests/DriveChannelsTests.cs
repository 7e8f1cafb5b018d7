using Rt.ControlLoop.Pipeline;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.ProcessData;
using Rt.Core.Tick;
using Rt.Session;
using Rt.TestSupport;
using Xunit;

namespace Rt.Host.Tests;

/// <summary>
/// Session level: what the bus reports a drive lacks becomes channels marked off and one start-up line per joint and
/// stage (never silent); the twin built on that layout runs without judging the missing channel; the joint I/O
/// commands each joint in its own mode.
/// </summary>
public sealed class DriveChannelsTests
{
    [Fact]
    public void A_drive_without_torque_actual_is_named_at_start_and_its_channels_are_off()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        int knee = config.Joints.FindIndex(j => j.Name == "l_knee");
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var feedback = Enumerable.Repeat(DriveFeedback.All, config.Joints.Count).ToArray();
        feedback[knee] &= ~DriveFeedback.Torque;

        var lines = DriveChannels.Apply(config, feedback, layout);

        Assert.Equal(
        [
            "twin: l_knee has no torque actual: torque and external-torque checks off for this joint",
            "safety: l_knee has no torque actual: torque-limit and collision checks off for this joint",
        ], lines);
        for (int c = 0; c < layout.Count; c++)
        {
            var ch = layout.Channels[c];
            bool expectOff = ch.Index == knee && ch.Kind is ChannelKind.JointTorque or ChannelKind.ExternalTorque;
            Assert.Equal(expectOff, layout.IsOff(c));
        }

        // The twin on this layout: a NaN torque from the knee (never measured) raises no sensor fault and no alarm.
        var twin = new Rt.Twin.DigitalTwin(config, layout);
        var s = new TickState(config.Joints.Count, config.Imus.Count, layout);
        for (int t = 0; t < 50; t++)
        {
            s.Tick = t;
            s.Faults.Clear();
            for (int j = 0; j < config.Joints.Count; j++) s.DriveOperational[j] = true;
            s.Torque[knee] = double.NaN;
            twin.Step(s);
            Assert.Equal(0, s.Faults.Count);
            Assert.False(s.Divergence.OverThreshold[layout.IndexOf(ChannelKind.JointTorque, knee)]);
        }
    }

    [Fact]
    public void A_drive_without_velocity_or_error_code_is_named_too()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var feedback = Enumerable.Repeat(DriveFeedback.All, config.Joints.Count).ToArray();
        feedback[0] = DriveFeedback.Torque;
        var lines = DriveChannels.Apply(config, feedback, layout);
        string name = config.Joints[0].Name;
        Assert.Equal(3, lines.Count);
        Assert.Equal($"twin: {name} has no velocity actual: velocity check off for this joint (velocity from the position difference)", lines[0]);
        Assert.StartsWith($"safety: {name} has no velocity actual", lines[1]);
        Assert.StartsWith($"safety: {name} has no error code (0x603F)", lines[2]);
        Assert.True(layout.IsOff(layout.IndexOf(ChannelKind.JointVelocity, 0)));
    }

    [Fact]
    public void Joint_io_commands_csv_and_cst_joints_in_their_mode_and_derives_a_missing_velocity()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Joints[0].Mode = JointMode.Csv;
        config.Joints[0].HostLoop.PositionGainPerS = 10;
        config.Joints[1].Mode = JointMode.Cst;
        config.Joints[1].HostLoop.StiffnessNmPerRad = 100;
        config.Joints[1].HostLoop.DampingNmSPerRad = 0.5;
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var s = new TickState(config.Joints.Count, config.Imus.Count, layout);
        s.Image.Feedback[1] &= ~DriveFeedback.Velocity;
        var io = new JointIo(config);
        var k0 = new Rt.Drivers.Cia402.JointScaling(config.Joints[0]);
        var k1 = new Rt.Drivers.Cia402.JointScaling(config.Joints[1]);
        double q0 = Mid(config.Joints[0]), q1 = Mid(config.Joints[1]);
        s.Image.Inputs[0].PositionActual = k0.PositionToCounts(q0);
        s.Image.Inputs[1].PositionActual = k1.PositionToCounts(q1);
        s.Image.Inputs[1].VelocityActual = 123456; // not mapped on this drive: must not be used
        io.ReadInputs(s);
        s.Image.Inputs[1].PositionActual = k1.PositionToCounts(q1 + 0.001); // 1 mrad in one tick
        for (int j = 0; j < config.Joints.Count; j++) s.Image.Inputs[j].Statusword = 0x0237; // operation enabled
        io.ReadInputs(s);
        Assert.Equal(0.001 * config.Loop.RateHz, s.Velocity[1], 0.01);

        s.PowerRequest = DrivePowerRequest.Operate;
        s.TargetPosition[0] = s.Position[0] + 0.01;
        s.TargetVelocity[0] = 0.2;
        s.TargetPosition[1] = s.Position[1] + 0.01;
        s.TargetVelocity[1] = 0;
        s.FeedforwardTorque[1] = 1;
        io.WriteOutputs(s);

        Assert.Equal(9, s.Image.Outputs[0].ModeOfOperation);
        Assert.Equal(10, s.Image.Outputs[1].ModeOfOperation);
        Assert.Equal(8, s.Image.Outputs[2].ModeOfOperation);
        Assert.Equal(0.2 + 10 * 0.01, k0.CountsToVelocity(s.Image.Outputs[0].TargetVelocity), 1e-3);
        double tau = 1 + 100 * 0.01 + 0.5 * (0 - s.Velocity[1]); // 1.5 N·m
        Assert.Equal(tau, k1.PerMilleToTorque(s.Image.Outputs[1].TargetTorque), k1.RatedJointTorqueNm / 1000);
    }

    private static double Mid(JointDriveConfig j) => 0.5 * (j.Limits.PositionMinRad + j.Limits.PositionMaxRad);
}
