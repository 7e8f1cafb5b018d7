using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.TestSupport;
using Rt.Twin.CrossCheck;
using Rt.Twin.Dynamics;
using Rt.Twin.Isolation;
using Rt.Twin.Models;

namespace Rt.Twin.Tests;

/// <summary>
/// The evidence a trip carries (issue 13 item 1): the channel, statistic and threshold of a test that fired, whatever
/// the isolator located. The case of nominal-sine-full seed 7005: the residual pointed at the left leg (below every
/// threshold there) while r_hip_yaw.position's χ² gate fired, and the event showed l_hip_pitch.position's gate value
/// 1.389 against 41.18.
/// </summary>
public sealed class IsolationEvidenceTests
{
    [Fact]
    public void A_gate_trip_elsewhere_than_the_located_link_is_shown_with_the_gate_that_fired()
    {
        var (names, layout, model, map, _, cc, isolator) = Biped12Isolator();
        int n = names.Count;

        // A point force on the left shin: its joint torques J_pᵀ f as the observer's input, for long enough to settle.
        int knee = names.IndexOf("l_knee");
        var q = new double[n];
        for (int j = 0; j < n; j++) q[map[j]] = 0.2 + 0.1 * Math.Sin(j);
        var tau = ShinContact(model, map, q, knee, new V3(60, 25, 0));
        var components = new double[cc.ComponentCount];
        for (int j = 0; j < n; j++) components[cc.ComponentOffset(layout.IndexOf(ChannelKind.ExternalTorque, j))] = tau[j];
        for (int k = 0; k < 50; k++) isolator.Observe(components);

        // This tick: nothing over threshold on the left leg (a nearest gate value on l_hip_pitch.position), while
        // r_hip_yaw.position's χ² gate fires.
        var record = QuietRecord(layout, cc);
        int near = layout.IndexOf(ChannelKind.JointPosition, names.IndexOf("l_hip_pitch"));
        int fired = layout.IndexOf(ChannelKind.JointPosition, names.IndexOf("r_hip_yaw"));
        record.Score[near] = 1.389;
        record.Score[fired] = 1.22 * cc.GateThreshold(fired);
        record.OverThreshold[fired] = true;
        record.OverCount = 1;
        record.WorstChannel = fired;
        record.WorstRatio = 1.22;

        isolator.Diagnose(record, q, new double[n], new double[n], components);

        // The cause stays what the residual says (the left shin); the evidence is the test that fired.
        Assert.Equal(FaultClass.Collision, record.Diagnosis.Class);
        Assert.Equal(FaultSite.Link, record.Diagnosis.Site);
        Assert.Equal(knee, record.Diagnosis.Location);
        Assert.Equal(fired, record.EvidenceChannel);
        Assert.Equal(DetectionTest.Gate, record.Diagnosis.Test);
        Assert.Equal(record.Score[fired], record.EvidenceValue);
        Assert.Equal(cc.GateThreshold(fired), record.EvidenceThreshold);
        Assert.True(record.EvidenceValue >= record.EvidenceThreshold);
    }

