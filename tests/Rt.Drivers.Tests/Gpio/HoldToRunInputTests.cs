using Rt.Drivers.Gpio;
using Rt.Drivers.Tests.Models;

namespace Rt.Drivers.Tests.Gpio;

/// <summary>A hold-to-run button on a GPIO line (GpioController over the driver model): renewals by duration on the injected clock.</summary>
public sealed class HoldToRunInputTests
{
    [Fact]
    public void A_pressed_button_renews_every_period_and_letting_go_releases_once()
    {
        var driver = new GpioDriverModel(32);
        var clock = new ManualClock();
        using var line = GpioLines.OpenInput("gpiochip0:22", "/etc/rt/rt.yaml", "homing.hold_input",
            new GpioLineOptions { Consumer = "rt-hold", Clock = clock, StartThread = false, ReadMode = GpioReadMode.Direct }, (_, _, _, _) => driver);
        int renewals = 0, releases = 0;
        using var hold = new HoldToRunInput(line, TimeSpan.FromMilliseconds(50), () => renewals++, () => releases++, clock, startThread: false);

        hold.PollOnce();
        Assert.Equal((0, 0), (renewals, releases)); // not pressed: nothing
        driver.SetInput(22, true);
        hold.PollOnce();
        Assert.Equal(1, renewals); // the press renews at once
        for (int i = 0; i < 20; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(10));
            hold.PollOnce();
        }
        Assert.Equal(1 + 4, renewals); // 200 ms held: one renewal per 50 ms of the clock, however often it is polled
        Assert.True(hold.Pressed);
        driver.SetInput(22, false);
        clock.Advance(TimeSpan.FromMilliseconds(10));
        hold.PollOnce();
        hold.PollOnce();
        Assert.Equal(1, releases);
        clock.Advance(TimeSpan.FromSeconds(1));
        hold.PollOnce();
        Assert.Equal((5, 1), (renewals, releases)); // released: no renewals
    }
}
