using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Drivers.Gpio;
using Rt.Drivers.Imu.I2c;
using Rt.Hil.Campaign;
using Rt.Hil.I2c;
using Rt.Safety;
using Rt.Session;
using Rt.TestSupport;
using Xunit;

namespace Rt.Host.Tests;

/// <summary>
/// An I²C IMU beside the EtherCAT bus, on biped12 on the bench: a register-level MPU-6500 model on the bench's bus 1,
/// fed by the MuJoCo plant at its mount, read through the real driver (Iot.Device.Bindings setup, one burst read,
/// axis mapping, lock-free slot) into the process image after the EtherCAT IMUs, where the supervisor checks it.
/// </summary>
public sealed class I2cImuOnBenchTests
{
    private static I2cImuConfig Mpu(int bus = 1) => new()
    {
        Name = "pelvis_i2c_imu", Link = "pelvis", Bus = bus, Address = 0x68, Chip = "mpu6500",
        // Mounted upside down about x (body y = -chip y, body z = -chip z) at the EtherCAT pelvis IMU's spot: the driver
        // must undo it to read what the EtherCAT IMU reads.
        Axes = ["x", "-y", "-z"], Xyz = [0, 0, 0.05], RateHz = 1000, StaleAfterS = 0.005, AccelRangeG = 8, GyroRangeDps = 1000,
    };

    private static Action<RtConfig> With(I2cImuConfig imu) => c => c.I2cImus.Add(imu);

    [Fact]
    public void The_i2c_imu_reads_the_plant_like_the_ethercat_imu_on_the_same_link_and_keeps_the_robot_operational()
    {
        using var b = new LockstepBench(tweak: With(Mpu()));
        int ec = b.Config.Imus.Count;
        Assert.Equal(ec + 1, b.Session.Layout.ImuCount);
        Assert.Equal("pelvis_i2c_imu", b.Session.Layout.ImuNames[ec]);
        Assert.Equal(ec + 1, b.State.Image.ImuCount);
        b.RunUntilOperational(settleTicks: 300);
        int pelvis = b.Config.Imus.FindIndex(i => i.Link == "pelvis");
        Assert.True(pelvis >= 0);
        var i2c = b.State.Image.Imus[ec];
        var eth = b.State.Image.Imus[pelvis];
        // Standing: ~+9.8 m/s² up in both (quantisation of ±8 g over 16 bits is 2.4 mm/s²; the EtherCAT IMU is a tick mean).
        Assert.InRange(i2c.SpecificForceZ, 8.5f, 11f);
        Assert.InRange(Math.Abs(i2c.SpecificForceZ - eth.SpecificForceZ), 0f, 0.5f);
        Assert.InRange(Math.Abs(i2c.SpecificForceY - eth.SpecificForceY), 0f, 0.5f);
        Assert.InRange(Math.Abs(i2c.AngularRateZ - eth.AngularRateZ), 0f, 0.2f);
        Assert.NotEqual(0, i2c.SampleCounter);
        Assert.False(b.HasFault(FaultCode.ImuStale));
        Assert.Equal(SafetyState.Operational, b.State.SafetyState);
    }

    [Fact]
    public void An_i2c_imu_that_stops_answering_is_an_imu_fault_for_the_supervisor_within_its_stale_bound()
    {
        using var b = new LockstepBench(tweak: With(Mpu()));
        b.RunUntilOperational(settleTicks: 50);
        var chip = ((BenchRig)b.Session.Rig!).I2cBuses!.Chip(0x68)!;
        chip.Present = false; // the chip drops off the bus: the sampler counts bus errors, the slot ages
        long pulled = b.NextTick;
        long trip = b.StepUntilLeaves(SafetyState.Operational, maxTicks: 200);
        // 5 ms stale bound at 1 kHz: the reader raises imu_stale on the 6th tick without a fresh sample at the latest.
        Assert.InRange(trip - pulled, 1, 8);
        Assert.True(b.Session.I2cImus!.Samplers[0].Errors > 0);
        var events = b.CloseAndTakeEvents();
        Assert.Contains(events, e => e.Tick == trip && e.Trigger == FaultCode.ImuStale);
    }

    [Fact]
    public void A_missing_i2c_bus_refuses_the_session_with_one_line_naming_bus_and_address()
    {
        var e = Assert.Throws<DeviceUnavailableException>(() => new LockstepBench(tweak: With(Mpu(bus: 7))));
        Assert.Equal("i2c_imus[0]", e.Key);
        Assert.Contains("/dev/i2c-7", e.Message, StringComparison.Ordinal);
        Assert.Contains("0x68", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_chip_of_another_kind_at_the_address_is_refused_naming_expected_and_found_id()
    {
        // The bench wires an MPU-6500; the config asks for an MPU-9250 at the same address.
        var buses = new BenchI2cBuses(new RtConfig { I2cImus = { Mpu() } });
        var config = new RtConfig { SourcePath = "robot.yaml", I2cImus = { Mpu() } };
        config.I2cImus[0].Chip = "mpu9250";
        var e = Assert.Throws<DeviceUnavailableException>(() => I2cImuSet.Open(config, TimeProvider.System, buses, startThreads: false));
        Assert.Contains("expected 0x71", e.Message, StringComparison.Ordinal);
        Assert.Contains("found 0x70", e.Message, StringComparison.Ordinal);
    }
}
