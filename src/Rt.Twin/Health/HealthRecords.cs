namespace Rt.Twin.Health;

/// <summary>
/// One entry of the health history: a calibration or a run (a robot session or a HIL scenario), at
/// <see cref="Day"/> (days on the history's time axis: Unix days for a robot, simulated days for an ageing campaign).
/// </summary>
/// <param name="Source">"calibrate", "run" or "hil" (what produced the entry).</param>
/// <param name="Tripped">Whether the run ended in a supervisor trip (null: unknown, e.g. a calibration).</param>
public sealed record HealthSession(double Day, DateTimeOffset TimeUtc, string Source, string Robot, string Recording, long Ticks, bool? Tripped);

/// <summary>
/// One joint's health at one entry: what an estimate from the run (or the calibration) gives, and the limits it is
/// judged against (the twin's own thresholds, <see cref="HealthLimits"/>). Joint-side SI units; NaN = not estimable
/// from this run (too little motion), <see cref="TemperatureC"/> null where the drive does not report it.
/// </summary>
public sealed record JointHealth(
    string Joint,
    double CoulombFrictionNm,
    double ViscousFrictionNmsPerRad,
    double MotorConstantScale,
    double LoadRmsNm,
    double InnovationVariance,
    double? TemperatureC,
    double FitR2,
    JointHealthLimits Limits);

/// <summary>
/// The values past which a parameter makes the twin's torque cross-check trip (NaN = no limit):
/// upper limits for friction and innovation variance, a lower limit for the motor-constant scale.
/// </summary>
public sealed record JointHealthLimits(double CoulombFrictionNm, double ViscousFrictionNmsPerRad, double MotorConstantScaleMin, double InnovationVariance)
{
    public static JointHealthLimits None { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN);
}

/// <summary>A stored entry with its joints.</summary>
public sealed record HealthEntry(long Id, HealthSession Session, IReadOnlyList<JointHealth> Joints);

/// <summary>The parameters the history tracks, in the database's column names.</summary>
public enum HealthParameter
{
    CoulombFriction,
    ViscousFriction,
    MotorConstantScale,
    LoadRms,
    InnovationVariance,
    Temperature,
}

/// <summary>Names, units and accessors of <see cref="HealthParameter"/>. Not real-time safe.</summary>
public static class HealthParameters
{
    public static IReadOnlyList<HealthParameter> All { get; } =
        [HealthParameter.CoulombFriction, HealthParameter.ViscousFriction, HealthParameter.MotorConstantScale, HealthParameter.LoadRms, HealthParameter.InnovationVariance, HealthParameter.Temperature];

    public static string Name(HealthParameter p) => p switch
    {
        HealthParameter.CoulombFriction => "coulomb_friction_nm",
        HealthParameter.ViscousFriction => "viscous_friction_nms_per_rad",
        HealthParameter.MotorConstantScale => "motor_constant_scale",
        HealthParameter.LoadRms => "load_rms_nm",
        HealthParameter.InnovationVariance => "innovation_variance",
        _ => "temperature_c",
    };

    public static string Unit(HealthParameter p) => p switch
    {
        HealthParameter.CoulombFriction => "N·m",
        HealthParameter.ViscousFriction => "N·m·s/rad",
        HealthParameter.MotorConstantScale => "×",
        HealthParameter.LoadRms => "N·m",
        HealthParameter.InnovationVariance => "(N·m)²",
        _ => "°C",
    };

    public static double Value(JointHealth j, HealthParameter p) => p switch
    {
        HealthParameter.CoulombFriction => j.CoulombFrictionNm,
        HealthParameter.ViscousFriction => j.ViscousFrictionNmsPerRad,
        HealthParameter.MotorConstantScale => j.MotorConstantScale,
        HealthParameter.LoadRms => j.LoadRmsNm,
        HealthParameter.InnovationVariance => j.InnovationVariance,
        _ => j.TemperatureC ?? double.NaN,
    };

    /// <summary>The limit and whether it is an upper one (false: the value must stay above it); NaN = none.</summary>
    public static (double Limit, bool Upper) Limit(JointHealthLimits l, HealthParameter p) => p switch
    {
        HealthParameter.CoulombFriction => (l.CoulombFrictionNm, true),
        HealthParameter.ViscousFriction => (l.ViscousFrictionNmsPerRad, true),
        HealthParameter.MotorConstantScale => (l.MotorConstantScaleMin, false),
        HealthParameter.InnovationVariance => (l.InnovationVariance, true),
        _ => (double.NaN, true),
    };
}
