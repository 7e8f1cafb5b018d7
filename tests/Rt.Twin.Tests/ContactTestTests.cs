using Rt.Core.Divergence;
using Rt.Twin.CrossCheck;
using Rt.Twin.Dynamics;
using Xunit;

namespace Rt.Twin.Tests;

/// <summary>
/// The contact matched filter (<see cref="ContactTest"/>, issue 13) on the biped12 model: the observer's per-tick
/// external-torque inputs are AR(1) noise with the noise model's σ and ρ, plus J_pᵀF of a point force from a known tick.
/// </summary>
public partial class DigitalTwinTests
{
    private sealed class ContactRig
    {
        public readonly ChannelLayout Layout;
        public readonly NoiseModel Noise;
        public readonly CrossCheckEvaluator CrossCheck;
        public readonly ContactTest Test;
        public readonly RigidBodyModel Model;
        public readonly int[] Map;
        public readonly double[] QModel;
        public readonly double[] Components;
        public readonly DivergenceRecord Record;
        private readonly double[] _ar;
        private readonly CrossCheckGaussian _rng;
        public const double Rho = -0.4;

        public ContactRig(int seed, double arlTicks = 0)
        {
            var (config, layout, _) = Setup();
            Layout = layout;
            Model = RigidBodyModel.FromDescription(config.Description!);
            Map = Model.MapJointNames(config.Joints.Select(j => j.Name).ToList());
            Noise = NoiseModel.Nominal(layout, config);
            for (int j = 0; j < layout.JointCount; j++)
            {
                int c = layout.IndexOf(ChannelKind.ExternalTorque, j);
                Noise.Set(c, 1.0);
                Noise.SetAr1(c, [Rho]);
            }
            CrossCheck = new CrossCheckEvaluator(layout, Noise, config.Twin, TimeSpan.FromMilliseconds(1));
            Test = new ContactTest(Model, Map, layout, Noise, arlTicks > 0 ? arlTicks : CrossCheck.ArlTicks) { Alarm = true };
            Record = new DivergenceRecord(layout);
            Components = new double[Noise.ComponentCount];
            _ar = new double[layout.JointCount];
            _rng = new CrossCheckGaussian(seed);
            // A bent left leg (the march's stance): hip pitch −0.3, knee 0.6, ankle pitch −0.3 rad.
            QModel = new double[layout.JointCount];
            QModel[Map[config.Joints.FindIndex(j => j.Name == "l_hip_pitch")]] = -0.3;
            QModel[Map[config.Joints.FindIndex(j => j.Name == "l_knee")]] = 0.6;
            QModel[Map[config.Joints.FindIndex(j => j.Name == "l_ankle_pitch")]] = -0.3;
            for (int j = 0; j < _ar.Length; j++) _ar[j] = _rng.Next() / Math.Sqrt(1 - Rho * Rho);
        }

        public int Body(string link) => Model.BodyNames.ToList().IndexOf(link);

        /// <summary>J_pᵀF per config joint for a force (world) at a body's centre of mass.</summary>
        public double[] Torques(string link, V3 force)
        {
            int b = Body(link);
            int n = Layout.JointCount;
            var axis = new V3[n];
            var origin = new V3[n];
            var rot = new M3[n];
            Model.JointAxesWorld(QModel, axis, origin, rot);
            var pi = new double[Model.ParameterCount];
            Model.GetInertialParameters(pi);
            var com = new V3(pi[10 * b + 1] / pi[10 * b], pi[10 * b + 2] / pi[10 * b], pi[10 * b + 3] / pi[10 * b]);
            var p = origin[b] + rot[b].Mul(com);
            var result = new double[n];
            var parents = Model.Parents;
            for (int j = 0; j < n; j++)
            {
                int m = Map[j];
                bool onPath = false;
                for (int i = b; i >= 0; i = parents[i]) onPath |= i == m;
                result[j] = onPath ? V3.Dot(V3.Cross(axis[m], p - origin[m]), force) : 0;
            }
            return result;
        }

