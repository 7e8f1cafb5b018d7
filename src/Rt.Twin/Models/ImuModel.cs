using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Twin.Dynamics;

namespace Rt.Twin.Models;

/// <summary>
/// Predicts what each IMU measures from the rigid-body model: angular rate ω and specific force f, in the IMU's own
/// frame, plus slowly estimated per-axis biases.
/// <para>
/// The IMU sits on a link at (xyz, rpy) from the config; the link may be merged into a body through fixed joints.
/// With the body's spatial velocity (ω, v) and its acceleration relative to free fall (ω̇, a − g) at the body origin
/// (from the RNEA forward pass with the base accelerating at −g), the classical acceleration of the sensor point r is
/// a_s = (a − g) + ω̇ × r + ω × (v + ω × r), and the accelerometer reads f = R_sᵀ a_s; the gyro reads R_sᵀ ω.
/// At rest this gives +g "up" in the sensor frame (≈ +9.81 along the sensor axis pointing away from the ground).
/// </para>
/// <para>
/// Bias: each axis has a random-walk bias b, corrected every tick with a small gain β: b ← b + β(y − ŷ − b), where ŷ is
/// the model's prediction without bias. β = 1e-4 at 1 kHz is a 10 s time constant: far slower than motion, so real
/// dynamics is not absorbed into the bias.
/// </para>
/// Construction is not real-time safe; Predict/UpdateBias are real-time safe.
/// </summary>
public sealed class ImuModel
{
    private readonly RigidBodyModel _model;
    private readonly int[] _body;
    private readonly M3[] _rs;      // sensor → body rotation
    private readonly V3[] _ps;      // sensor origin in body coordinates
    private readonly double[] _gyroBias, _accelBias;
    private readonly long[] _updates;  // bias steps taken per IMU

    /// <param name="model">The robot's rigid-body model (shared with the twin; its workspace is used).</param>
    /// <param name="imus">IMU mounts from the config, in the config's IMU order.</param>
    /// <param name="biasGain">Per-tick bias correction gain β (0 disables bias estimation).</param>
    /// <param name="source">Config file for error messages.</param>
    /// <summary>The model body an IMU is mounted on (−1 = the fixed base). Real-time safe.</summary>
    internal int BodyOf(int imu) => _body[imu];

    /// <summary>Sensor → body rotation of an IMU (the body's frame; the world for the base). Real-time safe.</summary>
    internal M3 SensorRotation(int imu) => _rs[imu];

    /// <summary>The sensor's origin in its body's coordinates. Real-time safe.</summary>
    internal V3 SensorOffset(int imu) => _ps[imu];

