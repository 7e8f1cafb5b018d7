using Rt.Core.Divergence;
using Rt.Twin.Dynamics;
using Rt.Twin.Models;

namespace Rt.Twin.CrossCheck;

/// <summary>
/// Kinematic consistency of each IMU with the encoders (issue 13 item 4, the blind band). The twin's IMU innovation
/// compares a sample with a prediction from the servo model, whose error on a foot is ten times the sensor's noise and
/// strongly correlated (foot gyro y: ρ 0.98), so a bias step hides in it. Here the IMU is compared with what the
/// measured joint positions say it moved, over a window, which no model error enters:
/// <list type="bullet">
/// <item><b>Gyro</b>: the rotation the gyro integrates over the last <c>T</c> ticks (product of exp(ω·dt)) against the
/// rotation of the sensor frame between the encoders' poses at t − T and t (forward kinematics), for a short and a
/// long window (20 and 45 ticks, sharing the gyro's budget). A bias b shows as b·T rad; the noise is the encoders'
/// orientation error (~1e-5 rad) and the sensor timing mismatch δ times the change of rate over the window.</item>
/// <item><b>Accelerometer</b>: the second difference of the sensor's position from the encoders,
/// p(t) − 2p(t − T) + p(t − 2T), against the triangle-weighted double integral of R·f + g over the same 2T ticks
/// (exact for tick-mean samples). A bias b shows as b·T² m; the noise is the encoders' position error at the
/// sensor (lever × σ_q) and δ times the second difference of velocity.</item>
/// </list>
/// Each component is normalised by its σ (state-dependent: the levers and the timing term) and alarms above x with
/// 2Φ̄(x)·3·ARL₀ = share (a per-tick two-sided test per component; the windows overlap, so the union bound is
/// conservative). The alarm is OR-ed into the IMU's channel of the <see cref="DivergenceRecord"/> (reported as
/// <see cref="Rt.Core.Tick.DetectionTest.MeanShift"/>, the un-whitened test), and the isolator reads it: an IMU that
/// disagrees with the encoders while they agree with the servo model is the IMU's fault.
/// Not real-time safe to construct; <see cref="Evaluate"/> and <see cref="Reset"/> are real-time safe, allocation-free.
/// </summary>
internal sealed class ImuKinematicCheck
{
    /// <summary>Gyro window, ticks: a bias b shows as b·T against a noise that does not grow with T.</summary>
    public const int GyroWindowTicks = 20;

    /// <summary>
    /// Second, long gyro window, ticks (blind band, issue 13 item 4): within the 50 ms the issue allows it sees a bias
    /// for 2.25× as long as the short window, against the same encoder noise, so a 3σ bias on the foot gyro y is seen
    /// while the foot's rate changes slowly. The short window keeps the larger steps fast.
    /// </summary>
    public const int GyroLongWindowTicks = 45;

    /// <summary>
    /// Accelerometer window T, ticks (the second difference spans 2T): a bias shows as b·T², against the encoders'
    /// position noise at the foot (2 counts of 2^17 at a 0.5 m lever: ~1e-4 m), so T must be long enough for
    /// 1.5 m/s² (the randomised bench's 1σ of the twin's foot accelerometer innovation) to stand out.
    /// </summary>
    public const int AccelWindowTicks = 40;

    /// <summary>
    /// Margin on every σ: the nominal runs' largest normalised residual was 4.4 (foot gyro, march) against a threshold of
    /// 6.6, and the σ model (independent encoder errors, a fixed timing mismatch) is an estimate, not a calibration.
    /// </summary>
    public const double SigmaMargin = 1.5;

    /// <summary>Sensor timing mismatch between an IMU and the encoders, s (one 0.5 ms plant substep of the bench, doubled).</summary>
    public const double TimingMismatchS = 1e-3;

    /// <summary>Gyro white noise per sample, rad/s (MEMS, the nominal noise model's figure without its model error).</summary>
    public const double GyroNoiseRadS = 0.005;

