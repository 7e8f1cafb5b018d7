using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Drivers.Cia402;
using Rt.Hil;
using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>
/// The twin beside the HIL bench (MuJoCo plant + emulated CiA 402 drives in CSP, enabled through the state machine) with
/// NOMINAL, uncalibrated parameters, the legs moving. Asserts what the nominal models must already get right (one-step
/// position and velocity predictions); prints every channel's RMS/max innovation and the observer residual, which need
/// calibration (see docs/TWIN.md, "On the bench").
/// </summary>
public class DigitalTwinHilTests(ITestOutputHelper output)
{
    [Fact]
    public void On_the_hil_bench_the_nominal_twin_predicts_positions_and_velocities_one_tick_ahead()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        using var bench = Bench.Create(config, new BenchOptions());
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var state = new TickState(config.Joints.Count, config.Imus.Count, layout);
        double wn = Math.Sqrt(2 * Math.PI * 12 * 2 * Math.PI * 60), zeta = 2 * Math.PI * 60 / (2 * wn);
        var servo = config.Joints.Select(j => Rt.Twin.Models.ServoParameters.Nominal(config.Description!.FindJoint(j.Name)!.Dynamics) with { NaturalFrequencyRadS = wn, DampingRatio = zeta }).ToList();
        var twin = new DigitalTwin(config, layout, new DigitalTwinOptions { Servo = servo });
        var extSq = new double[config.Joints.Count];
        var scale = config.Joints.Select(j => new JointScaling(j)).ToArray();
        int n = state.JointCount;
        var start = new double[n];
        var sumSq = new double[layout.Count];
        var maxAbs = new double[layout.Count];
        int samples = 0;
        bool useMeasured = true;
        var model = Rt.Twin.Dynamics.RigidBodyModel.FromDescription(config.Description!);
        var map = model.MapJointNames(config.Joints.Select(j => j.Name).ToList());
        double[] impulse = new double[n], tq_ = new double[n], tqd_ = new double[n], mq_ = new double[n], mqd_ = new double[n], mp_ = new double[n], mct_ = new double[n], mg_ = new double[n];
        double[] p0 = new double[n], prevOther = new double[n], integ = new double[n], rTruth = new double[n];
        double kd = (1 - Math.Exp(-config.Twin.ObserverGain * 1e-3)) / 1e-3;
        for (long k = 0; k < 4000; k++)
        {
            state.Tick = k;
            state.TimeNs = k * 1_000_000;
            state.Faults.Clear();
            bench.Exchange(state);
            bool all = true;
            for (int j = 0; j < n; j++)
            {
                var fb = state.Image.Inputs[j];
                state.Position[j] = scale[j].CountsToPosition(fb.PositionActual);
                state.Velocity[j] = scale[j].CountsToVelocity(fb.VelocityActual);
                state.Torque[j] = scale[j].PerMilleToTorque(fb.TorqueActual);
                state.DriveOperational[j] = (fb.Statusword & 0x6F) == 0x27;
                all &= state.DriveOperational[j];
            }
            state.AllDrivesOperational = all;
            if (k == 0) state.Position.CopyTo(start, 0);
            if (k == 0) start.CopyTo(state.TargetPosition, 0);
            twin.Step(state);
            if (k > 1000)
            {
                for (int c = 0; c < layout.Count; c++)
                {
                    double v = state.Divergence.Innovation[c];
                    sumSq[c] += v * v;
                    maxAbs[c] = Math.Max(maxAbs[c], Math.Abs(v));
                }
                for (int j = 0; j < n; j++) extSq[j] += state.Divergence.ExternalTorque[j] * state.Divergence.ExternalTorque[j];
                samples++;
            }
            // Controller: hold, then raised-cosine excursions from t = 0.5 s.
            double t = (k + 1) * 0.001;
            for (int j = 0; j < n; j++)
            {
                double f = 0.5 + 0.05 * j, tt = Math.Max(0, t - 0.5);
                double amp = config.Joints[j].Name.Contains("knee", StringComparison.Ordinal) ? 0.3 : 0.1;
                state.TargetPosition[j] = start[j] + amp * (1 - Math.Cos(2 * Math.PI * f * tt));
                state.TargetVelocity[j] = t > 0.5 ? amp * 2 * Math.PI * f * Math.Sin(2 * Math.PI * f * tt) : 0;
                ref var o = ref state.Image.Outputs[j];
                o.Controlword = k < 10 ? (ushort)0x06 : k < 20 ? (ushort)0x07 : (ushort)0x0F;
                o.ModeOfOperation = 8;
                o.TargetPosition = scale[j].PositionToCounts(state.TargetPosition[j]);
                o.VelocityOffset = scale[j].VelocityToCounts(state.TargetVelocity[j]);
            }
            // Manual advance with exact impulse accounting (diagnostic).
            var plant = bench.Plant;
            double h = 1e-3 / bench.Substeps;
            Array.Clear(impulse);
            for (int sub = 0; sub < bench.Substeps; sub++)
            {
                for (int i = 0; i < n; i++)
                {
                    double tq = bench.Drives[i].Update(plant.JointPosition(i), h);
                    plant.SetJointTorque(i, tq);
                    impulse[i] += tq * h;
                }
                plant.Step(1);
            }
            plant.GetJointPositions(tq_);
            plant.GetJointVelocities(tqd_);
            if (useMeasured)
                for (int j = 0; j < n; j++)
                {
                    tq_[j] = bench.Drives[j].MeasuredPositionRad;
                    tqd_[j] = bench.Drives[j].MeasuredVelocityRadS;
                }
            for (int j = 0; j < n; j++) { mq_[map[j]] = tq_[j]; mqd_[map[j]] = tqd_[j]; }
            model.ObserverTerms(mq_, mqd_, [], mp_, mct_, mg_);
            // r_truth: integral of exact impulse + trapezoid of (Cᵀq̇ − g − friction).
            for (int j = 0; j < n; j++)
            {
                int m = map[j];
                double other = mct_[m] - mg_[m] - twin.Servo.FrictionTorque(j, tqd_[j]);
                if (k == 0) { p0[m] = mp_[m]; prevOther[m] = other; continue; }
                integ[m] += impulse[j] + 0.5 * (other + prevOther[m]) * 1e-3 + rTruth[m] * 1e-3;
                prevOther[m] = other;
                rTruth[m] = kd * (mp_[m] - integ[m] - p0[m]);
            }
            if (k % 200 == 0) output.WriteLine($"DBG k {k} rTruth roll {rTruth[map[1]]:F2} pitch {rTruth[map[2]]:F2} knee {rTruth[map[3]]:F2}  twin r roll {state.Divergence.ExternalTorque[1]:F2} qd {tqd_[1]:F3}");
        }
        Assert.True(bench.PlantHealthy);
        Assert.True(state.AllDrivesOperational, "the drives must have reached operation enabled");
        output.WriteLine("r rms: " + string.Join(" ", extSq.Select(v => Math.Sqrt(v / samples).ToString("F2"))));
        for (int c = 0; c < layout.Count; c++)
            output.WriteLine($"{layout.Channels[c].Name,-32} rms {Math.Sqrt(sumSq[c] / samples):E2} max {maxAbs[c]:E2}");
        for (int c = 0; c < layout.Count; c++)
        {
            double rms = Math.Sqrt(sumSq[c] / samples);
            switch (layout.Channels[c].Kind)
            {
                case ChannelKind.JointPosition: Assert.True(rms < 2e-5, $"{layout.Channels[c].Name}: RMS {rms:E2} rad"); break;
                case ChannelKind.JointVelocity: Assert.True(rms < 2e-2, $"{layout.Channels[c].Name}: RMS {rms:E2} rad/s"); break;
            }
        }
    }
}
