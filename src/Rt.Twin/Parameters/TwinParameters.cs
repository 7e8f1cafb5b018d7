using Rt.Core.Divergence;
using Rt.Twin.CrossCheck;

namespace Rt.Twin.Parameters;

/// <summary>
/// The twin-parameter file's content: what calibration identified and the cross-check loads. Joint-side SI units.
/// Read and written by <see cref="TwinParameterFile"/>. Not real-time safe (lists); the twin copies values into flat
/// arrays at prepare time.
/// </summary>
public sealed class TwinParameters
{
    /// <summary>Schema version this code reads and writes.</summary>
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; set; } = CurrentSchemaVersion;

    /// <summary>Robot name; must match the URDF's &lt;robot name&gt;.</summary>
    public string Robot { get; set; } = "";

    /// <summary>Tick rate the discrete servo models were fitted at, Hz.</summary>
    public double RateHz { get; set; } = 1000;

    /// <summary>Per joint, in the config's joint order (the channel layout's order).</summary>
    public List<JointParameters> Joints { get; set; } = [];

    /// <summary>Per IMU, in the config's IMU order.</summary>
    public List<ImuParameters> Imus { get; set; } = [];

    /// <summary>
    /// Link inertial parameters, 10 per movable body in the rigid-body model's order, [m, m·cx, m·cy, m·cz, Ixx, Ixy,
    /// Ixz, Iyy, Iyz, Izz] about the body origin. Empty = use the URDF's. Only the identifiable combinations are
    /// determined by data: see <see cref="BaseParameters"/>.
    /// </summary>
    public List<LinkParameters> Links { get; set; } = [];

    /// <summary>Identified base-parameter combinations (for the record; the per-link values above realise them).</summary>
    public List<BaseParameter> BaseParameters { get; set; } = [];

    /// <summary>Fit quality per cross-check channel (and of the torque model).</summary>
    public List<ChannelFit> Fit { get; set; } = [];

    /// <summary>
    /// The cross-check's noise model: σ and bias per channel component from the file. Not real-time safe.
    /// </summary>
    public NoiseModel ToNoiseModel(ChannelLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var model = new NoiseModel(layout);
        for (int c = 0; c < layout.Count; c++)
        {
            var ch = layout.Channels[c];
            switch (ch.Kind)
            {
                case ChannelKind.ImuAngularRate:
                    model.Set(c, Imus[ch.Index].AngularRateSigma, Imus[ch.Index].AngularRateBias);
                    model.SetAr1(c, Imus[ch.Index].AngularRateAr1);
                    break;
                case ChannelKind.ImuSpecificForce:
                    model.Set(c, Imus[ch.Index].SpecificForceSigma, Imus[ch.Index].SpecificForceBias);
                    model.SetAr1(c, Imus[ch.Index].SpecificForceAr1);
                    break;
                default:
                    var noise = Joints[ch.Index].Noise;
                    var (sigma, bias, ar1) = ch.Kind switch
                    {
                        ChannelKind.JointPosition => (noise.PositionRad, noise.PositionBiasRad, noise.PositionAr1),
                        ChannelKind.JointVelocity => (noise.VelocityRadS, noise.VelocityBiasRadS, noise.VelocityAr1),
                        ChannelKind.JointTorque => (noise.TorqueNm, noise.TorqueBiasNm, noise.TorqueAr1),
                        _ => (noise.ExternalTorqueNm, noise.ExternalTorqueBiasNm, noise.ExternalTorqueAr1),
                    };
                    model.Set(c, [sigma], [bias]);
                    model.SetAr1(c, [ar1]);
                    break;
            }
        }
        return model;
    }
}

public sealed class JointParameters
{
    public string Name { get; set; } = "";
    public JointServoParameters Servo { get; set; } = new();
    public JointFrictionParameters Friction { get; set; } = new();
    public JointNoise Noise { get; set; } = new();

    /// <summary>The twin's servo-model parameters for this joint. Not real-time safe.</summary>
    public Models.ServoParameters ToServoParameters() => new(
        Servo.NaturalFrequencyRadS, Servo.DampingRatio, Servo.Gain, Servo.DelayTicks, Servo.VelocityFeedforwardGain,
        Friction.CoulombFrictionNm, Friction.ViscousFrictionNmsPerRad)
    {
        FrictionSmoothingRadS = Friction.CoulombSmoothingRadS,
    };
}

/// <summary>
/// The drive's closed position loop, in the form of <see cref="Models.ServoParameters"/>:
/// q̈ = ω²(G·u − q) + 2ζω(K_v·v_ff − q̇), the command of tick k−d acting over [k, k+1].
/// The fitted discrete form y[t] = a1·y[t−1] + a2·y[t−2] + b1·u[t−1−d] + b2·u[t−2−d] (+ c1, c2 on v_ff) is kept
/// in <see cref="Arx"/> for the calibration report (not in the file).
/// </summary>
public sealed class JointServoParameters
{
    public double NaturalFrequencyRadS { get; set; } = Models.ServoParameters.NominalNaturalFrequencyRadS;
    public double DampingRatio { get; set; } = Models.ServoParameters.NominalDampingRatio;
    public double Gain { get; set; } = 1;
    public int DelayTicks { get; set; } = 1;
    public double VelocityFeedforwardGain { get; set; } = 1.0; // as ServoParameters.Nominal: the drive applies the velocity feed-forward it is sent

