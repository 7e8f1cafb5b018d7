using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Twin.Adaptation;
using Rt.Twin.Dynamics;

namespace Rt.Twin.Tests;

/// <summary>
/// The guarded payload adaptation (twin.adapt) on the synthetic robot: a payload is a point mass at an end link's centre
/// of mass whose full rigid-body torque (gravity, inertia, Coriolis) the synthetic drives deliver on top of the nominal
/// robot's. Scenario written before tuning: 2 kg added linearly over 10 s on the left foot.
/// </summary>
public partial class DigitalTwinTests
{
    /// <summary>The payload's torque on the synthetic robot: RNEA with the payload's own inertial parameters (linear in π).</summary>
    private sealed class PayloadTorque
    {
        private readonly RigidBodyModel _model;
        private readonly int[] _map;
        private readonly double[] _unit, _q, _qd, _qdd, _tau;
        private readonly int Body;

        public PayloadTorque(RtConfig config, string endLinkPrefix)
        {
            _model = RigidBodyModel.FromDescription(config.Description!);
            _map = _model.MapJointNames(config.Joints.Select(j => j.Name).ToList());
            var adapt = new PayloadAdaptation(_model, _map, new TwinAdaptSection(), 0.001);
            int link = adapt.EndLinkNames.ToList().FindIndex(n => n.StartsWith(endLinkPrefix, StringComparison.Ordinal));
            Assert.True(link >= 0, $"no end link starting with {endLinkPrefix}: {string.Join(", ", adapt.EndLinkNames)}");
            Link = link;
            Body = _model.BodyNames.ToList().IndexOf(adapt.EndLinkNames[link]);
            var pi = new double[_model.ParameterCount];
            _model.GetInertialParameters(pi);
            double m = pi[10 * Body], cx = pi[10 * Body + 1] / m, cy = pi[10 * Body + 2] / m, cz = pi[10 * Body + 3] / m;
            _unit = new double[_model.ParameterCount];
            double[] u = [1, cx, cy, cz, cy * cy + cz * cz, -cx * cy, -cx * cz, cx * cx + cz * cz, -cy * cz, cx * cx + cy * cy];
            u.CopyTo(_unit, 10 * Body);
            int n = _model.DegreesOfFreedom;
            _q = new double[n];
            _qd = new double[n];
            _qdd = new double[n];
            _tau = new double[n];
        }

        public int Link { get; }

        /// <summary>Sets the synthetic robot's external torque to minus the payload's torque at its current state.</summary>
        public void Apply(double[] q, double[] qd, double[] qdd, double massKg, double[] external)
        {
            for (int j = 0; j < _map.Length; j++)
            {
                _q[_map[j]] = q[j];
                _qd[_map[j]] = qd[j];
                _qdd[_map[j]] = qdd[j];
            }
            _model.InverseDynamics(_q, _qd, _qdd, _tau, _unit);
            for (int j = 0; j < _map.Length; j++) external[j] = -massKg * _tau[_map[j]];
        }
    }

    private static double RampMass(long tick)
    {
        double t = tick * 0.001 - 1.0;
        return 2.0 * Math.Clamp(t / 10.0, 0, 1);
    }

    private (DigitalTwin Twin, long FirstTrip, double WorstRatio) RunPayloadRamp(bool adapt, Func<long, double> mass, long ticks, int kneeStepTick = -1, double kneeStepNm = 0, bool friction = false)
    {
        var (config, layout, state) = Setup();
        config.Twin.Adapt.Enabled = adapt;
        config.Twin.Adapt.Friction = friction;
        var twin = new DigitalTwin(config, layout, Synthetic);
        var robot = new SyntheticRobot(config);
        var payload = new PayloadTorque(config, "l_");
        int knee = config.Joints.FindIndex(j => j.Name == "l_knee");
        long firstTrip = -1;
        double worst = 0;
        for (long k = 0; k < ticks; k++)
        {
            Feed(state, robot, k);
            twin.Step(state);
            if (state.Divergence.OverCount > 0 && firstTrip < 0) firstTrip = k;
            if (k > 100) worst = Math.Max(worst, state.Divergence.WorstRatio);
            payload.Apply(robot.Q, robot.Qd, robot.Qdd, mass(k), robot.External);
            if (kneeStepTick >= 0 && k >= kneeStepTick) robot.External[knee] += kneeStepNm;
            robot.Advance(state.TargetPosition, state.TargetVelocity);
            Control(state, k);
        }
        return (twin, firstTrip, worst);
    }

    [Fact]
    public void A_payload_added_slowly_is_learnt_without_a_trip_and_estimated_within_ten_percent()
    {
        const long ticks = 13_000; // 1 s still, 2 kg over 10 s, 2 s held
        var (twin, trip, worst) = RunPayloadRamp(adapt: true, RampMass, ticks);
        var a = twin.Adaptation!;
        var probe = new PayloadTorque(Setup().Config, "l_");
        double left = a.PayloadKg[probe.Link];
        output.WriteLine($"adaptation on: first trip tick {trip}, worst detector ratio {worst:F3}, estimate {string.Join(", ", a.EndLinkNames.Select((n, i) => $"{n} {a.PayloadKg[i]:F3} kg"))}");
        Assert.Equal(-1, trip);
        Assert.InRange(left, 0.9 * 2.0, 1.1 * 2.0);
        for (int i = 0; i < a.EndLinkNames.Count; i++)
            if (i != probe.Link) Assert.InRange(a.PayloadKg[i], -0.2, 0.2);
        // Every move of ≥ log_step_kg is in the log ring; the log thread writes a line each and the final values at stop.
        var text = new StringWriter();
        new PayloadAdaptationLog(a, text, 0.001, TimeSpan.FromMilliseconds(1)).Dispose();
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        output.WriteLine($"{lines.Length} log lines, last: {lines[^1]}");
        Assert.True(lines.Count(l => l.Contains("l_foot payload", StringComparison.Ordinal)) >= 15, $"{lines.Length} log lines for 2 kg in 0.1 kg steps");
        Assert.StartsWith("twin adapt: final payload l_foot " + left.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) + " kg", lines[^1], StringComparison.Ordinal);