    /// <summary>
    /// A position innovation that built up over ticks is no encoder jump (session 15): a push on a thigh turns a
    /// standing hip yaw by 31 µrad (≈ 4 σ) while its velocity innovation is 0.0006 rad/s; the CUSUM trips on it, and the
    /// one-tick test (|Δq| against 4·|Δq̇|·dt + 2σ) named the hip yaw's encoder in 5 thigh pushes of the random sets. The
    /// same innovation arriving in one tick is a jump and stays the encoder's.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_position_innovation_built_up_over_ticks_is_not_an_encoder_jump(bool builtUp)
    {
        var (names, layout, _, _, noise, cc, isolator) = Biped12Isolator();
        int n = names.Count, yaw = names.IndexOf("r_hip_yaw");
        int position = layout.IndexOf(ChannelKind.JointPosition, yaw);
        int posOff = cc.ComponentOffset(position), velOff = cc.ComponentOffset(layout.IndexOf(ChannelKind.JointVelocity, yaw));
        // The encoder's raw σ (the isolator's, from the noise model): 4 σ in all, in ten 0.4 σ steps or in one.
        double sigma = noise.Sigma[posOff] / Math.Sqrt(Math.Max(1e-6, 1 - noise.Ar1[posOff] * noise.Ar1[posOff]));
        var components = new double[cc.ComponentCount];
        for (int k = 1; k <= 10; k++)
        {
            components[posOff] = builtUp ? -0.4 * sigma * k : k == 10 ? -4 * sigma : 0;
            components[velOff] = k == 10 ? -0.0006 : 0;
            isolator.Observe(components);
        }
        var record = QuietRecord(layout, cc);
        record.Detector[position] = 1.07 * record.Threshold[position]; // the CUSUM, not the gate
        record.OverThreshold[position] = true;
        record.OverCount = 1;
        record.WorstChannel = position;
        record.WorstRatio = 1.07;

        var q = new double[n];
        isolator.Diagnose(record, q, new double[n], new double[n], components);

        bool encoder = record.Diagnosis is { Class: FaultClass.Sensor, Site: FaultSite.Joint } && record.Diagnosis.Location == yaw;
        Assert.Equal(!builtUp, encoder);
    }

    /// <summary>biped12's isolator on its nominal noise model, with what the tests feed it.</summary>
    private static (List<string> Names, ChannelLayout Layout, RigidBodyModel Model, int[] Map, NoiseModel Noise, CrossCheckEvaluator Cc, FaultIsolator Isolator) Biped12Isolator()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        var names = config.Joints.Select(j => j.Name).ToList();
        var layout = new ChannelLayout(names, config.Imus.Select(i => i.Name).ToList());
        var model = RigidBodyModel.FromDescription(config.Description!);
        int[] map = model.MapJointNames(names);
        var noise = NoiseModel.Nominal(layout, config);
        var cc = new CrossCheckEvaluator(layout, noise, config.Twin, TimeSpan.FromMilliseconds(1));
        var isolator = new FaultIsolator(layout, cc, noise, model, map, new ImuModel(model, config.Imus, biasGain: 0), config.Joints, 1e-3, 0.9);
        return (names, layout, model, map, noise, cc, isolator);
    }

    /// <summary>A valid record with every channel's thresholds and nothing over them.</summary>
    private static DivergenceRecord QuietRecord(ChannelLayout layout, CrossCheckEvaluator cc)
    {
        var record = new DivergenceRecord(layout) { Valid = true };
        for (int c = 0; c < layout.Count; c++)
        {
            record.Threshold[c] = cc.Thresholds[c].CusumThreshold;
            record.Gate[c] = cc.GateThreshold(c);
        }
        return record;
    }

    /// <summary>Joint torques (config order) of a point force at the shin's centre of mass: τ = J_pᵀ f.</summary>
    internal static double[] ShinContact(RigidBodyModel model, int[] map, double[] q, int knee, V3 f)
    {
        int n = model.DegreesOfFreedom;
        var axes = new V3[n];
        var origins = new V3[n];
        var rot = new M3[n];
        model.JointAxesWorld(q, axes, origins, rot);
        var pi = new double[model.ParameterCount];
        model.GetInertialParameters(pi);
        int b = map[knee];
        var com = new V3(pi[10 * b + 1] / pi[10 * b], pi[10 * b + 2] / pi[10 * b], pi[10 * b + 3] / pi[10 * b]);
        var x = origins[b] + rot[b].Mul(com);
        var tau = new double[n];
        var parents = model.Parents;
        for (int i = b; i >= 0; i = parents[i]) tau[Array.IndexOf(map, i)] = V3.Dot(V3.Cross(axes[i], x - origins[i]), f);
        return tau;
    }
}
