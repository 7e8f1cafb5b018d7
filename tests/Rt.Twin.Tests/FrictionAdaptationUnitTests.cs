using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Twin.Adaptation;
using Rt.Twin.Models;

namespace Rt.Twin.Tests;

/// <summary>
/// <see cref="FrictionAdaptation"/> alone on one joint whose true friction is ×1.5: the guards one by one (freeze and
/// hold-off, standing joint, full log ring, bounds, rate).
/// </summary>
public sealed class FrictionAdaptationUnitTests
{
    private const double Dt = 0.001;
    private static readonly ServoParameters Joint = ServoParameters.Nominal(null) with { CoulombFrictionNm = 0.4, ViscousFrictionNmsPerRad = 0.6 };

    private static (FrictionAdaptation Adapt, ServoModel Servo, DivergenceRecord Record) Make(TwinAdaptSection config)
    {
        var servo = new ServoModel([Joint], Dt);
        var adapt = new FrictionAdaptation(servo, [0], ["knee"], config, Dt);
        var record = new DivergenceRecord(new ChannelLayout(["knee"], []));
        record.Valid = true;
        return (adapt, servo, record);
    }

    /// <summary>The joint's velocity at tick k (a 1 Hz stroke, 1 rad/s peak) and the unexplained torque for true scale <paramref name="truth"/>.</summary>
    private static void Tick(FrictionAdaptation a, ServoModel servo, DivergenceRecord record, long k, double truth, double[] e, double[] qd, bool armed = true, double speedScale = 1)
    {
        qd[0] = speedScale * Math.Sin(2 * Math.PI * k * Dt);
        double nominal = Joint.CoulombFrictionNm * Math.Tanh(qd[0] / Joint.FrictionSmoothingRadS) + Joint.ViscousFrictionNmsPerRad * qd[0];
        e[0] = truth * nominal - servo.FrictionTorque(0, qd[0]); // what the drive delivers minus what the model explains
        a.Update(e, qd, record, armed, k);
    }

    [Fact]
    public void It_learns_at_the_rate_limit_within_the_bounds_and_not_while_a_detector_is_high_or_the_joint_stands()
    {
        var config = new TwinAdaptSection { Friction = true, HoldOffS = 0.5, FrictionMaxScale = 1.3 };
        var (a, servo, record) = Make(config);
        double[] e = new double[1], qd = new double[1];
        long k = 0;
        // Not armed (warm-up): nothing moves, and the hold-off runs from the last unarmed tick.
        for (; k < 1000; k++) Tick(a, servo, record, k, 1.5, e, qd, armed: false);
        Assert.Equal(1, a.CoulombScale[0]);
        for (; k < 1500; k++) Tick(a, servo, record, k, 1.5, e, qd);
        Assert.Equal(1, a.CoulombScale[0]); // 0.5 s hold-off
        for (; k < 3500; k++) Tick(a, servo, record, k, 1.5, e, qd);
        // 2 s at ≤ 2 %/s: at most +0.04, and it did move (the joint moves most of the time).
        Assert.InRange(a.CoulombScale[0], 1.01, 1.04 + 1e-9);
        Assert.InRange(a.ViscousScale[0], 1.01, 1.04 + 1e-9);
        // A detector above half its threshold freezes it, and the hold-off after.
        double c = a.CoulombScale[0];
        record.WorstRatio = 0.6;
        for (; k < 4000; k++) Tick(a, servo, record, k, 1.5, e, qd);
        record.WorstRatio = 0.1;
        for (; k < 4499; k++) Tick(a, servo, record, k, 1.5, e, qd);
        Assert.Equal(c, a.CoulombScale[0]);
        Assert.True(a.Frozen);
        // A standing (creeping) joint learns nothing.
        for (; k < 6000; k++) Tick(a, servo, record, k, 1.5, e, qd, speedScale: 0.01);
        Assert.Equal(c, a.CoulombScale[0]);
        // Long enough to reach the truth: it stops at the bound.
        for (; k < 30_000; k++) Tick(a, servo, record, k, 1.5, e, qd);
        Assert.Equal(1.3, a.CoulombScale[0]);
        Assert.Equal(1.3, a.ViscousScale[0]);
        Assert.Equal(1.3 * 0.4 + 1.3 * 0.6 * 1, servo.FrictionTorque(0, 1), 1e-3); // the servo model uses the scales (tanh(100) = 1)
    }

    [Fact]
    public void A_full_log_ring_holds_the_scales_until_its_entries_are_drained()
    {
        // Every change logged (a tiny step): 1024 entries fill the ring, then the scales wait.
        var config = new TwinAdaptSection { Friction = true, HoldOffS = 0, FrictionLogStep = 1e-9 };
        var (a, servo, record) = Make(config);
        double[] e = new double[1], qd = new double[1];
        long k = 0;
        for (; k < 5000; k++) Tick(a, servo, record, k, 1.5, e, qd);
        Assert.True(a.Blocked > 0);
        double c = a.CoulombScale[0];
        var last = default(FrictionChange);
        int n = 0;
        while (a.Log.TryPop(out var change))
        {
            last = change;
            n++;
        }
        Assert.Equal(FrictionAdaptation.LogCapacity, n);
        Assert.Equal(c, last.CoulombScale); // the scales are exactly the last logged ones
        Assert.Equal(a.ViscousScale[0], last.ViscousScale);
        for (; k < 5500; k++) Tick(a, servo, record, k, 1.5, e, qd);
        Assert.True(a.CoulombScale[0] > c); // drained: it moves again
    }
}
