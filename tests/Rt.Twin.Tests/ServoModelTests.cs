using Rt.Core.Errors;
using Rt.Twin.Models;

namespace Rt.Twin.Tests;

public class ServoModelTests
{
    private const double Dt = 0.001;

    [Fact]
    public void Step_response_matches_the_continuous_second_order_solution()
    {
        // Underdamped ω = 60 rad/s, ζ = 0.4: q(t) = 1 − e^{−ζωt}(cos ω_d t + ζω/ω_d sin ω_d t) for a unit step held from t = 0.
        double w = 60, z = 0.4, wd = w * Math.Sqrt(1 - z * z);
        var servo = new ServoModel([new ServoParameters(w, z, 1.0, 1, 1.0, 0, 0)], Dt);
        double[] q = [0], qd = [0], qn = new double[1], qdn = new double[1], qddn = new double[1];
        for (int k = 1; k <= 300; k++)
        {
            servo.Predict(q, qd, [1.0], [], qn, qdn, qddn);
            q[0] = qn[0];
            qd[0] = qdn[0];
            double t = k * Dt;
            double expected = 1 - Math.Exp(-z * w * t) * (Math.Cos(wd * t) + z * w / wd * Math.Sin(wd * t));
            double expectedV = Math.Exp(-z * w * t) * (w * w / wd) * Math.Sin(wd * t);
            Assert.Equal(expected, q[0], 10);
            Assert.Equal(expectedV, qd[0], 8);
            // The acceleration the model reports at the new state is the ODE's right-hand side there.
            Assert.Equal(w * w * (1 - q[0]) - 2 * z * w * qd[0], qddn[0], 8);
        }
    }

    [Fact]
    public void The_disturbance_estimate_converges_to_an_unmodelled_constant_load_and_then_predicts_exactly()
    {
        // Truth: the same loop pushed by a constant acceleration d = ω²·Δu (a load, as if the command were offset by
        // Δu). The estimating model, corrected from its velocity innovation every tick, must find d and then predict
        // the true state one tick ahead to rounding.
        const double w = 120, z = 0.9, du = 0.01;
        var p = new ServoParameters(w, z, 1.0, 1, 1.0, 0, 0);
        var truth = new ServoModel([p], Dt);
        var model = new ServoModel([p], Dt);
        double[] q = [0], qd = [0], tq = new double[1], tqd = new double[1], tqdd = new double[1];
        double[] mq = new double[1], mqd = new double[1], mqdd = new double[1];
        double lastPositionError = double.NaN, lastVelocityError = double.NaN;
        for (int k = 0; k < 200; k++)
        {
            double u = 0.2 * Math.Sin(2 * Math.PI * k * Dt);
            truth.Predict(q, qd, [u + du], [], tq, tqd, tqdd);
            model.Predict(q, qd, [u], [], mq, mqd, mqdd);
            lastPositionError = tq[0] - mq[0];
            lastVelocityError = tqd[0] - mqd[0];
            model.CorrectDisturbance(0, lastVelocityError, 0.5);
            q[0] = tq[0];
            qd[0] = tqd[0];
        }
        Assert.Equal(w * w * du, model.Disturbance[0], 6);
        Assert.True(Math.Abs(lastVelocityError) < 1e-9, $"velocity error {lastVelocityError}");
        Assert.True(Math.Abs(lastPositionError) < 1e-12, $"position error {lastPositionError}");
        model.ResetDisturbance(0);
        Assert.Equal(0, model.Disturbance[0]);
    }

