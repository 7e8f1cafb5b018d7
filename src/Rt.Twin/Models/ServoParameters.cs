using Rt.Core.Description;
using Rt.Core.Errors;

namespace Rt.Twin.Models;

/// <summary>
/// One joint's servo model: the drive's closed position loop seen from the joint as a second-order system plus a
/// transport delay, and the joint's friction.
/// <para>q̈ = ω²(G·u − q) + 2ζω(K_v·v_ff − q̇), with u the commanded position and v_ff the commanded velocity
/// feed-forward, applied <see cref="DelayTicks"/> ticks after they were computed (the bench applies the command of
/// tick k from tick k+1: delay 1). This is what a P position loop around a PI velocity loop reduces to when the
/// velocity loop is fast: ω² = K_p·K_v/J, 2ζω = K_v/J.</para>
/// <para>Friction (joint side, opposing motion): τ_f = F_v·q̇ + F_c·tanh(q̇/ε), ε = <see cref="CoulombSmoothingRadS"/>.</para>
/// Written by calibration into the twin-parameter file; <see cref="Nominal"/> gives defaults from the URDF.
/// </summary>
public sealed record ServoParameters(
    double NaturalFrequencyRadS,
    double DampingRatio,
    double Gain,
    int DelayTicks,
    double VelocityFeedforwardGain,
    double CoulombFrictionNm,
    double ViscousFrictionNmsPerRad)
{
    /// <summary>
    /// Default ω when nothing is calibrated: the bench drive's default tuning, a 12 Hz P position loop around a 60 Hz
    /// velocity loop: ω² = K_p·K_v/J = (2π·12)(2π·60), i.e. 2π·26.8 Hz = 168.6 rad/s.
    /// </summary>
    public const double NominalNaturalFrequencyRadS = 2 * Math.PI * 26.832815729997478; // √(12·60) Hz

    /// <summary>Default ζ for the same tuning: 2ζω = K_v/J = 2π·60 → ζ = 60/(2·√720) = 1.118.</summary>
    public const double NominalDampingRatio = 60 / (2 * 26.832815729997478);

    /// <summary>Default velocity below which Coulomb friction is smoothed (tanh), rad/s: keeps noisy velocity near zero from flipping the sign.</summary>
    public const double CoulombSmoothingRadS = 0.01;

    /// <summary>
    /// This joint's Coulomb smoothing ε, rad/s (τ_f = F_v·q̇ + F_c·tanh(q̇/ε)). Real joints (and MuJoCo's soft
    /// frictionloss constraint) pass through zero velocity over a finite band, not a step; calibration fits ε.
    /// </summary>
    public double FrictionSmoothingRadS { get; init; } = CoulombSmoothingRadS;

    /// <summary>Nominal parameters for a joint: default loop, one-tick delay, friction from the URDF &lt;dynamics&gt;. Not real-time safe.</summary>
    public static ServoParameters Nominal(JointDynamics? dynamics) => new(
        NominalNaturalFrequencyRadS, NominalDampingRatio, 1.0, 1, 1.0,
        dynamics?.Friction ?? 0, dynamics?.Damping ?? 0);

    /// <summary>Checks every value; throws <see cref="InputError"/> naming <paramref name="source"/> and <paramref name="location"/>. Not real-time safe.</summary>
    public void Validate(string source, string location)
    {
        Check(NaturalFrequencyRadS, "natural_frequency_rad_s", v => v > 0, "> 0");
        Check(DampingRatio, "damping_ratio", v => v > 0, "> 0");
        Check(Gain, "gain", v => v > 0, "> 0");
        Check(VelocityFeedforwardGain, "velocity_feedforward_gain", v => v >= 0, "≥ 0");
        Check(CoulombFrictionNm, "coulomb_friction_nm", v => v >= 0, "≥ 0");
        Check(ViscousFrictionNmsPerRad, "viscous_friction_nms_per_rad", v => v >= 0, "≥ 0");
        Check(FrictionSmoothingRadS, "coulomb_smoothing_rad_s", v => v > 0, "> 0");
        if (DelayTicks is < 1 or > ServoModel.MaxDelayTicks)
            throw new InputError(source, $"{location}.delay_ticks", $"delay_ticks is {DelayTicks}; expected 1..{ServoModel.MaxDelayTicks} (the command of tick k is applied from tick k+1 at the earliest)");

        void Check(double value, string key, Func<double, bool> ok, string rule)
        {
            if (!double.IsFinite(value) || !ok(value))
                throw new InputError(source, $"{location}.{key}", $"{key} is {value}; expected a finite number {rule}");
        }
    }
}
