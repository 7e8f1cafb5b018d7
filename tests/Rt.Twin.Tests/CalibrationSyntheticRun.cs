using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Divergence;
using Rt.Twin.Calibration;
using Rt.Twin.Dynamics;
using Rt.Twin.Recording;

namespace Rt.Twin.Tests;

/// <summary>
/// A synthetic excitation run of <see cref="CalibrationTestRobot"/> with known parameters: each joint's position follows
/// its commanded multi-sine through an exact ZOH second-order servo with delay; torques come from RNEA with perturbed
/// (known) inertial parameters plus Coulomb/viscous friction; measurements get seeded Gaussian noise.
/// By default (<see cref="SyntheticTorque.CentralDifference"/>) the acceleration fed to RNEA is the ±k-tick central
/// difference of the true velocity — the quantity the calibrator estimates — so a test isolates identification from the
/// (documented) differentiation error. That torque is not causal (it sees 5 ticks ahead), so no twin can predict it;
/// runs that check what the twin predicts use <see cref="SyntheticTorque.TickMean"/>.
/// Every drive reports "operation enabled" and the fixed-base pelvis IMU reads +g with a fresh sample every tick.
/// </summary>
internal enum SyntheticTorque
{
    /// <summary>RNEA at the ±5-tick central difference of the true velocity: what the calibrator regresses on.</summary>
    CentralDifference,

    /// <summary>RNEA at the tick's mean acceleration (q̇_t − q̇_(t−1))/dt: a drive reporting the tick-mean torque, what the twin predicts.</summary>
    TickMean,
}

internal sealed class CalibrationSyntheticRun
{
    public const double Period = 1e-3;
    public static readonly string[] ConfigOrder = ["knee", "hip_yaw", "hip_pitch"]; // differs from the URDF's tree order on purpose

    public double[] Wn { get; } = [2 * Math.PI * 12, 2 * Math.PI * 20, 2 * Math.PI * 16];
    public double[] Zeta { get; } = [0.8, 0.65, 1.2];
    public double[] Gain { get; } = [1.0, 0.98, 1.01];
    public int[] Delay { get; } = [1, 2, 3];
    public double[] Coulomb { get; } = [0.8, 1.5, 2.0];
    public double[] Viscous { get; } = [0.2, 0.3, 0.5];

    public RobotDescription Description { get; } = UrdfParser.Parse(CalibrationTestRobot.Urdf, "/robots/leg3.urdf");
    public RtConfig Config { get; }
    public RigidBodyModel Model { get; }

    /// <summary>True full parameter vector x = [π, F_c, F_v] in model order.</summary>
    public double[] TrueX { get; }

    public CalibrationSyntheticRun()
    {
        Config = new RtConfig { SourcePath = "/etc/rt/leg3.yaml", Description = Description };
        foreach (var name in ConfigOrder) Config.Joints.Add(new JointDriveConfig { Name = name, GearRatio = 100, EncoderCountsPerRev = 1 << 17, RatedTorqueNm = 2 });
        Config.Imus.Add(new ImuConfig { Name = "pelvis_imu", Link = "pelvis" });
        Model = RigidBodyModel.FromDescription(Description);
        int np = Model.ParameterCount, n = Model.DegreesOfFreedom;
        TrueX = new double[np + 2 * n];
        Model.GetInertialParameters(TrueX.AsSpan(0, np));
        for (int p = 0; p < np; p++) TrueX[p] *= 1 + 0.15 * Math.Sin(1.7 * p + 0.3); // the URDF is 0–15 % off
        var map = Model.MapJointNames(ConfigOrder);
        for (int j = 0; j < n; j++)
        {
            TrueX[np + map[j]] = Coulomb[j];
            TrueX[np + n + map[j]] = Viscous[j];
        }
    }

