using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Twin.CrossCheck;
using Rt.Twin.Dynamics;
using Rt.Twin.Models;

namespace Rt.Twin.Tests;

/// <summary>
/// The IMUs against the encoders' kinematics (issue 13 item 4, the blind band) on an exact trajectory of the biped12
/// model: every joint on a slow sine, tick-mean IMU samples (the mean of 20 instantaneous samples per tick). Nothing alarms
/// without a fault; a foot gyro or accelerometer bias far inside the twin's own prediction error of that axis is caught.
/// </summary>
public partial class DigitalTwinTests
{
    private sealed class KinematicRig
    {
        public readonly ImuKinematicCheck Check;
        public readonly CrossCheckEvaluator CrossCheck;
        public readonly DivergenceRecord Record;
        private readonly RigidBodyModel _model;
        private readonly ImuModel _imu;
        private readonly int[] _map;
        private readonly int _n, _nImu;
        public readonly int Foot;

        public KinematicRig()
        {
            var (config, layout, _) = Setup();
            _model = RigidBodyModel.FromDescription(config.Description!);
            _map = _model.MapJointNames(config.Joints.Select(j => j.Name).ToList());
            _imu = new ImuModel(_model, config.Imus, biasGain: 0);
            _n = config.Joints.Count;
            _nImu = config.Imus.Count;
            var noise = NoiseModel.Nominal(layout, config);
            // Calibrated encoders (biped12.twin.yaml: 8e-6 … 2.2e-5 rad), not the nominal model's 2e-4 rad floor.
            for (int j = 0; j < layout.JointCount; j++) noise.Set(layout.IndexOf(ChannelKind.JointPosition, j), 2e-5);
            CrossCheck = new CrossCheckEvaluator(layout, noise, config.Twin, TimeSpan.FromMilliseconds(1));
            Check = new ImuKinematicCheck(_model, _imu, _map, layout, noise, 1e-3, CrossCheck.ArlTicks);
            Record = new DivergenceRecord(layout);
            Foot = layout.ImuNames.ToList().FindIndex(n => n.Contains("foot", StringComparison.Ordinal));
        }

        private void Pose(double t, double[] q, double[] qd, double[] qdd)
        {
            for (int j = 0; j < _n; j++)
            {
                double a = 0.1, w = 2 * Math.PI * (0.3 + 0.05 * j), ph = 0.5 * j; // a slow motion, as the march's
                int m = _map[j];
                q[m] = a * Math.Sin(w * t + ph);
                qd[m] = a * w * Math.Cos(w * t + ph);
                qdd[m] = -a * w * w * Math.Sin(w * t + ph);
            }
        }

        /// <summary>Runs <paramref name="ticks"/> ticks; the bias is added from <paramref name="biasFrom"/>. Returns the first tick over threshold on the foot IMU's gyro (or accelerometer), −1 if none.</summary>
        public int Run(int ticks, int biasFrom, bool gyro, int axis, double bias)
        {
            var q = new double[_n];
            var qd = new double[_n];
            var qdd = new double[_n];
            var rate = new double[3 * _nImu];
            var force = new double[3 * _nImu];
            var r = new double[3 * _nImu];
            var f = new double[3 * _nImu];
            var qConfig = new double[_n];
            var bad = new bool[_nImu];
            const int sub = 20;
            for (int k = 0; k < ticks; k++)
            {
                Array.Clear(rate);
                Array.Clear(force);
                for (int s = 0; s < sub; s++)
                {
                    Pose((k + (s + 0.5) / sub) * 1e-3, q, qd, qdd);
                    _imu.Predict(q, qd, qdd, r, f);
                    for (int c = 0; c < rate.Length; c++)
                    {
                        rate[c] += r[c] / sub;
                        force[c] += f[c] / sub;
                    }
                }
                if (k >= biasFrom) (gyro ? rate : force)[3 * Foot + axis] += bias;
                Pose((k + 1) * 1e-3, q, qd, qdd);
                for (int j = 0; j < _n; j++) qConfig[j] = q[_map[j]];
                Check.Evaluate(k, qConfig, rate, force, bad, armed: false, Record, CrossCheck);
                double stat = gyro ? Check.RateStatistic(Foot) : Check.ForceStatistic(Foot);
                if (stat > Check.Threshold) return k;
            }
            return -1;
        }
    }

    [Fact]
    public void The_kinematic_imu_check_stays_quiet_on_an_exact_trajectory()
    {
        var rig = new KinematicRig();
        Assert.True(rig.Foot >= 0, "the test robot has a foot IMU");
        Assert.Equal(-1, rig.Run(1500, int.MaxValue, gyro: true, axis: 1, bias: 0));
        Assert.Equal(-1, new KinematicRig().Run(1500, int.MaxValue, gyro: false, axis: 0, bias: 0));
    }

    [Fact]
    public void A_foot_gyro_bias_on_the_correlated_axis_is_caught_within_50_ticks()
    {
        // 0.05 rad/s: a third of the bench scenario's step, ≈ 2.7 σ of the twin's own (whitened) foot gyro y innovation.
        int onset = 300;
        int k = new KinematicRig().Run(onset + 200, onset, gyro: true, axis: 1, bias: 0.05);
        Assert.InRange(k, onset, onset + 49);
    }

    [Fact]
    public void A_foot_gyro_bias_too_small_for_the_short_window_is_caught_by_the_long_one_within_50_ticks()
    {
        // 0.025 rad/s (≈ 1.3 σ of the twin's whitened l_foot gyro y, under half of 3 σ): b·20 ms stays below the short
        // window's alarm level; b·45 ms crosses the long window's, so the alarm comes after 20 and before 50 ticks.
        int onset = 300;
        int k = new KinematicRig().Run(onset + 200, onset, gyro: true, axis: 1, bias: 0.025);
        Assert.InRange(k, onset + ImuKinematicCheck.GyroWindowTicks, onset + 49);
    }

    [Fact]
    public void A_foot_accelerometer_bias_is_caught_within_50_ticks_and_named_on_its_axis()
    {
        int onset = 300;
        var rig = new KinematicRig();
        int k = rig.Run(onset + 200, onset, gyro: false, axis: 0, bias: 1.5);
        Assert.InRange(k, onset, onset + 49);
        Assert.Equal(0, rig.Check.WorstAxis(rig.Foot));
    }

    [Fact]
    public void The_kinematic_imu_check_allocates_nothing()
    {
        var rig = new KinematicRig();
        var (config, _, _) = Setup();
        int n = config.Joints.Count, m = config.Imus.Count;
        var q = new double[n];
        var rate = new double[3 * m];
        var force = new double[3 * m];
        var bad = new bool[m];
        for (int k = 0; k < 100; k++) rig.Check.Evaluate(k, q, rate, force, bad, armed: true, rig.Record, rig.CrossCheck); // JIT, windows full
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 100; k < 2100; k++)
        {
            q[0] = 1e-3 * k; // the pose moves: the gyro and accelerometer residuals are not zero
            rig.Check.Evaluate(k, q, rate, force, bad, armed: true, rig.Record, rig.CrossCheck);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
