using System.Runtime.CompilerServices;
using Rt.Core.Config;

namespace Rt.Drivers.Cia402;

/// <summary>
/// Converts between joint-side SI units (rad, rad/s, N·m at the joint) and a CiA 402 drive's motor-side units
/// (encoder counts, counts/s, per-mille of the motor's rated torque), using one joint's <see cref="JointDriveConfig"/>.
/// <para>
/// counts = zero + direction · gear · countsPerRev / 2π · rad. Torque follows the same sign:
/// motor torque = direction · joint torque / gear, and per-mille = 1000 · motor torque / rated torque
/// (gearbox losses are not modelled). Position counts are 32-bit and wrap like a drive's 0x6064 does;
/// <see cref="CountsToPosition"/> takes the wrapped difference to the zero offset, so it stays correct across a wrap
/// as long as the joint is within ±2³¹ counts of its zero.
/// </para>
/// Construction is not real-time safe (validates the config); every conversion is real-time safe (pure arithmetic).
/// The host's drive layer and the bench's emulated drives use this same class, so they cannot disagree on scaling.
/// </summary>
public sealed class JointScaling
{
    private const double TwoPi = 2 * Math.PI;
    private readonly double _countsPerRad;
    private readonly double _radPerCount;
    private readonly int _zero;
    private readonly double _perMillePerJointNm;
    private readonly double _jointNmPerPerMille;

    /// <summary>Not real-time safe. Throws <see cref="ArgumentException"/> naming the joint when a field is unusable.</summary>
    public JointScaling(JointDriveConfig joint)
    {
        ArgumentNullException.ThrowIfNull(joint);
        if (!(joint.GearRatio > 0) || !double.IsFinite(joint.GearRatio))
            throw new ArgumentException($"joint '{joint.Name}': gear_ratio must be a positive number, got {joint.GearRatio}", nameof(joint));
        if (joint.EncoderCountsPerRev <= 0)
            throw new ArgumentException($"joint '{joint.Name}': encoder_counts_per_rev must be positive, got {joint.EncoderCountsPerRev}", nameof(joint));
        if (joint.Direction is not (1 or -1))
            throw new ArgumentException($"joint '{joint.Name}': direction must be +1 or -1, got {joint.Direction}", nameof(joint));
        if (!(joint.RatedTorqueNm > 0) || !double.IsFinite(joint.RatedTorqueNm))
            throw new ArgumentException($"joint '{joint.Name}': rated_torque_nm must be a positive number, got {joint.RatedTorqueNm}", nameof(joint));

        Name = joint.Name;
        GearRatio = joint.GearRatio;
        Direction = joint.Direction;
        _countsPerRad = joint.Direction * joint.GearRatio * joint.EncoderCountsPerRev / TwoPi;
        _radPerCount = 1.0 / _countsPerRad;
        _zero = unchecked((int)joint.ZeroOffsetCounts);
        RatedJointTorqueNm = joint.RatedTorqueNm * joint.GearRatio;
        _perMillePerJointNm = joint.Direction * 1000.0 / RatedJointTorqueNm;
        _jointNmPerPerMille = 1.0 / _perMillePerJointNm;
    }

    public string Name { get; }
    public double GearRatio { get; }
    public int Direction { get; }

    /// <summary>Motor counts per joint radian, signed by the mounting direction.</summary>
    public double CountsPerRadian => _countsPerRad;

    /// <summary>Encoder count at joint angle zero (as the drive's 32-bit value).</summary>
    public int ZeroOffsetCounts => _zero;

    /// <summary>The motor's rated torque seen at the joint (rated · gear), N·m: 1000 ‰ means this much joint torque.</summary>
    public double RatedJointTorqueNm { get; }

    /// <summary>Real-time safe. Joint angle (rad) → drive position counts (rounded, 32-bit wrap).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int PositionToCounts(double rad) => unchecked(_zero + SaturateToInt(rad * _countsPerRad));

    /// <summary>Real-time safe. Drive position counts → joint angle (rad).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double CountsToPosition(int counts) => unchecked(counts - _zero) * _radPerCount;

    /// <summary>Real-time safe. Joint velocity (rad/s) → counts/s (rounded, saturated).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int VelocityToCounts(double radPerS) => SaturateToInt(radPerS * _countsPerRad);

    /// <summary>Real-time safe. Counts/s → joint velocity (rad/s).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double CountsToVelocity(double countsPerS) => countsPerS * _radPerCount;

    /// <summary>Real-time safe. Joint torque (N·m) → per-mille of the motor's rated torque (rounded, saturated to i16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public short TorqueToPerMille(double jointNm)
    {
        double pm = Math.Round(jointNm * _perMillePerJointNm);
        if (pm >= short.MaxValue) return short.MaxValue;
        if (pm <= short.MinValue) return short.MinValue;
        return double.IsNaN(pm) ? (short)0 : (short)pm;
    }

    /// <summary>
    /// Real-time safe. A torque limit magnitude at the joint (N·m) → 0x6072 max torque, per-mille of the motor's rated
    /// torque (rounded, saturated to 1 … 65535: a limit is never 0, which would mean no torque at all).
    /// </summary>
    public ushort TorqueLimitToPerMille(double jointNm)
    {
        double pm = Math.Round(Math.Abs(jointNm) * Math.Abs(_perMillePerJointNm));
        if (!(pm >= 1)) return 1;
        return pm >= ushort.MaxValue ? ushort.MaxValue : (ushort)pm;
    }

    /// <summary>Real-time safe. Per-mille of rated motor torque → joint torque (N·m).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double PerMilleToTorque(double perMille) => perMille * _jointNmPerPerMille;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SaturateToInt(double value)
    {
        double r = Math.Round(value);
        if (r >= int.MaxValue) return int.MaxValue;
        if (r <= int.MinValue) return int.MinValue;
        return double.IsNaN(r) ? 0 : (int)r;
    }
}
