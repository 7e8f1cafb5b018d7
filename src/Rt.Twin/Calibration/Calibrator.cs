using System.Globalization;
using System.Text;
using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Divergence;
using Rt.Core.Errors;
using Rt.Twin.CrossCheck;
using Rt.Twin.Dynamics;
using Rt.Twin.Parameters;
using Rt.Twin.Recording;

namespace Rt.Twin.Calibration;

/// <summary>Options of <see cref="Calibrator"/>.</summary>
public sealed record CalibrationOptions
{
    /// <summary>Identify link inertial parameters (base-parameter least squares); false keeps the URDF's and fits friction against its RNEA.</summary>
    public bool IdentifyLinkDynamics { get; init; } = true;

    /// <summary>Refuse when the column-scaled base regressor's condition number exceeds this.</summary>
    public double MaxConditionNumber { get; init; } = 1e5;

    /// <summary>q̈ is the central difference of measured velocity over ±this many ticks (noise ÷ this, bias ∝ (ωkT)²/6).</summary>
    public int AccelerationHalfWindow { get; init; } = 5;

    /// <summary>At most this many ticks enter the dynamics least squares (evenly strided).</summary>
    public int MaxDynamicsSamples { get; init; } = 3000;

    /// <summary>A joint whose position range or velocity RMS is below these is treated as locked (its motion is noise).</summary>
    public double MinJointRangeRad { get; init; } = 0.05;

    public double MinJointVelocityRmsRadS { get; init; } = 0.05;
}

/// <summary>What calibration found: the twin-parameter file's content plus the fits behind it.</summary>
public sealed record CalibrationResult(
    TwinParameters Parameters,
    IReadOnlyList<ServoFit?> Servo,
    DynamicsFit? Dynamics,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Human-readable summary (one line per joint, base parameters, warnings).</summary>
    public string Summary()
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(inv, $"{"joint",-20} {"ω_n rad/s",10} {"ζ",7} {"gain",7} {"delay",5} {"R² pos",8} {"Fc N·m",8} {"Fv N·m·s",9} {"R² τ",7} {"σ_τ N·m",9}");
        for (int j = 0; j < Parameters.Joints.Count; j++)
        {
            var p = Parameters.Joints[j];
            var fit = Parameters.Fit.Find(f => f.Channel == $"{p.Name}.torque");
            var pos = Parameters.Fit.Find(f => f.Channel == $"{p.Name}.position");
            s.AppendLine(inv, $"{p.Name,-20} {p.Servo.NaturalFrequencyRadS,10:F2} {p.Servo.DampingRatio,7:F3} {p.Servo.Gain,7:F4} {p.Servo.DelayTicks,5} {pos?.R2 ?? 0,8:F5} {p.Friction.CoulombFrictionNm,8:F4} {p.Friction.ViscousFrictionNmsPerRad,9:F4} {fit?.R2 ?? 0,7:F4} {fit?.ResidualSigma ?? 0,9:G3}");
        }
        if (Dynamics is not null)
        {
            s.AppendLine(inv, $"base parameters: {Dynamics.BaseParameters.Count} identified from {Dynamics.Samples} samples, condition number {Dynamics.ConditionNumber:G3}");
            s.AppendLine(inv, $"not separately identifiable (structural, expected): {Dynamics.Unidentifiable.Count}");
        }
        foreach (var w in Warnings) s.AppendLine("warning: " + w);
        return s.ToString();
    }
}

/// <summary>
/// System identification from a recorded excitation run (<c>rt calibrate</c>): per joint the servo loop
/// (<see cref="ServoIdentification"/>), then friction and link inertial parameters together
/// (<see cref="DynamicsIdentification"/>), then the noise model from the residuals, written as a twin-parameter file
/// with fit quality. Not real-time safe.
/// </summary>
public static class Calibrator
{
    /// <summary>
    /// The single entry point for <c>rt calibrate &lt;recording&gt; --config &lt;f&gt; --out &lt;params&gt;</c>:
    /// opens the recording, calibrates against <paramref name="config"/> (loaded with its robot description), writes
    /// <paramref name="outPath"/>. Throws <see cref="InputError"/> for a bad recording/mismatch and for an
    /// identification that the recording cannot support (message names the parameters and why).
    /// </summary>
    public static CalibrationResult CalibrateFile(string recordingPath, RtConfig config, string outPath, CalibrationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var recording = TickRecording.Open(recordingPath);
        var description = config.Description ?? throw new InputError(config.SourcePath, "robot.description", "the config's robot description was not loaded");
        var result = Run(recording, description, config, options);
        TwinParameterFile.Save(outPath, result.Parameters);
        return result;
    }

