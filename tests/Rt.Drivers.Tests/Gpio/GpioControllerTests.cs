using System.Device.Gpio;
using Iot.Device.Mcp23xxx;
using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Drivers.Gpio;
using Rt.Drivers.Tests.Models;
using Rt.Safety;
using Xunit.Abstractions;

namespace Rt.Drivers.Tests.Gpio;

/// <summary>
/// Safety I/O through System.Device.Gpio's GpioController: a GpioDriver model stands in for the character device,
/// an MCP23017 register model behind Iot.Device.Bindings' Mcp23017 for the expander.
/// </summary>
public sealed class GpioControllerTests(ITestOutputHelper output)
{
    private const string Src = "/etc/rt/rt.yaml";

    private static GpioDriverFactory Model(GpioDriverModel m) => (_, _, _, _) => m;

    private static GpioDriverFactory Expanders(I2cBusModel bus) => (s, o, src, key) => GpioLines.OpenDriver(s, o, src, key, bus);

    [Fact]
    public void Character_device_line_is_read_directly_and_allocates_nothing()
    {
        var driver = new GpioDriverModel(32);
        var clock = new ManualClock();
        using var estop = GpioLines.OpenInput("gpiochip0:17", Src, "safety.estop_input",
            new GpioLineOptions { Consumer = "rt-estop", LevelOnError = true, Clock = clock, StartThread = false }, Model(driver));
        Assert.False(estop.IsPolled);
        Assert.Equal(PinMode.Input, driver.Mode(17));
        Assert.False(estop.Read());
        driver.SetInput(17, true);
        Assert.True(estop.Read());

        for (int i = 0; i < 1000; i++) _ = estop.Read();
        long a0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++) _ = estop.Read();
        long bytes = GC.GetAllocatedBytesForCurrentThread() - a0;
        output.WriteLine($"gpio.direct.read.allocated: {bytes} bytes / 100000 reads (GpioController + driver model)");
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Active_low_and_software_debounce_by_duration_on_the_injected_clock()
    {
        var driver = new GpioDriverModel(8);
        driver.SetInput(3, true); // released (active low) when the host starts
        var clock = new ManualClock();
        // libgpiod has no kernel debounce: the wrapper debounces on the clock. A model stands in for the driver.
        using var reset = GpioLines.OpenInput("libgpiod:0:3", Src, "safety.reset_input",
            new GpioLineOptions { ActiveLow = true, Debounce = TimeSpan.FromMilliseconds(5), Clock = clock, ReadMode = GpioReadMode.Direct }, Model(driver));
        Assert.False(reset.Read()); // seeded with the level at open: no spurious press for the first debounce period
        driver.SetInput(3, false); // pressed
        Assert.False(reset.Read());
        clock.Advance(TimeSpan.FromMilliseconds(4.9));
        Assert.False(reset.Read());
        clock.Advance(TimeSpan.FromMilliseconds(0.1));
        Assert.True(reset.Read());
    }

