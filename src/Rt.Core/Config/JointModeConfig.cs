namespace Rt.Core.Config;

/// <summary>
/// How the host commands a joint's CiA 402 drive (<c>joints[i].mode</c>, default <c>csp</c>). The value is the drive's
/// 0x6060 mode: CSP 8 (target 0x607A, actual 0x6064), CSV 9 (0x60FF / 0x606C), CST 10 (0x6071 / 0x6077).
/// </summary>
public enum JointMode
{
    /// <summary>Cyclic synchronous position: the drive closes the position loop; the host sends 0x607A (+ 0x60B1/0x60B2 feed-forward).</summary>
    Csp,

    /// <summary>Cyclic synchronous velocity: the host closes the position loop (<see cref="HostLoopConfig.PositionGainPerS"/>) and sends 0x60FF.</summary>
    Csv,

    /// <summary>Cyclic synchronous torque: the host closes position and velocity loops (stiffness, damping) and sends 0x6071.</summary>
    Cst,
}

/// <summary>
/// The host's own loop for a joint in CSV or CST (<c>joints[i].host_loop</c>); unused in CSP, where the drive closes it.
/// CSV: velocity = q̇_ref + position_gain_per_s · (q_ref − q). CST: torque = τ_ff + stiffness · (q_ref − q) + damping · (q̇_ref − q̇).
/// </summary>
public sealed class HostLoopConfig
{
    /// <summary>CSV: position error to velocity, 1/s.</summary>
    public double PositionGainPerS { get; set; }

    /// <summary>CST: position error to joint torque, N·m/rad.</summary>
    public double StiffnessNmPerRad { get; set; }

    /// <summary>CST: velocity error to joint torque, N·m·s/rad.</summary>
    public double DampingNmSPerRad { get; set; }
}

/// <summary>Validation of the joint mode keys (called from <see cref="ConfigValidator"/>). Not real-time safe.</summary>
public static class JointModeRules
{
    /// <summary>Upper bounds: a gain above these is a typo, not a tuning (bounded like every safety-relevant number).</summary>
    public const double MaxPositionGainPerS = 1000, MaxStiffnessNmPerRad = 1e6, MaxDampingNmSPerRad = 1e5;

    /// <summary>The CiA 402 mode of operation (0x6060) for <paramref name="mode"/>.</summary>
    public static sbyte Cia402Value(JointMode mode) => mode switch
    {
        JointMode.Csv => 9,
        JointMode.Cst => 10,
        _ => 8,
    };

    public static void Check(JointDriveConfig j, string key, Action<string, string> fail)
    {
        ArgumentNullException.ThrowIfNull(j);
        ArgumentNullException.ThrowIfNull(fail);
        var h = j.HostLoop;
        if (j.Mode == JointMode.Csv)
            Positive(h.PositionGainPerS, MaxPositionGainPerS, $"{key}.host_loop.position_gain_per_s", "1/s (velocity per rad of position error; mode csv closes the position loop in the host)", fail);
        if (j.Mode == JointMode.Cst)
        {
            Positive(h.StiffnessNmPerRad, MaxStiffnessNmPerRad, $"{key}.host_loop.stiffness_nm_per_rad", "N·m/rad (mode cst closes the position loop in the host)", fail);
            Positive(h.DampingNmSPerRad, MaxDampingNmSPerRad, $"{key}.host_loop.damping_nm_s_per_rad", "N·m·s/rad (mode cst closes the velocity loop in the host)", fail);
        }
    }

    private static void Positive(double value, double max, string key, string unit, Action<string, string> fail)
    {
        if (!(value > 0) || !double.IsFinite(value)) fail(key, $"is {value}; expected a positive gain in {unit}");
        else if (value > max) fail(key, $"is {value}; expected at most {max} {unit.Split(' ')[0]}");
    }
}