    /// <summary>Calibrates from an open recording. See <see cref="CalibrateFile"/> for errors.</summary>
    public static CalibrationResult Run(TickRecording recording, RobotDescription description, RtConfig config, CalibrationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(config);
        options ??= new CalibrationOptions();
        var warnings = new List<string>();
        string source = recording.Path;
        var joints = recording.JointNames;
        if (config.Joints.Count > 0)
        {
            var expected = config.Joints.Select(j => j.Name).ToList();
            if (!expected.SequenceEqual(joints))
                throw new InputError(source, "header: joint names", $"the recording's joints [{string.Join(", ", joints)}] do not match the config's [{string.Join(", ", expected)}] ({config.SourcePath})");
        }
        if (recording.Robot != description.Name)
            warnings.Add($"the recording is of robot '{recording.Robot}', the URDF is '{description.Name}'");
        if (recording.Count < 100) throw new InputError(source, "", $"the recording has {recording.Count} ticks; calibration needs at least 100 (an excitation run of tens of seconds is typical)");

        double period = recording.PeriodNs * 1e-9;
        int n = joints.Count, count = recording.Count;
        var layout = recording.Layout;
        var use = new bool[count];
        int operational = 0;
        for (int t = 0; t < count; t++)
        {
            int flags = (int)recording.Get(t, RecordLayout.FlagsOffset);
            use[t] = (flags & RecordLayout.FlagAllDrivesOperational) != 0;
            if (use[t]) operational++;
        }
        if (operational < 100) throw new InputError(source, "", $"only {operational} ticks have every drive operational; calibration needs a run with the drives enabled");

        var position = new double[n][];
        var velocity = new double[n][];
        var torque = new double[n][];
        for (int j = 0; j < n; j++)
        {
            position[j] = recording.JointSeries(j, JointField.Position);
            velocity[j] = recording.JointSeries(j, JointField.Velocity);
            torque[j] = recording.JointSeries(j, JointField.Torque);
            CheckFinite(source, layout, position[j], j, "position");
            CheckFinite(source, layout, velocity[j], j, "velocity");
            CheckFinite(source, layout, torque[j], j, "torque");
        }

        // (a) Servo loops.
        var servo = new ServoFit?[n];
        for (int j = 0; j < n; j++)
        {
            servo[j] = ServoIdentification.Fit(joints[j], position[j], velocity[j], recording.JointSeries(j, JointField.TargetPosition),
                recording.JointSeries(j, JointField.TargetVelocity), use, period, out var problem);
            if (problem is not null) warnings.Add(problem);
        }

        // (b, c) Friction and link dynamics.
        var model = RigidBodyModel.FromDescription(description);
        int[] map;
        try
        {
            map = model.MapJointNames(joints);
        }
        catch (ArgumentException e)
        {
            throw new InputError(source, "header: joint names", e.Message, e);
        }
        if (map.Length != model.DegreesOfFreedom)
            throw new InputError(source, "header: joint names", $"the recording has {map.Length} joints, the URDF {description.SourcePath} has {model.DegreesOfFreedom} movable joints");
        var nominal = new double[model.ParameterCount + 2 * n];
        model.GetInertialParameters(nominal.AsSpan(0, model.ParameterCount));
        for (int i = 0; i < n; i++)
        {
            var dyn = description.MovableJoints[i].Dynamics;
            nominal[model.ParameterCount + i] = dyn?.Friction ?? 0;
            nominal[model.ParameterCount + n + i] = dyn?.Damping ?? 0;
        }

        int k = options.AccelerationHalfWindow;
        var samples = new List<int>();
        int stride = Math.Max(1, (count - 2 * k) / options.MaxDynamicsSamples);
        for (int t = k; t < count - k; t += stride)
            if (use[t - k] && use[t + k]) samples.Add(t);
        var locked = new bool[n];
        for (int j = 0; j < n; j++)
        {
            double range = position[j].Max() - position[j].Min();
            double rms = Math.Sqrt(velocity[j].Select(v => v * v).Average());
            locked[j] = range < options.MinJointRangeRad || rms < options.MinJointVelocityRmsRadS;
        }
        var sq = new double[samples.Count][];
        var sqd = new double[samples.Count][];
        var sqdd = new double[samples.Count][];
        var stau = new double[samples.Count][];
        for (int s = 0; s < samples.Count; s++)
        {
            int t = samples[s];
            sq[s] = new double[n];
            sqd[s] = new double[n];
            sqdd[s] = new double[n];
            stau[s] = new double[n];
            for (int j = 0; j < n; j++)
            {
                int i = map[j];
                // A locked joint's "motion" is sensor noise: treat it as standing still so the rank test sees it.
                sq[s][i] = locked[j] ? position[j].Average() : position[j][t];
                sqd[s][i] = locked[j] ? 0 : velocity[j][t];
                sqdd[s][i] = locked[j] ? 0 : (velocity[j][t + k] - velocity[j][t - k]) / (2 * k * period);
                stau[s][i] = torque[j][t];
            }
        }
        DynamicsFit? dynamics = null;
        var coulomb = new double[n];
        var viscous = new double[n];
        var torqueSigma = new double[n];
        var torqueR2 = new double[n];
        if (options.IdentifyLinkDynamics)
        {
            try
            {
                dynamics = DynamicsIdentification.Fit(model, sq, sqd, sqdd, stau, nominal, options.MaxConditionNumber);
            }
            catch (CalibrationException e)
            {
                throw new InputError(source, "link dynamics identification", e.Message, e);
            }
            for (int j = 0; j < n; j++)
            {
                int i = map[j];
                coulomb[j] = dynamics.Parameters[model.ParameterCount + i];
                viscous[j] = dynamics.Parameters[model.ParameterCount + n + i];
                torqueSigma[j] = dynamics.TorqueResidualSigma[i];
                torqueR2[j] = dynamics.TorqueR2[i];
            }
        }
        else
        {
            FrictionAgainstUrdf(model, sq, sqd, sqdd, stau, map, locked, coulomb, viscous, torqueSigma, torqueR2, warnings, joints);
        }
        for (int j = 0; j < n; j++)
        {
            if (coulomb[j] < 0 || viscous[j] < 0)
                warnings.Add($"joint '{joints[j]}': identified friction is negative (Fc = {coulomb[j]:G3} N·m, Fv = {viscous[j]:G3} N·m·s/rad); clamped to 0 in the file — check the torque sign convention");
        }

        // (d) Noise model and the file.
        var parameters = new TwinParameters { Robot = description.Name, RateHz = 1 / period };
        for (int j = 0; j < n; j++)
        {
            var jp = new JointParameters { Name = joints[j] };
            if (servo[j] is { } f)
            {
                jp.Servo = new JointServoParameters
                {
                    NaturalFrequencyRadS = f.NaturalFrequencyRadS,
                    DampingRatio = f.DampingRatio,
                    Gain = f.Gain,
                    DelayTicks = f.DelayTicks,
                    VelocityFeedforwardGain = Math.Max(0, f.VelocityFeedforwardGain),
                    Arx = f.Arx,
                };
                jp.Noise.PositionRad = Floor(f.PositionResidualSigma, 1e-9);
                jp.Noise.VelocityRadS = Floor(f.VelocityResidualSigma, 1e-9);
                parameters.Fit.Add(new ChannelFit { Channel = $"{joints[j]}.position", R2 = f.SimulationR2, ResidualSigma = f.PositionResidualSigma });
                parameters.Fit.Add(new ChannelFit { Channel = $"{joints[j]}.velocity", R2 = 0, ResidualSigma = f.VelocityResidualSigma });
            }
            jp.Friction = new JointFrictionParameters { CoulombFrictionNm = Math.Max(0, coulomb[j]), ViscousFrictionNmsPerRad = Math.Max(0, viscous[j]) };
            jp.Noise.TorqueNm = Floor(torqueSigma[j], 1e-6);
            jp.Noise.ExternalTorqueNm = Floor(torqueSigma[j], 1e-6);
            parameters.Fit.Add(new ChannelFit { Channel = $"{joints[j]}.torque", R2 = torqueR2[j], ResidualSigma = torqueSigma[j] });
            parameters.Joints.Add(jp);
        }
        for (int i = 0; i < recording.ImuNames.Count; i++)
            parameters.Imus.Add(ImuNoise(recording, i));
        if (dynamics is not null)
        {
            for (int b = 0; b < model.DegreesOfFreedom; b++)
                parameters.Links.Add(new LinkParameters { Name = model.BodyNames[b], Pi = dynamics.Parameters.AsSpan(10 * b, 10).ToArray() });
            foreach (var e in dynamics.BaseParameters) parameters.BaseParameters.Add(new BaseParameter { Name = e.Name, Value = e.Value });
        }
        return new CalibrationResult(parameters, servo, dynamics, warnings);
    }

