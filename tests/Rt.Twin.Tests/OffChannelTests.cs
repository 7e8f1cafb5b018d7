using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Twin.CrossCheck;

namespace Rt.Twin.Tests;

/// <summary>A channel marked off in the layout (its drive has no such measurement) is never scored and never alarms, whatever it is fed.</summary>
public sealed class OffChannelTests
{
    [Fact]
    public void An_off_channel_never_alarms_while_its_neighbour_does()
    {
        var layout = new ChannelLayout(["l_hip_pitch", "l_knee"], ["pelvis_imu"]);
        int kneeTorque = layout.IndexOf(ChannelKind.JointTorque, 1);
        int hipTorque = layout.IndexOf(ChannelKind.JointTorque, 0);
        layout.MarkOff(ChannelKind.JointTorque, 1, "no torque actual (0x6077)");
        Assert.True(layout.IsOff(kneeTorque));
        Assert.False(layout.IsOff(hipTorque));
        Assert.Equal("no torque actual (0x6077)", layout.OffReason(kneeTorque));

        var noise = new NoiseModel(layout);
        for (int c = 0; c < layout.Count; c++) noise.Set(c, 0.01);
        var evaluator = new CrossCheckEvaluator(layout, noise, new TwinSection(), TimeSpan.FromMilliseconds(1));
        evaluator.SetExcluded(kneeTorque, false);
        var record = new DivergenceRecord(layout);
        var components = new double[evaluator.ComponentCount];
        var faults = new FaultList(16);
        bool hipAlarmed = false;
        for (int t = 0; t < 200; t++)
        {
            components[evaluator.ComponentOffset(kneeTorque)] = t % 2 == 0 ? 1e6 : double.NaN; // huge or non-finite
            components[evaluator.ComponentOffset(hipTorque)] = 1.0; // 100 σ
            faults.Clear();
            evaluator.Evaluate(components, record, faults, t);
            Assert.False(record.OverThreshold[kneeTorque]);
            Assert.Equal(0, record.Detector[kneeTorque]);
            Assert.Equal(0, record.Innovation[kneeTorque]);
            Assert.Equal(0, faults.Count); // a channel that does not exist raises no sensor fault either
            hipAlarmed |= record.OverThreshold[hipTorque];
        }
        Assert.True(hipAlarmed);
    }
}