        /// <summary>One tick of noise plus <paramref name="step"/> (per config joint, may be null) into the external-torque components.</summary>
        public void Fill(double[]? step)
        {
            for (int j = 0; j < _ar.Length; j++)
            {
                _ar[j] = Rho * _ar[j] + _rng.Next();
                Components[Noise.Offsets[Layout.IndexOf(ChannelKind.ExternalTorque, j)]] = _ar[j] + (step?[j] ?? 0);
            }
        }
    }

    [Fact]
    public void Contact_test_combines_the_chain_and_detects_a_force_no_single_channel_sees()
    {
        var rig = new ContactRig(seed: 1301);
        // A push on the left shin, scaled so that no joint's torque exceeds 1 σ per tick: after whitening (1 − ρ)·1 σ =
        // 1.4 σ per tick, below the CUSUM's drift k = 1.5 σ, so no single channel ever accumulates evidence.
        var dir = new V3(1, 1, 0);
        var unit = rig.Torques("l_shin", dir);
        double scale = 1.0 / unit.Max(Math.Abs);
        var step = unit.Select(t => t * scale).ToArray();
        const int onset = 300;
        int contactTick = -1, channelTick = -1;
        for (int k = 0; k < onset + 100; k++)
        {
            rig.Fill(k >= onset ? step : null);
            rig.CrossCheck.Evaluate(rig.Components, rig.Record);
            if (rig.Record.OverCount > 0 && channelTick < 0) channelTick = k;
            rig.Test.Evaluate(rig.QModel, rig.Components, rig.CrossCheck, armed: true, rig.Record);
            if (k < onset) Assert.True(rig.Test.Ratio < 1, $"false alarm at tick {k}: ratio {rig.Test.Ratio:F2}");
            else if (rig.Test.Ratio > 1 && contactTick < 0)
            {
                contactTick = k;
                output.WriteLine($"contact test: alarm {k - onset + 1} ticks after the onset, χ²_{rig.Test.Dof} {rig.Test.Statistic:F1} > {rig.Test.StatisticThreshold:F1}, body {rig.Model.BodyNames[rig.Test.BestBody]}, F = {rig.Test.ForceN} N (true {dir.X * scale:F1}, {dir.Y * scale:F1}, 0), onset {rig.Test.OnsetTicksAgo} ticks ago");
                // The alarm is carried by the external-torque channel of a joint of the left leg.
                Assert.True(rig.Record.OverThreshold[rig.Layout.IndexOf(ChannelKind.ExternalTorque, rig.Test.MainJoint)]);
                Assert.StartsWith("l_", rig.Layout.JointNames[rig.Test.MainJoint], StringComparison.Ordinal);
                // The fit names a link of the left leg at or beyond the hip pitch (the force loads the hip pitch and knee).
                Assert.StartsWith("l_", rig.Model.BodyNames[rig.Test.BestBody], StringComparison.Ordinal);
            }
        }
        output.WriteLine($"per-channel tests: first alarm {(channelTick < 0 ? "none" : (channelTick - onset + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))} in 100 ticks");
        Assert.True(contactTick >= onset && contactTick < onset + 32, $"contact test alarm at {contactTick - onset + 1} ticks after the onset, expected within its window (32)");
        Assert.True(channelTick < 0 || channelTick > contactTick, "a single channel saw it first: the test would not be needed");
    }