    private static double Floor(double v, double floor) => double.IsFinite(v) ? Math.Max(v, floor) : floor;

    private static void CheckFinite(string source, RecordLayout layout, double[] series, int joint, string what)
    {
        for (int t = 0; t < series.Length; t++)
            if (!double.IsFinite(series[t]))
                throw new InputError(source, $"record {t}", $"joint '{layout.Channels.JointNames[joint]}' {what} is {series[t]}; the recording must hold finite measurements (cut the run before the sensor fault)");
    }

    /// <summary>IMU σ per axis from the recorded twin innovations (norm/√3 RMS over valid ticks), nominal without them.</summary>
    private static ImuParameters ImuNoise(TickRecording recording, int imu)
    {
        var layout = recording.Layout;
        var p = new ImuParameters { Name = recording.ImuNames[imu] };
        int rate = recording.Channels.IndexOf(ChannelKind.ImuAngularRate, imu);
        int force = recording.Channels.IndexOf(ChannelKind.ImuSpecificForce, imu);
        double sr = 0, sf = 0;
        int n = 0;
        for (int t = 0; t < recording.Count; t++)
        {
            if (((int)recording.Get(t, RecordLayout.FlagsOffset) & RecordLayout.FlagDivergenceValid) == 0) continue;
            double r = recording.Get(t, layout.Channel(rate, ChannelField.Innovation));
            double f = recording.Get(t, layout.Channel(force, ChannelField.Innovation));
            if (!double.IsFinite(r) || !double.IsFinite(f)) continue;
            sr += r * r;
            sf += f * f;
            n++;
        }
        if (n >= 100)
        {
            double gr = Math.Max(1e-6, Math.Sqrt(sr / n / 3)), gf = Math.Max(1e-6, Math.Sqrt(sf / n / 3));
            p.AngularRateSigma = [gr, gr, gr];
            p.SpecificForceSigma = [gf, gf, gf];
        }
        else
        {
            p.AngularRateSigma = [NoiseModel.GyroSigmaRadS, NoiseModel.GyroSigmaRadS, NoiseModel.GyroSigmaRadS];
            p.SpecificForceSigma = [NoiseModel.AccelSigmaMs2, NoiseModel.AccelSigmaMs2, NoiseModel.AccelSigmaMs2];
        }
        return p;
    }

