using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.TestSupport;

namespace Rt.Core.Tests.Config;

/// <summary><c>joints[i].mode</c> (csp default, csv, cst) and the host-loop gains csv/cst need.</summary>
public sealed class JointModeConfigTests
{
    private const string Knee = """
        robot: { name: biped12, description: biped12.urdf }
        joints:
          - name: l_knee
            drive: 0
            gear_ratio: 100
            encoder_counts_per_rev: 131072
            rated_torque_nm: 0.5
            limits: { position_min_rad: 0, position_max_rad: 2, velocity_rad_s: 5, acceleration_rad_s2: 50, torque_nm: 100 }
        """;

    [Fact]
    public void Csp_is_the_default_and_cst_with_its_gains_loads()
    {
        Assert.Equal(JointMode.Csp, ConfigLoader.Parse(Knee, RepoPaths.Biped12Config).Joints[0].Mode);
        var cst = ConfigLoader.Parse(Knee + "\n" + "    mode: cst\n    host_loop: { stiffness_nm_per_rad: 300, damping_nm_s_per_rad: 3 }\n", RepoPaths.Biped12Config);
        Assert.Equal(JointMode.Cst, cst.Joints[0].Mode);
        Assert.Equal(300, cst.Joints[0].HostLoop.StiffnessNmPerRad);
        Assert.Equal(10, JointModeRules.Cia402Value(JointMode.Cst));
    }

    [Theory]
    [InlineData("    mode: csv\n", "joints[0].host_loop.position_gain_per_s", "expected a positive gain")]
    [InlineData("    mode: cst\n    host_loop: { stiffness_nm_per_rad: 300 }\n", "joints[0].host_loop.damping_nm_s_per_rad", "expected a positive gain")]
    [InlineData("    mode: cst\n    host_loop: { stiffness_nm_per_rad: 1e9, damping_nm_s_per_rad: 3 }\n", "joints[0].host_loop.stiffness_nm_per_rad", "expected at most 1000000")]
    [InlineData("    mode: position\n", "joints[0].mode", "csp, csv, cst")]
    public void A_mode_without_its_gains_or_an_unknown_mode_is_refused_naming_the_key(string extra, string key, string problem)
    {
        var e = Assert.Throws<InputError>(() => ConfigLoader.Parse(Knee + "\n" + extra, RepoPaths.Biped12Config));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }
}
