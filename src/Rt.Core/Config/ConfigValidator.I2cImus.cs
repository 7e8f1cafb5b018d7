using System.Globalization;

namespace Rt.Core.Config;

/// <summary>The <c>i2c_imus:</c> rules: checked with the rest of the config (exit 2) before any chip is opened. Not real-time safe.</summary>
public static partial class ConfigValidator
{
    /// <summary>Highest I²C bus number accepted (/dev/i2c-N).</summary>
    public const int MaxI2cBus = 255;

    private static void CheckI2cImus(RtConfig config, Action<string, string> fail)
    {
        var inv = CultureInfo.InvariantCulture;
        var robot = config.Description;
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < config.Imus.Count; i++)
            if (!string.IsNullOrWhiteSpace(config.Imus[i].Name)) names.TryAdd(config.Imus[i].Name, $"imus[{i}]");
        var places = new Dictionary<(int, int), int>();
        if (config.Imus.Count + config.I2cImus.Count > ConfigBounds.MaxImus)
            fail("i2c_imus", $"makes {config.Imus.Count + config.I2cImus.Count} IMUs with imus; expected at most {ConfigBounds.MaxImus} in all");
        for (int i = 0; i < config.I2cImus.Count; i++)
        {
            var c = config.I2cImus[i];
            string key = $"i2c_imus[{i}]";
            if (string.IsNullOrWhiteSpace(c.Name)) fail($"{key}.name", "missing; expected a name for this IMU");
            else if (!names.TryAdd(c.Name, key)) fail($"{key}.name", $"'{c.Name}' is already used by {names[c.Name]}; expected unique IMU names");
            if (string.IsNullOrWhiteSpace(c.Link)) fail($"{key}.link", "missing; expected the URDF link the IMU is mounted on");
            else if (robot is not null && !robot.Links.Any(l => l.Name == c.Link))
                fail($"{key}.link", $"'{c.Link}' is not a link of robot '{robot.Name}'; expected one of: {string.Join(", ", robot.Links.Select(l => l.Name))}");
            double maxRate = c.Chip switch { "bno055" => 100, "mpu6500" or "mpu9250" => 1000, _ => 0 };
            if (maxRate == 0) fail($"{key}.chip", $"'{c.Chip}' is not a supported I2C IMU; expected bno055, mpu6500 or mpu9250");
            if (c.Bus is < 0 or > MaxI2cBus) fail($"{key}.bus", $"is {c.Bus}; expected an I2C bus number 0..{MaxI2cBus} (/dev/i2c-N)");
            if (c.Address is < 0x08 or > 0x77) fail($"{key}.address", $"is {c.Address} (0x{c.Address:X2}); expected a 7-bit I2C address 0x08..0x77");
            else if (c.Bus >= 0 && !places.TryAdd((c.Bus, c.Address), i))
                fail($"{key}.address", $"0x{c.Address:X2} on bus {c.Bus} is already used by i2c_imus[{places[(c.Bus, c.Address)]}]; expected one chip per address");
            if (maxRate > 0)
            {
                if (!(c.RateHz > 0 && c.RateHz <= maxRate)) fail($"{key}.rate_hz", $"is {c.RateHz.ToString(inv)}; expected 0 < rate_hz <= {maxRate.ToString(inv)} Hz for a {c.Chip}");
                else if (!(c.StaleAfterS >= 1.0 / c.RateHz && c.StaleAfterS <= 1.0))
                    fail($"{key}.stale_after_s", $"is {c.StaleAfterS.ToString(inv)}; expected one sample period ({(1.0 / c.RateHz).ToString("0.####", inv)} s) to 1 s");
                bool bno = c.Chip == "bno055";
                if (bno ? c.AccelRangeG is not (0 or 4) : c.AccelRangeG is not (0 or 2 or 4 or 8 or 16))
                    fail($"{key}.accel_range_g", bno ? $"is {c.AccelRangeG}; the BNO055 in fusion mode has a fixed ±4 g range: expected 4 (or 0)" : $"is {c.AccelRangeG}; expected 2, 4, 8 or 16 (or 0 for 16)");
                if (bno ? c.GyroRangeDps is not (0 or 2000) : c.GyroRangeDps is not (0 or 250 or 500 or 1000 or 2000))
                    fail($"{key}.gyro_range_dps", bno ? $"is {c.GyroRangeDps}; the BNO055 in fusion mode has a fixed ±2000 °/s range: expected 2000 (or 0)" : $"is {c.GyroRangeDps}; expected 250, 500, 1000 or 2000 (or 0 for 2000)");
            }
            if (AxesProblem(c.Axes) is { } axes) fail($"{key}.axes", axes);
            if (c.Xyz is not { Length: 3 }) fail($"{key}.xyz", $"has {c.Xyz?.Length ?? 0} numbers; expected [x, y, z] in metres");
            else for (int a = 0; a < 3; a++) if (RangeOrNull(c.Xyz[a], -ConfigBounds.MaxMountOffsetM, ConfigBounds.MaxMountOffsetM, "m") is { } p) fail($"{key}.xyz[{a}]", p);
            if (c.Rpy is not { Length: 3 }) fail($"{key}.rpy", $"has {c.Rpy?.Length ?? 0} numbers; expected [roll, pitch, yaw] in radians");
            else for (int a = 0; a < 3; a++) if (RangeOrNull(c.Rpy[a], -2 * Math.PI, 2 * Math.PI, "rad") is { } p) fail($"{key}.rpy[{a}]", p);
        }
    }

    /// <summary>Null when <paramref name="axes"/> is a right-handed signed permutation of x, y, z; else what is wrong.</summary>
    private static string? AxesProblem(List<string>? axes)
    {
        if (axes is not { Count: 3 }) return $"has {axes?.Count ?? 0} entries; expected three axes as a signed permutation like [x, -y, -z]";
        int seen = 0, sign = 1;
        Span<int> idx = stackalloc int[3];
        for (int i = 0; i < 3; i++)
        {
            var t = (axes[i] ?? "").Trim();
            if (t.StartsWith('-')) { sign = -sign; t = t[1..]; }
            else if (t.StartsWith('+')) t = t[1..];
            int a = t switch { "x" or "X" => 0, "y" or "Y" => 1, "z" or "Z" => 2, _ => -1 };
            if (a < 0) return $"entry {i} is '{axes[i]}'; expected x, y or z with an optional sign (e.g. -y)";
            if ((seen & (1 << a)) != 0) return $"chip axis {"xyz"[a]} appears twice in [{string.Join(", ", axes)}]; expected each of x, y, z once";
            seen |= 1 << a;
            idx[i] = a;
        }
        int parity = (idx[0], idx[1], idx[2]) switch { (0, 1, 2) or (1, 2, 0) or (2, 0, 1) => 1, _ => -1 };
        return parity * sign < 0 ? $"[{string.Join(", ", axes)}] is a mirror image (left-handed); expected a rotation of the chip frame (flip one more sign)" : null;
    }
}
