using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.ProcessData;
using Rt.Hil.Sim;

namespace Rt.Hil.Drives;

/// <summary>
/// An emulated IMU rigidly mounted on a link of the bench plant. Each sample takes the plant's ideal specific force
/// and angular rate at the IMU site (IMU frame), adds bias and white noise (seeded), saturates at the configured
/// ranges (setting <see cref="ImuStatus"/> bits), quantises to 16 bits over ± range, and increments the sample
/// counter. It samples at its own rate: with a rate below the tick rate it repeats the last sample (counter still),
/// exactly what the host's staleness check must tolerate or flag.
/// <para>Fault hooks: <see cref="Frozen"/> (stale: values and counter stop), <see cref="AccelBias"/>/<see cref="GyroBias"/>
/// (set a step at any time), <see cref="Saturated"/> (every channel at its range limit), noise densities.</para>
/// Construction is not real-time safe; <see cref="Sample"/> and the hooks are real-time safe.
/// </summary>
public sealed class EmulatedImu
{
    private readonly NoiseSource _noise;
    private readonly double _accelLsb, _gyroLsb;
    private readonly long _periodNs;
    private long _nextSampleNs;
    private ImuInputs _last;

    public EmulatedImu(ImuConfig config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!(config.AccelRangeMs2 > 0) || !(config.GyroRangeRadS > 0) || !(config.RateHz > 0))
            throw new ArgumentException($"IMU '{config.Name}': accel_range_ms2, gyro_range_rad_s and rate_hz must be positive", nameof(config));
        Name = config.Name;
        AccelRangeMs2 = config.AccelRangeMs2;
        GyroRangeRadS = config.GyroRangeRadS;
        _accelLsb = config.AccelRangeMs2 / 32768.0;
        _gyroLsb = config.GyroRangeRadS / 32768.0;
        _periodNs = (long)Math.Round(1e9 / config.RateHz);
        _noise = new NoiseSource(seed);
    }

    public string Name { get; }
    public double AccelRangeMs2 { get; }
    public double GyroRangeRadS { get; }

    /// <summary>White-noise standard deviation per sample, m/s² (default ≈ a consumer MEMS part at 1 kHz).</summary>
    public double AccelNoiseMs2 { get; set; } = 0.02;

    /// <summary>White-noise standard deviation per sample, rad/s.</summary>
    public double GyroNoiseRadS { get; set; } = 0.002;

    /// <summary>Fault hook / calibration error: constant accelerometer bias, m/s², IMU frame.</summary>
    public Vec3 AccelBias { get; set; }

    /// <summary>Fault hook / calibration error: constant gyro bias, rad/s, IMU frame.</summary>
    public Vec3 GyroBias { get; set; }

    /// <summary>Fault hook: the IMU stops producing samples (values and counter hold).</summary>
    public bool Frozen { get; set; }

    /// <summary>
    /// Fault hook: the IMU saturates (a shock, a loose mount): every channel reads its range limit, in the sign of the
    /// true value, with both saturation bits set. Takes effect at the next sample. Real-time safe.
    /// </summary>
    public bool Saturated { get; set; }

    /// <summary>Not real-time safe. Restarts the noise stream from <paramref name="seed"/> (a scenario's seed).</summary>
    public void ReseedNoise(ulong seed) => _noise.Reseed(seed);

    /// <summary>Die temperature reported, °C.</summary>
    public float TemperatureC { get; set; } = 35f;

    /// <summary>The last sample produced.</summary>
    public ImuInputs Last => _last;

    /// <summary>
    /// Real-time safe. Produces the IMU's reading at simulated time <paramref name="timeNs"/> from the ideal values;
    /// takes a new sample when the IMU's own period has elapsed, otherwise returns the previous one.
    /// </summary>
    public ImuInputs Sample(long timeNs, Vec3 specificForce, Vec3 angularRate)
    {
        if (Frozen || timeNs < _nextSampleNs) return _last;
        _nextSampleNs = (_nextSampleNs == 0 ? timeNs : _nextSampleNs) + _periodNs;
        if (_nextSampleNs <= timeNs) _nextSampleNs = timeNs + _periodNs; // fell behind: resynchronise, do not burst

        var status = ImuStatus.None;
        bool sat = false;
        if (Saturated)
        {
            // Past the range in the direction of the true value: Channel() clamps to the limit code and flags it.
            double a = 2 * AccelRangeMs2, g = 2 * GyroRangeRadS;
            specificForce = new Vec3(Math.CopySign(a, specificForce.X), Math.CopySign(a, specificForce.Y), Math.CopySign(a, specificForce.Z));
            angularRate = new Vec3(Math.CopySign(g, angularRate.X), Math.CopySign(g, angularRate.Y), Math.CopySign(g, angularRate.Z));
        }
        _last.SpecificForceX = Channel(specificForce.X + AccelBias.X + AccelNoiseMs2 * _noise.NextGaussian(), _accelLsb, ref sat);
        _last.SpecificForceY = Channel(specificForce.Y + AccelBias.Y + AccelNoiseMs2 * _noise.NextGaussian(), _accelLsb, ref sat);
        _last.SpecificForceZ = Channel(specificForce.Z + AccelBias.Z + AccelNoiseMs2 * _noise.NextGaussian(), _accelLsb, ref sat);
        if (sat) status |= ImuStatus.AccelSaturated;
        sat = false;
        _last.AngularRateX = Channel(angularRate.X + GyroBias.X + GyroNoiseRadS * _noise.NextGaussian(), _gyroLsb, ref sat);
        _last.AngularRateY = Channel(angularRate.Y + GyroBias.Y + GyroNoiseRadS * _noise.NextGaussian(), _gyroLsb, ref sat);
        _last.AngularRateZ = Channel(angularRate.Z + GyroBias.Z + GyroNoiseRadS * _noise.NextGaussian(), _gyroLsb, ref sat);
        if (sat) status |= ImuStatus.GyroSaturated;
        _last.TemperatureC = TemperatureC;
        _last.Status = (ushort)status;
        _last.SampleCounter = unchecked((ushort)(_last.SampleCounter + 1));
        return _last;
    }

    /// <summary>Quantises to a signed 16-bit code over ± range; out-of-range (or non-finite) input saturates.</summary>
    private static float Channel(double value, double lsb, ref bool saturated)
    {
        double code = Math.Round(value / lsb);
        if (!(code < 32767))
        {
            saturated = true;
            code = 32767;
        }
        else if (code < -32768)
        {
            saturated = true;
            code = -32768;
        }
        return (float)(code * lsb);
    }
}
