using System.Buffers.Binary;
using Rt.Core.Config;

namespace Rt.Drivers.Cia402;

/// <summary>
/// Cross-checks a joint's scaling from the config against the drive's own objects, where it has them:
/// 0x6076 motor rated torque (UNSIGNED32, mN·m) against <c>rated_torque_nm</c>; 0x608F position encoder resolution
/// (:01 encoder increments / :02 motor revolutions) against <c>encoder_counts_per_rev</c>; 0x6091 gear ratio
/// (:01 motor revolutions / :02 shaft revolutions) against <c>gear_ratio</c>. An object the drive lacks is not checked
/// (the config is the only source then); a value that disagrees is a mismatch, reported as one line naming the joint,
/// the key, the object and both values. Not real-time safe (runs SDO uploads at prepare time).
/// </summary>
public static class DriveScalingCheck
{
    /// <summary>Relative tolerance on the gear ratio and the encoder resolution (ratios of integers, so a real disagreement is large).</summary>
    public const double RatioTolerance = 1e-6;

    /// <summary>
    /// Reads an object's value: the bytes, or null when the drive does not have it (SDO abort "object/subindex does not
    /// exist"). Any other failure is the reader's to throw.
    /// </summary>
    public delegate byte[]? ObjectReader(ushort index, byte subIndex);

    /// <summary>What was compared, for the start-up notes: e.g. "0x6076 rated torque 0.64 N·m agrees".</summary>
    public sealed record Result(IReadOnlyList<string> Checked, IReadOnlyList<string> Mismatches)
    {
        public bool Ok => Mismatches.Count == 0;
    }

    public static Result Check(JointDriveConfig joint, string who, ObjectReader read)
    {
        ArgumentNullException.ThrowIfNull(joint);
        ArgumentNullException.ThrowIfNull(read);
        var done = new List<string>();
        var bad = new List<string>();

        if (U32(read(0x6076, 0)) is { } milliNm && milliNm > 0)
        {
            // mN·m resolution: agree within half a unit of the drive's value, or 0.1 %, whichever is larger.
            double drive = milliNm / 1000.0;
            double tol = Math.Max(0.0005, 1e-3 * drive);
            if (Math.Abs(drive - joint.RatedTorqueNm) > tol)
                bad.Add($"{who}: rated_torque_nm is {joint.RatedTorqueNm} N·m, the drive's 0x6076 motor rated torque says {drive} N·m ({milliNm} mN·m); torque per-mille would be scaled wrongly");
            else done.Add($"0x6076 rated torque {drive} N·m");
        }

        if (U32(read(0x608F, 1)) is { } increments && U32(read(0x608F, 2)) is { } motorRevs && increments > 0 && motorRevs > 0)
        {
            double drive = (double)increments / motorRevs;
            if (!Close(drive, joint.EncoderCountsPerRev))
                bad.Add($"{who}: encoder_counts_per_rev is {joint.EncoderCountsPerRev}, the drive's 0x608F encoder resolution says {increments} increments per {motorRevs} revolution(s) = {drive}");
            else done.Add($"0x608F encoder {drive} counts/rev");
        }

        if (U32(read(0x6091, 1)) is { } motor && U32(read(0x6091, 2)) is { } shaft && motor > 0 && shaft > 0)
        {
            double drive = (double)motor / shaft;
            if (!Close(drive, joint.GearRatio))
                bad.Add($"{who}: gear_ratio is {joint.GearRatio}, the drive's 0x6091 gear ratio says {motor} motor revolutions per {shaft} shaft revolution(s) = {drive}");
            else done.Add($"0x6091 gear {drive}");
        }
        return new Result(done, bad);
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) <= RatioTolerance * Math.Max(Math.Abs(a), Math.Abs(b));

    private static uint? U32(byte[]? b) => b switch
    {
        null => null,
        { Length: >= 4 } => BinaryPrimitives.ReadUInt32LittleEndian(b),
        { Length: >= 2 } => BinaryPrimitives.ReadUInt16LittleEndian(b),
        { Length: 1 } => b[0],
        _ => null,
    };
}
