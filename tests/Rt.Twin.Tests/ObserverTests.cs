using MathNet.Numerics.LinearAlgebra;
using Rt.Twin.Dynamics;
using Rt.Twin.Models;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>
/// The momentum observer on the biped's own rigid-body dynamics, integrated here with RK4 (10 substeps per 1 ms tick),
/// the legs moving under a PD controller with gravity compensation while an external torque step acts on one joint.
/// </summary>
public class ObserverTests(ITestOutputHelper output)
{
    private const double Dt = 0.001;
    private const int Substeps = 10;

    [Fact]
    public void Residual_follows_the_first_order_response_to_an_external_torque_step()
    {
        const double gain = 50;        // 1/s: time constant 20 ms
        const double stepNm = 5;
        const double stepAtS = 0.2;
        var plant = RigidBodyModel.FromDescription(DynamicsTestRobots.Biped12());
        var model = RigidBodyModel.FromDescription(DynamicsTestRobots.Biped12());
        int n = plant.DegreesOfFreedom;
        int knee = plant.JointNames.ToList().IndexOf("l_knee");
        var observer = new MomentumObserver(n, gain, Dt);

        double[] q = new double[n], qd = new double[n];
        // Start on the reference trajectory so there is no start-up transient (a torque jump is not a τ_ext).
        for (int j = 0; j < n; j++)
        {
            q[j] = 0.3 * Math.Sin(j);
            qd[j] = 0.3 * 2 * Math.PI * 1.5 * Math.Cos(j);
        }
        double[] tauM = new double[n], p = new double[n], ct = new double[n], g = new double[n], r = new double[n];
        var ext = new double[n];
        double worstTracking = 0, worstOthers = 0, worstBefore = 0;
        int ticks = 600;
        for (int k = 0; k <= ticks; k++)
        {
            double t = k * Dt;
            // Observer at the tick: true state, motor torque from the (continuous) control law at this instant.
            Control(plant, t, q, qd, tauM);
            model.ObserverTerms(q, qd, [], p, ct, g);
            observer.Update(p, tauM, [], ct, g, r);
            if (t > stepAtS + 1e-9)
            {
                double expected = stepNm * (1 - Math.Exp(-gain * (t - stepAtS)));
                worstTracking = Math.Max(worstTracking, Math.Abs(r[knee] - expected));
                for (int j = 0; j < n; j++) if (j != knee) worstOthers = Math.Max(worstOthers, Math.Abs(r[j]));
            }
            else
            {
                // After the observer's own start-up (5 time constants: the first ticks see the stiff ankle loop's
                // fastest mode, which the trapezoid integrates with a one-off error that then decays at rate K).
                if (t >= 5 / gain) for (int j = 0; j < n; j++) worstBefore = Math.Max(worstBefore, Math.Abs(r[j]));
            }
            if (k == ticks) break;
            Array.Clear(ext);
            if (t >= stepAtS - 1e-9) ext[knee] = stepNm;
            Integrate(plant, t, q, qd, ext);
        }
        output.WriteLine($"observer.tracking_error_max: {worstTracking:E2} N·m (step {stepNm} N·m)");
        output.WriteLine($"observer.other_joints_max: {worstOthers:E2} N·m; before the step: {worstBefore:E2} N·m");
        Assert.True(worstTracking < 0.01 * stepNm, $"residual vs {stepNm}(1 − e^(−Kt)): worst {worstTracking:E2} N·m");
        Assert.True(worstOthers < 0.01 * stepNm, $"other joints' residuals: worst {worstOthers:E2} N·m");
        Assert.True(worstBefore < 0.01 * stepNm, $"before the step: worst {worstBefore:E2} N·m");
    }

    [Fact]
    public void Discrete_gain_gives_the_exact_sampled_exponential()
    {
        var o = new MomentumObserver(1, 200, Dt);
        Assert.Equal((1 - Math.Exp(-0.2)) / Dt, o.DiscreteGain, 9);
        // Pure external torque on a unit "inertia": ṗ = τ_ext, β = 0.
        double p = 0;
        var r = new double[1];
        for (int k = 0; k <= 20; k++)
        {
            o.Update([p], [0.0], [], [0.0], [0.0], r);
            Assert.Equal(2.0 * (1 - Math.Exp(-200 * k * Dt)), r[0], 12);
            p += 2.0 * Dt;
        }
    }

    [Fact]
    public void Update_allocates_nothing()
    {
        var o = new MomentumObserver(12, 200, Dt);
        double[] a = new double[12], b = new double[12], c = new double[12], d = new double[12], e = new double[12], r = new double[12];
        for (int i = 0; i < 100; i++) o.Update(a, b, c, d, e, r);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) o.Update(a, b, c, d, e, r);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>PD around a slow sine with gravity compensation: the legs keep moving, so Cᵀq̇ matters.</summary>
    private static void Control(RigidBodyModel m, double t, double[] q, double[] qd, double[] tau)
    {
        m.GravityTorques(q, tau);
        for (int j = 0; j < q.Length; j++)
        {
            double target = 0.3 * Math.Sin(2 * Math.PI * 1.5 * t + j);
            tau[j] += 150 * (target - q[j]) - 8 * qd[j];
        }
    }

    private static void Integrate(RigidBodyModel m, double t0, double[] q, double[] qd, double[] ext)
    {
        int n = q.Length;
        double h = Dt / Substeps;
        for (int s = 0; s < Substeps; s++)
        {
            double t = t0 + s * h;
            var (k1q, k1v) = Deriv(m, t, q, qd, ext);
            var (k2q, k2v) = Deriv(m, t + h / 2, Add(q, k1q, h / 2), Add(qd, k1v, h / 2), ext);
            var (k3q, k3v) = Deriv(m, t + h / 2, Add(q, k2q, h / 2), Add(qd, k2v, h / 2), ext);
            var (k4q, k4v) = Deriv(m, t + h, Add(q, k3q, h), Add(qd, k3v, h), ext);
            for (int j = 0; j < n; j++)
            {
                q[j] += h / 6 * (k1q[j] + 2 * k2q[j] + 2 * k3q[j] + k4q[j]);
                qd[j] += h / 6 * (k1v[j] + 2 * k2v[j] + 2 * k3v[j] + k4v[j]);
            }
        }
    }

    private static (double[] Qd, double[] Qdd) Deriv(RigidBodyModel m, double t, double[] q, double[] qd, double[] ext)
    {
        int n = q.Length;
        var tau = new double[n];
        Control(m, t, q, qd, tau);
        var c = new double[n];
        m.Bias(q, qd, c);
        var mm = new double[n * n];
        m.MassMatrix(q, mm);
        var M = Matrix<double>.Build.Dense(n, n, (i, j) => mm[i * n + j]);
        var rhs = Vector<double>.Build.Dense(n, i => tau[i] + ext[i] - c[i]);
        return ((double[])qd.Clone(), M.Cholesky().Solve(rhs).ToArray());
    }

    private static double[] Add(double[] a, double[] b, double s) => a.Select((v, i) => v + s * b[i]).ToArray();
}