    /// <summary>Writes the recording; <paramref name="lockedJoint"/> (config index) holds still when ≥ 0; <paramref name="stepRad"/> is the largest command step (0: multi-sine only).</summary>
    public void Write(string path, double seconds, int seed, int lockedJoint = -1, double positionNoise = 1e-6, double velocityNoise = 5e-4, double torqueNoise = 0.02, double stepRad = 0.02, SyntheticTorque torque = SyntheticTorque.CentralDifference)
    {
        int count = (int)(seconds / Period);
        int n = ConfigOrder.Length, k = 5;
        var rng = new CrossCheckGaussian(seed);
        var map = Model.MapJointNames(ConfigOrder);
        double[] offsets = [1.0, 0.0, -0.3];
        double[][] amplitudes = [[0.25, 0.15, 0.1, 0.05], [0.2, 0.12, 0.08, 0.04], [0.3, 0.2, 0.1, 0.06]];
        double[][] freqs = [[0.23, 0.61, 1.37, 2.9], [0.31, 0.83, 1.71, 2.3], [0.17, 0.53, 1.13, 2.6]];
        var u = new double[n][];
        var q = new double[n][];
        var qd = new double[n][];
        for (int j = 0; j < n; j++)
        {
            u[j] = new double[count];
            q[j] = new double[count];
            qd[j] = new double[count];
            // Multi-sine for the link dynamics plus random steps (held 40–160 ticks) that excite the servo loop up to
            // its bandwidth, as a real excitation run would (a smooth sine alone leaves the delay ambiguous).
            var steps = new Random(seed * 31 + j);
            double step = 0;
            int nextStep = 0;
            for (int t = 0; t < count; t++)
            {
                double v = offsets[j];
                if (j != lockedJoint)
                {
                    for (int h = 0; h < 4; h++) v += amplitudes[j][h] * Math.Sin(2 * Math.PI * freqs[j][h] * t * Period + 0.7 * h + j);
                    if (t >= nextStep)
                    {
                        step = stepRad * (2 * steps.NextDouble() - 1);
                        nextStep = t + 40 + steps.Next(120);
                    }
                    v += step;
                }
                u[j][t] = v;
            }
            var (phi, gamma) = ServoDiscretisation.ZeroOrderHold(Wn[j], Zeta[j], Gain[j], 0, Period);
            double x0 = Gain[j] * u[j][0], x1 = 0;
            for (int t = 0; t < count; t++)
            {
                if (t > 0)
                {
                    double uc = u[j][Math.Max(0, t - 1 - Delay[j])];
                    double nx0 = phi[0] * x0 + phi[1] * x1 + gamma[0] * uc;
                    double nx1 = phi[2] * x0 + phi[3] * x1 + gamma[2] * uc;
                    x0 = nx0;
                    x1 = nx1;
                }
                q[j][t] = x0;
                qd[j][t] = x1;
            }
        }

        var layout = new RecordLayout(new ChannelLayout(ConfigOrder, ["pelvis_imu"]));
        using var writer = new TickRecordingWriter(path, Description.Name, layout, (long)(Period * 1e9));
        var row = new double[layout.Width];
        var mq = new double[n];
        var mqd = new double[n];
        var mqdd = new double[n];
        var tau = new double[n];
        var pi = TrueX.AsSpan(0, Model.ParameterCount).ToArray();
        for (int t = 0; t < count; t++)
        {
            for (int j = 0; j < n; j++)
            {
                int i = map[j];
                mq[i] = q[j][t];
                mqd[i] = qd[j][t];
                if (torque == SyntheticTorque.TickMean) mqdd[i] = t > 0 ? (qd[j][t] - qd[j][t - 1]) / Period : 0;
                else mqdd[i] = t >= k && t < count - k ? (qd[j][t + k] - qd[j][t - k]) / (2 * k * Period) : 0;
            }
            Model.InverseDynamics(mq, mqd, mqdd, tau, pi, true);
            Array.Clear(row);
            row[RecordLayout.TimeOffset] = t * Period * 1e9;
            row[RecordLayout.PeriodOffset] = Period * 1e9;
            row[RecordLayout.FlagsOffset] = RecordLayout.FlagAllDrivesOperational;
            // The pelvis is the fixed base: its IMU reads +g and no rotation (a fresh sample every tick).
            row[layout.Imu(0, ImuField.SpecificForceZ)] = 9.81;
            row[layout.Imu(0, ImuField.SampleCounter)] = t & 0xFFFF;
            for (int j = 0; j < n; j++)
            {
                int i = map[j];
                // CiA 402 "operation enabled", as the bench's drives report it: the twin replay arms a joint's channels on it.
                row[layout.Joint(j, JointField.Statusword)] = 0x0237;
                double friction = Coulomb[j] * Math.Tanh(qd[j][t] / Models.ServoParameters.CoulombSmoothingRadS) + Viscous[j] * qd[j][t];
                row[layout.Joint(j, JointField.Position)] = q[j][t] + positionNoise * rng.Next();
                row[layout.Joint(j, JointField.Velocity)] = qd[j][t] + velocityNoise * rng.Next();
                row[layout.Joint(j, JointField.Torque)] = tau[i] + friction + torqueNoise * rng.Next();
                row[layout.Joint(j, JointField.TargetPosition)] = u[j][t];
            }
            writer.Append(t, row);
        }
    }
}