    [Fact]
    public void Disturbance_correction_ignores_non_finite_innovations_and_allocates_nothing()
    {
        var model = new ServoModel([new ServoParameters(100, 1, 1, 1, 1, 0, 0)], Dt);
        model.CorrectDisturbance(0, double.NaN, 0.5);
        model.CorrectDisturbance(0, double.PositiveInfinity, 0.5);
        Assert.Equal(0, model.Disturbance[0]);
        for (int k = 0; k < 100; k++) model.CorrectDisturbance(0, 1e-6, 0.3);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10_000; k++) model.CorrectDisturbance(0, 1e-9, 0.3);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_command_takes_effect_after_the_configured_delay()
    {
        // Delay 3: the command recorded at call k drives the interval of call k + 2.
        var servo = new ServoModel([new ServoParameters(80, 1.0, 1.0, 3, 1.0, 0, 0)], Dt);
        double[] q = [0], qd = [0], qn = new double[1], qdn = new double[1], qddn = new double[1];
        var moved = new List<bool>();
        for (int k = 0; k < 5; k++)
        {
            double target = k >= 1 ? 1.0 : 0.0; // a step issued at call 1
            servo.Predict(q, qd, [target], [], qn, qdn, qddn);
            moved.Add(Math.Abs(qn[0]) > 1e-12);
            q[0] = qn[0];
            qd[0] = qdn[0];
        }
        Assert.Equal([false, false, false, true, true], moved);
    }

    [Fact]
    public void Velocity_feedforward_and_gain_enter_as_modelled()
    {
        // Against a fine RK4 integration of q̈ = ω²(G u − q) + 2ζω(K_v v − q̇) over one tick.
        double w = 50, z = 0.7, g = 0.9, kv = 0.5, u = 1.0, v = 2.0;
        var servo = new ServoModel([new ServoParameters(w, z, g, 1, kv, 0, 0)], Dt);
        double[] qn = new double[1], qdn = new double[1], qddn = new double[1];
        servo.Predict([0.1], [-0.3], [u], [v], qn, qdn, qddn);
        double x = 0.1, xd = -0.3;
        double F(double p, double pd) => w * w * (g * u - p) + 2 * z * w * (kv * v - pd);
        const int steps = 1000;
        double h = Dt / steps;
        for (int i = 0; i < steps; i++)
        {
            double k1x = xd, k1v = F(x, xd);
            double k2x = xd + 0.5 * h * k1v, k2v = F(x + 0.5 * h * k1x, xd + 0.5 * h * k1v);
            double k3x = xd + 0.5 * h * k2v, k3v = F(x + 0.5 * h * k2x, xd + 0.5 * h * k2v);
            double k4x = xd + h * k3v, k4v = F(x + h * k3x, xd + h * k3v);
            x += h / 6 * (k1x + 2 * k2x + 2 * k3x + k4x);
            xd += h / 6 * (k1v + 2 * k2v + 2 * k3v + k4v);
        }
        Assert.Equal(x, qn[0], 12);
        Assert.Equal(xd, qdn[0], 10);
        Assert.Equal(F(x, xd), qddn[0], 7);
    }

    [Fact]
    public void Friction_opposes_motion_and_is_smooth_through_zero()
    {
        var servo = new ServoModel([new ServoParameters(50, 1, 1, 1, 1, 0.4, 0.6)], Dt);
        Assert.Equal(0.4 + 0.6 * 2, servo.FrictionTorque(0, 2), 9);
        Assert.Equal(-(0.4 + 0.6 * 2), servo.FrictionTorque(0, -2), 9);
        Assert.Equal(0, servo.FrictionTorque(0, 0));
        Assert.True(Math.Abs(servo.FrictionTorque(0, 1e-4)) < 0.01);
    }

    [Fact]
    public void Matrix_exponential_of_a_nilpotent_and_a_rotation()
    {
        Span<double> r = stackalloc double[16];
        // exp([[0, t], [0, 0]]) = [[1, t], [0, 1]] (embedded in 4×4).
        double[] a = new double[16];
        a[1] = 2.5;
        ServoModel.MatrixExp4(a, r);
        Assert.Equal(1, r[0], 14);
        Assert.Equal(2.5, r[1], 14);
        Assert.Equal(1, r[5], 14);
        // exp of a rotation generator: angle 3 rad.
        Array.Clear(a);
        a[1] = -3;
        a[4] = 3;
        ServoModel.MatrixExp4(a, r);
        Assert.Equal(Math.Cos(3), r[0], 12);
        Assert.Equal(-Math.Sin(3), r[1], 12);
        Assert.Equal(Math.Sin(3), r[4], 12);
    }