    /// <summary>Accelerometer white noise per sample, m/s².</summary>
    public const double AccelNoiseMs2 = 0.05;

    /// <summary>Floor of the encoder angle error per joint, rad (a few counts of a 17-bit encoder).</summary>
    public const double EncoderFloorRad = 2e-5;

    /// <summary>Share of an IMU channel's false-alarm budget given to this test (added to it).</summary>
    public const double Share = 0.5;

    private readonly RigidBodyModel _model;
    private readonly int _n, _nImu, _w, _wl, _wa;
    private readonly double _gyroScale;     // x / x_gyro: the gyro's two windows share its budget
    private readonly double _dt;
    private readonly int[] _map;
    private readonly int[] _body;
    private readonly M3[] _rs;
    private readonly V3[] _ps;
    private readonly bool[] _onPath;         // [imu·n + i]: model joint i moves IMU imu
    private readonly double[] _sigmaQ;       // per model joint: encoder angle σ, rad
    private readonly V3 _gravity;
    private readonly int[] _rateChannel, _forceChannel;

    // Rings per IMU, 2W + 1 entries (index by tick modulo).
    private readonly M3[] _rot;              // sensor orientation from the encoders
    private readonly V3[] _pos;              // sensor position from the encoders
    private readonly M3[] _inc;              // exp(ω·dt) of each tick's gyro sample
    private readonly V3[] _gyro;             // raw gyro sample
    private readonly V3[] _acc;              // R·f + g, world
    private readonly int[] _count;           // valid consecutive samples per IMU
    private readonly double[] _posSigma;     // per IMU ring: the position σ at that tick
    private long _lastTick = long.MinValue;

    // Workspace.
    private readonly double[] _q;
    private readonly V3[] _axis, _origin;
    private readonly M3[] _bodyRot;

    // Results per IMU: normalised statistics, worst component (sensor axis) per test.
    private readonly V3[] _rateWorld;        // per IMU: the gyro residual as a rotation vector, world frame
    private readonly double[] _lastQ;        // config order: last encoder position
    private readonly int[] _still;           // config order: consecutive ticks the encoder read exactly the same
    private readonly double[] _rateStat, _forceStat;
    private readonly int[] _rateAxis, _forceAxis;



    public ImuKinematicCheck(RigidBodyModel model, ImuModel imu, int[] map, ChannelLayout layout, NoiseModel noise,
        double periodS, double arlTicks)
    {
        _model = model;
        _n = model.DegreesOfFreedom;
        _nImu = imu.Count;
        _w = GyroWindowTicks;
        _wl = GyroLongWindowTicks;
        _wa = AccelWindowTicks;
        _dt = periodS;
        _map = map;
        _gravity = model.GravityVector;
        _body = new int[_nImu];
        _rs = new M3[_nImu];
        _ps = new V3[_nImu];
        _onPath = new bool[_nImu * _n];
        var parents = model.Parents;
        for (int i = 0; i < _nImu; i++)
        {
            _body[i] = imu.BodyOf(i);
            _rs[i] = imu.SensorRotation(i);
            _ps[i] = imu.SensorOffset(i);
            for (int b = _body[i]; b >= 0; b = parents[b]) _onPath[i * _n + b] = true;
        }
        _sigmaQ = new double[_n];
        for (int j = 0; j < map.Length; j++)
        {
            int o = noise.Offsets[layout.IndexOf(ChannelKind.JointPosition, j)];
            double raw = noise.Sigma[o] / Math.Sqrt(Math.Max(1e-6, 1 - noise.Ar1[o] * noise.Ar1[o]));
            _sigmaQ[map[j]] = Math.Max(EncoderFloorRad, raw);
        }
        _rateChannel = new int[_nImu];
        _forceChannel = new int[_nImu];
        for (int i = 0; i < _nImu; i++)
        {
            _rateChannel[i] = layout.IndexOf(ChannelKind.ImuAngularRate, i);
            _forceChannel[i] = layout.IndexOf(ChannelKind.ImuSpecificForce, i);
        }
        int ring = 2 * _wa + 1;
        _rot = new M3[_nImu * ring];
        _pos = new V3[_nImu * ring];
        _inc = new M3[_nImu * ring];
        _gyro = new V3[_nImu * ring];
        _acc = new V3[_nImu * ring];
        _posSigma = new double[_nImu * ring];
        _count = new int[_nImu];
        _q = new double[_n];
        _axis = new V3[_n];
        _origin = new V3[_n];
        _bodyRot = new M3[_n];
        _rateWorld = new V3[_nImu];
        _lastQ = new double[map.Length];
        _still = new int[map.Length];
        _rateStat = new double[_nImu];
        _forceStat = new double[_nImu];
        _rateAxis = new int[_nImu];
        _forceAxis = new int[_nImu];
        Threshold = ThresholdDerivation.StepGlrThreshold(arlTicks, Share, 1, 3);
        // Two gyro windows: each component alarms at x_g with 2Φ̄(x_g)·2·3·ARL₀ = share, reported scaled to x.
        GyroThreshold = ThresholdDerivation.StepGlrThreshold(arlTicks, Share, 2, 3);
        _gyroScale = Threshold / GyroThreshold;
    }

