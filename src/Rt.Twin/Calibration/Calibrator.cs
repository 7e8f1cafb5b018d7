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

    /// <summary>Coulomb smoothing velocities ε tried per joint (rad/s); the one with the smallest torque residual is kept.</summary>
    public IReadOnlyList<double> CoulombSmoothingGrid { get; init; } = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5];

    /// <summary>
    /// Window of the noise model's σ (seconds): σ is the largest RMS of the whitened innovation over any window of this
    /// length, because the twin's model error grows with motion and the detectors must hold their false-alarm rate in
    /// the busiest phase of the motion, not on average over a run that also holds still.
    /// </summary>
    public double NoiseWindowS { get; init; } = 0.5;

    /// <summary>
    /// In-control envelope: after the window rule, each channel's σ is scaled up (never down) until the detectors,
    /// replayed over the calibration runs with the configured thresholds, stay at or below this fraction of their
    /// thresholds (max over ticks of CUSUM/h and NIS/γ). The thresholds' false-alarm rate is derived for independent
    /// Gaussian innovations; model error is neither (a friction reversal, the start of a motion the load estimate lags
    /// for a few ticks), and those nominal episodes must not alarm. 1/2 leaves a 2× margin for runs not in the set (on the bench, 1.5× was not enough: a randomised plant outside the calibration set peaked at 1.03 of the gate on an external-torque channel).
    /// </summary>
    public double EnvelopeFraction { get; init; } = 0.5;

    /// <summary>Valid ticks skipped after every (re)start of the replayed twin before innovations count toward the noise model.</summary>
    public int NoiseWarmupTicks { get; init; }

    /// <summary>More recordings whose replayed innovations also enter the noise model (e.g. runs on randomised plants).</summary>
    public IReadOnlyList<TickRecording> NoiseRecordings { get; init; } = [];
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

        // Coulomb smoothing per joint: hold the identified (or URDF) link parameters and refit F_c, F_v on a grid of ε.
        var smoothing = new double[n];
        if (dynamics is not null) model.SetInertialParameters(dynamics.Parameters.AsSpan(0, model.ParameterCount));
        FrictionAgainstUrdf(model, sq, sqd, sqdd, stau, map, locked, coulomb, viscous, torqueSigma, torqueR2, warnings, joints, options.CoulombSmoothingGrid, smoothing,
            reportLocked: dynamics is null);
        for (int j = 0; j < n; j++)
        {
            if (coulomb[j] < 0 || viscous[j] < 0)
                warnings.Add($"joint '{joints[j]}': identified friction is negative (Fc = {coulomb[j]:G3} N·m, Fv = {viscous[j]:G3} N·m·s/rad); clamped to 0 in the file — check the torque sign convention");
        }

        // (d) The file: servo (fitted where it predicts better than the drive's nominal loop), friction, links.
        var parameters = new TwinParameters { Robot = description.Name, RateHz = 1 / period };
        for (int j = 0; j < n; j++)
        {
            var jp = new JointParameters { Name = joints[j] };
            jp.Friction = new JointFrictionParameters
            {
                CoulombFrictionNm = Math.Max(0, coulomb[j]),
                ViscousFrictionNmsPerRad = Math.Max(0, viscous[j]),
                CoulombSmoothingRadS = smoothing[j] > 0 ? smoothing[j] : Models.ServoParameters.CoulombSmoothingRadS,
            };
            parameters.Fit.Add(new ChannelFit { Channel = $"{joints[j]}.torque", R2 = torqueR2[j], ResidualSigma = torqueSigma[j] });
            parameters.Joints.Add(jp);
        }
        for (int i = 0; i < recording.ImuNames.Count; i++)
            parameters.Imus.Add(new ImuParameters { Name = recording.ImuNames[i] });
        if (dynamics is not null)
        {
            for (int b = 0; b < model.DegreesOfFreedom; b++)
                parameters.Links.Add(new LinkParameters { Name = model.BodyNames[b], Pi = dynamics.Parameters.AsSpan(10 * b, 10).ToArray() });
            foreach (var e in dynamics.BaseParameters) parameters.BaseParameters.Add(new BaseParameter { Name = e.Name, Value = e.Value });
        }

        // Servo model selection: a fit from a run that does not excite the loop (a slow sweep) can be worse than the
        // drive's nominal tuning; replay the twin both ways and keep, per joint, whichever predicts velocity better.
        var fitted = new JointServoParameters?[n];
        for (int j = 0; j < n; j++)
            if (servo[j] is { } f)
                fitted[j] = new JointServoParameters
                {
                    NaturalFrequencyRadS = f.NaturalFrequencyRadS,
                    DampingRatio = f.DampingRatio,
                    Gain = f.Gain,
                    DelayTicks = f.DelayTicks,
                    VelocityFeedforwardGain = Math.Max(0, f.VelocityFeedforwardGain),
                    Arx = f.Arx,
                };
        double[] nominalRms = VelocityInnovationRms(recording, config, description, parameters, options);
        double[] fittedRms = new double[n];
        Array.Fill(fittedRms, double.PositiveInfinity);
        if (fitted.Any(f => f is not null))
        {
            for (int j = 0; j < n; j++) if (fitted[j] is { } f) parameters.Joints[j].Servo = f;
            fittedRms = VelocityInnovationRms(recording, config, description, parameters, options);
        }
        for (int j = 0; j < n; j++)
        {
            bool useFit = fitted[j] is not null && fittedRms[j] < nominalRms[j];
            parameters.Joints[j].Servo = useFit ? fitted[j]! : new JointServoParameters();
            if (fitted[j] is not null && !useFit)
                warnings.Add($"joint '{joints[j]}': the fitted servo loop predicts velocity worse than the drive's nominal loop on this recording (innovation RMS {fittedRms[j]:G3} vs {nominalRms[j]:G3} rad/s); nominal kept. Excite the loop near its bandwidth (small steps, a chirp) to identify it");
            if (servo[j] is { } f && useFit)
            {
                parameters.Fit.Add(new ChannelFit { Channel = $"{joints[j]}.position", R2 = f.SimulationR2, ResidualSigma = f.PositionResidualSigma });
                parameters.Fit.Add(new ChannelFit { Channel = $"{joints[j]}.velocity", R2 = 0, ResidualSigma = f.VelocityResidualSigma });
            }
        }

        // Link dynamics selection, likewise: base parameters identified from one excitation can predict another motion
        // worse than the URDF (coupling terms the sweep barely excites); keep whichever predicts torque better overall.
        if (parameters.Links.Count > 0)
        {
            double identified = InnovationRms(recording, config, description, parameters, options, ChannelKind.JointTorque).Sum(x => x * x);
            var links = parameters.Links;
            parameters.Links = [];
            double urdf = InnovationRms(recording, config, description, parameters, options, ChannelKind.JointTorque).Sum(x => x * x);
            if (identified < urdf)
            {
                parameters.Links = links;
            }
            else
            {
                warnings.Add($"the identified link parameters predict joint torque worse than the URDF's over the recordings (RMS over joints {Math.Sqrt(identified / n):G3} vs {Math.Sqrt(urdf / n):G3} N·m); the URDF's are kept. Excite every joint together, at several speeds, to identify them");
                parameters.BaseParameters.Clear();
            }
        }

        // (e) Noise model from the innovations of exactly this twin, replayed over the recording(s).
        NoiseFromReplay(recording, config, description, parameters, options);
        return new CalibrationResult(parameters, servo, dynamics, warnings);
    }

    private static double Floor(double v, double floor) => double.IsFinite(v) ? Math.Max(v, floor) : floor;

    private static void CheckFinite(string source, RecordLayout layout, double[] series, int joint, string what)
    {
        for (int t = 0; t < series.Length; t++)
            if (!double.IsFinite(series[t]))
                throw new InputError(source, $"record {t}", $"joint '{layout.Channels.JointNames[joint]}' {what} is {series[t]}; the recording must hold finite measurements (cut the run before the sensor fault)");
    }

    private static DigitalTwinOptions ReplayOptions(RtConfig config, RobotDescription description, TwinParameters parameters, ChannelLayout layout) =>
        TwinParameterOptions.Apply(parameters, layout, new DigitalTwinOptions { Description = description });

    /// <summary>Per joint (config order) RMS of the replayed twin's velocity innovation over usable ticks.</summary>
    private static double[] VelocityInnovationRms(TickRecording recording, RtConfig config, RobotDescription description, TwinParameters parameters, CalibrationOptions options) =>
        InnovationRms(recording, config, description, parameters, options, ChannelKind.JointVelocity);

    /// <summary>Per joint (config order) RMS of the replayed twin's innovation on the joint channel of <paramref name="kind"/>.</summary>
    private static double[] InnovationRms(TickRecording recording, RtConfig config, RobotDescription description, TwinParameters parameters, CalibrationOptions options, ChannelKind kind)
    {
        int n = recording.JointNames.Count;
        var sum = new double[n];
        var count = new int[n];
        var velocityChannel = new int[n];
        for (int j = 0; j < n; j++) velocityChannel[j] = recording.Channels.IndexOf(kind, j);
        foreach (var rec in options.NoiseRecordings.Prepend(recording))
        {
        int sinceStart = 0;
        TwinReplay.Run(rec, config, ReplayOptions(config, description, parameters, recording.Channels), (t, twin, state) =>
        {
            if (!state.Divergence.Valid) { sinceStart = 0; return; }
            if (++sinceStart <= options.NoiseWarmupTicks) return;
            var components = twin.Components;
            for (int j = 0; j < n; j++)
            {
                int c = velocityChannel[j];
                if (twin.CrossCheck.IsExcluded(c)) continue;
                double e = components[twin.CrossCheck.ComponentOffset(c)];
                if (!double.IsFinite(e)) continue;
                sum[j] += e * e;
                count[j]++;
            }
        });
        }
        var rms = new double[n];
        for (int j = 0; j < n; j++) rms[j] = count[j] > 0 ? Math.Sqrt(sum[j] / count[j]) : double.PositiveInfinity;
        return rms;
    }

    /// <summary>
    /// The noise model of <paramref name="parameters"/> from the innovations of the twin they describe, replayed over
    /// the recording (and <see cref="CalibrationOptions.NoiseRecordings"/>). Per innovation component: bias b = mean;
    /// lag-1 autocorrelation ρ of e − b; σ = the largest RMS, over windows of <see cref="CalibrationOptions.NoiseWindowS"/>,
    /// of the whitened innovation (e_k − b) − ρ(e_(k−1) − b). See docs/TWIN.md "Correlated innovations".
    /// </summary>
    private static void NoiseFromReplay(TickRecording recording, RtConfig config, RobotDescription description, TwinParameters parameters, CalibrationOptions options)
    {
        var layout = recording.Channels;
        var probe = new CrossCheck.NoiseModel(layout);
        int m = probe.ComponentCount;
        // Per component, every valid tick's innovation with its armed flag: the detectors whiten with the previous valid
        // tick's innovation even when that tick was not armed (warm-up), so the calibration does too.
        var series = new List<double>[m];
        var armed = new List<bool>[m];
        var segmentStart = new List<int>[m];
        for (int i = 0; i < m; i++)
        {
            series[i] = new List<double>(recording.Count);
            armed[i] = new List<bool>(recording.Count);
            segmentStart[i] = [];
        }
        var usableBefore = new bool[m];
        foreach (var rec in options.NoiseRecordings.Prepend(recording))
        {
            if (!rec.JointNames.SequenceEqual(recording.JointNames) || !rec.ImuNames.SequenceEqual(recording.ImuNames))
                throw new InputError(rec.Path, "header", $"joints/IMUs differ from the calibration recording {recording.Path}");
            Array.Clear(usableBefore);
            int sinceStart = 0;
            TwinReplay.Run(rec, config, ReplayOptions(config, description, parameters, layout), (t, twin, state) =>
            {
                bool valid = state.Divergence.Valid;
                bool settled = valid && ++sinceStart > options.NoiseWarmupTicks;
                if (!valid) sinceStart = 0;
                var components = twin.Components;
                for (int c = 0; c < layout.Count; c++)
                {
                    int o = probe.Offsets[c];
                    bool isArmed = settled && !twin.CrossCheck.IsExcluded(c);
                    for (int i = 0; i < probe.Dimensions[c]; i++)
                    {
                        double e = components[o + i];
                        bool ok = valid && double.IsFinite(e);
                        if (ok)
                        {
                            if (!usableBefore[o + i]) segmentStart[o + i].Add(series[o + i].Count);
                            series[o + i].Add(e);
                            armed[o + i].Add(isArmed);
                        }
                        usableBefore[o + i] = ok;
                    }
                }
            });
        }
        int window = Math.Max(10, (int)Math.Round(options.NoiseWindowS * 1e9 / recording.PeriodNs));
        var sigma = new double[m];
        var bias = new double[m];
        var rho = new double[m];
        var whitened = new double[m][];
        for (int k = 0; k < m; k++)
        {
            var e = series[k];
            var on = armed[k];
            int armedCount = on.Count(a => a);
            if (armedCount < 2 * window)
                throw new InputError(recording.Path, "", $"only {armedCount} usable ticks for the noise model of channel '{layout.Channels[ComponentChannel(probe, k)].Name}'; record a longer run with the drives enabled (at least {2 * window} ticks)");
            double mean = 0;
            for (int t = 0; t < e.Count; t++) if (on[t]) mean += e[t];
            mean /= armedCount;
            var starts = new HashSet<int>(segmentStart[k]);
            double num = 0, den = 0;
            for (int t = 1; t < e.Count; t++)
            {
                if (starts.Contains(t) || !on[t] || !on[t - 1]) continue;
                num += (e[t] - mean) * (e[t - 1] - mean);
                den += (e[t - 1] - mean) * (e[t - 1] - mean);
            }
            double r = den > 0 ? Math.Clamp(num / den, -0.995, 0.995) : 0;
            // As the evaluator: the first armed sample of a series (after a start, a gap or an exclusion) is scored
            // against the stationary distribution, √(1 − ρ²)(e − b); the others are whitened against their predecessor.
            var whiteAll = new List<double>(armedCount);
            double marginal = Math.Sqrt(1 - r * r);
            for (int t = 0; t < e.Count; t++)
            {
                if (!on[t]) continue;
                bool first = t == 0 || starts.Contains(t) || !on[t - 1];
                whiteAll.Add(first ? (e[t] - mean) * marginal : (e[t] - mean) - r * (e[t - 1] - mean));
            }
            var white = whiteAll.ToArray();
            double overall = RmsOf(white, 0, white.Length), worst = overall;
            for (int s0 = 0; s0 + window <= white.Length; s0 += Math.Max(1, window / 4))
                worst = Math.Max(worst, RmsOf(white, s0, window));
            whitened[k] = white;
            bias[k] = mean;
            rho[k] = r;
            sigma[k] = Math.Max(worst, 1e-9);
        }
        // The envelope: per channel the smallest scale f ≥ 1 (bisection) that keeps its detectors within the fraction.
        double arl = ThresholdDerivation.AverageRunLengthTicks(1e9 / recording.PeriodNs, config.Twin.FalseAlarmEveryHours);
        var byDof = new Dictionary<int, ChannelThresholds>();
        for (int c = 0; c < layout.Count; c++)
        {
            int o = probe.Offsets[c], d = probe.Dimensions[c];
            if (!byDof.TryGetValue(d, out var th))
                byDof[d] = th = ThresholdDerivation.ForChannel(d, arl, config.Twin.MinDetectableShiftSigma);
            double Peak(double f) => PeakRatio(whitened, sigma, o, d, f, th);
            double lo = 1, hi = 1;
            if (Peak(1) > options.EnvelopeFraction)
            {
                while (Peak(hi) > options.EnvelopeFraction && hi < 1e6) hi *= 2;
                lo = hi / 2;
                for (int it = 0; it < 30; it++)
                {
                    double mid = 0.5 * (lo + hi);
                    if (Peak(mid) > options.EnvelopeFraction) lo = mid; else hi = mid;
                }
            }
            for (int i = 0; i < d; i++) sigma[o + i] *= hi;
        }
        for (int c = 0; c < layout.Count; c++)
        {
            var ch = layout.Channels[c];
            int o = probe.Offsets[c];
            switch (ch.Kind)
            {
                case ChannelKind.ImuAngularRate:
                    parameters.Imus[ch.Index].AngularRateSigma = sigma[o..(o + 3)];
                    parameters.Imus[ch.Index].AngularRateBias = bias[o..(o + 3)];
                    parameters.Imus[ch.Index].AngularRateAr1 = rho[o..(o + 3)];
                    break;
                case ChannelKind.ImuSpecificForce:
                    parameters.Imus[ch.Index].SpecificForceSigma = sigma[o..(o + 3)];
                    parameters.Imus[ch.Index].SpecificForceBias = bias[o..(o + 3)];
                    parameters.Imus[ch.Index].SpecificForceAr1 = rho[o..(o + 3)];
                    break;
                default:
                    var jn = parameters.Joints[ch.Index].Noise;
                    switch (ch.Kind)
                    {
                        case ChannelKind.JointPosition: (jn.PositionRad, jn.PositionBiasRad, jn.PositionAr1) = (sigma[o], bias[o], rho[o]); break;
                        case ChannelKind.JointVelocity: (jn.VelocityRadS, jn.VelocityBiasRadS, jn.VelocityAr1) = (sigma[o], bias[o], rho[o]); break;
                        case ChannelKind.JointTorque: (jn.TorqueNm, jn.TorqueBiasNm, jn.TorqueAr1) = (sigma[o], bias[o], rho[o]); break;
                        default: (jn.ExternalTorqueNm, jn.ExternalTorqueBiasNm, jn.ExternalTorqueAr1) = (sigma[o], bias[o], rho[o]); break;
                    }
                    break;
            }
        }
    }

    /// <summary>Max over the series of the channel's detector ratio max(CUSUM/h, NIS/γ) with σ scaled by <paramref name="scale"/>.</summary>
    private static double PeakRatio(double[][] whitened, double[] sigma, int offset, int dof, double scale, ChannelThresholds th)
    {
        int length = whitened[offset].Length;
        var up = new double[dof];
        var down = new double[dof];
        double peak = 0;
        for (int t = 0; t < length; t++)
        {
            double nis = 0, stat = 0;
            bool any = false;
            for (int i = 0; i < dof; i++)
            {
                var w = whitened[offset + i];
                if (t >= w.Length || double.IsNaN(w[t])) continue;
                any = true;
                double z = w[t] / (sigma[offset + i] * scale);
                nis += z * z;
                up[i] = Math.Max(0, up[i] + z - th.CusumDrift);
                down[i] = Math.Max(0, down[i] - z - th.CusumDrift);
                stat = Math.Max(stat, Math.Max(up[i], down[i]));
            }
            if (any) peak = Math.Max(peak, Math.Max(stat / th.CusumThreshold, nis / th.GateThreshold));
        }
        return peak;
    }

    private static int ComponentChannel(CrossCheck.NoiseModel model, int component)
    {
        int c = 0;
        while (c + 1 < model.Offsets.Length && model.Offsets[c + 1] <= component) c++;
        return c;
    }

    private static double RmsOf(double[] x, int start, int length)
    {
        double s = 0;
        int n = 0;
        for (int t = start; t < start + length; t++)
        {
            if (double.IsNaN(x[t])) continue;
            s += x[t] * x[t];
            n++;
        }
        return n > 0 ? Math.Sqrt(s / n) : 0;
    }

    /// <summary>Friction only: τ − RNEA_URDF(q, q̇, q̈) ≈ F_c·tanh(q̇/ε) + F_v·q̇ per joint.</summary>
    private static void FrictionAgainstUrdf(RigidBodyModel model, double[][] q, double[][] qd, double[][] qdd, double[][] tau, int[] map,
        bool[] locked, double[] coulomb, double[] viscous, double[] sigma, double[] r2, List<string> warnings, IReadOnlyList<string> joints,
        IReadOnlyList<double> smoothingGrid, double[] smoothing, bool reportLocked)
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
                if (reportLocked) warnings.Add($"joint '{joints[j]}' does not move; its friction cannot be identified (kept at 0)");
                continue;
            }
            var b = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(residual[j]);
            double best = double.PositiveInfinity;
            MathNet.Numerics.LinearAlgebra.Vector<double>? e = null;
            foreach (double eps in smoothingGrid)
            {
                var a = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(q.Length, 2, (s, c) => c == 0 ? Math.Tanh(qd[s][i] / eps) : qd[s][i]);
                var x = a.QR().Solve(b);
                var res = b - a * x;
                double ss = res.DotProduct(res);
                if (ss < best)
                {
                    best = ss;
                    e = res;
                    coulomb[j] = x[0];
                    viscous[j] = x[1];
                    smoothing[j] = eps;
                }
            }
            if (e is null) continue;
            sigma[j] = Math.Sqrt(e.DotProduct(e) / q.Length);
            double mean = tau.Average(t => t[i]);
            double sst = tau.Sum(t => (t[i] - mean) * (t[i] - mean));
            r2[j] = sst > 0 ? 1 - e.DotProduct(e) / sst : 0;
        }
    }
}
