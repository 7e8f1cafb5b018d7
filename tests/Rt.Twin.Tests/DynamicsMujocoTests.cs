using Rt.Hil.Plant;
using Rt.Twin.Dynamics;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>
/// The twin's dynamics against MuJoCo's own (mj_rne, mj_crb through the bench shim) on the same URDF: the bench's MJCF
/// is generated from it with no armature, damping/friction loss excluded from mj_rne, gravity −9.81.
/// Error metric: max_i |ours_i − mujoco_i| / max(‖mujoco‖∞, 1) per state (norm-relative with a floor of 1 N·m / kg·m²).
/// </summary>
public sealed class DynamicsMujocoTests(ITestOutputHelper output) : IDisposable
{
    private const int States = 1000;
    private const double Tolerance = 1e-9;

    private readonly MujocoPlant _plant = MujocoPlant.Load(
        DynamicsTestRobots.Biped12(),
        new PlantOptions { JointOrder = RigidBodyModel.FromDescription(DynamicsTestRobots.Biped12()).JointNames });

    public void Dispose() => _plant.Dispose();

    [Fact]
    public void Inverse_dynamics_mass_matrix_and_bias_match_mujoco_on_1000_random_states()
    {
        var model = RigidBodyModel.FromDescription(DynamicsTestRobots.Biped12());
        int n = model.DegreesOfFreedom;
        Assert.Equal(n, _plant.JointCount);
        for (int j = 0; j < n; j++) Assert.Equal(0, _plant.GetJointArmature(j));
        var rng = new Random(20261122);
        double[] q = new double[n], qd = new double[n], qdd = new double[n];
        double[] tau = new double[n], tauMj = new double[n], c = new double[n], cMj = new double[n], m = new double[n * n], mMj = new double[n * n];
        double worstTau = 0, worstM = 0, worstC = 0;
        for (int s = 0; s < States; s++)
        {
            DynamicsTestRobots.RandomState(rng, q, qd, qdd);
            model.InverseDynamics(q, qd, qdd, tau);
            _plant.InverseDynamics(q, qd, qdd, tauMj);
            model.MassMatrix(q, m);
            _plant.MassMatrix(q, mMj);
            model.Bias(q, qd, c);
            _plant.Bias(q, qd, cMj);
            worstTau = Math.Max(worstTau, DynamicsTestRobots.RelativeError(tau, tauMj));
            worstM = Math.Max(worstM, DynamicsTestRobots.RelativeError(m, mMj));
            worstC = Math.Max(worstC, DynamicsTestRobots.RelativeError(c, cMj));
        }
        output.WriteLine($"rnea.max_rel_error_vs_mujoco: {worstTau:E2}");
        output.WriteLine($"crba.max_rel_error_vs_mujoco: {worstM:E2}");
        output.WriteLine($"bias.max_rel_error_vs_mujoco: {worstC:E2}");
        Assert.True(worstTau <= Tolerance, $"RNEA vs mj_rne: {worstTau:E2}");
        Assert.True(worstM <= Tolerance, $"CRBA vs mj_crb: {worstM:E2}");
        Assert.True(worstC <= Tolerance, $"bias vs mj_rne(q̈=0): {worstC:E2}");
    }

    [Fact]
    public void Model_and_plant_disagree_when_the_model_is_wrong()
    {
        // The comparison above can fail: a 1 % heavier thigh is seen far above the tolerance.
        var model = RigidBodyModel.FromDescription(DynamicsTestRobots.Biped12());
        int n = model.DegreesOfFreedom;
        var pi = DynamicsConsistencyTests.GetPi(model);
        int thigh = model.BodyNames.ToList().IndexOf("l_thigh");
        for (int k = 0; k < 10; k++) pi[10 * thigh + k] *= 1.01;
        model.SetInertialParameters(pi);
        double[] q = new double[n], qd = new double[n], qdd = new double[n], tau = new double[n], tauMj = new double[n];
        DynamicsTestRobots.RandomState(new Random(9), q, qd, qdd);
        model.InverseDynamics(q, qd, qdd, tau);
        _plant.InverseDynamics(q, qd, qdd, tauMj);
        Assert.True(DynamicsTestRobots.RelativeError(tau, tauMj) > 1e-4);
    }
}