    /// <summary>Alarm level of every normalised component (σ units; the gyro's statistics are reported scaled to it).</summary>
    public double Threshold { get; }

    /// <summary>Alarm level of each gyro window's normalised component (σ units, two windows share the gyro's budget).</summary>
    public double GyroThreshold { get; }

    /// <summary>Real-time safe. This tick's largest normalised gyro residual of an IMU (σ units; 0 until the window is full).</summary>
    public double RateStatistic(int imu) => _rateStat[imu];

    /// <summary>Real-time safe. This tick's largest normalised accelerometer residual of an IMU (σ units).</summary>
    public double ForceStatistic(int imu) => _forceStat[imu];

    /// <summary>Real-time safe. The sensor axis (0 x, 1 y, 2 z) carrying the IMU's larger residual.</summary>
    public int WorstAxis(int imu) => _rateStat[imu] / Threshold >= _forceStat[imu] / Threshold ? _rateAxis[imu] : _forceAxis[imu];

    /// <summary>Real-time safe. The statistic of a channel if it is one of an IMU's (else 0).</summary>
    public double StatisticOfChannel(int channel)
    {
        for (int i = 0; i < _nImu; i++)
        {
            if (_rateChannel[i] == channel) return _rateStat[i];
            if (_forceChannel[i] == channel) return _forceStat[i];
        }
        // The stuck-encoder test's statistic on a joint's position channel, in this check's threshold units (so the
        // isolator weighs it as it weighs the IMUs': another consistency test on an encoder).
        return Stuck is { } stuck ? stuck.StatisticOfChannel(channel) / stuck.Threshold * Threshold : 0;
    }

    /// <summary>The stuck-encoder test run beside this one (its statistics are reported through <see cref="StatisticOfChannel"/>).</summary>
    public EncoderStuckCheck? Stuck { get; set; }

    /// <summary>Real-time safe. The last gyro residual of an IMU as a rotation vector in the world frame (rad).</summary>
    public V3 RateResidualWorld(int imu) => _rateWorld[imu];

    /// <summary>Real-time safe. Consecutive ticks joint <paramref name="joint"/>'s (config order) encoder has read exactly the same value.</summary>
    public int StillTicks(int joint) => _still[joint];

    /// <summary>Real-time safe. Forget every window (after a reset or a gap).</summary>
    public void Reset()
    {
        Array.Clear(_count);
        Array.Clear(_rateStat);
        Array.Clear(_forceStat);
        _lastTick = long.MinValue;
    }