    [Fact]
    public void Line_out_of_range_and_missing_chip_are_one_line_each_and_unavailable()
    {
        var driver = new GpioDriverModel(32);
        var e = Assert.Throws<DeviceUnavailableException>(() => GpioLines.OpenInput("gpiochip0:40", Src, "safety.estop_input",
            new GpioLineOptions(), Model(driver)));
        output.WriteLine(e.Message);
        Assert.Equal("safety.estop_input", e.Key);
        Assert.Equal("/etc/rt/rt.yaml: safety.estop_input: GPIO line 40 does not exist on /dev/gpiochip0, line 40: the chip has 32 lines; expected 0..31", e.Message);
        Assert.True(driver.Disposed);

        e = Assert.Throws<DeviceUnavailableException>(() => GpioLines.OpenOutput("gpiochip99:4", Src, "safety.enable_output", "rt-enable"));
        output.WriteLine(e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("/dev/gpiochip99", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected a GPIO character device", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<DeviceUnavailableException>(() => GpioLines.OpenInput("libgpiod:99:4", Src, "safety.reset_input", "rt-reset", false, 0, false));
        output.WriteLine(e.Message);
        Assert.Equal("safety.reset_input", e.Key);
    }

    [Fact]
    public void Mcp23017_input_is_polled_on_its_own_thread_debounced_and_fails_safe_when_stale()
    {
        var bus = new I2cBusModel();
        var mcp = bus.Add(new Mcp23017Model());
        var clock = new ManualClock();
        var options = new GpioLineOptions
        {
            Consumer = "rt-estop", LevelOnError = true, Debounce = TimeSpan.FromMilliseconds(5), StaleAfter = TimeSpan.FromMilliseconds(50),
            Clock = clock, StartThread = false,
        };
        using var estop = (PolledGpioInput)GpioLines.OpenInput("mcp23017:1:0x20:11", Src, "safety.estop_input", options, Expanders(bus));
        Assert.True(estop.IsPolled);
        Assert.False(estop.Read()); // seeded with the level at open (released)

        mcp.SetPin(11, true);
        estop.PollOnce();
        Assert.False(estop.Read());
        clock.Advance(TimeSpan.FromMilliseconds(5));
        estop.PollOnce();
        Assert.True(estop.Read());

        mcp.SetPin(11, false);
        estop.PollOnce();
        clock.Advance(TimeSpan.FromMilliseconds(5));
        estop.PollOnce();
        Assert.False(estop.Read());

        clock.Advance(TimeSpan.FromMilliseconds(50.001)); // the poller is stuck
        Assert.True(estop.Read());
        Assert.Equal(1, estop.StaleReads);

        long a0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++) _ = estop.Read();
        long tickBytes = GC.GetAllocatedBytesForCurrentThread() - a0;

        // What a direct read of the expander would cost the tick (why it is polled): bytes per GpioController.Read.
        using var direct = new GpioController(new Mcp23017(bus.Open(1, 0x20)));
        direct.OpenPin(3, PinMode.Input);
        long perRead = GpioLines.MeasureBytesPerRead(direct, 3, 1000);
        output.WriteLine($"gpio.polled.read.allocated: {tickBytes} bytes / 100000 reads (tick side)");
        output.WriteLine($"gpio.mcp23017.controller_read.allocated: {perRead} bytes/read (one I2C transfer each)");
        Assert.Equal(0, tickBytes);
    }

    [Fact]
    public void Mcp23017_output_is_written_by_its_thread_and_missing_expander_is_unavailable()
    {
        var bus = new I2cBusModel();
        var mcp = bus.Add(new Mcp23017Model());
        using (var enable = (PolledGpioOutput)GpioLines.OpenOutput("mcp23017:1:0x20:2", Src, "safety.enable_output",
            new GpioLineOptions { StartThread = false }, Expanders(bus)))
        {
            enable.Write(true);
            Assert.False(mcp.Latch(2)); // not yet: the writer thread applies it
            enable.FlushOnce();
            Assert.True(mcp.Latch(2));
            Assert.Equal(0, mcp[(int)Mcp23017Register.IodirA] & (1 << 2)); // pin 2 is an output
        }
        Assert.False(mcp.Latch(2)); // disposing leaves the enable off

        var e = Assert.Throws<DeviceUnavailableException>(() => GpioLines.OpenInput("mcp23017:1:0x21:0", Src, "safety.reset_input",
            new GpioLineOptions { StartThread = false }, Expanders(bus)));
        output.WriteLine(e.Message);
        Assert.Equal("/etc/rt/rt.yaml: safety.reset_input: no ACK from 0x21 on /dev/i2c-1; expected an MCP23017 there (Error 6 performing I2C data transfer (no ACK at 0x21).)", e.Message);
        e = Assert.Throws<DeviceUnavailableException>(() => GpioLines.OpenInput("mcp23017:4:0x20:0", Src, "safety.reset_input",
            new GpioLineOptions { StartThread = false }, Expanders(bus)));
        Assert.Contains("I2C bus /dev/i2c-4 not found", e.Message, StringComparison.Ordinal);
        Assert.Throws<Rt.Core.Errors.InputError>(() => GpioLineSpec.Parse("mcp23017:1:0x20:16", Src, "k"));
        Assert.Throws<Rt.Core.Errors.InputError>(() => GpioLineSpec.Parse("mcp23017:1:0x40:1", Src, "k"));
    }

    [Fact]
    public void Driver_model_delivers_edge_events_through_the_controller()
    {
        var driver = new GpioDriverModel(4);
        using var controller = new GpioController(driver);
        controller.OpenPin(1, PinMode.Input);
        var seen = new List<PinEventTypes>();
        controller.RegisterCallbackForPinValueChangedEvent(1, PinEventTypes.Rising | PinEventTypes.Falling, (_, a) => seen.Add(a.ChangeType));
        driver.SetInput(1, true);
        driver.SetInput(1, true);
        driver.SetInput(1, false);
        Assert.Equal([PinEventTypes.Rising, PinEventTypes.Falling], seen);
    }

    [Fact]
    public void Estop_through_GpioController_trips_the_supervisor_and_drops_the_enable_line()
    {
        var driver = new GpioDriverModel(32);
        var clock = new ManualClock();
        var o = new GpioLineOptions { Clock = clock, LevelOnError = true };
        using var estop = GpioLines.OpenInput("gpiochip0:17", Src, "safety.estop_input", o, Model(driver));
        using var reset = GpioLines.OpenInput("gpiochip0:18", Src, "safety.reset_input", new GpioLineOptions { Clock = clock }, Model(driver));
        using var enable = GpioLines.OpenOutput("gpiochip0:19", Src, "safety.enable_output", new GpioLineOptions { Clock = clock }, Model(driver));

        var config = new RtConfig { SourcePath = Src };
        config.Joints.Add(new JointDriveConfig
        {
            Name = "hip", Drive = 0, GearRatio = 100, EncoderCountsPerRev = 1 << 17, RatedTorqueNm = 1, TorqueConstantNmPerA = 0.1,
            Limits = new JointLimitConfig { PositionMinRad = -2, PositionMaxRad = 2, VelocityRadS = 5, AccelerationRadS2 = 50, TorqueNm = 50 },
        });
        config.Loop.RateHz = 1000;
        var layout = new ChannelLayout(["hip"], []);
        var events = new SpscRing<SafetyEvent>(64);
        var sup = new SafetySupervisor(config, 1, layout, 1_000_000, events, estop, reset, enable);
        var s = new TickState(1, 0, layout) { PeriodNs = 1_000_000 };
        s.MotionRequested = true;
        var log = new List<SafetyEvent>();
        bool sawEnable = false;
        for (long t = 0; t < 400; t++)
        {
            s.Tick = t;
            s.TimeNs = t * 1_000_000;
            s.Faults.Clear();
            bool powered = s.PowerRequest == DrivePowerRequest.Operate;
            s.DriveOperational[0] = powered;
            s.AllDrivesOperational = powered;
            s.Image.Inputs[0].Statusword = powered ? (ushort)0x0237 : (ushort)0x0250;
            s.Divergence.Valid = true;
            Array.Fill(s.Divergence.Threshold, 10.0);
            Array.Fill(s.Divergence.Detector, 1.0);
            if (t == 200) driver.SetInput(17, true); // the e-stop button
            sup.Evaluate(s);
            sawEnable |= driver.Level(19);
            while (events.TryPop(out var e)) log.Add(e);
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        foreach (var e in log) output.WriteLine($"{e.Tick}: {e.From} -> {e.To} ({e.Trigger})");
        Assert.True(sawEnable, "the supervisor never energised the enable line");
        var trip = Assert.Single(log, e => e.Trigger == FaultCode.EStop);
        Assert.InRange(trip.Tick, 200, 201); // pressed before tick 200's evaluation; the supervisor stamps its own tick count
        Assert.Equal(SafetyState.Faulted, sup.State);
        Assert.False(driver.Level(19)); // STO: the enable line is de-energised
    }
}
