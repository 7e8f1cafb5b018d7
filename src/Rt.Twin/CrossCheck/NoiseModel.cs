using Rt.Core.Config;
using Rt.Core.Divergence;

namespace Rt.Twin.CrossCheck;

/// <summary>
/// Per cross-check channel: the standard deviation (and bias) of each innovation component under nominal operation.
/// Joint channels have one component, IMU channels three (x, y, z in the IMU frame).
/// Comes from the twin-parameter file (fitted by calibration) or, without one, from <see cref="Nominal"/>.
/// Not real-time safe to build; the evaluator copies it into flat arrays at prepare time.
/// </summary>
public sealed class NoiseModel
{
    // Nominal model-error floors: the twin's prediction error dominates the sensors' own noise on real hardware,
    // so a σ from quantisation alone would make every detector fire. These are deliberately conservative.
    /// <summary>Floor on the nominal joint-position σ, rad.</summary>
    public const double PositionFloorRad = 2e-4;

    /// <summary>Floor on the nominal joint-velocity σ, rad/s.</summary>
    public const double VelocityFloorRadS = 0.02;

    /// <summary>Floor on the nominal joint-torque (and external-torque) σ, N·m.</summary>
    public const double TorqueFloorNm = 0.5;

    /// <summary>Nominal gyroscope σ per axis, rad/s (MEMS gyro ≈ 0.005 °/s/√Hz over a 500 Hz band, plus model error).</summary>
    public const double GyroSigmaRadS = 0.01;

    /// <summary>Nominal accelerometer σ per axis, m/s² (MEMS ≈ 100 µg/√Hz over 500 Hz, plus model error).</summary>
    public const double AccelSigmaMs2 = 0.05;

    /// <summary>Largest |ρ| accepted for a component's lag-1 whitening (keeps 1/(1 − ρ²) finite).</summary>
    public const double MaxAr1 = 0.999;

    private readonly double[] _sigma;
    private readonly double[] _bias;
    private readonly double[] _ar1;

    public NoiseModel(ChannelLayout layout)
    {
        Layout = layout;
        Offsets = new int[layout.Count];
        Dimensions = new int[layout.Count];
        int offset = 0;
        for (int c = 0; c < layout.Count; c++)
        {
            int d = DimensionOf(layout.Channels[c].Kind);
            Offsets[c] = offset;
            Dimensions[c] = d;
            offset += d;
        }
        ComponentCount = offset;
        _sigma = new double[offset];
        _bias = new double[offset];
        _ar1 = new double[offset];
        Array.Fill(_sigma, 1.0);
    }

    public ChannelLayout Layout { get; }

    /// <summary>Total number of innovation components (1 per joint channel, 3 per IMU channel).</summary>
    public int ComponentCount { get; }

    /// <summary>First component of each channel in the flat component vector.</summary>
    public int[] Offsets { get; }

    /// <summary>Components per channel (its χ² degrees of freedom).</summary>
    public int[] Dimensions { get; }

    /// <summary>
    /// σ per component, in the channel's unit; always finite and &gt; 0. With a lag-1 coefficient ρ ≠ 0 this is the σ
    /// of the whitened innovation (e_k − b) − ρ(e_(k−1) − b), which is what the detectors score; with ρ = 0 it is the
    /// innovation's own σ.
    /// </summary>
    public ReadOnlySpan<double> Sigma => _sigma;

    /// <summary>
    /// Lag-1 autocorrelation ρ per component (0 = white). Model error makes innovations correlated from tick to tick
    /// (a slowly varying torque error is the same on consecutive ticks); the detectors' thresholds assume independent
    /// samples, so the cross-check scores the whitened innovation instead. See docs/TWIN.md "Correlated innovations".
    /// </summary>
    public ReadOnlySpan<double> Ar1 => _ar1;

    /// <summary>Bias per component (subtracted before normalising), in the channel's unit.</summary>
    public ReadOnlySpan<double> Bias => _bias;

    public static int DimensionOf(ChannelKind kind) =>
        kind is ChannelKind.ImuAngularRate or ChannelKind.ImuSpecificForce ? 3 : 1;

    public ReadOnlySpan<double> SigmaOf(int channel) => _sigma.AsSpan(Offsets[channel], Dimensions[channel]);

    public ReadOnlySpan<double> BiasOf(int channel) => _bias.AsSpan(Offsets[channel], Dimensions[channel]);

    public ReadOnlySpan<double> Ar1Of(int channel) => _ar1.AsSpan(Offsets[channel], Dimensions[channel]);

