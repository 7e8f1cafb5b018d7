using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Faults;
using Rt.Core.ProcessData;
using Rt.Drivers.Gpio;
using Rt.Drivers.Imu.I2c;
using Rt.Drivers.Tests.Models;
using Xunit.Abstractions;

namespace Rt.Drivers.Tests.Imu.I2c;

/// <summary>
/// I²C IMUs through Iot.Device.Bindings against register-level chip models (no I²C bus on this machine): identity
/// checks, axes mapping, injected-clock stamps, stale and saturation faults, and a tick side that allocates nothing.
/// </summary>
public sealed class I2cImuTests(ITestOutputHelper output)
{
    private const double G = 9.80665;

    private static RtConfig Config(params I2cImuConfig[] imus)
    {
        var c = new RtConfig { SourcePath = "/etc/rt/rt.yaml" };
        c.I2cImus.AddRange(imus);
        return c;
    }

    private static I2cImuConfig Bno(int bus = 1, int address = 0x28) =>
        new() { Name = "chest", Chip = "bno055", Bus = bus, Address = address, RateHz = 100, StaleAfterS = 0.05, Axes = ["x", "-y", "-z"] };

    private static I2cImuConfig Mpu(string chip = "mpu9250", int address = 0x68, int accelG = 16) =>
        new() { Name = "head", Chip = chip, Bus = 1, Address = address, RateHz = 1000, StaleAfterS = 0.01, AccelRangeG = accelG, Axes = ["y", "x", "-z"] };

