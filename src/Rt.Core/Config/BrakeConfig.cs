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

    /// <summary>
    /// The robot-side output that releases this brake by hand (<c>rt brake release</c>), or null (the brake cannot be
    /// released by the host). Energised = released: the brake's release coil (or its relay) must be wired so that a
    /// de-energised or floating line engages the brake.
    /// </summary>
    public BrakeReleaseOutput? ReleaseOutput { get; set; }

    /// <summary>
    /// True: the host releases this brake by hand through the joint's drive, 0x60FE:01 digital outputs bit 0 (CiA 402),
    /// written in the cyclic RxPDO (the drive must map it: refused at start otherwise). One path per brake: not with
    /// <see cref="ReleaseOutput"/>.
    /// </summary>
    public bool ReleaseByDrive { get; set; }

    /// <summary>
    /// The bit of 0x60FE:01 digital outputs (16–31, the manufacturer-specific range) on which the joint's drive closes
    /// this brake while its power stage stays on (the command drives use for their brake test), or null (the drive has
    /// none). Written in the cyclic RxPDO: the drive must map 0x60FE:01 (refused at start otherwise) and take the bit
    /// from the master (its 0x60FE:02 mask). The collision hold sets it on a joint a sustained push overpowers: drive and
    /// brake together hold what neither holds alone, and power stays on.
    /// </summary>
    public int? EngageBit { get; set; }

    /// <summary>Whether the host can close this brake while the drive stays powered (<see cref="EngageBit"/>).</summary>
    public bool EngageByDrive => EngageBit is not null;

    /// <summary>Lowest and highest <see cref="EngageBit"/> accepted: 0x60FE:01's manufacturer-specific bits.</summary>
    public const int MinEngageBit = 16, MaxEngageBit = 31;

    /// <summary>Whether the host can release this brake by hand (a GPIO release output or the drive's 0x60FE:01).</summary>
    public bool HostReleasable => ReleaseOutput != null || ReleaseByDrive;

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
        var outputs = new HashSet<string>(StringComparer.Ordinal);
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
            if (b.ReleaseOutput is { } o) BrakeReleaseOutput.Check(o, $"{key}.release_output", config, outputs, fail);
            if (b.EngageBit is int bit && bit is < MinEngageBit or > MaxEngageBit)
                fail($"{key}.engage_bit", string.Create(CultureInfo.InvariantCulture, $"is {bit}; expected a bit of 0x60FE:01's manufacturer-specific range, {MinEngageBit} to {MaxEngageBit}"));
            if (b.ReleaseOutput is not null && b.ReleaseByDrive)
                fail($"{key}.release_by_drive", "is true and release_output is set too; expected one release path per brake (the drive's 0x60FE:01 or a GPIO line)");
        }
    }
}

/// <summary>
/// A brake's release output: one GPIO line (<c>brakes[i].release_output: {chip, line, active_low}</c>), written through
/// System.Device.Gpio on a non-real-time thread. Not real-time safe (config object).
/// </summary>
public sealed class BrakeReleaseOutput
{
    /// <summary>The chip: "gpiochip0", "/dev/gpiochip0", or a driver prefix as in the safety lines ("libgpiod:0", "mcp23017:1:0x20").</summary>
    public string Chip { get; set; } = "";

    /// <summary>The line offset on the chip.</summary>
    public int Line { get; set; } = -1;

    /// <summary>True when the line is low to release (energise).</summary>
    public bool ActiveLow { get; set; }

    /// <summary>Highest line offset accepted (the character device's limit is far below; a typo is caught here).</summary>
    public const int MaxLine = 1023;

    /// <summary>The line as the GPIO layer spells it: "chip:line".</summary>
    public string Spec => string.Create(CultureInfo.InvariantCulture, $"{Chip}:{Line}");

    /// <summary>Not real-time safe. A chip, a bounded line, used once among the brakes and by no safety line.</summary>
    public static void Check(BrakeReleaseOutput o, string key, RtConfig config, HashSet<string> seen, Action<string, string> fail)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(seen);
        ArgumentNullException.ThrowIfNull(fail);
        if (string.IsNullOrWhiteSpace(o.Chip))
            fail($"{key}.chip", "is missing; expected a GPIO chip such as gpiochip0 or /dev/gpiochip0");
        if (o.Line is < 0 or > MaxLine)
            fail($"{key}.line", string.Create(CultureInfo.InvariantCulture, $"is {o.Line}; expected a line offset 0 to {MaxLine}"));
        if (string.IsNullOrWhiteSpace(o.Chip) || o.Line is < 0 or > MaxLine) return;
        string spec = Normal(o.Spec);
        if (!seen.Add(spec)) fail(key, $"{o.Spec} releases another brake already; expected one line per brake");
        var sa = config.Safety;
        foreach (var (other, name) in new[] { (sa.EnableOutput, "safety.enable_output"), (sa.EstopInput, "safety.estop_input"), (sa.ResetInput, "safety.reset_input"), (config.Homing.HoldInput, "homing.hold_input") })
            if (!string.IsNullOrEmpty(other) && Normal(other) == spec)
                fail(key, $"{o.Spec} is {name} already; expected a line of its own");
    }

    private static string Normal(string spec) => spec.StartsWith("/dev/", StringComparison.Ordinal) ? spec[5..] : spec;
}
