using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Twin.CrossCheck;
using Rt.Twin.Models;

namespace Rt.Twin.Tests;

/// <summary>
/// The slip test (issue 13, torque loss at a standing joint): a settled joint slipping while the observer's external
/// torque (its window mean) leans with the motion beyond what friction, noise and the model's error explain raises its
/// torque channel. Numbers are the bench's ankle pitch at the torque loss (docs/TWIN.md, "Torque loss at a standing
/// joint"); the second joint is a knee above it (its velocity noise reaches the ankle's r through M).
/// </summary>
public sealed class HeldSlipCheckTests
{
    private const double Mass = 0.0084, Gain = 200, Period = 0.001, PredictedTorque = -0.32, RelativeError = 0.16;
    private const double SigmaV = 0.007, RhoV = -0.58;

    private sealed class Rig
    {
        public readonly ChannelLayout Layout = new(["ankle", "knee"], []);
        public readonly DivergenceRecord Record;
        public readonly CrossCheckEvaluator CrossCheck;
        public readonly HeldSlipCheck Check;
        public readonly ServoModel Servo;
        public readonly int Torque;
        public readonly double[] Mass2 = [Mass, 0, 0, 0.2];
        public readonly double[] Qdd = new double[2];

        public Rig(double relativeError = RelativeError, double coupling = 0, double kneeSigma = SigmaV)
        {
            var noise = new NoiseModel(Layout);
            for (int j = 0; j < 2; j++)
            {
                int velocity = Layout.IndexOf(ChannelKind.JointVelocity, j);
                noise.Set(velocity, j == 0 ? SigmaV : kneeSigma);
                noise.SetAr1(velocity, [RhoV]);
            }
            Torque = Layout.IndexOf(ChannelKind.JointTorque, 0);
            Mass2[1] = Mass2[2] = coupling;
            Record = new DivergenceRecord(Layout);
            CrossCheck = new CrossCheckEvaluator(Layout, noise, new TwinSection(), TimeSpan.FromMilliseconds(1));
            CrossCheck.Evaluate(new double[CrossCheck.ComponentCount], Record); // thresholds into the record
            var ankle = new ServoParameters(168.6, 1.118, 1, 1, 1, 0.18, 0.3) { FrictionSmoothingRadS = 0.1 };
            Servo = new ServoModel([ankle, ankle], Period);
            Check = new HeldSlipCheck(Layout, noise, [relativeError, double.NaN], [0, 1], Servo, Gain, Period, CrossCheck.ArlTicks);
        }

        public void Step(double velocity, double r, bool settled, double predictedTorque = PredictedTorque) =>
            Check.Evaluate(0, velocity, settled, armed: true, r, Mass2, Qdd, predictedTorque, Servo, Record, CrossCheck);

        /// <summary>A window of ticks at <paramref name="velocity"/> with residual <paramref name="r"/>; the last tick's ratio.</summary>
        public double Run(double velocity, double r, bool settled)
        {
            for (int k = 0; k < HeldSlipCheck.WindowTicks; k++) Step(velocity, r, settled);
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
        Assert.Equal(ratio, rig.Check.Evidence(0) / rig.Check.Threshold(0), 12);
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
        // Velocity inside its noise (window mean below the quantile): no slip is established.
        rig = new Rig();
        Assert.Equal(0, rig.Run(0.005, 0.29, settled: true));
        Assert.False(rig.Record.OverThreshold[rig.Torque]);
        // Within the model's error: r below z·σ_r̄ + ε·|τ̂| + the model friction.
        rig = new Rig();
        double small = rig.Run(0.028, 0.1, settled: true);
        Assert.InRange(small, 0, 1);
        Assert.False(rig.Record.OverThreshold[rig.Torque]);
    }

    [Fact]
    public void The_residual_counts_as_its_window_mean_so_a_noise_spike_does_not_trip()
    {
        // The dragged ankle of frame-loss-sine-2: r jumps tick to tick (anti-correlated velocity noise through K·M)
        // around a mean that friction explains. One tick at +0.6 N·m within a window whose mean friction explains is noise;
        // the same 0.6 N·m held over the window is a torque loss.
        var rig = new Rig();
        for (int k = 1; k < HeldSlipCheck.WindowTicks; k++) rig.Step(0.028, -0.025, settled: true);
        rig.Step(0.028, 0.6, settled: true);
        Assert.InRange(rig.Check.Ratio(0), 0, 1);
        Assert.False(rig.Record.OverThreshold[rig.Torque]);
        Assert.True(new Rig().Run(0.028, 0.6, settled: true) > 1);
    }

    [Fact]
    public void A_neighbours_velocity_noise_through_the_mass_matrix_raises_the_threshold()
    {
        // Uncoupled, the ankle's residual of 0.29 N·m trips; below a knee whose M_ankle,knee is 3× the ankle's own
        // inertia and whose velocity noise is 10× the ankle's, the same residual is within the noise that the knee's
        // momentum puts into the ankle's r.
        var free = new Rig();
        var coupled = new Rig(coupling: 3 * Mass, kneeSigma: 10 * SigmaV);
        Assert.True(free.Run(0.028, 0.29, settled: true) > 1);
        double ratio = coupled.Run(0.028, 0.29, settled: true);
        Assert.InRange(ratio, 0, 1);
        Assert.True(coupled.Check.Threshold(0) > 2 * free.Check.Threshold(0), $"{coupled.Check.Threshold(0)} vs {free.Check.Threshold(0)}");
    }

