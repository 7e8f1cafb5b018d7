using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Divergence;
using Rt.Core.Errors;
using Rt.Twin.Dynamics;
using Rt.Twin.Parameters;
using Rt.Twin.Recording;

namespace Rt.Twin.Health;

/// <summary>
/// Per-joint health from one recorded run (docs/TWIN.md, "Health"). The drive reports the torque it commands
/// (nameplate motor constant × current); the joint receives s·τ_reported, s the motor-constant scale. With the link
/// dynamics τ_rnea(q, q̇, q̈) (the parameter file's links, else the URDF's) and friction F_c·tanh(q̇/ε) + B·q̇:
/// <c>τ_reported = (1/s)·τ_rnea + (F_c/s)·tanh(q̇/ε) + (B/s)·q̇</c>, a linear least-squares fit per joint over the ticks
/// with every drive operational, whose three coefficients give s, F_c and B. Load = RMS of the reported torque;
/// innovation variance = variance of the running twin's recorded torque innovation over its valid ticks. Temperature:
/// the tick record carries none for drives, so null. The returned <see cref="JointHealth.Limits"/> are where this run
/// would have tripped the supervisor (<see cref="HealthLimits.FromReplay"/>). Offline, not real-time safe.
/// </summary>
public static class HealthEstimator
{
    /// <summary>Below this RMS joint velocity the friction terms are not separable from the dynamics: NaN.</summary>
    public const double MinVelocityRmsRadS = 0.05;

    /// <summary>Estimates every joint of <paramref name="recording"/>. Throws <see cref="InputError"/> on a recording that does not match the config.</summary>
    public static IReadOnlyList<JointHealth> Estimate(TickRecording recording, RtConfig config, TwinParameters? parameters, int accelerationHalfWindow = 5)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(config);
        var description = config.Description
            ?? throw new InputError(config.SourcePath, "robot.description", "health estimation needs the robot's URDF (the link dynamics)");
        int n = recording.JointNames.Count, count = recording.Count, k = accelerationHalfWindow;
        if (parameters is not null && !parameters.Joints.Select(j => j.Name).SequenceEqual(recording.JointNames))
            throw new InputError(recording.Path, "header: joint names",
                $"the recording's joints [{string.Join(", ", recording.JointNames)}] do not match the parameter file's [{string.Join(", ", parameters.Joints.Select(j => j.Name))}]");
        var model = RigidBodyModel.FromDescription(description);
        if (model.DegreesOfFreedom != n)
            throw new InputError(recording.Path, "header: joint names", $"the recording has {n} joints, the URDF {description.SourcePath} has {model.DegreesOfFreedom} movable joints");
        var map = model.MapJointNames(recording.JointNames);
        var pi = new double[model.ParameterCount];
        model.GetInertialParameters(pi);
        if (parameters is not null && parameters.Links.Count == model.DegreesOfFreedom)
            for (int b = 0; b < model.DegreesOfFreedom; b++) parameters.Links[b].Pi.CopyTo(pi, 10 * b);

        double period = recording.PeriodNs * 1e-9;
        var operational = new bool[count];
        var valid = new bool[count];
        for (int t = 0; t < count; t++)
        {
            int flags = (int)recording.Get(t, RecordLayout.FlagsOffset);
            operational[t] = (flags & RecordLayout.FlagAllDrivesOperational) != 0;
            valid[t] = (flags & RecordLayout.FlagDivergenceValid) != 0;
        }
        var q = new double[n][];
        var qd = new double[n][];
        var tau = new double[n][];
        for (int j = 0; j < n; j++)
        {
            q[j] = recording.JointSeries(j, JointField.Position);
            qd[j] = recording.JointSeries(j, JointField.Velocity);
            tau[j] = recording.JointSeries(j, JointField.Torque);
        }

