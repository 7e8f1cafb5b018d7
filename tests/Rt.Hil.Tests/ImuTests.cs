using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.ProcessData;
using Rt.Hil.Drives;

namespace Rt.Hil.Tests;

public class ImuTests
{
    private static EmulatedImu Imu(double rateHz = 1000) =>
        new(new ImuConfig { Name = "t", Link = "pelvis", AccelRangeMs2 = 160, GyroRangeRadS = 35, RateHz = rateHz }, seed: 9)
        {
            AccelNoiseMs2 = 0,
            GyroNoiseRadS = 0,
        };

    [Fact]
    public void Quantises_to_16_bits_over_the_range()
    {
        var imu = Imu();
        var s = imu.Sample(0, new Vec3(0, 0, 9.81), new Vec3(0.001, 0, 0));
        double lsb = 160.0 / 32768;
        Assert.Equal(Math.Round(9.81 / lsb) * lsb, s.SpecificForceZ, 1e-5);
        Assert.Equal(Math.Round(0.001 / (35.0 / 32768)) * (35.0 / 32768), s.AngularRateX, 1e-7);
    }

    [Fact]
    public void Saturates_at_range_and_sets_status_bits()
    {
        var imu = Imu();
        var s = imu.Sample(0, new Vec3(500, 0, 0), new Vec3(0, -100, 0));
        Assert.Equal(160 * 32767 / 32768.0, s.SpecificForceX, 1e-3);
        Assert.Equal(-35, s.AngularRateY, 1e-3);
        Assert.Equal((ushort)(ImuStatus.AccelSaturated | ImuStatus.GyroSaturated), s.Status);
    }

    [Fact]
    public void Counter_moves_once_per_own_period_and_stops_when_frozen()
    {
        var imu = Imu(rateHz: 500);
        var zero = new Vec3(0, 0, 0);
        Assert.Equal(1, imu.Sample(0, zero, zero).SampleCounter);
        Assert.Equal(1, imu.Sample(1_000_000, zero, zero).SampleCounter); // 1 kHz tick, 500 Hz IMU: repeat
        Assert.Equal(2, imu.Sample(2_000_000, zero, zero).SampleCounter);
        imu.Frozen = true;
        Assert.Equal(2, imu.Sample(4_000_000, new Vec3(1, 1, 1), zero).SampleCounter);
        Assert.Equal(0, imu.Last.SpecificForceX);
    }

    [Fact]
    public void Bias_step_shifts_the_reading_and_noise_is_seeded()
    {
        var imu = Imu();
        imu.GyroBias = new Vec3(0, 0, 0.1);
        Assert.Equal(0.1, imu.Sample(0, default, default).AngularRateZ, 1e-3);

        var a = new EmulatedImu(new ImuConfig { Name = "a", RateHz = 1000, AccelRangeMs2 = 160, GyroRangeRadS = 35 }, seed: 4);
        var b = new EmulatedImu(new ImuConfig { Name = "b", RateHz = 1000, AccelRangeMs2 = 160, GyroRangeRadS = 35 }, seed: 4);
        for (long t = 0; t < 20_000_000; t += 1_000_000)
            Assert.Equal(a.Sample(t, new Vec3(0, 0, 9.81), default), b.Sample(t, new Vec3(0, 0, 9.81), default));
    }
}
