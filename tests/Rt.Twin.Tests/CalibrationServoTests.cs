using Rt.Twin.Calibration;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

public sealed class CalibrationServoTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2 * Math.PI * 15, 1.0, 1.0, 1, 0.0)]
    [InlineData(2 * Math.PI * 25, 0.7, 0.99, 4, 0.8)]   // with velocity feed-forward
    [InlineData(2 * Math.PI * 8, 1.5, 1.02, 8, 1.0)]    // overdamped, longest delay
    public void Servo_loop_parameters_are_recovered_with_and_without_velocity_feedforward(double wn, double zeta, double gain, int delay, double kv)
    {
        const double T = 1e-3;
        const int count = 20_000;
        var rng = new CrossCheckGaussian(5);
        var steps = new Random(9);
        var u = new double[count];
        var v = new double[count];
        double step = 0;
        for (int t = 0; t < count; t++)
        {
            double s = t * T;
            if (t % 97 == 0) step = 0.02 * (2 * steps.NextDouble() - 1);
            u[t] = 0.3 * Math.Sin(2 * Math.PI * 0.7 * s) + 0.1 * Math.Sin(2 * Math.PI * 2.3 * s) + step;
            v[t] = kv > 0 ? 0.3 * 2 * Math.PI * 0.7 * Math.Cos(2 * Math.PI * 0.7 * s) + 0.1 * 2 * Math.PI * 2.3 * Math.Cos(2 * Math.PI * 2.3 * s) : 0;
        }
        var (phi, gamma) = ServoDiscretisation.ZeroOrderHold(wn, zeta, gain, kv, T);
        var y = new double[count];
        var yd = new double[count];
        double x0 = 0, x1 = 0;
        for (int t = 1; t < count; t++)
        {
            double uc = u[Math.Max(0, t - 1 - delay)], vc = v[Math.Max(0, t - 1 - delay)];
            (x0, x1) = (phi[0] * x0 + phi[1] * x1 + gamma[0] * uc + gamma[1] * vc, phi[2] * x0 + phi[3] * x1 + gamma[2] * uc + gamma[3] * vc);
            y[t] = x0 + 1e-6 * rng.Next();
            yd[t] = x1 + 5e-4 * rng.Next();
        }
        var use = Enumerable.Repeat(true, count).ToArray();
        var fit = ServoIdentification.Fit("j", y, yd, u, v, use, T, out var problem);
        Assert.Null(problem);
        Assert.NotNull(fit);
        output.WriteLine($"ω {fit.NaturalFrequencyRadS:F3} (true {wn:F3}) ζ {fit.DampingRatio:F4} ({zeta}) G {fit.Gain:F5} ({gain}) d {fit.DelayTicks} ({delay}) Kv {fit.VelocityFeedforwardGain:F4} ({kv}) R² {fit.SimulationR2:F6}");
        Assert.Equal(delay, fit.DelayTicks);
        Assert.InRange(fit.NaturalFrequencyRadS / wn, 0.98, 1.02);
        Assert.InRange(fit.DampingRatio / zeta, 0.98, 1.02);
        Assert.InRange(fit.Gain / gain, 0.98, 1.02);
        if (kv > 0) Assert.InRange(fit.VelocityFeedforwardGain / kv, 0.98, 1.02);
        else Assert.Equal(0, fit.VelocityFeedforwardGain);
        Assert.InRange(fit.PositionResidualSigma, 0.5e-6, 3e-6);
    }

    [Fact]
    public void A_target_that_never_moves_is_reported_not_fitted()
    {
        var flat = new double[1000];
        var fit = ServoIdentification.Fit("knee", flat, flat, flat, flat, Enumerable.Repeat(true, 1000).ToArray(), 1e-3, out var problem);
        Assert.Null(fit);
        Assert.Contains("joint 'knee': the commanded position never moves", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_order_hold_matches_the_closed_form_step_response()
    {
        // Critically damped: q(t) = G(1 − (1 + ωt)e^(−ωt)) for a unit step from rest.
        double wn = 50, T = 1e-3;
        var (phi, gamma) = ServoDiscretisation.ZeroOrderHold(wn, 1, 1, 0, T);
        double q = 0, qd = 0;
        for (int t = 1; t <= 200; t++)
        {
            (q, qd) = (phi[0] * q + phi[1] * qd + gamma[0], phi[2] * q + phi[3] * qd + gamma[2]);
            double s = t * T;
            Assert.Equal(1 - (1 + wn * s) * Math.Exp(-wn * s), q, 1e-12);
            Assert.Equal(wn * wn * s * Math.Exp(-wn * s), qd, 1e-10);
        }
    }
}
