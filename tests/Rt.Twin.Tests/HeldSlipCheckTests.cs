using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Twin.CrossCheck;
using Rt.Twin.Models;

namespace Rt.Twin.Tests;

/// <summary>
/// The slip test (issue 13, torque loss at a standing joint): a settled joint slipping while the observer's external
/// torque leans with the motion beyond what friction and the model's error explain raises its torque channel.
/// Numbers are the bench's left ankle pitch at the torque loss (docs/TWIN.md, "Torque loss at a standing joint").
/// </summary>
public sealed class HeldSlipCheckTests
{
    private const double Mass = 0.006, Gain = 200, PredictedTorque = -0.32, RelativeError = 0.16;

    private sealed class Rig
    {
        public readonly ChannelLayout Layout = new(["ankle"], []);
        public readonly DivergenceRecord Record;
        public readonly CrossCheckEvaluator CrossCheck;
        public readonly HeldSlipCheck Check;
        public readonly ServoModel Servo;
        public readonly int Torque;

        public Rig(double relativeError = RelativeError)
        {
            var noise = new NoiseModel(Layout);
            int velocity = Layout.Channels.ToList().FindIndex(c => c.Kind == ChannelKind.JointVelocity);
            Torque = Layout.Channels.ToList().FindIndex(c => c.Kind == ChannelKind.JointTorque);
            noise.Set(velocity, 0.007);
            Record = new DivergenceRecord(Layout);
            CrossCheck = new CrossCheckEvaluator(Layout, noise, new TwinSection(), TimeSpan.FromMilliseconds(1));
            CrossCheck.Evaluate(new double[CrossCheck.ComponentCount], Record); // thresholds into the record
            Check = new HeldSlipCheck(Layout, noise, [relativeError], Gain, CrossCheck.ArlTicks);
            Servo = new ServoModel([new ServoParameters(168.6, 1.118, 1, 1, 1, 0.18, 0.3) { FrictionSmoothingRadS = 0.1 }], 0.001);
        }

        /// <summary>Five ticks at <paramref name="velocity"/> with residual <paramref name="r"/>; the last tick's ratio.</summary>
        public double Run(double velocity, double r, bool settled)
        {
            for (int k = 0; k < HeldSlipCheck.WindowTicks; k++)
                Check.Evaluate(0, velocity, settled, armed: true, r, Mass, PredictedTorque, 0, Servo, Record, CrossCheck);
            return Check.Ratio(0);
        }
    }

    [Fact]
    public void A_settled_joint_slipping_with_the_residual_raises_its_torque_channel()
    {
        var rig = new Rig();
        // The ankle at 19 ms: creeping at +0.028 rad/s, r = +0.29 N·m (friction would have to push with the motion).
        double ratio = rig.Run(0.028, 0.29, settled: true);
        Assert.True(ratio > 1, $"ratio {ratio}");
        Assert.True(rig.Record.OverThreshold[rig.Torque]);
        Assert.Equal(rig.Torque, rig.Record.WorstChannel);
        Assert.True(rig.Record.Detector[rig.Torque] / rig.Record.Threshold[rig.Torque] >= ratio - 1e-9);
    }

    [Fact]
    public void Friction_against_the_motion_a_moving_command_or_no_slip_raise_nothing()
    {
        // The same residual while slipping the other way: friction opposing the motion explains it.
        var rig = new Rig();
        Assert.True(rig.Run(-0.028, 0.29, settled: true) <= 0);
        Assert.False(rig.Record.OverThreshold[rig.Torque]);
        // A command that is moving: the servo model owns that joint.
        rig = new Rig();
        Assert.Equal(0, rig.Run(0.028, 0.29, settled: false));
        Assert.False(rig.Record.OverThreshold[rig.Torque]);
        // Velocity inside its noise (5-tick mean below the quantile): no slip is established.
        rig = new Rig();
        Assert.Equal(0, rig.Run(0.005, 0.29, settled: true));
        Assert.False(rig.Record.OverThreshold[rig.Torque]);
        // Within the model's error: r below z·K·M·σ_v + ε·|τ̂| + the model friction.
        rig = new Rig();
        double small = rig.Run(0.028, 0.1, settled: true);
        Assert.InRange(small, 0, 1);
        Assert.False(rig.Record.OverThreshold[rig.Torque]);
    }

    [Fact]
    public void A_joint_without_a_calibrated_torque_fit_is_not_tested()
    {
        var rig = new Rig(double.NaN);
        Assert.False(rig.Check.Tested(0));
        Assert.Equal(0, rig.Run(0.028, 5, settled: true));
        Assert.False(rig.Record.OverThreshold[rig.Torque]);
    }

    [Fact]
    public void Evaluate_allocates_nothing()
    {
        var rig = new Rig();
        for (int k = 0; k < 100; k++) rig.Run(0.028, 0.29, settled: true); // JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10_000; k++)
            rig.Check.Evaluate(0, 0.02 + 1e-6 * k, settled: true, armed: true, 0.2, Mass, PredictedTorque, 0, rig.Servo, rig.Record, rig.CrossCheck);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