    [Fact]
    public void Contact_test_names_a_link_whose_chain_explains_the_residual()
    {
        var rig = new ContactRig(seed: 77);
        // A clear push (10 σ on the most loaded joint) on the left thigh's centre of mass: the thigh's chain (hip yaw,
        // roll, pitch) carries it and the knee does not, which a force on the shin or foot would load.
        var step = rig.Torques("l_thigh", new V3(30, 20, 0));
        double scale = 10.0 / step.Max(Math.Abs);
        for (int j = 0; j < step.Length; j++) step[j] *= scale;
        for (int k = 0; k < 320; k++)
        {
            rig.Fill(k >= 300 ? step : null);
            rig.CrossCheck.Evaluate(rig.Components, rig.Record);
            rig.Test.Evaluate(rig.QModel, rig.Components, rig.CrossCheck, armed: true, rig.Record);
        }
        output.WriteLine($"named {rig.Model.BodyNames[rig.Test.BestBody]}, ratio {rig.Test.Ratio:F1}, link ratios thigh {rig.Test.LinkRatio[rig.Body("l_thigh")]:F1} shin {rig.Test.LinkRatio[rig.Body("l_shin")]:F1}");
        Assert.True(rig.Test.Ratio > 1);
        // A 3-dof force at a point beyond the thigh can reproduce any three torques on the thigh's chain (with 0 on the
        // joints between), so the fit names the thigh or a link beyond it, never one nearer the base or on the other leg.
        int thigh = rig.Body("l_thigh");
        bool onChain = false;
        for (int b = rig.Test.BestBody; b >= 0; b = rig.Model.Parents[b]) onChain |= b == thigh;
        Assert.True(onChain, $"named {rig.Model.BodyNames[rig.Test.BestBody]}, not the thigh or a link beyond it");
        Assert.True(rig.Test.LinkRatio[thigh] > 1);
        Assert.True(rig.Test.LinkRatio[rig.Body("l_hip_roll_link")] < rig.Test.LinkRatio[thigh]);
        Assert.True(rig.Test.LinkRatio[rig.Body("r_thigh")] < 1);
    }

    [Fact]
    public void Contact_test_false_alarm_rate_stays_within_its_budget()
    {
        // ARL₀ = 500 ticks so alarms happen in CI time; only the threshold changes with the rate. The union bound over
        // points and onsets makes the real rate lower than 1/ARL₀ (they overlap); it must not be higher.
        const int ticks = 30_000, arl = 500;
        var rig = new ContactRig(seed: 4242, arlTicks: arl);
        int alarms = 0;
        for (int k = 0; k < ticks; k++)
        {
            rig.Fill(null);
            rig.Test.Evaluate(rig.QModel, rig.Components, rig.CrossCheck, armed: true, null);
            if (rig.Test.Ratio > 1) alarms++;
        }

        double budget = ticks / (double)arl;
        output.WriteLine($"contact test: {alarms} alarm ticks in {ticks} (budget {budget}); thresholds χ²₁ {rig.Test.Threshold(1):F1} χ²₂ {rig.Test.Threshold(2):F1} χ²₃ {rig.Test.Threshold(3):F1}");
        Assert.InRange(alarms, 1, budget + 4 * Math.Sqrt(budget));
    }

    [Fact]
    public void Contact_test_ignores_excluded_joints_and_allocates_nothing()
    {
        var rig = new ContactRig(seed: 5);
        var step = rig.Torques("l_shin", new V3(400, 0, 0));
        for (int j = 0; j < rig.Layout.JointCount; j++) rig.CrossCheck.SetExcluded(rig.Layout.IndexOf(ChannelKind.ExternalTorque, j), true);
        for (int k = 0; k < 50; k++)
        {
            rig.Fill(step);
            rig.Test.Evaluate(rig.QModel, rig.Components, rig.CrossCheck, armed: true, rig.Record);
            Assert.Equal(0, rig.Test.Ratio);
        }
        for (int j = 0; j < rig.Layout.JointCount; j++) rig.CrossCheck.SetExcluded(rig.Layout.IndexOf(ChannelKind.ExternalTorque, j), false);
        // Armed again: a steady torque is not a contact (no step from the reference level), a new push is.
        for (int k = 0; k < 150; k++)
        {
            rig.Fill(k < 100 ? step : step.Select(t => 2 * t).ToArray());
            rig.Test.Evaluate(rig.QModel, rig.Components, rig.CrossCheck, armed: true, rig.Record);
            if (k < 100) Assert.True(rig.Test.Ratio < 1, $"tick {k}: a steady torque read as a contact, ratio {rig.Test.Ratio:F2}");
        }
        Assert.True(rig.Test.Ratio > 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int k = 0; k < 10_000; k++) rig.Test.Evaluate(rig.QModel, rig.Components, rig.CrossCheck, armed: true, rig.Record);
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        // Timing is reported, not asserted (a loaded CI machine); the figure is the same data every tick (the worst case:
        // a force present, every chain fitted).
        output.WriteLine($"contact_test_evaluate_mean: {System.Diagnostics.Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds / 10_000:F2} us ({rig.Test.CandidateCount} points × {ContactTest.OnsetCount} onsets, a force present)");
    }
}