    [Fact]
    public void Chip_id_mismatch_is_one_line_naming_bus_address_expected_and_found()
    {
        var bus = new I2cBusModel();
        bus.Add(new Bno055Model(chipId: 0x71));
        var e = Assert.Throws<DeviceUnavailableException>(() => I2cImuSet.Open(Config(Bno()), new ManualClock(), bus, startThreads: false));
        output.WriteLine(e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal("i2c_imus[0]", e.Key);
        Assert.Contains("/dev/i2c-1 address 0x28", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected 0xA0 (bno055, register 0x00), found 0x71 (an MPU-9250)", e.Message, StringComparison.Ordinal);

        var bus2 = new I2cBusModel();
        bus2.Add(new MpuModel(whoAmI: 0x71));
        e = Assert.Throws<DeviceUnavailableException>(() => I2cImuSet.Open(Config(Mpu("mpu6500")), new ManualClock(), bus2, startThreads: false));
        output.WriteLine(e.Message);
        Assert.Contains("expected 0x70 (mpu6500, register 0x75), found 0x71", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_ack_and_missing_bus_are_one_line_each()
    {
        var bus = new I2cBusModel().Bus(1);
        var e = Assert.Throws<DeviceUnavailableException>(() => I2cImuSet.Open(Config(Bno(address: 0x29)), new ManualClock(), bus, startThreads: false));
        output.WriteLine(e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("/etc/rt/rt.yaml: i2c_imus[0]: no ACK from /dev/i2c-1 address 0x29; expected a bno055 there", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<DeviceUnavailableException>(() => I2cImuSet.Open(Config(Bno(bus: 7)), new ManualClock(), bus, startThreads: false));
        output.WriteLine(e.Message);
        Assert.Contains("I2C bus /dev/i2c-7 not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_values_are_input_errors_naming_the_key()
    {
        var bus = new I2cBusModel();
        bus.Add(new Bno055Model());
        var bad = Bno();
        bad.Axes = ["x", "x", "z"];
        var e = Assert.Throws<InputError>(() => I2cImuSet.Open(Config(bad), new ManualClock(), bus, startThreads: false));
        Assert.Equal("i2c_imus[0].axes", e.Location);
        bad = Bno();
        bad.Axes = ["x", "y", "-z"]; // mirror
        Assert.Contains("left-handed", Assert.Throws<InputError>(() => I2cImuSet.Open(Config(bad), new ManualClock(), bus, startThreads: false)).Problem, StringComparison.Ordinal);
        bad = Bno();
        bad.RateHz = 400;
        Assert.Equal("i2c_imus[0].rate_hz", Assert.Throws<InputError>(() => I2cImuSet.Open(Config(bad), new ManualClock(), bus, startThreads: false)).Location);
        bad = Bno();
        bad.Chip = "lsm6";
        Assert.Equal("i2c_imus[0].chip", Assert.Throws<InputError>(() => I2cImuSet.Open(Config(bad), new ManualClock(), bus, startThreads: false)).Location);
    }

    [Fact]
    public void Bno055_samples_reach_the_tick_in_the_body_frame_with_clock_stamps()
    {
        var bus = new I2cBusModel();
        var chip = bus.Add(new Bno055Model());
        var clock = new ManualClock();
        using var set = I2cImuSet.Open(Config(Bno()), clock, bus, firstSource: 2, startThreads: false);
        Assert.Equal(0x08, chip.OperatingMode); // IMU fusion mode (accelerometer + gyroscope)

        chip.Set(1.5f, 2.25f, 9.81f, 10, -20, 30);
        clock.Ns = 7_000_000;
        Assert.True(set.Samplers[0].SampleOnce());
        clock.Ns = 12_000_000;
        var imus = new ImuInputs[1];
        var faults = new FaultList(8);
        set.ReadAll(imus, clock.Ns, 12, faults);

        Assert.Equal(0, faults.Count);
        Assert.Equal(1.5f, imus[0].SpecificForceX, 3);
        Assert.Equal(-2.25f, imus[0].SpecificForceY, 3);
        Assert.Equal(-9.81f, imus[0].SpecificForceZ, 3);
        Assert.Equal(10 * Math.PI / 180, imus[0].AngularRateX, 4);
        Assert.Equal(20 * Math.PI / 180, imus[0].AngularRateY, 4);
        Assert.Equal(-30 * Math.PI / 180, imus[0].AngularRateZ, 4);
        Assert.Equal(25f, imus[0].TemperatureC);
        Assert.Equal(1, imus[0].SampleCounter);
        Assert.Equal(7_000_000, set.Readers[0].Last.StampNs);
    }

    [Fact]
    public void Mpu9250_is_set_to_the_configured_ranges_and_maps_axes()
    {
        var bus = new I2cBusModel();
        var chip = bus.Add(new MpuModel(whoAmI: 0x71));
        bus.Add(new Ak8963Model());
        var clock = new ManualClock { Ns = 3_000_000 };
        using var set = I2cImuSet.Open(Config(Mpu()), clock, bus, startThreads: false);
        Assert.True(chip.Resets >= 1);
        Assert.Equal(16, chip.AccelRangeG);
        Assert.Equal(2000, chip.GyroRangeDps);

        chip.Set(1, 2, G, 100, -50, 5);
        Assert.True(set.Samplers[0].SampleOnce());
        var imus = new ImuInputs[1];
        var faults = new FaultList(8);
        set.ReadAll(imus, clock.Ns, 0, faults);
        Assert.Equal(0, faults.Count);
        double lsb = 16 * G / 32768;
        Assert.Equal(2, imus[0].SpecificForceX, lsb); // body x = chip y
        Assert.Equal(1, imus[0].SpecificForceY, lsb); // body y = chip x
        Assert.Equal(-G, imus[0].SpecificForceZ, lsb);
        Assert.Equal(-50 * Math.PI / 180, imus[0].AngularRateX, 2000 / 32768.0 * Math.PI / 180);
        Assert.Equal(30, imus[0].TemperatureC, 0.01);
        Assert.Equal(3_000_000, set.Readers[0].Last.StampNs);
    }

    [Fact]
    public void A_stuck_sampler_makes_the_tick_raise_stale_after_the_configured_duration()
    {
        var bus = new I2cBusModel();
        bus.Add(new Bno055Model());
        var clock = new ManualClock();
        using var set = I2cImuSet.Open(Config(Bno()), clock, bus, startThreads: false);
        var imus = new ImuInputs[1];
        var faults = new FaultList(8);

        set.ReadAll(imus, clock.Ns, 0, faults); // nothing sampled yet
        Assert.Equal(FaultCode.ImuStale, Assert.Single(faults.Items.ToArray()).Code);

        set.Samplers[0].SampleOnce();
        for (int ms = 0; ms <= 50; ms += 10) // the sampler is stuck from here on
        {
            faults.Clear();
            set.ReadAll(imus, ms * 1_000_000L, ms, faults);
            Assert.Equal(0, faults.Count);
        }
        faults.Clear();
        set.ReadAll(imus, 51_000_000, 51, faults);
        var f = Assert.Single(faults.Items.ToArray());
        Assert.Equal(FaultCode.ImuStale, f.Code);
        Assert.Equal(50_000, f.Expected);
        Assert.Equal(51_000, f.Received);
        Assert.Equal(51, f.Tick);

        // A bus error is a skipped sample, not a fresh one: still stale.
        ((RegisterI2cDevice)bus.Open(1, 0x28)).Present = false;
        Assert.False(set.Samplers[0].SampleOnce());
        faults.Clear();
        set.ReadAll(imus, 60_000_000, 60, faults);
        Assert.Equal(FaultCode.ImuStale, Assert.Single(faults.Items.ToArray()).Code);
        Assert.Equal(1, set.Samplers[0].Errors);
    }

    [Fact]
    public void Saturation_at_full_scale_raises_its_fault()
    {
        var bus = new I2cBusModel();
        var mpu = bus.Add(new MpuModel(whoAmI: 0x70));
        var clock = new ManualClock();
        using var set = I2cImuSet.Open(Config(Mpu("mpu6500", accelG: 2)), clock, bus, startThreads: false);
        var imus = new ImuInputs[1];
        var faults = new FaultList(8);

        mpu.Set(0, 0, 1.9 * G, 0, 0, 0); // inside ±2 g
        set.Samplers[0].SampleOnce();
        set.ReadAll(imus, clock.Ns, 0, faults);
        Assert.Equal(0, faults.Count);

        mpu.Set(0, 0, 2.5 * G, 0, 0, 0); // the ADC clips
        set.Samplers[0].SampleOnce();
        set.ReadAll(imus, clock.Ns, 1, faults);
        var f = Assert.Single(faults.Items.ToArray());
        Assert.Equal(FaultCode.ImuSaturated, f.Code);
        Assert.Equal((ushort)ImuStatus.AccelSaturated, imus[0].Status);

        var bus2 = new I2cBusModel();
        var bno = bus2.Add(new Bno055Model());
        using var set2 = I2cImuSet.Open(Config(Bno()), clock, bus2, startThreads: false);
        bno.Set(0, 0, 9.81f, 0, 2500, 0);
        set2.Samplers[0].SampleOnce();
        faults.Clear();
        set2.ReadAll(imus, clock.Ns, 2, faults);
        Assert.Equal(FaultCode.ImuSaturated, Assert.Single(faults.Items.ToArray()).Code);
        Assert.Equal((ushort)ImuStatus.GyroSaturated, imus[0].Status);
    }

    [Fact]
    public void The_tick_side_read_allocates_nothing()
    {
        var bus = new I2cBusModel();
        bus.Add(new Bno055Model()).Set(0, 0, 9.81f, 1, 2, 3);
        var clock = new ManualClock();
        using var set = I2cImuSet.Open(Config(Bno()), clock, bus, startThreads: false);
        set.Samplers[0].SampleOnce();
        var imus = new ImuInputs[1];
        var faults = new FaultList(8);
        for (int i = 0; i < 1000; i++) { faults.Clear(); set.ReadAll(imus, 0, i, faults); }
        long a0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            faults.Clear();
            set.ReadAll(imus, i, i, faults);
        }
        long bytes = GC.GetAllocatedBytesForCurrentThread() - a0;
        output.WriteLine($"i2c_imu.tick_read.allocated: {bytes} bytes / 100000 reads");
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Seqlock_never_hands_out_a_torn_sample()
    {
        var slot = new ImuSampleSlot();
        using var stop = new CancellationTokenSource();
        var writer = new Thread(() =>
        {
            uint k = 0;
            while (!stop.IsCancellationRequested)
            {
                k++;
                slot.Publish(new I2cImuSample { AccelX = k, AccelY = k, AccelZ = k, GyroX = k, GyroY = k, GyroZ = k, TemperatureC = k, StampNs = k, Sequence = k });
                // A real sampler publishes at most every 1 ms; a short gap (still far faster than that) lets the reader
                // through on a loaded 2-core machine, while writes keep racing the reads.
                Thread.SpinWait(20);
            }
        });
        writer.Start();
        long ok = 0, raced = 0;
        var until = DateTime.UtcNow.AddMilliseconds(300);
        while (DateTime.UtcNow < until)
        {
            if (slot.TryRead(out var s))
            {
                ok++;
                Assert.True(s.AccelX == s.Sequence && s.GyroZ == s.Sequence && s.StampNs == s.Sequence, $"torn sample at {s.Sequence}");
            }
            else raced++;
        }
        stop.Cancel();
        writer.Join();
        output.WriteLine($"seqlock reads: {ok} consistent, {raced} gave up after 4 raced attempts");
        Assert.True(ok > 0, $"no consistent read in 300 ms ({raced} gave up)");
    }

    [Fact]
    public void The_i2c_imus_section_binds_from_yaml()
    {
        const string yaml = """
            i2c_imus:
              - name: chest
                chip: bno055
                bus: 1
                address: 0x28
                axes: [x, -y, -z]
                rate_hz: 100
                stale_after_s: 0.05
            """;
        var c = ConfigLoader.Bind(yaml, "/etc/rt/rt.yaml", new ConfigKeyLines());
        var imu = Assert.Single(c.I2cImus);
        Assert.Equal(0x28, imu.Address);
        Assert.Equal(["x", "-y", "-z"], imu.Axes);
        Assert.Equal(0.05, imu.StaleAfterS);
    }
}