    /// <summary>
    /// Discrete ARX coefficients [a1, a2, b1, b2] or [a1, a2, b1, b2, c1, c2]; empty when not fitted. In memory only,
    /// for the calibration report: the twin does not use them, so the file neither writes nor accepts an <c>arx</c> key.
    /// </summary>
    public double[] Arx { get; set; } = [];
}

/// <summary>Joint friction (joint side, opposing motion): τ_f = Coulomb·sign(q̇) + Viscous·q̇.</summary>
public sealed class JointFrictionParameters
{
    public double CoulombFrictionNm { get; set; }
    public double ViscousFrictionNmsPerRad { get; set; }

    /// <summary>Velocity scale ε of the Coulomb term F_c·tanh(q̇/ε), rad/s (fitted by calibration; default 0.01).</summary>
    public double CoulombSmoothingRadS { get; set; } = Models.ServoParameters.CoulombSmoothingRadS;
}

/// <summary>Innovation σ (and bias) of a joint's four channels.</summary>
public sealed class JointNoise
{
    public double PositionRad { get; set; } = 2e-4;
    public double VelocityRadS { get; set; } = 0.02;
    public double TorqueNm { get; set; } = 0.5;
    public double ExternalTorqueNm { get; set; } = 0.5;
    public double PositionBiasRad { get; set; }
    public double VelocityBiasRadS { get; set; }
    public double TorqueBiasNm { get; set; }
    public double ExternalTorqueBiasNm { get; set; }

    /// <summary>Lag-1 whitening coefficients ρ (0 = white); with ρ ≠ 0 the σ above are those of the whitened innovation.</summary>
    public double PositionAr1 { get; set; }
    public double VelocityAr1 { get; set; }
    public double TorqueAr1 { get; set; }
    public double ExternalTorqueAr1 { get; set; }
}

public sealed class ImuParameters
{
    public string Name { get; set; } = "";
    public double[] AngularRateSigma { get; set; } = [0.01, 0.01, 0.01];
    public double[] AngularRateBias { get; set; } = [0, 0, 0];
    public double[] SpecificForceSigma { get; set; } = [0.05, 0.05, 0.05];
    public double[] SpecificForceBias { get; set; } = [0, 0, 0];
    public double[] AngularRateAr1 { get; set; } = [0, 0, 0];
    public double[] SpecificForceAr1 { get; set; } = [0, 0, 0];
}

/// <summary>One body's inertial parameters (see <see cref="TwinParameters.Links"/>).</summary>
public sealed class LinkParameters
{
    public string Name { get; set; } = "";

    /// <summary>[m, m·cx, m·cy, m·cz, Ixx, Ixy, Ixz, Iyy, Iyz, Izz], kg, kg·m, kg·m².</summary>
    public double[] Pi { get; set; } = new double[10];
}

/// <summary>An identified base-parameter combination: Σ coefficient·π_name = value.</summary>
public sealed class BaseParameter
{
    /// <summary>Human-readable combination, e.g. "l_shank.mcx + 0.3·l_foot.m".</summary>
    public string Name { get; set; } = "";
    public double Value { get; set; }
}

/// <summary>Fit quality of one channel: R² of the model and residual σ (in the channel's unit).</summary>
public sealed class ChannelFit
{
    public string Channel { get; set; } = "";
    public double R2 { get; set; }
    public double ResidualSigma { get; set; }
}

/// <summary>
/// Plausible ranges of every number in a twin-parameter file (docs/CONFIG.md, "Twin-parameter file"). The twin's
/// detectors divide by σ and the servo model integrates with ω and ζ: a σ of 1e300 or 4.9e-324, or a natural frequency
/// of 1e308, would blind or overflow the cross-check, so such a file is refused at load, naming key, value and range.
/// </summary>
public static class TwinParameterBounds
{
    /// <summary>Most joints, IMUs or links in one file.</summary>
    public const int MaxEntries = 256;

    public static readonly (double Min, double Max) RateHz = (1, 10_000);
    public static readonly (double Min, double Max) NaturalFrequencyRadS = (0.1, 10_000);
    public static readonly (double Min, double Max) DampingRatio = (1e-3, 100);
    public static readonly (double Min, double Max) ServoGain = (0.01, 100);
    public static readonly (double Min, double Max) FeedforwardGain = (0, 10);
    public static readonly (double Min, double Max) CoulombSmoothingRadS = (1e-6, 10);
    public static readonly (double Min, double Max) FrictionNm = (0, 10_000);
    public static readonly (double Min, double Max) ViscousNmsPerRad = (0, 10_000);

    /// <summary>Innovation σ per channel: positive, above what a double resolves in a sum, below any physical meaning.</summary>
    public static readonly (double Min, double Max) PositionSigmaRad = (1e-12, 1);
    public static readonly (double Min, double Max) VelocitySigmaRadS = (1e-12, 100);
    public static readonly (double Min, double Max) TorqueSigmaNm = (1e-9, 10_000);
    public static readonly (double Min, double Max) AngularRateSigmaRadS = (1e-12, 100);
    public static readonly (double Min, double Max) SpecificForceSigmaMs2 = (1e-12, 1000);

    /// <summary>Link inertial parameters (kg, kg·m, kg·m²) and identified base parameters, by magnitude.</summary>
    public static readonly (double Min, double Max) Inertial = (-10_000, 10_000);
    public static readonly (double Min, double Max) R2 = (-1e6, 1);
    public static readonly (double Min, double Max) ResidualSigma = (0, 1e6);

    /// <summary>A bias may be as large as the channel's largest σ, either sign.</summary>
    public static (double Min, double Max) Bias((double Min, double Max) sigma) => (-sigma.Max, sigma.Max);
}
