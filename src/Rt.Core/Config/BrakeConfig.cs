using System.Globalization;

namespace Rt.Core.Config;

/// <summary>
/// A joint's holding brake (issue 13): <c>brakes:</c>, one entry per braked joint. As on real CiA 402 drives the drive
/// itself controls the brake with its power stage: released when the drive enters "operation enabled", engaged whenever
/// the power stage goes off (STO / Cat 0, disable, fault reaction). On a robot this tells the host which joints have a
/// brake; the bench's emulated drives model the brake from it (engage time, holding torque; the plant applies the
/// brake's torque). Not real-time safe (config object).
/// </summary>
public sealed class BrakeConfig
{
    /// <summary>The braked joint (a name under <c>joints:</c>).</summary>
    public string Joint { get; set; } = "";

    /// <summary>Static holding torque at the joint, N·m: the brake slips above it.</summary>
    public double HoldingTorqueNm { get; set; }

    /// <summary>Time from the brake command (power stage off) until the brake holds, s (spring-applied brakes: 10–50 ms).</summary>
    public double EngageTimeS { get; set; } = 0.02;

    /// <summary>Time from "operation enabled" until the brake has let go, s; the brake still holds meanwhile.</summary>
    public double ReleaseTimeS { get; set; }

    /// <summary>Longest engage/release time accepted, s.</summary>
    public const double MaxTimeS = 0.5;

    /// <summary>Holding torque accepted, as a multiple of the joint's torque limit.</summary>
    public const double MaxHoldingTorqueFactor = 10;

    /// <summary>Not real-time safe. Every brake names a configured joint once, with bounded numbers.</summary>
    public static void Check(RtConfig config, Action<string, string> fail)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(fail);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < config.Brakes.Count; i++)
        {
            var b = config.Brakes[i];
            string key = $"brakes[{i}]";
            var joint = config.Joints.Find(j => j.Name == b.Joint);
            if (joint is null)
            {
                fail($"{key}.joint", $"'{b.Joint}' is not a configured joint; expected one of {string.Join(", ", config.Joints.Select(j => j.Name))}");
                continue;
            }
            if (!seen.Add(b.Joint)) fail($"{key}.joint", $"'{b.Joint}' has a brake already; expected one brake per joint");
            double max = MaxHoldingTorqueFactor * joint.Limits.TorqueNm;
            if (!(b.HoldingTorqueNm > 0 && b.HoldingTorqueNm <= max))
                fail($"{key}.holding_torque_nm", string.Create(CultureInfo.InvariantCulture, $"is {b.HoldingTorqueNm}; expected more than 0 and at most {max} N·m ({MaxHoldingTorqueFactor} × the joint's torque limit)"));
            if (!(b.EngageTimeS >= 0 && b.EngageTimeS <= MaxTimeS))
                fail($"{key}.engage_time_s", string.Create(CultureInfo.InvariantCulture, $"is {b.EngageTimeS}; expected 0 to {MaxTimeS} s"));
            if (!(b.ReleaseTimeS >= 0 && b.ReleaseTimeS <= MaxTimeS))
                fail($"{key}.release_time_s", string.Create(CultureInfo.InvariantCulture, $"is {b.ReleaseTimeS}; expected 0 to {MaxTimeS} s"));
        }
    }
}
