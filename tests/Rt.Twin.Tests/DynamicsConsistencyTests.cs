using Rt.Core.Description;
using Rt.Twin.Dynamics;

namespace Rt.Twin.Tests;

/// <summary>
/// The rigid-body algorithms against each other and against an independent slow reference (finite-difference
/// Jacobians and energies straight from the URDF), on the biped and on a tree with fixed joints, tilted frames,
/// a skew axis, a prismatic and a continuous joint.
/// </summary>
public class DynamicsConsistencyTests
{
    public static TheoryData<string> Robots => new() { "biped12", "branchy" };

    private static RobotDescription Robot(string name) =>
        name == "biped12" ? DynamicsTestRobots.Biped12() : DynamicsTestRobots.Branchy();

    [Theory]
    [MemberData(nameof(Robots))]
    public void Rnea_equals_mass_matrix_times_acceleration_plus_bias(string robot)
    {
        var model = RigidBodyModel.FromDescription(Robot(robot));
        int n = model.DegreesOfFreedom;
        var rng = new Random(1);
        double[] q = new double[n], qd = new double[n], qdd = new double[n], tau = new double[n], c = new double[n], m = new double[n * n];
        var expected = new double[n];
        double worst = 0;
        for (int s = 0; s < 500; s++)
        {
            DynamicsTestRobots.RandomState(rng, q, qd, qdd);
            model.InverseDynamics(q, qd, qdd, tau);
            model.Bias(q, qd, c);
            model.MassMatrix(q, m);
            for (int i = 0; i < n; i++)
            {
                expected[i] = c[i];
                for (int j = 0; j < n; j++) expected[i] += m[i * n + j] * qdd[j];
            }
            worst = Math.Max(worst, DynamicsTestRobots.RelativeError(tau, expected));
        }
        Assert.True(worst < 1e-12, $"RNEA vs M·q̈ + c: worst relative error {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(Robots))]
    public void Mass_matrix_is_symmetric_positive_definite_and_matches_the_jacobian_reference(string robot)
    {
        var d = Robot(robot);
        var model = RigidBodyModel.FromDescription(d);
        var reference = new DynamicsReference(d);
        int n = model.DegreesOfFreedom;
        Assert.Equal(d.MovableJoints.Select(j => j.Name), model.JointNames);
        var rng = new Random(2);
        double[] q = new double[n], qd = new double[n], qdd = new double[n], m = new double[n * n];
        for (int s = 0; s < 20; s++)
        {
            DynamicsTestRobots.RandomState(rng, q, qd, qdd);
            model.MassMatrix(q, m);
            var mr = reference.MassMatrix(q);
            double err = DynamicsTestRobots.RelativeError(m, mr);
            Assert.True(err < 1e-9, $"state {s}: CRBA vs finite-difference Jacobian reference: {err:E2}");
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) Assert.Equal(m[i * n + j], m[j * n + i]);
            var chol = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, n, (i, j) => m[i * n + j]);
            Assert.True(chol.Evd().EigenValues.All(e => e.Real > 0), "M must be positive definite");
        }
    }

    [Theory]
    [MemberData(nameof(Robots))]
    public void Gravity_torques_are_the_gradient_of_potential_energy(string robot)
    {
        var d = Robot(robot);
        var model = RigidBodyModel.FromDescription(d);
        var reference = new DynamicsReference(d);
        int n = model.DegreesOfFreedom;
        var rng = new Random(3);
        double[] q = new double[n], qd = new double[n], qdd = new double[n], g = new double[n], rnea = new double[n];
        for (int s = 0; s < 20; s++)
        {
            DynamicsTestRobots.RandomState(rng, q, qd, qdd);
            model.GravityTorques(q, g);
            var gr = reference.Gravity(q);
            Assert.True(DynamicsTestRobots.RelativeError(g, gr) < 1e-7, $"state {s}: g(q) vs ∂V/∂q");
            model.InverseDynamics(q, [], [], rnea, GetPi(model), gravity: true);
            Assert.True(DynamicsTestRobots.RelativeError(g, rnea) < 1e-13);
        }
    }