    /// <summary>
    /// Real-time safe, allocation-free. <paramref name="q"/>: measured joint positions, config order (a bad sample
    /// replaced by the twin's estimate); <paramref name="rate"/>, <paramref name="force"/>: the IMU samples, 3 per IMU;
    /// <paramref name="bad"/> per IMU: this tick's sample is not usable (its windows restart). A tick that does not
    /// follow the last one (a bus gap) restarts every window. Alarms are OR-ed into <paramref name="record"/> unless
    /// <paramref name="armed"/> is false (warm-up), or the channel is excluded.
    /// </summary>
    public void Evaluate(long tick, ReadOnlySpan<double> q, ReadOnlySpan<double> rate, ReadOnlySpan<double> force,
        ReadOnlySpan<bool> bad, bool armed, DivergenceRecord record, CrossCheckEvaluator crossCheck)
    {
        if (tick != _lastTick + 1) Array.Clear(_count);
        _lastTick = tick;
        for (int j = 0; j < _map.Length; j++)
        {
            _q[_map[j]] = q[j];
            _still[j] = q[j] == _lastQ[j] ? _still[j] + 1 : 0;
            _lastQ[j] = q[j];
        }
        _model.JointAxesWorld(_q, _axis, _origin, _bodyRot);
        int ring = 2 * _wa + 1;
        int slot = (int)(((tick % ring) + ring) % ring);
        double x = Threshold;
        for (int i = 0; i < _nImu; i++)
        {
            _rateStat[i] = 0;
            _forceStat[i] = 0;
            if (bad[i])
            {
                _count[i] = 0;
                continue;
            }
            int b = _body[i], o = i * ring;
            M3 rs = b < 0 ? _rs[i] : _bodyRot[b] * _rs[i];
            V3 ps = b < 0 ? _ps[i] : _origin[b] + _bodyRot[b].Mul(_ps[i]);
            var w = new V3(rate[3 * i], rate[3 * i + 1], rate[3 * i + 2]);
            var f = new V3(force[3 * i], force[3 * i + 1], force[3 * i + 2]);
            _rot[o + slot] = rs;
            _pos[o + slot] = ps;
            _gyro[o + slot] = w;
            _inc[o + slot] = Exp(w * _dt);
            _acc[o + slot] = rs.Mul(f) + _gravity;
            // Encoder position error at the sensor: Σ (σ_q · lever)² over the joints that move it.
            double sp2 = 0, so2 = 0;
            for (int k = 0; k < _n; k++)
            {
                if (!_onPath[i * _n + k]) continue;
                double s2 = _sigmaQ[k] * _sigmaQ[k];
                so2 += s2;
                sp2 += s2 * Sq(V3.Cross(_axis[k], ps - _origin[k]).Norm);
            }
            _posSigma[o + slot] = Math.Sqrt(sp2);
            if (_count[i] < ring) _count[i]++;

            // Gyro: rotation over the last W ticks, and over the last W_long (the older ticks' product times the short one).
            if (_count[i] > _w)
            {
                M3 integ = M3.Identity;
                for (int k = _w - 1; k >= 0; k--) integ = integ * _inc[o + Slot(slot - k, ring)];
                double stat = GyroWindow(o, slot, ring, _w, integ, rs, w, so2, out int axis, out V3 rWorld);
                if (_count[i] > _wl)
                {
                    M3 older = M3.Identity;
                    for (int k = _wl - 1; k >= _w; k--) older = older * _inc[o + Slot(slot - k, ring)];
                    double statLong = GyroWindow(o, slot, ring, _wl, older * integ, rs, w, so2, out int axisLong, out V3 rWorldLong);
                    if (statLong > stat)
                    {
                        stat = statLong;
                        axis = axisLong;
                        rWorld = rWorldLong;
                    }
                }
                _rateStat[i] = stat * _gyroScale;
                _rateAxis[i] = axis;
                _rateWorld[i] = rWorld;
            }
            // Accelerometer: second difference of position over 2W ticks.
            if (_count[i] == ring)
            {
                int wa = _wa, mid = Slot(slot - wa, ring), first = Slot(slot - 2 * wa, ring);
                V3 d2 = ps - _pos[o + mid] * 2 + _pos[o + first];
                V3 integ = V3.Zero, v1 = V3.Zero, v0 = V3.Zero;
                double w2 = 0;
                for (int k = 0; k < 2 * wa; k++)
                {
                    // Interval k ticks back (k = 0: the last tick): triangle weight at its midpoint.
                    double wt = wa - Math.Abs(k + 0.5 - wa);
                    var a = _acc[o + Slot(slot - k, ring)];
                    integ = integ + a * wt;
                    w2 += wt * wt;
                    if (k < wa) v1 = v1 + a; else v0 = v0 + a;
                }
                integ = integ * (_dt * _dt);
                V3 r = rs.MulT(d2 - integ) * -1;                    // ≈ bias·T², sensor frame at t
                V3 d2v = (v1 - v0) * _dt;                           // second difference of velocity over the windows
                double sigma = Math.Sqrt(Sq(_posSigma[o + slot]) + 4 * Sq(_posSigma[o + mid]) + Sq(_posSigma[o + first])
                    + w2 * Sq(AccelNoiseMs2 * _dt * _dt) + Sq(TimingMismatchS * d2v.Norm));
                _forceStat[i] = MaxAbs(r, SigmaMargin * sigma, out _forceAxis[i]);
            }
            if (!armed) continue;
            crossCheck.RaiseOnRecord(record, _rateChannel[i], _rateStat[i] / x);
            crossCheck.RaiseOnRecord(record, _forceChannel[i], _forceStat[i] / x);
        }
    }