        // Normal equations per joint: A = Σ x xᵀ, b = Σ x y with x = [τ_rnea, tanh(q̇/ε), q̇], y = τ_reported.
        var ata = new double[n][];
        var aty = new double[n][];
        var yy = new double[n];
        var ysum = new double[n];
        var qd2 = new double[n];
        var samples = 0;
        var eps = new double[n];
        for (int j = 0; j < n; j++)
        {
            ata[j] = new double[9];
            aty[j] = new double[3];
            eps[j] = parameters?.Joints[j].Friction.CoulombSmoothingRadS ?? Models.ServoParameters.CoulombSmoothingRadS;
        }
        var mq = new double[n];
        var mqd = new double[n];
        var mqdd = new double[n];
        var predicted = new double[n];
        Span<double> x = stackalloc double[3];
        for (int t = k; t < count - k; t++)
        {
            if (!operational[t - k] || !operational[t + k] || !operational[t]) continue;
            bool finite = true;
            for (int j = 0; j < n && finite; j++)
                finite = double.IsFinite(q[j][t]) && double.IsFinite(qd[j][t - k]) && double.IsFinite(qd[j][t + k]) && double.IsFinite(tau[j][t]);
            if (!finite) continue;
            for (int j = 0; j < n; j++)
            {
                mq[map[j]] = q[j][t];
                mqd[map[j]] = qd[j][t];
                mqdd[map[j]] = (qd[j][t + k] - qd[j][t - k]) / (2 * k * period);
            }
            model.InverseDynamics(mq, mqd, mqdd, predicted, pi, true);
            samples++;
            for (int j = 0; j < n; j++)
            {
                x[0] = predicted[map[j]];
                x[1] = Math.Tanh(qd[j][t] / eps[j]);
                x[2] = qd[j][t];
                double y = tau[j][t];
                for (int r = 0; r < 3; r++)
                {
                    for (int c = 0; c < 3; c++) ata[j][3 * r + c] += x[r] * x[c];
                    aty[j][r] += x[r] * y;
                }
                yy[j] += y * y;
                ysum[j] += y;
                qd2[j] += qd[j][t] * qd[j][t];
            }
        }