    public ImuModel(RigidBodyModel model, IReadOnlyList<ImuConfig> imus, double biasGain = 1e-4, string source = "config")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(imus);
        if (!(biasGain >= 0 && biasGain < 1)) throw new ArgumentOutOfRangeException(nameof(biasGain), biasGain, "bias gain must be in [0, 1)");
        _model = model;
        BiasGain = biasGain;
        int n = imus.Count;
        Count = n;
        _body = new int[n];
        _rs = new M3[n];
        _ps = new V3[n];
        _gyroBias = new double[3 * n];
        _accelBias = new double[3 * n];
        _updates = new long[n];
        var names = new string[n];
        for (int i = 0; i < n; i++)
        {
            var c = imus[i];
            names[i] = c.Name;
            if (!model.TryGetLinkFrame(c.Link, out LinkFrame f))
                throw new InputError(source, $"imus[{i}].link", $"IMU '{c.Name}' is mounted on link '{c.Link}', which robot '{model.RobotName}' does not have");
            if (c.Xyz is not { Length: 3 } || c.Rpy is not { Length: 3 } || !AllFinite(c.Xyz) || !AllFinite(c.Rpy))
                throw new InputError(source, $"imus[{i}]", $"IMU '{c.Name}': xyz and rpy must be 3 finite numbers each");
            _body[i] = f.Body;
            _rs[i] = f.R * M3.FromRpy(c.Rpy[0], c.Rpy[1], c.Rpy[2]);
            _ps[i] = f.P + f.R.Mul(new V3(c.Xyz[0], c.Xyz[1], c.Xyz[2]));
        }
        Names = names;
    }

    public int Count { get; }
    public IReadOnlyList<string> Names { get; }
    public double BiasGain { get; }

    /// <summary>Estimated gyro biases, 3 per IMU (sensor frame), rad/s.</summary>
    public ReadOnlySpan<double> GyroBias => _gyroBias;

    /// <summary>Estimated accelerometer biases, 3 per IMU (sensor frame), m/s².</summary>
    public ReadOnlySpan<double> AccelBias => _accelBias;

    /// <summary>
    /// Model prediction WITHOUT bias at joint state (q, q̇, q̈): angular rate and specific force, 3 per IMU in the
    /// sensor frame. Uses (and overwrites) the rigid-body model's workspace. Real-time safe.
    /// </summary>
    public void Predict(ReadOnlySpan<double> q, ReadOnlySpan<double> qd, ReadOnlySpan<double> qdd, Span<double> angularRate, Span<double> specificForce)
    {
        _model.UpdateMotion(q, qd, qdd, includeGravity: true);
        PredictFromModelWorkspace(angularRate, specificForce);
    }

    /// <summary>
    /// Same as <see cref="Predict"/>, reading body motion left in the model's workspace by the last gravity-including
    /// forward pass (e.g. an InverseDynamics call at the same state), which saves a second pass.
    /// </summary>
    internal void PredictFromModelWorkspace(Span<double> angularRate, Span<double> specificForce)
    {
        if (angularRate.Length < 3 * Count || specificForce.Length < 3 * Count) ThrowLengths();
        var minusG = -_model.GravityVector;
        for (int i = 0; i < Count; i++)
        {
            int b = _body[i];
            V3 w, fBody;
            if (b < 0)
            {
                // Fixed base = world frame: no rotation, specific force is −g.
                w = V3.Zero;
                fBody = minusG;
            }
            else
            {
                _model.GetBodyMotion(b, out w, out var v, out var aw, out var av);
                var r = _ps[i];
                fBody = av + V3.Cross(aw, r) + V3.Cross(w, v + V3.Cross(w, r));
            }
            var ws = _rs[i].MulT(w);
            var fs = _rs[i].MulT(fBody);
            angularRate[3 * i] = ws.X;
            angularRate[3 * i + 1] = ws.Y;
            angularRate[3 * i + 2] = ws.Z;
            specificForce[3 * i] = fs.X;
            specificForce[3 * i + 1] = fs.Y;
            specificForce[3 * i + 2] = fs.Z;
        }
    }

    /// <summary>Adds the current bias estimates to a bias-free prediction (in place). Real-time safe.</summary>
    public void AddBias(Span<double> angularRate, Span<double> specificForce)
    {
        for (int k = 0; k < 3 * Count; k++)
        {
            angularRate[k] += _gyroBias[k];
            specificForce[k] += _accelBias[k];
        }
    }

    /// <summary>
    /// One bias correction step per axis from a measurement and the bias-free prediction for the same tick:
    /// b ← b + β(y − ŷ − b). Axes whose measurement is not finite are skipped. Real-time safe.
    /// </summary>
    public void UpdateBias(int imu, ReadOnlySpan<double> measuredRate, ReadOnlySpan<double> measuredForce, ReadOnlySpan<double> predictedRate, ReadOnlySpan<double> predictedForce)
    {
        // Fading memory with an initial average: the gain is 1/(k+1) until it falls to β, so the estimate is the plain
        // mean of the first 1/β samples (converged from the first tick, not after 10 s) and then forgets slowly.
        if (BiasGain == 0) return;
        double gain = Math.Max(BiasGain, 1.0 / (_updates[imu] + 1));
        _updates[imu]++;
        for (int a = 0; a < 3; a++)
        {
            int k = 3 * imu + a;
            double yr = measuredRate[a], yf = measuredForce[a];
            if (double.IsFinite(yr)) _gyroBias[k] += gain * (yr - predictedRate[k] - _gyroBias[k]);
            if (double.IsFinite(yf)) _accelBias[k] += gain * (yf - predictedForce[k] - _accelBias[k]);
        }
    }

    /// <summary>Sets the bias estimates to zero. Real-time safe.</summary>
    public void ResetBias()
    {
        Array.Clear(_gyroBias);
        Array.Clear(_accelBias);
        Array.Clear(_updates);
    }

    private static bool AllFinite(double[] v)
    {
        foreach (var x in v) if (!double.IsFinite(x)) return false;
        return true;
    }

    private static void ThrowLengths() => throw new ArgumentException("IMU model: output spans need 3 entries per IMU");
}