    [Fact]
    public void Bad_parameters_are_named()
    {
        var e = Assert.Throws<InputError>(() => new ServoParameters(double.NaN, 1, 1, 1, 1, 0, 0).Validate("twin.yaml", "joints.l_knee.servo"));
        Assert.Contains("joints.l_knee.servo.natural_frequency_rad_s", e.Message);
        Assert.Contains("twin.yaml", e.Message);
        e = Assert.Throws<InputError>(() => new ServoParameters(50, 1, 1, 0, 1, 0, 0).Validate("twin.yaml", "joints.l_knee.servo"));
        Assert.Contains("delay_ticks", e.Message);
        Assert.Throws<InputError>(() => new ServoParameters(50, 1, 1, 1, 1, -0.1, 0).Validate("f", "j"));
    }

    [Fact]
    public void A_command_counts_as_settled_after_the_loops_settling_time_and_a_step_or_a_moving_command_restarts_it()
    {
        // ω = 100, ζ = 1 (slowest pole 100 rad/s), delay 1: settled 1 + ⌈5/(100·0.001)⌉ = 51 ticks after the command stopped.
        var servo = new ServoModel([new ServoParameters(100, 1.0, 1.0, 1, 1.0, 0.5, 0)], Dt);
        Assert.Equal(51, servo.SettleTicks(0));
        double[] q = [0], qd = [0], qn = new double[1], qdn = new double[1], qddn = new double[1];
        int Hold(double target, int ticks, double velocity = double.NaN)
        {
            int firstSettled = -1;
            for (int k = 0; k < ticks; k++)
            {
                double[] v = double.IsNaN(velocity) ? [] : [velocity];
                servo.Predict(q, qd, [target + (double.IsNaN(velocity) ? 0 : velocity * k * Dt)], v, qn, qdn, qddn);
                if (firstSettled < 0 && servo.CommandSettled(0)) firstSettled = k;
            }
            return firstSettled;
        }
        // The first call primes the history (the command has not moved yet), so the count starts at once.
        Assert.Equal(50, Hold(0.1, 100));
        // A 1 mrad step restarts it (the step's tick moves, the next one changes the rate back: counted from the one after).
        Assert.Equal(52, Hold(0.101, 100));
        // A command creeping at 0.05 rad/s (faster than the band, min(0.02, ε = 0.01)) never settles; one at 0.005 rad/s does.
        Assert.Equal(-1, Hold(0.2, 200, velocity: 0.05));
        Assert.True(Hold(0.3, 200, velocity: 0.005) > 0);
        // A sine reversal: slower than the band for a moment, but its rate changes (A·ω² = 0.2·(2π)² ≈ 7.9 rad/s² > 1).
        servo.Reset();
        bool settled = false;
        for (int k = 0; k < 2000; k++)
        {
            servo.Predict(q, qd, [0.2 * Math.Sin(2 * Math.PI * k * Dt)], [], qn, qdn, qddn);
            settled |= k > 0 && servo.CommandSettled(0);
        }
        Assert.False(settled);
    }

    [Fact]
    public void Predict_allocates_nothing()
    {
        var p = Enumerable.Range(0, 12).Select(_ => ServoParameters.Nominal(null)).ToArray();
        var servo = new ServoModel(p, Dt);
        double[] q = new double[12], qd = new double[12], u = new double[12], v = new double[12], a = new double[12], b = new double[12], c = new double[12];
        for (int i = 0; i < 100; i++) servo.Predict(q, qd, u, v, a, b, c);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) servo.Predict(q, qd, u, v, a, b, c);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
