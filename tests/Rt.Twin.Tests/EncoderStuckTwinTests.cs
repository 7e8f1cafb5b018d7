using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Twin.Tests;

/// <summary>
/// The stuck-encoder test inside the twin (on by default): a standing synthetic robot whose encoders flicker by
/// quantised Gaussian noise; one encoder freezes and its drive's velocity reads 0. The twin names that encoder, and the
/// isolator's evidence window still runs on the ticks the stuck test names, so a refined diagnosis follows.
/// </summary>
public partial class DigitalTwinTests
{
    [Fact]
    public void A_frozen_encoder_on_a_standing_joint_is_named_and_refined_as_that_encoder()
    {
        var (config, layout, state) = Setup();
        var twin = new DigitalTwin(config, layout, Synthetic); // on by default (docs/TWIN.md)
        var robot = new SyntheticRobot(config);
        var rng = new Random(41);
        int n = state.JointCount;
        var cpr = new double[n];
        for (int j = 0; j < n; j++) cpr[j] = config.Joints[j].GearRatio * config.Joints[j].EncoderCountsPerRev / (2 * Math.PI);
        int frozen = JointIndex(state, layout, "l_hip_roll");
        int position = layout.IndexOf(ChannelKind.JointPosition, frozen);
        const long freezeAt = 2500, end = 2700;
        double held = 0;
        long firstOver = -1;
        FaultDiagnosis first = default;
        for (long k = 0; k < end; k++)
        {
            Feed(state, robot, k);
            for (int j = 0; j < n; j++)
            {
                // A drive's count: the joint's position quantised after σ = 1 count of noise, the velocity it reports.
                double counts = Math.Round(robot.Q[j] * cpr[j] + Gauss(rng));
                state.Position[j] = counts / cpr[j];
            }
            if (k == freezeAt) held = state.Position[frozen];
            if (k >= freezeAt)
            {
                state.Position[frozen] = held;
                state.Velocity[frozen] = 0;
            }
            twin.Step(state);
            var d = state.Divergence;
            if (k < freezeAt) Assert.Equal(0, d.OverCount);
            else if (firstOver < 0 && d.OverCount > 0)
            {
                firstOver = k;
                first = d.Diagnosis;
                Assert.Equal(position, d.EvidenceChannel);
            }
            robot.Advance(state.TargetPosition, state.TargetVelocity); // the command stands at the start pose
        }
        Assert.True(firstOver > 0, "the frozen encoder was never named");
        Assert.True(firstOver - freezeAt <= 60, $"named {firstOver - freezeAt} ticks after the freeze (σ = 1 count: 24 expected)");
        Assert.Equal(new FaultDiagnosis(FaultClass.Sensor, FaultSite.Joint, (short)frozen, -1, DetectionTest.StuckEncoder), first);
        var r = state.Divergence;
        Assert.True(r.RefinedSinceTick >= firstOver, $"no refined diagnosis: refined since {r.RefinedSinceTick}, first over threshold {firstOver}");
        Assert.Equal(FaultClass.Sensor, r.RefinedDiagnosis.Class);
        Assert.Equal(FaultSite.Joint, r.RefinedDiagnosis.Site);
        Assert.Equal(frozen, r.RefinedDiagnosis.Location);
    }
}
