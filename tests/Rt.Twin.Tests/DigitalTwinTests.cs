using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.TestSupport;
using Rt.Twin.Dynamics;
using Rt.Twin.Models;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>
/// The twin stage on a synthetic robot that behaves exactly like the twin's nominal models (servo model for the joints,
/// rigid-body dynamics for the torques, the IMU model for the IMUs), driven through a TickState the way the pipeline
/// drives it: measurement of tick k → twin Step → controller writes the targets the drives apply from tick k+1.
/// The config's joint order is shuffled so the config↔model permutation is exercised.
/// </summary>
public partial class DigitalTwinTests(ITestOutputHelper output)
{
    /// <summary>The synthetic robot: servo model + RNEA + friction − τ_ext for the torque, IMU model for the IMUs.</summary>
    private sealed class SyntheticRobot
    {
        private readonly ServoModel _servo;
        private readonly RigidBodyModel _model;
        private readonly ImuModel _imu;
        private readonly int[] _map;
        private readonly int _n;
        public readonly double[] Q, Qd, Qdd, Tau, Rate, Force;
        public readonly double[] External;

        public SyntheticRobot(RtConfig config)
        {
            _n = config.Joints.Count;
            _model = RigidBodyModel.FromDescription(config.Description!);
            _map = _model.MapJointNames(config.Joints.Select(j => j.Name).ToList());
            _servo = new ServoModel(config.Joints.Select(j => ServoParameters.Nominal(config.Description!.FindJoint(j.Name)!.Dynamics)).ToList(), 1.0 / config.Loop.RateHz);
            _imu = new ImuModel(_model, config.Imus, biasGain: 0);
            Q = new double[_n];
            Qd = new double[_n];
            Qdd = new double[_n];
            Tau = new double[_n];
            External = new double[_n];
            Rate = new double[3 * config.Imus.Count];
            Force = new double[3 * config.Imus.Count];
            for (int j = 0; j < _n; j++) Q[j] = StartPose(j);
            Measure();
        }

        /// <summary>Advance one tick under the command the drives apply now (the one the controller wrote last tick).</summary>
        public void Advance(double[] latestTarget, double[] latestVelocity)
        {
            var q = (double[])Q.Clone();
            var qd = (double[])Qd.Clone();
            _servo.Predict(q, qd, latestTarget, latestVelocity, Q, Qd, Qdd);
            Measure();
        }

        private void Measure()
        {
            double[] mq = new double[_n], mqd = new double[_n], mqdd = new double[_n], mtau = new double[_n];
            for (int j = 0; j < _n; j++)
            {
                mq[_map[j]] = Q[j];
                mqd[_map[j]] = Qd[j];
                mqdd[_map[j]] = Qdd[j];
            }
            _model.InverseDynamics(mq, mqd, mqdd, mtau);
            for (int j = 0; j < _n; j++) Tau[j] = mtau[_map[j]] + _servo.FrictionTorque(j, Qd[j]) - External[j];
            _imu.Predict(mq, mqd, mqdd, Rate, Force);
        }
    }

    /// <summary>The synthetic robot's torque is exactly RNEA of the servo accelerations (a computed-torque drive): full-M sawtooth.</summary>
    private static readonly DigitalTwinOptions Synthetic = new()
    {
        SawtoothInertia = SawtoothInertia.Full,
        // The synthetic robot samples its torque and IMUs at the tick and has no unmodelled load.
        TorqueFeedback = TorqueFeedback.LastSample,
        ImuSampling = ImuSampling.Instant,
        DisturbanceGain = 0,
    };

