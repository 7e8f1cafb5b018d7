using System.Globalization;

namespace Rt.Core.Config;

/// <summary>
/// Recovering the robot by hand (issue 15): the jog's reduced speed, hold-to-run deadline and settle time. Every number
/// is bounded here (<see cref="Check"/>): a jog is never faster than <see cref="SpeedBoundRadS"/>, whatever the file says.
/// Not real-time safe (the session copies what it needs before the first tick).
/// </summary>
public sealed class JogSection
{
    /// <summary>The hard bound on any jog speed, rad/s.</summary>
    public const double SpeedBoundRadS = 0.1;

    /// <summary>The longest hold-to-run deadline accepted, s (a released button must stop the joint soon).</summary>
    public const double MaxHoldTimeoutS = 1.0;

    /// <summary>The longest settle (standstill held with power after a jog ends) accepted, s.</summary>
    public const double MaxSettleS = 2.0;

    /// <summary>The largest margin a joint recovered from outside its range is brought inside by, rad.</summary>
    public const double MaxInsideMarginRad = 0.1;

    /// <summary>The fastest jog of any joint, rad/s (at most <see cref="SpeedBoundRadS"/>).</summary>
    public double MaxSpeedRadS { get; set; } = 0.1;

    /// <summary>The speed of a jog that names none, rad/s (at most the joint's maximum).</summary>
    public double SpeedRadS { get; set; } = 0.05;

    /// <summary>Per joint (by name): a lower maximum than <see cref="MaxSpeedRadS"/>, rad/s.</summary>
    public Dictionary<string, double> JointMaxSpeedRadS { get; set; } = [];

    /// <summary>The jog runs while its request is renewed within this many seconds (hold-to-run); then the joint stops.</summary>
    public double HoldTimeoutS { get; set; } = 0.25;

    /// <summary>After a jog ends, the drives hold the pose with power this long (following error monitored), then STO.</summary>
    public double SettleS { get; set; } = 0.3;

    /// <summary>A joint jogged back from outside its range stops this far inside it, rad (encoder noise cannot put it out again).</summary>
    public double InsideMarginRad { get; set; } = 0.01;

    /// <summary>The jog speed bound of joint <paramref name="name"/>, rad/s.</summary>
    public double MaxSpeedFor(string name) =>
        JointMaxSpeedRadS.TryGetValue(name, out double v) ? Math.Min(v, MaxSpeedRadS) : MaxSpeedRadS;

    /// <summary>Not real-time safe. Bounds every number; each problem names its key.</summary>
    public static void Check(RtConfig config, Action<string, string> fail)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(fail);
        var j = config.Jog;
        var inv = CultureInfo.InvariantCulture;
        if (!(j.MaxSpeedRadS > 0 && j.MaxSpeedRadS <= SpeedBoundRadS))
            fail("jog.max_speed_rad_s", string.Create(inv, $"is {j.MaxSpeedRadS}; expected more than 0 and at most {SpeedBoundRadS} rad/s (jog is reduced speed)"));
        if (!(j.SpeedRadS > 0 && j.SpeedRadS <= j.MaxSpeedRadS))
            fail("jog.speed_rad_s", string.Create(inv, $"is {j.SpeedRadS}; expected more than 0 and at most jog.max_speed_rad_s ({j.MaxSpeedRadS}) rad/s"));
        foreach (var (name, v) in j.JointMaxSpeedRadS)
        {
            if (!config.Joints.Exists(x => x.Name == name))
                fail($"jog.joint_max_speed_rad_s.{name}", $"'{name}' is not a configured joint; expected one of {string.Join(", ", config.Joints.Select(x => x.Name))}");
            else if (!(v > 0 && v <= SpeedBoundRadS))
                fail($"jog.joint_max_speed_rad_s.{name}", string.Create(inv, $"is {v}; expected more than 0 and at most {SpeedBoundRadS} rad/s"));
        }
        if (!(j.HoldTimeoutS > 0 && j.HoldTimeoutS <= MaxHoldTimeoutS))
            fail("jog.hold_timeout_s", string.Create(inv, $"is {j.HoldTimeoutS}; expected more than 0 and at most {MaxHoldTimeoutS} s"));
        if (!(j.SettleS > 0 && j.SettleS <= MaxSettleS))
            fail("jog.settle_s", string.Create(inv, $"is {j.SettleS}; expected more than 0 and at most {MaxSettleS} s"));
        if (!(j.InsideMarginRad >= 0 && j.InsideMarginRad <= MaxInsideMarginRad))
            fail("jog.inside_margin_rad", string.Create(inv, $"is {j.InsideMarginRad}; expected 0 to {MaxInsideMarginRad} rad"));
    }
}