    /// <summary>Friction only: τ − RNEA_URDF(q, q̇, q̈) ≈ F_c·tanh(q̇/ε) + F_v·q̇ per joint.</summary>
    private static void FrictionAgainstUrdf(RigidBodyModel model, double[][] q, double[][] qd, double[][] qdd, double[][] tau, int[] map,
        bool[] locked, double[] coulomb, double[] viscous, double[] sigma, double[] r2, List<string> warnings, IReadOnlyList<string> joints)
    {
        int n = map.Length;
        var rnea = new double[n];
        var residual = new double[n][];
        for (int j = 0; j < n; j++) residual[j] = new double[q.Length];
        for (int s = 0; s < q.Length; s++)
        {
            model.InverseDynamics(q[s], qd[s], qdd[s], rnea);
            for (int j = 0; j < n; j++) residual[j][s] = tau[s][map[j]] - rnea[map[j]];
        }
        for (int j = 0; j < n; j++)
        {
            int i = map[j];
            if (locked[j])
            {
                warnings.Add($"joint '{joints[j]}' does not move; its friction cannot be identified (kept at 0)");
                continue;
            }
            var a = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(q.Length, 2, (s, c) => c == 0 ? Math.Tanh(qd[s][i] / Models.ServoParameters.CoulombSmoothingRadS) : qd[s][i]);
            var b = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(residual[j]);
            var x = a.QR().Solve(b);
            coulomb[j] = x[0];
            viscous[j] = x[1];
            var e = b - a * x;
            sigma[j] = Math.Sqrt(e.DotProduct(e) / q.Length);
            double mean = tau.Average(t => t[i]);
            double sst = tau.Sum(t => (t[i] - mean) * (t[i] - mean));
            r2[j] = sst > 0 ? 1 - e.DotProduct(e) / sst : 0;
        }
    }
}
