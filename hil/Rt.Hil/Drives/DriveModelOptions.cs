namespace Rt.Hil.Drives;

/// <summary>
/// Tuning and limits of an emulated servo drive. Loop gains are derived from bandwidths and the joint-side inertia
/// the drive sees (like a drive's auto-tuning): velocity P gain Kv = J·2π·f_v, velocity I corner 2π·f_i,
/// position P gain Kp = 2π·f_p (1/s). Not real-time safe to change while the drive runs.
/// </summary>
public sealed class DriveModelOptions
{
    /// <summary>Joint-side inertia the loops are tuned for, kg·m² (the bench fills it from the plant's mass matrix).</summary>
    public double EffectiveInertiaKgM2 { get; set; } = 0.05;

    /// <summary>Velocity-loop bandwidth, Hz.</summary>
    public double VelocityLoopBandwidthHz { get; set; } = 60;

    /// <summary>Velocity-loop integral corner (PI zero), Hz.</summary>
    public double VelocityIntegralHz { get; set; } = 8;

    /// <summary>Position-loop bandwidth, Hz.</summary>
    public double PositionLoopBandwidthHz { get; set; } = 12;

    /// <summary>Low-pass on the encoder-difference velocity, Hz.</summary>
    public double VelocityFilterHz { get; set; } = 400;

    /// <summary>0x6072 max torque, per-mille of the motor's rated torque.</summary>
    public double MaxTorquePerMille { get; set; } = 3000;

    /// <summary>0x6066 following-error time-out, seconds (the window 0x6065 comes from the joint's following_error_rad).</summary>
    public double FollowingErrorTimeoutS { get; set; } = 0.01;

    /// <summary>0x6085 quick-stop deceleration at the joint, rad/s².</summary>
    public double QuickStopDecelerationRadS2 { get; set; } = 20;

    /// <summary>0x6067 position window for "target reached" (statusword bit 10), rad at the joint.</summary>
    public double TargetReachedWindowRad { get; set; } = 0.005;

    /// <summary>Velocity window for "target reached" in CSV, rad/s at the joint.</summary>
    public double TargetReachedVelocityRadS { get; set; } = 0.05;

    /// <summary>Homing by limit switch (methods 17/18) fails (statusword bit 13) after this much travel without the switch, rad at the joint.</summary>
    public double MaxHomingTravelRad { get; set; } = Math.PI;

    public DriveModelOptions Clone() => (DriveModelOptions)MemberwiseClone();
}
