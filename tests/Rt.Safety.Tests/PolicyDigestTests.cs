using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

/// <summary>The effective safety policy is visible (a digest), logged, and can be pinned by a deployment.</summary>
public sealed class PolicyDigestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-digest-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static string DigestOf(Action<RtConfig>? change = null)
    {
        var c = Rig.MakeConfig();
        change?.Invoke(c);
        return SafetyConfigValidator.Validate(c, onBench: true).Digest;
    }

    [Fact]
    public void Same_config_gives_the_same_digest_and_it_is_sha256_of_the_canonical_text()
    {
        var p = SafetyConfigValidator.Validate(Rig.MakeConfig());
        Assert.Equal(DigestOf(), p.Digest);
        Assert.Matches("^[0-9a-f]{64}$", p.Digest);
        Assert.Equal(SafetyPolicyDigest.Of(p.CanonicalText), p.Digest);
        Assert.StartsWith(SafetyPolicyDigest.Header + "\n", p.CanonicalText, StringComparison.Ordinal);
        Assert.Contains("trigger collision reaction=cat2 discrepancy_ticks=2 threshold=0\n", p.CanonicalText, StringComparison.Ordinal);
        Assert.Contains("\ncollision_hold_torque_limit=0.6\n", p.CanonicalText, StringComparison.Ordinal);
        // Listing a trigger with exactly its defaults is the same effective policy.
        Assert.Equal(p.Digest, DigestOf(c => c.Safety.Triggers["collision"] = new TriggerConfig { Reaction = "cat2", DiscrepancyTicks = 2 }));
    }

    public static TheoryData<string, Action<RtConfig>> Changes => new()
    {
        { "reaction", c => c.Safety.Triggers["collision"] = new TriggerConfig { Reaction = "cat1", DiscrepancyTicks = 2 } },
        { "weakened on the bench", c => c.Safety.Triggers["collision"] = new TriggerConfig { Reaction = "warn", DiscrepancyTicks = 2 } },
        { "discrepancy", c => c.Safety.Triggers["collision"] = new TriggerConfig { Reaction = "cat2", DiscrepancyTicks = 3 } },
        { "threshold", c => c.Safety.Triggers["collision"] = new TriggerConfig { Reaction = "cat2", DiscrepancyTicks = 2, Threshold = 10 } },
        { "default discrepancy from the bus budget", c => c.Bus.FrameLossBudget = 4 },
        { "deceleration", c => c.Safety.StopDecelerationRadS2 = 25 },
        { "stop time", c => c.Safety.StopTimeS = 0.4 },
        { "standstill window", c => c.Safety.StandstillWindowRad = 0.03 },
        { "collision hold torque limit", c => c.Safety.CollisionHoldTorqueLimit = 0.8 },
        { "flight recorder", c => c.Safety.FlightRecorderS = 6 },
        { "estop wiring", c => c.Safety.EstopInput = "/dev/gpiochip0:17" },
        { "enable wiring", c => c.Safety.EnableOutput = "/dev/gpiochip0:18" },
        { "reset socket group", c => c.Safety.ResetSocketGroup = "operators" },
        { "joint velocity limit", c => c.Joints[0].Limits.VelocityRadS = 6 },
        { "joint torque limit", c => c.Joints[1].Limits.TorqueNm = 40 },
        { "joint position limit", c => c.Joints[1].Limits.PositionMaxRad = 1.9 },
        { "following error limit", c => c.Joints[0].Limits.FollowingErrorRad = 0.2 },
        { "imu rate", c => c.Imus[0].RateHz = 500 },
        { "loop rate", c => c.Loop.RateHz = 500 },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Any_safety_relevant_change_changes_the_digest(string what, Action<RtConfig> change)
    {
        Assert.False(DigestOf() == DigestOf(change), $"{what} did not change the digest");
    }

    [Fact]
    public void Log_path_and_the_pin_itself_do_not_change_the_digest()
    {
        string d = DigestOf();
        Assert.Equal(d, DigestOf(c => c.Safety.LogPath = "elsewhere.log"));
        Assert.Equal(d, DigestOf(c => c.Safety.ExpectedDigest = new string('0', 64)));
    }

    [Fact]
    public void A_pinned_digest_that_does_not_match_keeps_the_robot_disabled_and_says_why()
    {
        string wrong = new('a', 64);
        string actual = DigestOf();
        var rig = new Rig(c => c.Safety.ExpectedDigest = wrong);
        rig.Run(500); // motion is requested all along
        Assert.Equal(SafetyState.Disabled, rig.State);
        Assert.Equal(DrivePowerRequest.Off, rig.S.PowerRequest);
        Assert.False(rig.Enable.Level);
        Assert.NotNull(rig.Sup.EnableRefusal);
        Assert.Contains($"expected_digest is {wrong}", rig.Sup.EnableRefusal, StringComparison.Ordinal);
        Assert.Contains($"effective policy is {actual}", rig.Sup.EnableRefusal, StringComparison.Ordinal);
        var e = Assert.Single(rig.Log);
        Assert.Equal(FaultCode.SafetyConfigMismatch, e.Trigger);
        Assert.Equal(SafetyState.Disabled, e.To);
    }

    [Fact]
    public void A_pinned_digest_that_matches_enables_as_usual_in_either_case()
    {
        string actual = DigestOf();
        var rig = new Rig(c => c.Safety.ExpectedDigest = actual.ToUpperInvariant()).Operational();
        Assert.Null(rig.Sup.EnableRefusal);
        Assert.Equal(SafetyState.Operational, rig.State);
    }

    [Fact]
    public void The_digest_is_the_first_record_of_each_session_in_the_safety_log()
    {
        var rig = new Rig();
        string path = Path.Combine(_dir, "rt-safety.log");
        string digest = rig.Sup.Policy.Digest;
        for (int session = 0; session < 2; session++)
        {
            using var log = new SafetyLog(path, rig.Events, policyDigest: digest);
            rig.DrainEvents = false;
            rig.Run(5); // Disabled → Enabling → Operational
            log.DrainOnce();
        }
        var c = SafetyLogReader.Read(path);
        Assert.Empty(c.Damage);
        Assert.Equal(2, c.Sessions.Count);
        Assert.All(c.Sessions, s => Assert.Equal(digest, s.PolicyDigest));
        Assert.Equal(0, c.Sessions[0].Offset); // first in the file, before any event
        Assert.True(c.Sessions[1].Offset > c.Records[0].Offset);
        Assert.True(c.Sessions[0].WallUnixNs > 0);
        Assert.NotEmpty(c.Records);
    }
}