        var thresholds = TripReplay.Thresholds(config);
        var result = new List<JointHealth>(n);
        for (int j = 0; j < n; j++)
        {
            double load = samples > 0 ? Math.Sqrt(yy[j] / samples) : double.NaN;
            double qdRms = samples > 0 ? Math.Sqrt(qd2[j] / samples) : 0;
            double fc = double.NaN, fv = double.NaN, s = double.NaN, r2 = double.NaN;
            if (samples >= 50 && qdRms >= MinVelocityRmsRadS && Solve3(ata[j], aty[j], out var coef) && coef[0] > 1e-3)
            {
                s = 1 / coef[0];
                fc = coef[1] * s;
                fv = coef[2] * s;
                // R² = 1 − SSE/SST with SSE = yᵀy − 2cᵀ(Aᵀy) + cᵀ(AᵀA)c.
                double sse = yy[j];
                for (int r = 0; r < 3; r++)
                {
                    sse -= 2 * coef[r] * aty[j][r];
                    for (int c = 0; c < 3; c++) sse += coef[r] * ata[j][3 * r + c] * coef[c];
                }
                double sst = yy[j] - ysum[j] * ysum[j] / samples;
                r2 = sst > 0 ? 1 - sse / sst : double.NaN;
            }
            double variance = InnovationVariance(recording, j, valid);
            var replay = Replay(recording, j, qd[j], tau[j], eps[j], operational, valid, parameters?.Joints[j].Noise ?? new JointNoise(), thresholds);
            result.Add(new JointHealth(recording.JointNames[j], fc, fv, s, load, variance, null, r2,
                replay is null ? JointHealthLimits.None : HealthLimits.FromReplay(replay, s, fc, fv, variance)));
        }
        return result;
    }

    /// <summary>
    /// The joint's torque channel as the supervisor saw it while it was in charge: the ticks with every drive operational,
    /// the twin's verdict valid and no stop overriding the targets, up to the first stop (after it the run records the
    /// stop, not the wear). Null without a torque channel.
    /// </summary>
    private static TripReplay? Replay(TickRecording recording, int joint, double[] velocity, double[] tau, double eps, bool[] operational, bool[] valid,
        JointNoise noise, Rt.Twin.CrossCheck.ChannelThresholds thresholds)
    {
        int c = recording.Channels.IndexOf(ChannelKind.JointTorque, joint);
        if (c < 0) return null;
        int offset = recording.Layout.Channel(c, ChannelField.Innovation);
        int count = recording.Count;
        var e = new double[count];
        var tanh = new double[count];
        bool started = false;
        int end = count;
        for (int t = 0; t < count; t++)
        {
            int flags = (int)recording.Get(t, RecordLayout.FlagsOffset);
            bool overridden = (flags & RecordLayout.FlagTargetsOverridden) != 0;
            if (started && overridden) { end = t; break; }
            bool use = operational[t] && valid[t] && !overridden;
            started |= use;
            e[t] = use ? recording.Get(t, offset) : double.NaN;
            tanh[t] = Math.Tanh(velocity[t] / eps);
        }
        if (end < count)
        {
            Array.Resize(ref e, end);
            Array.Resize(ref tanh, end);
        }
        return new TripReplay(e, tau.AsSpan(0, end).ToArray(), tanh, velocity.AsSpan(0, end).ToArray(), noise, thresholds);
    }

    private static double InnovationVariance(TickRecording recording, int joint, bool[] valid)
    {
        int c = recording.Channels.IndexOf(ChannelKind.JointTorque, joint);
        if (c < 0) return double.NaN;
        int offset = recording.Layout.Channel(c, ChannelField.Innovation);
        double sum = 0, sq = 0;
        long m = 0;
        for (int t = 0; t < recording.Count; t++)
        {
            if (!valid[t]) continue;
            double e = recording.Get(t, offset);
            if (!double.IsFinite(e)) continue;
            sum += e;
            sq += e * e;
            m++;
        }
        if (m < 2) return double.NaN;
        double mean = sum / m;
        return Math.Max(0, (sq - m * mean * mean) / (m - 1));
    }

    /// <summary>Solves the symmetric 3×3 system by Gaussian elimination with partial pivoting; false when singular.</summary>
    internal static bool Solve3(double[] a, double[] b, out double[] x)
    {
        var m = new double[3, 4];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++) m[r, c] = a[3 * r + c];
            m[r, 3] = b[r];
        }
        double scale = 0;
        for (int r = 0; r < 3; r++) scale = Math.Max(scale, Math.Abs(m[r, r]));
        x = new double[3];
        for (int col = 0; col < 3; col++)
        {
            int p = col;
            for (int r = col + 1; r < 3; r++) if (Math.Abs(m[r, col]) > Math.Abs(m[p, col])) p = r;
            if (!(Math.Abs(m[p, col]) > 1e-12 * Math.Max(scale, 1e-300))) return false;
            if (p != col)
                for (int c = 0; c < 4; c++) (m[p, c], m[col, c]) = (m[col, c], m[p, c]);
            for (int r = col + 1; r < 3; r++)
            {
                double f = m[r, col] / m[col, col];
                for (int c = col; c < 4; c++) m[r, c] -= f * m[col, c];
            }
        }
        for (int r = 2; r >= 0; r--)
        {
            double v = m[r, 3];
            for (int c = r + 1; c < 3; c++) v -= m[r, c] * x[c];
            x[r] = v / m[r, r];
        }
        return x.All(double.IsFinite);
    }
}

/// <summary>
/// The limits a joint's health is judged against: the values at which the supervisor would trip on this run, from a
/// replay of the twin's torque cross-check (<see cref="TripReplay"/>; derivation in docs/TWIN.md, "Health"). Not
/// real-time safe.
/// </summary>
public static class HealthLimits
{
    /// <summary>
    /// Absolute limits (Coulomb N·m, viscous N·m·s/rad, lowest motor-constant scale, innovation variance (N·m)²) for one
    /// joint estimated at (<paramref name="s"/>, <paramref name="coulomb"/>, <paramref name="viscous"/>,
    /// <paramref name="variance"/>); NaN where not defined (no estimate, or no trip within a physical range).
    /// </summary>
    public static JointHealthLimits FromReplay(TripReplay replay, double s, double coulomb, double viscous, double variance)
    {
        ArgumentNullException.ThrowIfNull(replay);
        bool fitted = double.IsFinite(s) && s > 0;
        double sRef = fitted ? s : 1;
        return new JointHealthLimits(
            fitted ? replay.Limit(TripReplay.Change.Coulomb, sRef, coulomb) : double.NaN,
            fitted ? replay.Limit(TripReplay.Change.Viscous, sRef, viscous) : double.NaN,
            fitted ? replay.Limit(TripReplay.Change.MotorConstant, sRef, s) : double.NaN,
            replay.Limit(TripReplay.Change.Noise, sRef, variance));
    }
}