    /// <summary>
    /// One gyro window of <paramref name="window"/> ticks ending now: <paramref name="integ"/> is the product of the
    /// gyro's increments over it. Returns the largest normalised component (σ units of the window).
    /// </summary>
    private double GyroWindow(int o, int slot, int ring, int window, in M3 integ, in M3 rs, in V3 w, double so2, out int axis, out V3 rWorld)
    {
        int start = Slot(slot - window, ring);
        M3 kin = _rot[o + start].Transpose() * rs;          // sensor(t−T) → sensor(t), from the encoders
        V3 r = Log(integ.Transpose() * kin) * -1;            // ≈ (ω_meas − ω_true)·T, sensor frame at t
        V3 dw = w - _gyro[o + start];
        double sigma = Math.Sqrt(2 * so2 + window * Sq(GyroNoiseRadS * _dt) + Sq(TimingMismatchS * dw.Norm));
        rWorld = rs.Mul(r);
        return MaxAbs(r, SigmaMargin * sigma, out axis);
    }

    private static int Slot(int s, int ring) => s < 0 ? s + ring : s;

    private static double Sq(double v) => v * v;

    private static double MaxAbs(in V3 r, double sigma, out int axis)
    {
        double ax = Math.Abs(r.X), ay = Math.Abs(r.Y), az = Math.Abs(r.Z);
        axis = ax >= ay && ax >= az ? 0 : ay >= az ? 1 : 2;
        double m = Math.Max(ax, Math.Max(ay, az)) / sigma;
        return double.IsFinite(m) ? m : double.MaxValue;
    }

    /// <summary>exp([v]×), Rodrigues.</summary>
    private static M3 Exp(in V3 v)
    {
        double th = v.Norm;
        if (!(th > 1e-12)) return M3.Identity;
        return M3.AxisAngle(v * (1 / th), Math.Cos(th), Math.Sin(th));
    }

    /// <summary>The rotation vector of a rotation matrix (angle·axis), accurate for small and moderate angles.</summary>
    private static V3 Log(in M3 r)
    {
        var v = new V3(r.M21 - r.M12, r.M02 - r.M20, r.M10 - r.M01) * 0.5; // sin θ · axis
        double s = v.Norm, c = 0.5 * (r.M00 + r.M11 + r.M22 - 1);
        if (!(s > 1e-15)) return v;
        return v * (Math.Atan2(s, c) / s);
    }
}