    [Theory]
    [MemberData(nameof(Robots))]
    public void Coriolis_terms_match_the_lagrangian_and_the_transpose_identity(string robot)
    {
        // Lagrange: C q̇ = Ṁ q̇ − ½ ∂(q̇ᵀ M q̇)/∂q;  and Cᵀq̇ = Ṁ q̇ − C q̇. Ṁ and ∂/∂q by central differences of the CRBA.
        var model = RigidBodyModel.FromDescription(Robot(robot));
        int n = model.DegreesOfFreedom;
        var rng = new Random(4);
        double[] q = new double[n], qd = new double[n], qdd = new double[n], cqd = new double[n], ctqd = new double[n], p = new double[n];
        double[] mp = new double[n * n], mm = new double[n * n], m0 = new double[n * n];
        const double h = 1e-6;
        for (int s = 0; s < 30; s++)
        {
            DynamicsTestRobots.RandomState(rng, q, qd, qdd);
            model.CoriolisTimesVelocity(q, qd, cqd);
            model.MomentumTerms(q, qd, p, ctqd);
            // Ṁ q̇.
            var qp = q.Select((v, i) => v + h * qd[i]).ToArray();
            var qm = q.Select((v, i) => v - h * qd[i]).ToArray();
            model.MassMatrix(qp, mp);
            model.MassMatrix(qm, mm);
            var mdotqd = new double[n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) mdotqd[i] += (mp[i * n + j] - mm[i * n + j]) / (2 * h) * qd[j];
            // ½ ∂(q̇ᵀMq̇)/∂q_k.
            var grad = new double[n];
            for (int k = 0; k < n; k++)
            {
                var a = (double[])q.Clone();
                var b = (double[])q.Clone();
                a[k] += h;
                b[k] -= h;
                model.MassMatrix(a, mp);
                model.MassMatrix(b, mm);
                double e = 0;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) e += qd[i] * (mp[i * n + j] - mm[i * n + j]) * qd[j];
                grad[k] = 0.5 * e / (2 * h);
            }
            var expectedC = mdotqd.Select((v, i) => v - grad[i]).ToArray();
            Assert.True(DynamicsTestRobots.RelativeError(cqd, expectedC) < 1e-6, $"state {s}: C q̇ vs Lagrangian");
            var expectedCt = mdotqd.Select((v, i) => v - cqd[i]).ToArray();
            Assert.True(DynamicsTestRobots.RelativeError(ctqd, expectedCt) < 1e-6, $"state {s}: Cᵀq̇ vs Ṁq̇ − Cq̇");
            // p = M q̇.
            model.MassMatrix(q, m0);
            var mqd = new double[n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) mqd[i] += m0[i * n + j] * qd[j];
            Assert.True(DynamicsTestRobots.RelativeError(p, mqd) < 1e-13, $"state {s}: momentum vs M q̇");
        }
    }

    [Fact]
    public void Inverse_dynamics_is_linear_in_the_inertial_parameters()
    {
        var model = RigidBodyModel.FromDescription(DynamicsTestRobots.Biped12());
        int n = model.DegreesOfFreedom, np = model.ParameterCount;
        Assert.Equal(120, np);
        var pi = GetPi(model);
        var rng = new Random(5);
        double[] q = new double[n], qd = new double[n], qdd = new double[n], tau = new double[n], col = new double[n], unit = new double[np];
        DynamicsTestRobots.RandomState(rng, q, qd, qdd);
        model.InverseDynamics(q, qd, qdd, tau);
        var sum = new double[n];
        for (int k = 0; k < np; k++)
        {
            Array.Clear(unit);
            unit[k] = 1;
            model.InverseDynamics(q, qd, qdd, col, unit);
            for (int i = 0; i < n; i++) sum[i] += col[i] * pi[k];
        }
        Assert.True(DynamicsTestRobots.RelativeError(sum, tau) < 1e-12, "Σ π_k · RNEA(e_k) must equal RNEA(π)");
        Assert.Equal("l_hip_yaw_link.m", model.ParameterNames[0]);
        Assert.Equal("l_hip_yaw_link.Izz", model.ParameterNames[9]);
    }

    [Fact]
    public void Replacing_inertial_parameters_changes_the_dynamics_and_round_trips()
    {
        var model = RigidBodyModel.FromDescription(DynamicsTestRobots.Biped12());
        var pi = GetPi(model);
        int n = model.DegreesOfFreedom;
        double[] q = new double[n], g0 = new double[n], g1 = new double[n];
        q[2] = 0.5; // l_hip_pitch: the leg swings forward, gravity loads it
        model.GravityTorques(q, g0);
        var doubled = pi.Select(v => 2 * v).ToArray();
        model.SetInertialParameters(doubled);
        model.GravityTorques(q, g1);
        for (int i = 0; i < n; i++) Assert.Equal(2 * g0[i], g1[i], 12);
        var back = new double[model.ParameterCount];
        model.GetInertialParameters(back);
        Assert.Equal(doubled, back);
        Assert.Throws<ArgumentException>(() => model.SetInertialParameters(new double[3]));
    }

    [Fact]
    public void Fixed_links_are_merged_into_their_parent_body()
    {
        var d = DynamicsTestRobots.Branchy();
        var model = RigidBodyModel.FromDescription(d);
        Assert.Equal(["j1", "j2", "j5", "j3", "j4"], model.JointNames);
        Assert.Equal(["a", "b", "f", "c", "d"], model.BodyNames);
        Assert.Equal([-1, 0, 1, -1, 3], model.Parents.ToArray());
        var pi = GetPi(model);
        Assert.Equal(1.5 + 0.4, pi[0], 12);   // a + a_tool
        Assert.Equal(1.2 + 0.3, pi[40], 12);  // d + e
        Assert.Equal(5.0, model.BaseMass, 12);
        Span<double> r = stackalloc double[9];
        Span<double> p = stackalloc double[3];
        Assert.True(model.TryGetLinkFrame("marker", out int body, r, p));
        Assert.Equal(4, body);
        Assert.Equal(0.1, p[0], 12);
        Assert.Equal(0.1, p[1], 12);
        Assert.Equal(-0.35, p[2], 12);
        Assert.False(model.TryGetLinkFrame("nope", out _, r, p));
    }

    [Fact]
    public void Forward_kinematics_matches_hand_computed_biped_poses()
    {
        var d = DynamicsTestRobots.Biped12();
        var model = RigidBodyModel.FromDescription(d);
        int n = model.DegreesOfFreedom;
        var q = new double[n];
        var rot = new double[9 * n];
        var pos = new double[3 * n];
        model.ForwardKinematics(q, rot, pos);
        // Left leg at zero: hip_yaw at (0, 0.1, −0.05), hip_roll −0.06 below, hip_pitch −0.05, knee −0.4, ankle_pitch −0.4, ankle_roll 0.
        int knee = model.JointNames.ToList().IndexOf("l_knee");
        int ankle = model.JointNames.ToList().IndexOf("l_ankle_pitch");
        Assert.Equal(0.0, pos[3 * knee], 12);
        Assert.Equal(0.1, pos[3 * knee + 1], 12);
        Assert.Equal(-0.05 - 0.06 - 0.05 - 0.4, pos[3 * knee + 2], 12);
        // Bend the hip pitch by +90°: the thigh (along −z) swings about +y, so the knee moves to +x... no: R_y(+90°)·(0,0,−0.4) = (−0.4, 0, 0).
        int hipPitch = model.JointNames.ToList().IndexOf("l_hip_pitch");
        q[hipPitch] = Math.PI / 2;
        model.ForwardKinematics(q, rot, pos);
        Assert.Equal(-0.4, pos[3 * knee], 12);
        Assert.Equal(-0.05 - 0.06 - 0.05, pos[3 * knee + 2], 12);
        Assert.Equal(-0.8, pos[3 * ankle], 12);
        // Knee body rotation is R_y(90°): its x axis points to world −z.
        Assert.Equal(-1.0, rot[9 * knee + 6], 12);
    }

    [Fact]
    public void Forward_kinematics_matches_the_reference_on_random_states()
    {
        var d = DynamicsTestRobots.Branchy();
        var model = RigidBodyModel.FromDescription(d);
        var reference = new DynamicsReference(d);
        int n = model.DegreesOfFreedom;
        var rng = new Random(6);
        double[] q = new double[n], qd = new double[n], qdd = new double[n], rot = new double[9 * n], pos = new double[3 * n];
        for (int s = 0; s < 50; s++)
        {
            DynamicsTestRobots.RandomState(rng, q, qd, qdd);
            model.ForwardKinematics(q, rot, pos);
            var poses = reference.LinkPoses(q);
            for (int b = 0; b < n; b++)
            {
                var (r, p) = poses[model.BodyNames[b]];
                for (int k = 0; k < 3; k++) Assert.Equal(p[k], pos[3 * b + k], 12);
                for (int k = 0; k < 9; k++) Assert.Equal(r[k], rot[9 * b + k], 12);
            }
        }
    }

    [Fact]
    public void Joint_names_map_from_config_order_to_model_order()
    {
        var model = RigidBodyModel.FromDescription(DynamicsTestRobots.Branchy());
        Assert.Equal([4, 0, 3, 1, 2], model.MapJointNames(["j4", "j1", "j3", "j2", "j5"]));
        var e = Assert.Throws<ArgumentException>(() => model.MapJointNames(["j1", "f1"]));
        Assert.Contains("'f1' is not a movable joint", e.Message);
        Assert.Throws<ArgumentException>(() => model.MapJointNames(["j1", "j1"]));
    }

    [Fact]
    public void Dynamics_calls_allocate_nothing()
    {
        var model = RigidBodyModel.FromDescription(DynamicsTestRobots.Biped12());
        int n = model.DegreesOfFreedom;
        double[] q = new double[n], qd = new double[n], qdd = new double[n], tau = new double[n], m = new double[n * n];
        double[] p = new double[n], ct = new double[n], g = new double[n], rot = new double[9 * n], pos = new double[3 * n];
        double[] v6 = new double[6 * n], a6 = new double[6 * n];
        DynamicsTestRobots.RandomState(new Random(7), q, qd, qdd);
        void Run()
        {
            model.InverseDynamics(q, qd, qdd, tau);
            model.MassMatrix(q, m);
            model.Bias(q, qd, tau);
            model.ObserverTerms(q, qd, m, p, ct, g);
            model.CoriolisTransposeTimesVelocity(q, qd, ct);
            model.ForwardKinematics(q, rot, pos);
            model.BodyMotion(q, qd, qdd, true, v6, a6);
        }
        for (int i = 0; i < 100; i++) Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    internal static double[] GetPi(RigidBodyModel model)
    {
        var pi = new double[model.ParameterCount];
        model.GetInertialParameters(pi);
        return pi;
    }
}
