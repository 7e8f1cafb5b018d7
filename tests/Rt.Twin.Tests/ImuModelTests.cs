using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Twin.Dynamics;
using Rt.Twin.Models;

namespace Rt.Twin.Tests;

public class ImuModelTests
{
    private static readonly RigidBodyModel Model = RigidBodyModel.FromDescription(DynamicsTestRobots.Biped12());

    private static ImuConfig Imu(string name, string link, double[] xyz, double[] rpy) => new() { Name = name, Link = link, Xyz = xyz, Rpy = rpy };

    private static int J(string name) => Model.JointNames.ToList().IndexOf(name);

    [Fact]
    public void At_rest_every_imu_reads_plus_g_upward_in_its_own_frame()
    {
        var imus = new[]
        {
            Imu("pelvis_imu", "pelvis", [0, 0, 0.05], [0, 0, 0]),
            Imu("foot_imu", "l_foot", [0.03, 0, -0.03], [0, 0, 0]),
            Imu("tilted", "l_shin", [0.01, 0.02, -0.1], [Math.PI / 2, 0, 0]), // rolled 90° about x: sensor y = link z
        };
        var model = new ImuModel(Model, imus);
        int n = Model.DegreesOfFreedom;
        double[] q = new double[n], zero = new double[n], w = new double[9], f = new double[9];
        model.Predict(q, zero, zero, w, f);
        Assert.All(w, x => Assert.Equal(0, x, 12));
        Assert.Equal([0, 0, 9.81], f[..3].Select(x => Math.Round(x, 12)));
        Assert.Equal([0, 0, 9.81], f[3..6].Select(x => Math.Round(x, 12)));
        // Rolled +90° about x: R_x(90°) maps the sensor's y onto world +z, so "up" reads on the sensor's +y.
        Assert.Equal(0, f[6], 12);
        Assert.Equal(9.81, f[7], 12);
        Assert.Equal(0, f[8], 12);

        // Knee bent 90° at rest: the shin's frame is pitched, gravity shows on the sensor's x axis.
        q[J("l_knee")] = Math.PI / 2;
        model.Predict(q, zero, zero, w, f);
        Assert.Equal(9.81, Math.Sqrt(f[3] * f[3] + f[4] * f[4] + f[5] * f[5]), 12);
        Assert.Equal(-9.81, f[3], 12); // foot x axis now points down: R_y(90°)ᵀ·(0,0,g) = (−g, 0, 0)
    }

    [Fact]
    public void A_rotating_joint_gives_its_rate_and_the_centripetal_acceleration()
    {
        // Hip yaw spinning at 2 rad/s, everything else still: the foot IMU turns at 2 rad/s about z, and its offset
        // from the yaw axis (r⊥) gives a centripetal specific force −ω² r⊥ (towards the axis).
        var imus = new[] { Imu("foot_imu", "l_foot", [0.03, 0, -0.03], [0, 0, 0]) };
        var model = new ImuModel(Model, imus);
        int n = Model.DegreesOfFreedom;
        double[] q = new double[n], qd = new double[n], qdd = new double[n], w = new double[3], f = new double[3];
        qd[J("l_hip_yaw")] = 2;
        model.Predict(q, qd, qdd, w, f);
        Assert.Equal(0, w[0], 12);
        Assert.Equal(0, w[1], 12);
        Assert.Equal(2, w[2], 12);
        // The foot origin lies on the yaw axis (hip yaw axis through (0, 0.1)); the IMU is 0.03 m ahead of it in x.
        Assert.Equal(-4 * 0.03, f[0], 12);
        Assert.Equal(0, f[1], 12);
        Assert.Equal(9.81, f[2], 12);

        // Angular acceleration of the knee: tangential acceleration ω̇ × r of the foot IMU, 0.43 m below the knee.
        Array.Clear(qd);
        qdd[J("l_knee")] = 3;
        model.Predict(q, qd, qdd, w, f);
        // r = (0.03, 0, −0.4 − 0.03) from the knee; ω̇ = (0, 3, 0): ω̇ × r = (3·(−0.43), 0, −3·0.03).
        Assert.Equal(3 * -0.43, f[0], 12);
        Assert.Equal(9.81 - 3 * 0.03, f[2], 12);
    }

