using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rt.Core.Config;

namespace Rt.Safety;

/// <summary>
/// The canonical text of the effective safety policy and its SHA-256. The text lists, one setting a line, in a fixed
/// order and with round-trip invariant numbers: the loop rate (discrepancies are in ticks), every trigger with its
/// resolved reaction, discrepancy and threshold (defaults included, so a changed default changes the digest), the
/// stop ramp and its times, the collision hold's torque limit, the safety I/O wiring, who may reset, and every joint's limits and IMU's rate (the
/// absolute thresholds derive from them). Paths to logs are left out: they do not change what the robot does.
/// Not real-time safe.
/// </summary>
public static class SafetyPolicyDigest
{
    public const string Header = "rt-safety-policy v2"; // v2: collision_hold_torque_limit

    public static string CanonicalText(RtConfig config, SafetyPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(policy);
        var inv = CultureInfo.InvariantCulture;
        string N(double v) => v.ToString("R", inv);
        var s = config.Safety;
        var b = new StringBuilder();
        b.Append(Header).Append('\n');
        b.Append("loop.rate_hz=").Append(N(config.Loop.RateHz)).Append('\n');
        for (int t = 0; t < SafetyTriggers.Count; t++)
        {
            var p = policy.Triggers[t];
            b.Append("trigger ").Append(SafetyTriggers.Names[t])
             .Append(" reaction=").Append(SafetyTriggers.ReactionName(p.Reaction))
             .Append(" discrepancy_ticks=").Append(p.DiscrepancyTicks.ToString(inv))
             .Append(" threshold=").Append(N(p.Threshold)).Append('\n');
        }
        b.Append("stop_deceleration_rad_s2=").Append(N(policy.StopDecelerationRadS2)).Append('\n');
        b.Append("stop_time_s=").Append(N(policy.StopTimeS)).Append('\n');
        b.Append("standstill_window_rad=").Append(N(policy.StandstillWindowRad)).Append('\n');
        b.Append("collision_hold_torque_limit=").Append(N(s.CollisionHoldTorqueLimit)).Append('\n');
        b.Append("flight_recorder_s=").Append(N(policy.FlightRecorderS)).Append('\n');
        b.Append("estop_input=").Append(s.EstopInput).Append('\n');
        b.Append("reset_input=").Append(s.ResetInput).Append('\n');
        b.Append("enable_output=").Append(s.EnableOutput).Append('\n');
        b.Append("reset_socket=").Append(s.ResetSocket).Append(" mode=").Append(s.ResetSocketMode)
         .Append(" group=").Append(s.ResetSocketGroup).Append('\n');
        foreach (var j in config.Joints)
        {
            var l = j.Limits;
            b.Append("joint ").Append(j.Name)
             .Append(" position_min_rad=").Append(N(l.PositionMinRad)).Append(" position_max_rad=").Append(N(l.PositionMaxRad))
             .Append(" velocity_rad_s=").Append(N(l.VelocityRadS)).Append(" torque_nm=").Append(N(l.TorqueNm))
             .Append(" following_error_rad=").Append(N(l.FollowingErrorRad)).Append('\n');
        }
        // A brake the collision hold may close under power changes how a push beyond the drive is stopped.
        foreach (var br in config.Brakes)
            if (br.EngageBit is int bit) b.Append("brake ").Append(br.Joint).Append(" engage_bit=").Append(bit.ToString(inv)).Append('\n');
        foreach (var imu in config.Imus) b.Append("imu ").Append(imu.Name).Append(" rate_hz=").Append(N(imu.RateHz)).Append('\n');
        return b.ToString();
    }

    /// <summary>SHA-256 of the text (UTF-8), lowercase hex.</summary>
    public static string Of(string canonicalText) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalText)));
}
