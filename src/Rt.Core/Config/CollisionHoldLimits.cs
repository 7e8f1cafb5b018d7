using System.Globalization;

namespace Rt.Core.Config;

/// <summary>
/// Bounds of <c>safety.collision_hold_torque_limit</c>: the drives' torque limit (0x6072) during a collision's compliant
/// hold, as a fraction of each joint's <c>limits.torque_nm</c>. Low enough that the drive cannot push hard on what it
/// hit, high enough that it still carries the limb against gravity (too low and the hold sags: its travel monitor
/// turns that into STO and the brakes). Not real-time safe (config checks).
/// </summary>
public static class CollisionHoldLimits
{
    /// <summary>Default fraction of the joint's torque limit.</summary>
    public const double DefaultFraction = 0.6;

    /// <summary>Smallest fraction accepted: below it no limb of a robot sized to its torque limits holds its own weight.</summary>
    public const double MinFraction = 0.1;

    /// <summary>Largest fraction accepted: 1 is the joint's own limit (no reduction during the hold).</summary>
    public const double MaxFraction = 1.0;

    /// <summary>Not real-time safe. One line naming the key when the fraction is out of its bounds.</summary>
    public static void Check(double fraction, Action<string, string> fail)
    {
        ArgumentNullException.ThrowIfNull(fail);
        if (!(fraction >= MinFraction && fraction <= MaxFraction))
            fail("safety.collision_hold_torque_limit", string.Create(CultureInfo.InvariantCulture,
                $"is {fraction}; expected a fraction of each joint's limits.torque_nm from {MinFraction} to {MaxFraction}"));
    }
}
