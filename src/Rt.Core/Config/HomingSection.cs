using System.Globalization;

namespace Rt.Core.Config;

/// <summary>
/// Homing by hand (issue 15, <c>rt home</c>): which joints have incremental encoders (they need a reference after
/// power-up) and how their drives home them, by CiA 402 homing mode (6). Speeds are at the joint, converted to drive
/// counts with the joint's scaling; every number is bounded here (<see cref="Check"/>): homing is a manual move at
/// reduced speed, never faster than <see cref="JogSection.SpeedBoundRadS"/>. Not real-time safe (config object).
/// </summary>
public sealed class HomingSection
{
    /// <summary>The longest homing run accepted, s.</summary>
    public const double MaxTimeoutS = 300;

    /// <summary>The largest homing acceleration accepted, rad/s².</summary>
    public const double MaxAccelerationRadS2 = 10;

    /// <summary>A homing run that does not attain within this time fails (judged on the tick's clock), s.</summary>
    public double TimeoutS { get; set; } = 60;

    /// <summary>
    /// The hold-to-run button wired to the controller (a GPIO line spec as <c>safety.estop_input</c>; "" = none): while
    /// pressed it renews the running homing, jog or brake release; letting go stops it. Local by construction.
    /// </summary>
    public string HoldInput { get; set; } = "";

    /// <summary>One entry per joint with an incremental encoder.</summary>
    public List<HomingJointConfig> Joints { get; set; } = [];

    /// <summary>The entry of joint <paramref name="name"/>, or null (the joint's encoder is absolute: no homing).</summary>
    public HomingJointConfig? For(string name) => Joints.Find(j => j.Joint == name);

    /// <summary>Whether <paramref name="method"/> is a DS402 homing method (1..35, 37; the negative ones are the maker's).</summary>
    public static bool IsMethod(int method) => method is >= 1 and <= 35 or 37;

    /// <summary>Not real-time safe. Every entry names a configured joint once, with bounded numbers; each problem names its key.</summary>
    public static void Check(RtConfig config, Action<string, string> fail)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(fail);
        var h = config.Homing;
        var inv = CultureInfo.InvariantCulture;
        if (!(h.TimeoutS > 0 && h.TimeoutS <= MaxTimeoutS))
            fail("homing.timeout_s", string.Create(inv, $"is {h.TimeoutS}; expected more than 0 and at most {MaxTimeoutS} s"));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < h.Joints.Count; i++)
        {
            var j = h.Joints[i];
            string key = $"homing.joints[{i}]";
            if (!config.Joints.Exists(x => x.Name == j.Joint))
            {
                fail($"{key}.joint", $"'{j.Joint}' is not a configured joint; expected one of {string.Join(", ", config.Joints.Select(x => x.Name))}");
                continue;
            }
            if (!seen.Add(j.Joint)) fail($"{key}.joint", $"'{j.Joint}' is listed already; expected one entry per joint");
            if (!IsMethod(j.Method))
                fail($"{key}.method", string.Create(inv, $"is {j.Method}; expected a DS402 homing method 1..35 or 37"));
            if (!(j.SwitchSpeedRadS > 0 && j.SwitchSpeedRadS <= JogSection.SpeedBoundRadS))
                fail($"{key}.switch_speed_rad_s", string.Create(inv, $"is {j.SwitchSpeedRadS}; expected more than 0 and at most {JogSection.SpeedBoundRadS} rad/s (homing is reduced speed)"));
            if (!(j.ZeroSpeedRadS > 0 && j.ZeroSpeedRadS <= j.SwitchSpeedRadS))
                fail($"{key}.zero_speed_rad_s", string.Create(inv, $"is {j.ZeroSpeedRadS}; expected more than 0 and at most switch_speed_rad_s ({j.SwitchSpeedRadS}) rad/s"));
            if (!(j.AccelerationRadS2 > 0 && j.AccelerationRadS2 <= MaxAccelerationRadS2))
                fail($"{key}.acceleration_rad_s2", string.Create(inv, $"is {j.AccelerationRadS2}; expected more than 0 and at most {MaxAccelerationRadS2} rad/s²"));
            if (!(Math.Abs(j.HomeOffsetRad) <= ConfigBounds.MaxJointPositionRad))
                fail($"{key}.home_offset_rad", string.Create(inv, $"is {j.HomeOffsetRad}; expected |offset| <= {ConfigBounds.MaxJointPositionRad} rad"));
        }
    }
}

/// <summary>How one joint with an incremental encoder is homed. Not real-time safe (config object).</summary>
public sealed class HomingJointConfig
{
    /// <summary>The joint (a name under <c>joints:</c>).</summary>
    public string Joint { get; set; } = "";

    /// <summary>0x6098: the DS402 homing method (35/37: the current position is home; 17/18: the negative/positive limit switch).</summary>
    public int Method { get; set; } = 37;

    /// <summary>0x6099:01: speed while searching for the switch, rad/s at the joint.</summary>
    public double SwitchSpeedRadS { get; set; } = 0.05;

    /// <summary>0x6099:02: speed while searching for zero (leaving the switch), rad/s at the joint.</summary>
    public double ZeroSpeedRadS { get; set; } = 0.01;

    /// <summary>0x609A: homing acceleration, rad/s² at the joint.</summary>
    public double AccelerationRadS2 { get; set; } = 0.5;

    /// <summary>0x607C: the position the joint reads at home, rad.</summary>
    public double HomeOffsetRad { get; set; }
}