    private static (RtConfig Config, ChannelLayout Layout, TickState State) Setup(bool shuffle = true)
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        if (shuffle)
        {
            // Config order ≠ model order: right leg first, reversed.
            var reordered = config.Joints.Where(j => j.Name.StartsWith("r_", StringComparison.Ordinal)).Reverse()
                .Concat(config.Joints.Where(j => j.Name.StartsWith("l_", StringComparison.Ordinal))).ToList();
            config.Joints = reordered;
        }
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var state = new TickState(config.Joints.Count, config.Imus.Count, layout);
        for (int j = 0; j < state.JointCount; j++)
        {
            state.DriveOperational[j] = true;
            state.TargetPosition[j] = StartPose(j); // the controller holds the start pose before its first tick
        }
        state.AllDrivesOperational = true;
        return (config, layout, state);
    }

    private static void Feed(TickState state, SyntheticRobot robot, long tick, Random? noise = null, double sq = 0, double sv = 0, double st = 0, double sw = 0, double sf = 0)
    {
        state.Tick = tick;
        state.TimeNs = tick * 1_000_000;
        state.Faults.Clear();
        for (int j = 0; j < state.JointCount; j++)
        {
            state.Position[j] = robot.Q[j] + Gauss(noise) * sq;
            state.Velocity[j] = robot.Qd[j] + Gauss(noise) * sv;
            state.Torque[j] = robot.Tau[j] + Gauss(noise) * st;
        }
        for (int i = 0; i < state.ImuCount; i++)
        {
            ref var s = ref state.Image.Imus[i];
            s.AngularRateX = (float)(robot.Rate[3 * i] + Gauss(noise) * sw);
            s.AngularRateY = (float)(robot.Rate[3 * i + 1] + Gauss(noise) * sw);
            s.AngularRateZ = (float)(robot.Rate[3 * i + 2] + Gauss(noise) * sw);
            s.SpecificForceX = (float)(robot.Force[3 * i] + Gauss(noise) * sf);
            s.SpecificForceY = (float)(robot.Force[3 * i + 1] + Gauss(noise) * sf);
            s.SpecificForceZ = (float)(robot.Force[3 * i + 2] + Gauss(noise) * sf);
        }
    }

    private static double Gauss(Random? rng)
    {
        if (rng is null) return 0;
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>
    /// The controller: from the start pose q0 (where the robot rests, so measurements start consistent) a smooth
    /// raised-cosine excursion per joint, with its velocity as feed-forward.
    /// </summary>
    private static void Control(TickState state, long tick)
    {
        double t = (tick + 1) * 0.001; // the command computed at tick k is applied from tick k+1
        for (int j = 0; j < state.JointCount; j++)
        {
            double f = 0.5 + 0.1 * j;
            state.TargetPosition[j] = StartPose(j) + 0.2 * (1 - Math.Cos(2 * Math.PI * f * t));
            state.TargetVelocity[j] = 0.2 * 2 * Math.PI * f * Math.Sin(2 * Math.PI * f * t);
        }
    }

    private static double StartPose(int j) => 0.1 * Math.Sin(j);

    [Fact]
    public void On_the_nominal_synthetic_robot_the_innovations_vanish_and_nothing_alarms()
    {
        var (config, layout, state) = Setup();
        var twin = new DigitalTwin(config, layout, Synthetic);
        var robot = new SyntheticRobot(config);
        double worstJoint = 0, worstImu = 0, worstExt = 0, worstR = 0;
        for (long k = 0; k < 3000; k++)
        {
            Feed(state, robot, k);
            twin.Step(state);
            Assert.Equal(k > 0, state.Divergence.Valid);
            Assert.Equal(k, state.Divergence.Tick);
            if (k > 0)
            {
                if (state.Divergence.OverCount != 0)
                {
                    int w = state.Divergence.WorstChannel;
                    Assert.Fail($"tick {k}: {state.Divergence.OverCount} over; worst {layout.Channels[w].Name} innovation {state.Divergence.Innovation[w]:E3} score {state.Divergence.Score[w]:E3} detector {state.Divergence.Detector[w]:E3} threshold {state.Divergence.Threshold[w]:E3}");
                }
                for (int c = 0; c < layout.Count; c++)
                {
                    double v = Math.Abs(state.Divergence.Innovation[c]);
                    var kind = layout.Channels[c].Kind;
                    if (kind is ChannelKind.ImuAngularRate or ChannelKind.ImuSpecificForce) worstImu = Math.Max(worstImu, v);
                    else if (kind is ChannelKind.ExternalTorque)
                    {
                        worstExt = Math.Max(worstExt, v);
                        worstR = Math.Max(worstR, Math.Abs(state.Divergence.ExternalTorque[layout.Channels[c].Index]));
                    }
                    else worstJoint = Math.Max(worstJoint, v);
                }
            }
            robot.Advance(state.TargetPosition, state.TargetVelocity);
            Control(state, k);
        }
        output.WriteLine($"joint innovations max {worstJoint:E2}, IMU max {worstImu:E2} (float32 samples), observer residual max {worstR:E2} N·m, its whitened channel component max {worstExt:E2} N·m");
        Assert.True(worstJoint < 1e-9, $"joint innovations {worstJoint:E2}");
        Assert.True(worstImu < 1e-5, $"IMU innovations {worstImu:E2} (the image carries float32)");
        // What remains is the quadrature error of the stiff servo's within-tick torque (M(q), c(q, q̇) and q̈ all move
        // within the tick; the sawtooth correction is exact only for q̈ at fixed M): ~0.1 N·m at ~30 N·m torques.
        Assert.True(worstR < 0.15, $"observer residual on a robot without contact: {worstR:E2} N·m");
        Assert.True(worstExt < 0.25, $"whitened external-torque component: {worstExt:E2} N·m");
    }

    [Fact]
    public void The_external_torque_channel_follows_a_torque_step_with_the_observer_time_constant()
    {
        var (config, layout, state) = Setup();
        var twin = new DigitalTwin(config, layout, Synthetic);
        var robot = new SyntheticRobot(config);
        int knee = config.Joints.FindIndex(j => j.Name == "l_knee");
        double gain = config.Twin.ObserverGain;
        const long stepTick = 500;
        double worst = 0;
        for (long k = 0; k < 1000; k++)
        {
            Feed(state, robot, k);
            twin.Step(state);
            if (k > stepTick)
            {
                // The push starts somewhere in the tick after sample 500: seen through end-of-tick torque samples, its
                // best estimate of onset is the middle of that tick.
                double expected = 8 * (1 - Math.Exp(-gain * (k - stepTick - 0.5) * 0.001));
                worst = Math.Max(worst, Math.Abs(state.Divergence.ExternalTorque[knee] - expected));
            }
            if (k == stepTick) robot.External[knee] = 8; // a push on the shin from this tick on
            robot.Advance(state.TargetPosition, state.TargetVelocity);
            Control(state, k);
        }
        output.WriteLine($"external torque step 8 N·m on l_knee: worst deviation from 8(1 − e^(−Kt)) = {worst:E2} N·m");
        Assert.True(worst < 0.16, $"worst {worst:E2} N·m (2 % of the step)");
        Assert.Equal(8, state.Divergence.ExternalTorque[knee], 1);
        // The torque channel sees it too (the drive delivers less than the model predicts).
        Assert.True(Math.Abs(state.Divergence.Innovation[layout.IndexOf(ChannelKind.JointTorque, knee)]) > 7);
    }

    [Fact]
    public void With_sensor_noise_and_a_noise_model_calibrated_on_a_nominal_run_no_detector_fires()
    {
        // Realistic sensor noise: a few encoder counts, the drive's differenced velocity, torque and MEMS figures.
        const double sq = 2e-6, sv = 5e-4, st = 0.05, sw = 1e-3, sf = 5e-3;
        // 1. Calibration run: the twin's own innovation σ per component (the noise of y_k+1 plus the noise of y_k
        //    propagated through the stiff servo model into the predicted torque and acceleration).
        var (config, layout, state) = Setup();
        var twin = new DigitalTwin(config, layout, Synthetic);
        var robot = new SyntheticRobot(config);
        var rng = new Random(1);
        var sumSq = new double[twin.Components.Length];
        int samples = 0;
        for (long k = 0; k < 3000; k++)
        {
            Feed(state, robot, k, rng, sq, sv, st, sw, sf);
            twin.Step(state);
            if (k > 10)
            {
                for (int i = 0; i < sumSq.Length; i++) sumSq[i] += twin.Components[i] * twin.Components[i];
                samples++;
            }
            robot.Advance(state.TargetPosition, state.TargetVelocity);
            Control(state, k);
        }
        var sigma = sumSq.Select(v => Math.Sqrt(v / samples)).ToArray();
        var noise = new CrossCheck.NoiseModel(layout);
        for (int c = 0; c < layout.Count; c++) noise.Set(c, sigma.AsSpan(noise.Offsets[c], noise.Dimensions[c]));

        // 2. Held-out run with another seed: no alarms, innovations at the calibrated level.
        (config, layout, state) = Setup();
        twin = new DigitalTwin(config, layout, Synthetic with { Noise = noise });
        robot = new SyntheticRobot(config);
        rng = new Random(2);
        Array.Clear(sumSq);
        samples = 0;
        int alarms = 0;
        for (long k = 0; k < 5000; k++)
        {
            Feed(state, robot, k, rng, sq, sv, st, sw, sf);
            twin.Step(state);
            if (k > 10)
            {
                if (state.Divergence.OverCount > 0 && alarms == 0)
                {
                    int w = state.Divergence.WorstChannel;
                    output.WriteLine($"first alarm tick {k}: {layout.Channels[w].Name} score {state.Divergence.Score[w]:E3} detector {state.Divergence.Detector[w]:E3}");
                }
                alarms += state.Divergence.OverCount;
                for (int i = 0; i < sumSq.Length; i++) sumSq[i] += twin.Components[i] * twin.Components[i];
                samples++;
            }
            robot.Advance(state.TargetPosition, state.TargetVelocity);
            Control(state, k);
        }
        foreach (var kind in Enum.GetValues<ChannelKind>())
        {
            var comps = Enumerable.Range(0, layout.Count).Where(c => layout.Channels[c].Kind == kind)
                .SelectMany(c => Enumerable.Range(noise.Offsets[c], noise.Dimensions[c])).ToList();
            double worstRatio = comps.Max(i => Math.Sqrt(sumSq[i] / samples) / sigma[i]);
            output.WriteLine($"{kind}: calibrated σ {comps.Min(i => sigma[i]):E2}..{comps.Max(i => sigma[i]):E2}, held-out RMS/σ worst {worstRatio:F3}");
            Assert.InRange(worstRatio, 0.8, 1.25);
        }
        Assert.Equal(0, alarms);
    }

    [Fact]
    public void A_non_finite_sample_is_a_fault_and_never_enters_the_twin_state()
    {
        var (config, layout, state) = Setup();
        var twin = new DigitalTwin(config, layout, Synthetic);
        var robot = new SyntheticRobot(config);
        int knee = config.Joints.FindIndex(j => j.Name == "r_knee");
        int posChannel = layout.IndexOf(ChannelKind.JointPosition, knee);
        int rateChannel = layout.IndexOf(ChannelKind.ImuAngularRate, 1);
        for (long k = 0; k < 400; k++)
        {
            Feed(state, robot, k);
            if (k == 200) state.Position[knee] = double.NaN;
            if (k == 201) state.Torque[knee] = double.PositiveInfinity;
            if (k == 202) state.Image.Imus[1].AngularRateY = float.NaN;
            twin.Step(state);
            if (k == 200)
            {
                var f = Assert.Single(state.Faults.Items.ToArray(), x => x.Code == FaultCode.SensorNonFinite);
                Assert.Equal(posChannel, f.Source);
                Assert.Equal(200, f.Tick);
                Assert.Equal(0, state.Divergence.Innovation[posChannel]);
                Assert.True(state.Divergence.Valid);
            }
            if (k == 202) Assert.Contains(state.Faults.Items.ToArray(), x => x.Code == FaultCode.SensorNonFinite && x.Source == rateChannel);
            foreach (var v in twin.PredictedPosition) Assert.True(double.IsFinite(v));
            foreach (var v in twin.PredictedTorque) Assert.True(double.IsFinite(v));
            foreach (var v in twin.PredictedAngularRate) Assert.True(double.IsFinite(v));
            foreach (var v in state.Divergence.ExternalTorque) Assert.True(double.IsFinite(v));
            foreach (var v in state.Divergence.Score) Assert.True(double.IsFinite(v));
            if (k > 203) Assert.Equal(0, state.Divergence.OverCount);
            robot.Advance(state.TargetPosition, state.TargetVelocity);
            Control(state, k);
        }
    }

    [Fact]
    public void Channels_of_a_drive_that_is_not_operational_do_not_alarm()
    {
        var (config, layout, state) = Setup(shuffle: false);
        var twin = new DigitalTwin(config, layout, Synthetic);
        var robot = new SyntheticRobot(config);
        int j = 3;
        for (long k = 0; k < 300; k++)
        {
            Feed(state, robot, k);
            state.DriveOperational[j] = k < 100 || k >= 200;
            state.AllDrivesOperational = state.DriveOperational[j];
            if (k is >= 100 and < 200) state.Position[j] += 0.5; // the joint hangs limp somewhere else
            twin.Step(state);
            int pos = layout.IndexOf(ChannelKind.JointPosition, j);
            if (k is > 100 and < 200) Assert.False(state.Divergence.OverThreshold[pos]);
            if (k == 150) Assert.True(twin.CrossCheck.IsExcluded(pos));
            if (k == 250) Assert.False(twin.CrossCheck.IsExcluded(pos));
            robot.Advance(state.TargetPosition, state.TargetVelocity);
            Control(state, k);
        }
        // And the same mismatch with the drive on is seen.
        Feed(state, robot, 300);
        state.Position[j] += 0.5;
        twin.Step(state);
        Assert.True(state.Divergence.OverThreshold[layout.IndexOf(ChannelKind.JointPosition, j)]);
    }

    [Fact]
    public void Step_allocates_nothing()
    {
        var (config, layout, state) = Setup();
        var twin = new DigitalTwin(config, layout, Synthetic);
        var robot = new SyntheticRobot(config);
        for (long k = 0; k < 200; k++)
        {
            Feed(state, robot, k);
            twin.Step(state);
            robot.Advance(state.TargetPosition, state.TargetVelocity);
            Control(state, k);
        }
        Feed(state, robot, 200);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long k = 0; k < 10_000; k++)
        {
            state.Tick = 200 + k;
            twin.Step(state);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void A_layout_that_does_not_match_the_config_is_refused()
    {
        var (config, _, _) = Setup();
        var wrong = new ChannelLayout(config.Joints.Select(j => j.Name).Reverse().ToList(), config.Imus.Select(i => i.Name).ToList());
        var e = Assert.Throws<ArgumentException>(() => new DigitalTwin(config, wrong));
        Assert.Contains("channel layout joint 0", e.Message);
        var servo = Enumerable.Range(0, 3).Select(_ => ServoParameters.Nominal(null)).ToList();
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        Assert.Throws<ArgumentException>(() => new DigitalTwin(config, layout, new DigitalTwinOptions { Servo = servo }));
    }

    [Fact]
    public void A_disabled_twin_reports_an_invalid_record()
    {
        var (config, layout, state) = Setup();
        config.Twin.Enabled = false;
        var twin = new DigitalTwin(config, layout, Synthetic);
        state.Tick = 5;
        twin.Step(state);
        Assert.False(state.Divergence.Valid);
        Assert.Equal(5, state.Divergence.Tick);
    }
}
