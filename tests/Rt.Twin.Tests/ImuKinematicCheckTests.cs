using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Twin.Tests;

/// <summary>
/// The IMUs against the encoders' kinematics (issue 13 item 4, the blind band): a bias on a foot IMU's axis is caught
/// and named as that IMU's axis, however badly the twin's own prediction of that axis is correlated.
/// </summary>
public partial class DigitalTwinTests
{
    private static int FootImu(ChannelLayout layout)
    {
        var names = layout.ImuNames.ToList();
        int i = names.FindIndex(n => n.Contains("foot", StringComparison.Ordinal));
        Assert.True(i >= 0, "the test robot has a foot IMU");
        return i;
    }

    /// <summary>Runs the warmed-up synthetic robot with a bias added to one IMU sample; returns the first trip's tick offset and diagnosis.</summary>
    private (int Ticks, FaultDiagnosis Diagnosis, int Evidence) RunWithImuBias(int imu, bool gyro, int axis, float bias, int maxTicks)
    {
        var (twin, _, state, robot) = WarmedUp();
        for (int k = 0; k < maxTicks; k++)
        {
            long tick = IsoWarmup + k;
            Feed(state, robot, tick);
            ref var s = ref state.Image.Imus[imu];
            if (gyro)
            {
                if (axis == 0) s.AngularRateX += bias; else if (axis == 1) s.AngularRateY += bias; else s.AngularRateZ += bias;
            }
            else
            {
                if (axis == 0) s.SpecificForceX += bias; else if (axis == 1) s.SpecificForceY += bias; else s.SpecificForceZ += bias;
            }
            twin.Step(state);
            if (state.Divergence.OverCount > 0) return (k + 1, state.Divergence.Diagnosis, state.Divergence.EvidenceChannel);
            robot.Advance(state.TargetPosition, state.TargetVelocity);
            Control(state, tick);
        }
        return (-1, default, -1);
    }

    [Fact]
    public void A_foot_gyro_bias_is_caught_by_the_encoders_kinematics_and_named_as_the_imus_axis()
    {
        var (config, layout, _) = Setup();
        _ = config;
        int imu = FootImu(layout);
        // 0.05 rad/s: a third of the bench scenario's step, far inside the twin's own prediction error of a foot gyro.
        var (ticks, d, evidence) = RunWithImuBias(imu, gyro: true, axis: 1, bias: 0.05f, maxTicks: 50);
        Assert.True(ticks > 0, "not detected within 50 ticks");
        Assert.Equal(FaultClass.Sensor, d.Class);
        Assert.Equal(FaultSite.Imu, d.Site);
        Assert.Equal(imu, d.Location);
        Assert.Equal(1, d.Axis);
        Assert.Equal(DetectionTest.MeanShift, d.Test);
        Assert.Equal(layout.IndexOf(ChannelKind.ImuAngularRate, imu), evidence);
    }

    [Fact]
    public void A_foot_accelerometer_bias_is_caught_by_the_encoders_kinematics_within_50_ticks()
    {
        var (_, layout, _) = Setup();
        int imu = FootImu(layout);
        var (ticks, d, evidence) = RunWithImuBias(imu, gyro: false, axis: 0, bias: 1.5f, maxTicks: 50);
        Assert.True(ticks > 0, "not detected within 50 ticks");
        Assert.Equal(FaultClass.Sensor, d.Class);
        Assert.Equal(FaultSite.Imu, d.Site);
        Assert.Equal(imu, d.Location);
        Assert.Equal(0, d.Axis);
        Assert.Equal(layout.IndexOf(ChannelKind.ImuSpecificForce, imu), evidence);
    }

    [Fact]
    public void Without_a_bias_the_kinematic_check_stays_quiet_on_the_moving_synthetic_robot()
    {
        var (_, layout, _) = Setup();
        int imu = FootImu(layout);
        var (ticks, _, _) = RunWithImuBias(imu, gyro: true, axis: 1, bias: 0f, maxTicks: 2000);
        Assert.Equal(-1, ticks);
    }
}
