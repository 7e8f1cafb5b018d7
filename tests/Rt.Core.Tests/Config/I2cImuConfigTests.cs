using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.TestSupport;
using Xunit;

namespace Rt.Core.Tests.Config;

/// <summary><c>i2c_imus:</c> values are bounded with the rest of the config (exit 2), before any chip is opened.</summary>
public sealed class I2cImuConfigTests
{
    private const string Good = "  - { name: chest_imu, link: pelvis, bus: 1, address: 0x68, chip: mpu6500, axes: [x, -y, -z], rate_hz: 500, stale_after_s: 0.01 }\n";

    private static string Yaml(string entries) => File.ReadAllText(RepoPaths.Biped12Config) + "\ni2c_imus:\n" + entries;

    private static string Problem(string entries) =>
        Assert.Throws<InputError>(() => ConfigLoader.Parse(Yaml(entries), RepoPaths.Biped12Config)).Message;

    [Fact]
    public void A_good_entry_loads_and_joins_the_sessions_imus_after_the_ethercat_ones()
    {
        var c = ConfigLoader.Parse(Yaml(Good), RepoPaths.Biped12Config);
        Assert.Equal(0x68, c.I2cImus[0].Address);
        var view = c.WithI2cImusAsImus();
        Assert.Equal(c.Imus.Count + 1, view.Imus.Count);
        Assert.Equal("chest_imu", view.Imus[^1].Name);
        Assert.Equal(16 * 9.80665, view.Imus[^1].AccelRangeMs2, 9);
        Assert.Equal(-1, view.Imus[^1].Device);
        Assert.Same(c.Joints, view.Joints);
    }

    [Theory]
    [InlineData("bus: 1,", "bus: 300,", "i2c_imus[0].bus", "expected an I2C bus number 0..255")]
    [InlineData("address: 0x68", "address: 0x05", "i2c_imus[0].address", "expected a 7-bit I2C address 0x08..0x77")]
    [InlineData("chip: mpu6500", "chip: lsm6ds3", "i2c_imus[0].chip", "expected bno055, mpu6500 or mpu9250")]
    [InlineData("rate_hz: 500", "rate_hz: 4000", "i2c_imus[0].rate_hz", "expected 0 < rate_hz <= 1000 Hz for a mpu6500")]
    [InlineData("stale_after_s: 0.01", "stale_after_s: 0.001", "i2c_imus[0].stale_after_s", "expected one sample period (0.002 s) to 1 s")]
    [InlineData("axes: [x, -y, -z]", "axes: [x, y, -z]", "i2c_imus[0].axes", "mirror image (left-handed)")]
    [InlineData("axes: [x, -y, -z]", "axes: [x, x, z]", "i2c_imus[0].axes", "appears twice")]
    [InlineData("link: pelvis", "link: tail", "i2c_imus[0].link", "is not a link of robot")]
    [InlineData("name: chest_imu", "name: pelvis_imu", "i2c_imus[0].name", "already used by imus[0]")]
    public void An_out_of_bounds_value_names_its_key_and_what_was_expected(string from, string to, string key, string expected)
    {
        string message = Problem(Good.Replace(from, to, StringComparison.Ordinal));
        Assert.Contains(key, message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_chips_at_one_address_on_one_bus_are_refused() =>
        Assert.Contains("already used by i2c_imus[0]", Problem(Good + Good.Replace("chest_imu", "back_imu", StringComparison.Ordinal)), StringComparison.Ordinal);
}