        // The same ramp without adaptation trips: the scenario tests something.
        var (_, tripOff, _) = RunPayloadRamp(adapt: false, RampMass, ticks);
        output.WriteLine($"adaptation off: first trip tick {tripOff}");
        Assert.True(tripOff > 0, "without adaptation the 2 kg ramp should trip the twin's detectors");
    }

    [Fact]
    public void With_friction_adaptation_on_too_the_payload_ramp_is_learnt_as_payload_not_as_friction()
    {
        // Both adaptations learn from the observer's external torque: the payload's weight must not leak into friction.
        var (twin, trip, worst) = RunPayloadRamp(adapt: true, RampMass, 13_000, friction: true);
        var a = twin.Adaptation!;
        var f = twin.FrictionAdaptation!;
        int link = new PayloadTorque(Setup().Config, "l_").Link;
        double fc = 1, fv = 1;
        for (int j = 0; j < f.JointNames.Count; j++)
            if (Math.Abs(f.CoulombScale[j] - 1) + Math.Abs(f.ViscousScale[j] - 1) > Math.Abs(fc - 1) + Math.Abs(fv - 1)) (fc, fv) = (f.CoulombScale[j], f.ViscousScale[j]);
        output.WriteLine($"payload and friction adaptation on: first trip tick {trip}, worst ratio {worst:F3}, left foot {a.PayloadKg[link]:F3} kg, friction scale furthest from 1: ×{fc:F3}/×{fv:F3}; {string.Join(", ", f.JointNames.Select((n, j) => $"{n} ×{f.CoulombScale[j]:F3}/×{f.ViscousScale[j]:F3}"))}");
        Assert.Equal(-1, trip);
        Assert.InRange(a.PayloadKg[link], 0.9 * 2.0, 1.1 * 2.0);
        // On the loaded leg the Coulomb/viscous split drifts in opposite directions (≈ ±10 % each: the payload's transient
        // torque projects onto the nearly collinear sign(q̇) and q̇); the friction torque it predicts at 1 rad/s stays
        // within 10 % of calibrated, which is what the detectors see.
        for (int j = 0; j < f.JointNames.Count; j++)
        {
            var p = twin.Servo.Parameters[j];
            double calibrated = p.CoulombFrictionNm + p.ViscousFrictionNmsPerRad;
            double adapted = f.CoulombScale[j] * p.CoulombFrictionNm + f.ViscousScale[j] * p.ViscousFrictionNmsPerRad;
            Assert.InRange(adapted, 0.9 * calibrated, 1.1 * calibrated);
        }
    }

    [Fact]
    public void With_adaptation_on_a_sudden_payload_and_a_push_still_trip_as_fast_as_without()
    {
        // 3 kg at once (payload-left-foot's fault) and an 8 N·m push on the knee: rate limit and freeze keep both faults.
        static double Step(long k) => k >= 1500 ? 3.0 : 0;
        var (_, onPayload, _) = RunPayloadRamp(adapt: true, Step, 2500);
        var (_, offPayload, _) = RunPayloadRamp(adapt: false, Step, 2500);
        var (_, onPush, _) = RunPayloadRamp(adapt: true, _ => 0, 2500, 1500, 8);
        var (_, offPush, _) = RunPayloadRamp(adapt: false, _ => 0, 2500, 1500, 8);
        output.WriteLine($"trip tick after a 3 kg step at 1500: adapt on {onPayload}, off {offPayload}; after an 8 N·m push: on {onPush}, off {offPush}");
        Assert.True(offPayload >= 1500 && offPush >= 1500, "the faults trip without adaptation");
        Assert.Equal(offPayload, onPayload);
        Assert.Equal(offPush, onPush);
    }

    [Fact]
    public void Step_with_adaptation_allocates_nothing()
    {
        var (config, layout, state) = Setup();
        config.Twin.Adapt.Enabled = true;
        var twin = new DigitalTwin(config, layout, Synthetic);
        var robot = new SyntheticRobot(config);
        var payload = new PayloadTorque(config, "l_");
        double before0 = 0;
        long allocated = 0;
        for (long k = 0; k < 4000; k++)
        {
            Feed(state, robot, k);
            if (k == 2000) before0 = twin.Adaptation!.PayloadKg[payload.Link];
            long before = GC.GetAllocatedBytesForCurrentThread();
            twin.Step(state);
            if (k >= 2000) allocated += GC.GetAllocatedBytesForCurrentThread() - before; // warmed up (JIT) by then
            payload.Apply(robot.Q, robot.Qd, robot.Qdd, 0.0002 * Math.Max(0, k - 1100), robot.External); // 0.2 kg/s once adaptation is armed (hold-off after warm-up: 1 s)
            robot.Advance(state.TargetPosition, state.TargetVelocity);
            Control(state, k);
        }
        Assert.Equal(0, allocated);
        Assert.NotEqual(before0, twin.Adaptation!.PayloadKg[payload.Link]); // it adapted during the measured ticks
    }
}