    [Fact]
    public void Specific_force_matches_the_second_derivative_of_the_sensor_position()
    {
        // Along a smooth joint trajectory q(t), the accelerometer must read R_sᵀ(p̈_s − g) with p_s from forward kinematics.
        var imus = new[] { Imu("foot_imu", "r_foot", [0.03, 0.01, -0.03], [0.2, -0.1, 0.3]) };
        var model = new ImuModel(Model, imus);
        int n = Model.DegreesOfFreedom;
        var rng = new Random(11);
        double[] a = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        double[] b = Enumerable.Range(0, n).Select(_ => 2 * rng.NextDouble() + 0.5).ToArray();
        double[] Q(double t) => a.Select((ai, i) => ai * Math.Sin(b[i] * t)).ToArray();
        double t0 = 0.7, h = 1e-4;
        var q = Q(t0);
        var qd = a.Select((ai, i) => ai * b[i] * Math.Cos(b[i] * t0)).ToArray();
        var qdd = a.Select((ai, i) => -ai * b[i] * b[i] * Math.Sin(b[i] * t0)).ToArray();
        double[] w = new double[3], f = new double[3];
        model.Predict(q, qd, qdd, w, f);

        var rot = new double[9 * n];
        var pos = new double[3 * n];
        var lr = new double[9];
        var lp = new double[3];
        Assert.True(Model.TryGetLinkFrame("r_foot", out int body, lr, lp));
        var mount = DynamicsReference.Rpy(0.2, -0.1, 0.3);
        (double[] P, double[] R) Sensor(double t)
        {
            Model.ForwardKinematics(Q(t), rot, pos);
            var rb = rot.AsSpan(9 * body, 9).ToArray();
            var pb = pos.AsSpan(3 * body, 3).ToArray();
            var rl = DynamicsReference.Mul(rb, lr);
            var pl = DynamicsReference.Add(pb, DynamicsReference.MulV(rb, lp));
            return (DynamicsReference.Add(pl, DynamicsReference.MulV(rl, [0.03, 0.01, -0.03])), DynamicsReference.Mul(rl, mount));
        }
        var (p0, r0) = Sensor(t0);
        var (pp, _) = Sensor(t0 + h);
        var (pm, _) = Sensor(t0 - h);
        double[] acc = [(pp[0] - 2 * p0[0] + pm[0]) / (h * h), (pp[1] - 2 * p0[1] + pm[1]) / (h * h), (pp[2] - 2 * p0[2] + pm[2]) / (h * h) + 9.81];
        var expected = DynamicsReference.MulV(DynamicsReference.Transpose(r0), acc);
        for (int k = 0; k < 3; k++) Assert.Equal(expected[k], f[k], 5);
    }

    [Fact]
    public void Bias_is_the_plain_mean_of_the_first_samples_then_a_slow_fading_memory()
    {
        const double beta = 1e-3; // 1/β = 1000 samples of initial average
        var model = new ImuModel(Model, [Imu("pelvis_imu", "pelvis", [0, 0, 0], [0, 0, 0])], biasGain: beta);
        double[] predW = new double[3], predF = [0, 0, 9.81];
        double[] measW = new double[3], measF = new double[3];

        // The first sample alone sets the estimate: converged from the first tick, not after 1/β ticks.
        measW[0] = 0.02;
        measF[1] = 0.1;
        measF[2] = 9.81;
        model.UpdateBias(0, measW, measF, predW, predF);
        Assert.Equal(0.02, model.GyroBias[0], 15);
        Assert.Equal(0.1, model.AccelBias[1], 15);

        // Up to sample 1/β the estimate is the plain mean of every offset seen (gain 1/(k+1)), here of a varying offset.
        double sumW = 0.02, sumF = 0.1;
        for (int k = 1; k < 1000; k++)
        {
            measW[0] = 0.02 + 0.01 * Math.Sin(0.37 * k);
            measF[1] = 0.1 - 0.05 * Math.Cos(0.11 * k);
            sumW += measW[0];
            sumF += measF[1];
            model.UpdateBias(0, measW, measF, predW, predF);
        }
        Assert.Equal(sumW / 1000, model.GyroBias[0], 12);
        Assert.Equal(sumF / 1000, model.AccelBias[1], 12);
        Assert.Equal(0, model.AccelBias[2], 12); // measured = predicted on z

        // Then fading memory with gain β: a step to a new constant offset is followed with time constant 1/β ticks,
        // b_m = new + (old − new)(1 − β)^m, so real motion is not absorbed into the bias.
        double oldW = model.GyroBias[0];
        measW[0] = 0.05;
        for (int m = 0; m < 1000; m++) model.UpdateBias(0, measW, measF, predW, predF);
        double expected = 0.05 + (oldW - 0.05) * Math.Pow(1 - beta, 1000);
        Assert.Equal(expected, model.GyroBias[0], 12);
        Assert.InRange(model.GyroBias[0], 0.03, 0.045); // ≈ 63 % of the way, not jumped to 0.05

        double[] w = [0, 0, 0], f = [0, 0, 9.81];
        model.AddBias(w, f);
        Assert.Equal(expected, w[0], 12);
        // A non-finite measurement leaves that axis's bias alone.
        model.UpdateBias(0, [double.NaN, 0, 0], measF, predW, predF);
        Assert.Equal(expected, model.GyroBias[0], 12);
        // ResetBias starts the initial average again.
        model.ResetBias();
        model.UpdateBias(0, [0.3, 0, 0], measF, predW, predF);
        Assert.Equal(0.3, model.GyroBias[0], 15);
    }

    [Fact]
    public void An_imu_on_an_unknown_link_is_an_input_error()
    {
        var e = Assert.Throws<InputError>(() => new ImuModel(Model, [Imu("x", "l_wing", [0, 0, 0], [0, 0, 0])], source: "biped12.yaml"));
        Assert.Contains("imus[0].link", e.Message);
        Assert.Contains("l_wing", e.Message);
    }
}