    /// <summary>Sets a channel's lag-1 whitening coefficients (|ρ| ≤ <see cref="MaxAr1"/>). Not real-time safe.</summary>
    public void SetAr1(int channel, ReadOnlySpan<double> ar1)
    {
        int d = Dimensions[channel];
        if (ar1.Length != d)
            throw new ArgumentException($"channel '{Layout.Channels[channel].Name}' has {d} component(s), got {ar1.Length} lag-1 value(s)", nameof(ar1));
        for (int i = 0; i < d; i++)
        {
            if (!double.IsFinite(ar1[i]) || Math.Abs(ar1[i]) > MaxAr1)
                throw new ArgumentOutOfRangeException(nameof(ar1), $"channel '{Layout.Channels[channel].Name}' ρ[{i}] = {ar1[i]}: must be finite with |ρ| ≤ {MaxAr1}");
            _ar1[Offsets[channel] + i] = ar1[i];
        }
    }

    /// <summary>Sets a channel's σ (and optionally bias) per component. Not real-time safe.</summary>
    public void Set(int channel, ReadOnlySpan<double> sigma, ReadOnlySpan<double> bias = default)
    {
        int d = Dimensions[channel];
        if (sigma.Length != d)
            throw new ArgumentException($"channel '{Layout.Channels[channel].Name}' has {d} component(s), got {sigma.Length} σ value(s)", nameof(sigma));
        if (!bias.IsEmpty && bias.Length != d)
            throw new ArgumentException($"channel '{Layout.Channels[channel].Name}' has {d} component(s), got {bias.Length} bias value(s)", nameof(bias));
        for (int i = 0; i < d; i++)
        {
            if (!double.IsFinite(sigma[i]) || sigma[i] <= 0)
                throw new ArgumentOutOfRangeException(nameof(sigma), $"channel '{Layout.Channels[channel].Name}' σ[{i}] = {sigma[i]}: must be finite and > 0");
            _sigma[Offsets[channel] + i] = sigma[i];
            _bias[Offsets[channel] + i] = bias.IsEmpty ? 0 : bias[i];
        }
    }

    /// <summary>Sets every component of a channel to the same σ. Not real-time safe.</summary>
    public void Set(int channel, double sigma)
    {
        Span<double> s = stackalloc double[3];
        s.Fill(sigma);
        Set(channel, s[..Dimensions[channel]]);
    }

    /// <summary>
    /// A nominal noise model from the config alone (no calibration): encoder quantisation (counts/rev and gear) for
    /// position and the velocity a one-tick difference of it gives, torque-object quantisation (per-mille of rated
    /// torque through the gear), each combined with a model-error floor; fixed MEMS figures for the IMUs.
    /// Not real-time safe.
    /// </summary>
    public static NoiseModel Nominal(ChannelLayout layout, RtConfig config)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(config);
        var model = new NoiseModel(layout);
        double period = 1.0 / (config.Loop.RateHz > 0 ? config.Loop.RateHz : 1000);
        for (int c = 0; c < layout.Count; c++)
        {
            var ch = layout.Channels[c];
            double sigma;
            if (ch.Kind is ChannelKind.ImuAngularRate) sigma = GyroSigmaRadS;
            else if (ch.Kind is ChannelKind.ImuSpecificForce) sigma = AccelSigmaMs2;
            else
            {
                JointDriveConfig? drive = null;
                string name = layout.JointNames[ch.Index];
                foreach (var j in config.Joints) if (j.Name == name) drive = j;
                double gear = drive is { GearRatio: > 0 } ? drive.GearRatio : 1;
                double countsPerRev = drive is { EncoderCountsPerRev: > 0 } ? drive.EncoderCountsPerRev : 1 << 17;
                double positionStep = 2 * Math.PI / (countsPerRev * gear); // one count, joint side
                double quantisation = positionStep / Math.Sqrt(12);         // σ of uniform rounding
                double ratedJoint = drive is { RatedTorqueNm: > 0 } ? drive.RatedTorqueNm * gear : 0;
                double torqueStep = ratedJoint / 1000;                      // one per-mille, joint side
                sigma = ch.Kind switch
                {
                    ChannelKind.JointPosition => Hypot(quantisation, PositionFloorRad),
                    ChannelKind.JointVelocity => Hypot(Math.Sqrt(2) * quantisation / period, VelocityFloorRadS),
                    _ => Hypot(torqueStep / Math.Sqrt(12), TorqueFloorNm),
                };
            }
            model.Set(c, sigma);
        }
        return model;
    }

    private static double Hypot(double a, double b) => Math.Sqrt(a * a + b * b);
}