    [Fact]
    public void The_model_error_bound_follows_the_observers_low_pass()
    {
        // r's model error is the observer's low-pass (pole e^(−K·dt)) of the per-tick error, so after the predicted
        // torque drops from 2 N·m to 0 the bound decays with that pole instead of vanishing at once.
        var rig = new Rig();
        for (int k = 0; k < 200; k++) rig.Step(0.028, 0, settled: true, predictedTorque: 2);
        double high = rig.Check.Threshold(0);
        rig.Step(0.028, 0, settled: true, predictedTorque: 0);
        double next = rig.Check.Threshold(0);
        for (int k = 0; k < 200; k++) rig.Step(0.028, 0, settled: true, predictedTorque: 0);
        double floor = rig.Check.Threshold(0);
        Assert.Equal(RelativeError * 2, high - floor, 3);
        double pole = Math.Exp(-Gain * Period);
        // The window mean of the filtered bound one tick after the drop: (W − 1 + a)/W of the step still there.
        const int w = HeldSlipCheck.WindowTicks;
        Assert.Equal(RelativeError * 2 * (w - 1 + pole) / w, next - floor, 6);
    }

    [Fact]
    public void The_threshold_noise_matches_the_observer_driven_by_the_calibrated_velocity_noise()
    {
        // The derivation's σ_r̄ against the real MomentumObserver fed p = M·n with n the calibrated AR(1) velocity
        // noise (ρ = −0.58) and nothing else: the empirical σ of the window mean of r must match within 3 %.
        var rig = new Rig(relativeError: 0);
        var observer = new MomentumObserver(1, Gain, Period);
        var gaussian = new CrossCheckGaussian(7);
        double n = 0, sum = 0, sumSq = 0;
        var ring = new double[HeldSlipCheck.WindowTicks];
        double[] p = new double[1], zero = new double[1], r = new double[1];
        int samples = 0;
        for (int k = 0; k < 400_000; k++)
        {
            n = RhoV * n + SigmaV * gaussian.Next();
            p[0] = Mass * n;
            observer.Update(p, zero, [], zero, zero, r);
            ring[k % ring.Length] = r[0];
            if (k < 1000) continue;
            double mean = ring.Average();
            sum += mean;
            sumSq += mean * mean;
            samples++;
        }
        double empirical = Math.Sqrt(sumSq / samples - sum / samples * (sum / samples));
        // The rig's threshold with ε = 0 at a steady slip is z·σ_r̄ (own momentum noise + own friction noise); the
        // friction part is checked apart: it is the observer's trapezoid of the friction slope times n.
        rig.Run(0.028, 0, settled: true);
        double sigmaAll = rig.Check.Threshold(0) / rig.Check.Z;
        var frictionOnly = new Rig(relativeError: 0);
        frictionOnly.Mass2[0] = 0;
        frictionOnly.Run(0.028, 0, settled: true);
        double sigmaFriction = frictionOnly.Check.Threshold(0) / frictionOnly.Check.Z;
        Assert.InRange((sigmaAll - sigmaFriction) / empirical, 0.97, 1.03);
    }

    [Fact]
    public void A_joint_without_a_calibrated_torque_fit_is_not_tested()
    {
        var rig = new Rig(double.NaN);
        Assert.False(rig.Check.Tested(0));
        Assert.False(rig.Check.Tested(1));
        Assert.Equal(0, rig.Run(0.028, 5, settled: true));
        Assert.False(rig.Record.OverThreshold[rig.Torque]);
    }

    [Fact]
    public void Evaluate_allocates_nothing()
    {
        var rig = new Rig();
        for (int k = 0; k < 100; k++) rig.Run(0.028, 0.29, settled: true); // JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10_000; k++) rig.Step(0.02 + 1e-6 * k, 0.2, settled: true);
        rig.Check.Reset();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

/// <summary>The AR(1) variance helper shared by the contact test, its chain covariance and the slip test.</summary>
public sealed class Ar1NoiseTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.9)]
    [InlineData(-0.58)]
    public void The_variance_of_a_window_mean_matches_the_closed_form(double rho)
    {
        const double sigma = 0.3;
        const int w = 5;
        var weights = Enumerable.Repeat(1.0 / w, w).ToArray();
        double acc = w;
        for (int m = 1; m < w; m++) acc += 2 * (w - m) * Math.Pow(rho, m);
        double expected = sigma * sigma / (1 - rho * rho) * acc / (w * w);
        Assert.Equal(expected, Ar1Noise.WeightedSumVariance(weights, sigma, rho), 12);
        Assert.Equal(sigma * sigma / (1 - rho * rho), Ar1Noise.StationaryVariance(sigma, rho), 12);
    }

    [Fact]
    public void A_difference_of_consecutive_samples_of_a_strongly_correlated_noise_is_small()
    {
        // x_k − x_(k−1) of an AR(1): 2σ²/(1 − ρ²)·(1 − ρ) = 2σ²/(1 + ρ).
        Assert.Equal(2 * 0.01 / 1.95, Ar1Noise.WeightedSumVariance([1.0, -1.0], 0.1, 0.95), 12);
    }
}
