using Rt.Core.Description;

namespace Rt.Core.Config;

/// <summary>
/// The rules a bound <see cref="RtConfig"/> must meet before anything moves, one clear rule each. Collects every
/// broken rule rather than stopping at the first, so one run shows the operator all of them.
/// Joint and IMU rules that name URDF joints/links are checked against <see cref="RtConfig.Description"/> when it is set.
/// Not real-time safe.
/// </summary>
public static partial class ConfigValidator
{
    /// <summary>Trigger reactions the safety section accepts.</summary>
    public static IReadOnlyList<string> Reactions { get; } = ["cat0", "cat1", "cat2", "warn"];

    /// <summary>Not real-time safe. The motion section's rules alone (a motion file given to <c>rt preflight --motion</c>).</summary>
    public static IReadOnlyList<ConfigProblem> ValidateMotion(MotionSection motion)
    {
        ArgumentNullException.ThrowIfNull(motion);
        var problems = new List<ConfigProblem>();
        CheckMotion(motion, (key, message) => problems.Add(new ConfigProblem(key, message)));
        return problems;
    }

    /// <summary>Not real-time safe. Every broken rule, in file order of sections; empty when the config is valid.</summary>
    public static IReadOnlyList<ConfigProblem> Validate(RtConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<ConfigProblem>();
        void Fail(string key, string message) => problems.Add(new ConfigProblem(key, message));

        if (string.IsNullOrWhiteSpace(config.Robot.Description)) Fail("robot.description", "missing; expected the path of the robot's URDF, relative to this file");

        CheckLoop(config.Loop, Fail);
        CheckJoints(config, Fail);
        CheckImus(config, Fail);
        CheckI2cImus(config, Fail);
        CheckMotion(config.Motion, Fail);
        CheckBus(config.Bus, Fail);
        CheckTwin(config.Twin, Fail);
        CheckTwinAdapt(config.Twin.Adapt, Fail);
        CheckSafety(config.Safety, Fail);
        CheckTelemetry(config.Telemetry, Fail);
        BrakeConfig.Check(config, Fail);
        JogSection.Check(config, Fail);
        HomingSection.Check(config, Fail);
        CheckPaths(config, Fail);
        return problems;
    }

    private static void CheckLoop(LoopSection loop, Action<string, string> fail)
    {
        if (!(loop.RateHz > 0 && loop.RateHz <= ConfigBounds.MaxRateHz)) fail("loop.rate_hz", $"is {loop.RateHz}; expected a rate in (0, {ConfigBounds.MaxRateHz}] Hz");
        else if (loop.RateHz < ConfigBounds.MinLoopRateHz) fail("loop.rate_hz", Range(loop.RateHz, ConfigBounds.MinLoopRateHz, ConfigBounds.MaxRateHz, "Hz"));
        if (loop.OverrunFaultAfter < 1) fail("loop.overrun_fault_after", $"is {loop.OverrunFaultAfter}; expected at least 1 overrun");
        else if (loop.OverrunFaultAfter > ConfigBounds.MaxOverrunFaultAfter) fail("loop.overrun_fault_after", Range(loop.OverrunFaultAfter, 1, ConfigBounds.MaxOverrunFaultAfter, "overruns"));
        if (loop.Priority is < 0 or > 99) fail("loop.priority", $"is {loop.Priority}; expected 0 (SCHED_OTHER) or a SCHED_FIFO priority 1..99");
        if (loop.Cpu < -1) fail("loop.cpu", $"is {loop.Cpu}; expected a CPU number, or -1 to leave affinity alone");
        else if (loop.Cpu > ConfigBounds.MaxCpu) fail("loop.cpu", Range(loop.Cpu, -1, ConfigBounds.MaxCpu, ""));
        if (loop.SpinTailUs < 0) fail("loop.spin_tail_us", $"is {loop.SpinTailUs}; expected zero or more microseconds");
        else if (loop.RateHz > 0 && loop.SpinTailUs >= 1e6 / loop.RateHz) fail("loop.spin_tail_us", $"is {loop.SpinTailUs} µs, not shorter than the {1e6 / loop.RateHz} µs period; expected less than one period");
        if (loop.NoGcRegionMb is < -1 or > ConfigBounds.MaxNoGcRegionMb) fail("loop.no_gc_region_mb", Range(loop.NoGcRegionMb, -1, ConfigBounds.MaxNoGcRegionMb, "MiB (-1 = sized for telemetry, 0 = none)"));
        if (loop.PlantSubsteps < 1) fail("loop.plant_substeps", $"is {loop.PlantSubsteps}; expected at least 1 substep per tick");
        else if (loop.PlantSubsteps > ConfigBounds.MaxPlantSubsteps) fail("loop.plant_substeps", Range(loop.PlantSubsteps, 1, ConfigBounds.MaxPlantSubsteps, "substeps per tick"));
    }

    private static void CheckJoints(RtConfig config, Action<string, string> fail)
    {
        var robot = config.Description;
        if (config.Joints.Count == 0) fail("joints", "is empty; expected one entry per driven joint");
        if (config.Joints.Count > ConfigBounds.MaxJoints) fail("joints", $"has {config.Joints.Count} entries; expected at most {ConfigBounds.MaxJoints} joints");
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var drives = new Dictionary<int, int>();
        for (int i = 0; i < config.Joints.Count; i++)
        {
            var j = config.Joints[i];
            string key = $"joints[{i}]";
            Joint? urdf = null;
            if (string.IsNullOrWhiteSpace(j.Name)) fail($"{key}.name", "missing; expected the name of a movable URDF joint");
            else
            {
                if (!names.TryAdd(j.Name, i)) fail($"{key}.name", $"'{j.Name}' is already configured at joints[{names[j.Name]}]; expected each joint once");
                if (robot is not null)
                {
                    urdf = robot.FindJoint(j.Name);
                    if (urdf is null) fail($"{key}.name", $"'{j.Name}' is not a joint of robot '{robot.Name}' ({robot.SourcePath}); expected one of: {string.Join(", ", robot.MovableJoints.Select(m => m.Name))}");
                    else if (!urdf.IsMovable) { fail($"{key}.name", $"'{j.Name}' is a fixed joint in the URDF; only movable joints have drives"); urdf = null; }
                }
            }
            if (j.Drive < 0) fail($"{key}.drive", $"is {j.Drive}; expected the drive's bus position (0 or more)");
            else if (j.Drive > ConfigBounds.MaxBusPosition) fail($"{key}.drive", Range(j.Drive, 0, ConfigBounds.MaxBusPosition, ""));
            else if (!drives.TryAdd(j.Drive, i)) fail($"{key}.drive", $"drive {j.Drive} is already used by joints[{drives[j.Drive]}]; expected one drive per joint");

            if (j.GearRatio == 0) fail($"{key}.gear_ratio", "is zero; expected the motor turns per joint turn (a positive number, e.g. 100)");
            else if (!(j.GearRatio > 0)) fail($"{key}.gear_ratio", $"is {j.GearRatio}; expected a positive ratio (put a reversed mounting in 'direction: -1')");
            else if (j.GearRatio > ConfigBounds.MaxGearRatio) fail($"{key}.gear_ratio", Above0(j.GearRatio, ConfigBounds.MaxGearRatio, "motor turns per joint turn"));
            if (j.Direction is not (1 or -1)) fail($"{key}.direction", $"is {j.Direction}; expected 1 or -1");
            if (j.EncoderCountsPerRev <= 0) fail($"{key}.encoder_counts_per_rev", $"is {j.EncoderCountsPerRev}; expected positive counts per motor revolution (e.g. 131072)");
            else if (j.EncoderCountsPerRev is < ConfigBounds.MinCountsPerRev or > ConfigBounds.MaxCountsPerRev)
                fail($"{key}.encoder_counts_per_rev", Range(j.EncoderCountsPerRev, ConfigBounds.MinCountsPerRev, ConfigBounds.MaxCountsPerRev, "counts per motor revolution"));
            if (!(j.RatedTorqueNm > 0)) fail($"{key}.rated_torque_nm", $"is {j.RatedTorqueNm}; expected the motor's positive rated torque in N·m");
            else if (j.RatedTorqueNm > ConfigBounds.MaxRatedTorqueNm) fail($"{key}.rated_torque_nm", Above0(j.RatedTorqueNm, ConfigBounds.MaxRatedTorqueNm, "N·m"));
            if (j.ZeroOffsetCounts is < int.MinValue or > int.MaxValue)
                fail($"{key}.zero_offset_counts", Range(j.ZeroOffsetCounts, int.MinValue, int.MaxValue, "counts (a 32-bit CiA 402 position)"));
            JointModeRules.Check(j, key, fail);
            CheckJointLimits(j.Limits, urdf?.Limits, $"{key}.limits", fail);
        }
    }

    private static void CheckJointLimits(JointLimitConfig l, JointLimits? urdf, string key, Action<string, string> fail)
    {
        if (RangeOrNull(l.PositionMinRad, -ConfigBounds.MaxJointPositionRad, ConfigBounds.MaxJointPositionRad, "rad") is { } minOut) fail($"{key}.position_min_rad", minOut);
        if (RangeOrNull(l.PositionMaxRad, -ConfigBounds.MaxJointPositionRad, ConfigBounds.MaxJointPositionRad, "rad") is { } maxOut) fail($"{key}.position_max_rad", maxOut);
        if (!(l.PositionMinRad < l.PositionMaxRad)) fail($"{key}.position_min_rad", $"{l.PositionMinRad} is not below position_max_rad {l.PositionMaxRad}; expected min < max");
        if (!(l.VelocityRadS > 0)) fail($"{key}.velocity_rad_s", $"is {l.VelocityRadS}; expected a positive speed limit in rad/s");
        else if (l.VelocityRadS > ConfigBounds.MaxJointVelocityRadS) fail($"{key}.velocity_rad_s", Above0(l.VelocityRadS, ConfigBounds.MaxJointVelocityRadS, "rad/s"));
        if (!(l.AccelerationRadS2 > 0)) fail($"{key}.acceleration_rad_s2", $"is {l.AccelerationRadS2}; expected a positive acceleration limit in rad/s²");
        else if (l.AccelerationRadS2 > ConfigBounds.MaxJointAccelerationRadS2) fail($"{key}.acceleration_rad_s2", Above0(l.AccelerationRadS2, ConfigBounds.MaxJointAccelerationRadS2, "rad/s²"));
        if (!(l.TorqueNm > 0)) fail($"{key}.torque_nm", $"is {l.TorqueNm}; expected a positive torque limit in N·m");
        else if (l.TorqueNm > ConfigBounds.MaxJointTorqueNm) fail($"{key}.torque_nm", Above0(l.TorqueNm, ConfigBounds.MaxJointTorqueNm, "N·m"));
        if (!(l.FollowingErrorRad > 0)) fail($"{key}.following_error_rad", $"is {l.FollowingErrorRad}; expected a positive following-error window in rad");
        else if (l.FollowingErrorRad > ConfigBounds.MaxFollowingErrorRad) fail($"{key}.following_error_rad", Above0(l.FollowingErrorRad, ConfigBounds.MaxFollowingErrorRad, "rad"));
        if (urdf is null) return;
        if (l.PositionMinRad < urdf.Lower) fail($"{key}.position_min_rad", $"{l.PositionMinRad} is below the URDF lower limit {urdf.Lower}; expected a value inside the URDF limits");
        if (l.PositionMaxRad > urdf.Upper) fail($"{key}.position_max_rad", $"{l.PositionMaxRad} is above the URDF upper limit {urdf.Upper}; expected a value inside the URDF limits");
        if (l.VelocityRadS > urdf.Velocity) fail($"{key}.velocity_rad_s", $"{l.VelocityRadS} exceeds the URDF velocity limit {urdf.Velocity}");
        if (l.TorqueNm > urdf.Effort) fail($"{key}.torque_nm", $"{l.TorqueNm} exceeds the URDF effort limit {urdf.Effort}");
    }

    private static void CheckImus(RtConfig config, Action<string, string> fail)
    {
        var robot = config.Description;
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var devices = new Dictionary<int, int>();
        var drives = new Dictionary<int, int>();
        for (int i = 0; i < config.Joints.Count; i++) drives.TryAdd(config.Joints[i].Drive, i);
        if (config.Imus.Count > ConfigBounds.MaxImus) fail("imus", $"has {config.Imus.Count} entries; expected at most {ConfigBounds.MaxImus} IMUs");
        for (int i = 0; i < config.Imus.Count; i++)
        {
            var imu = config.Imus[i];
            string key = $"imus[{i}]";
            if (string.IsNullOrWhiteSpace(imu.Name)) fail($"{key}.name", "missing; expected a name for this IMU");
            else if (!names.TryAdd(imu.Name, i)) fail($"{key}.name", $"'{imu.Name}' is already used by imus[{names[imu.Name]}]; expected unique IMU names");
            if (string.IsNullOrWhiteSpace(imu.Link)) fail($"{key}.link", "missing; expected the URDF link the IMU is mounted on");
            else if (robot is not null && !robot.Links.Any(l => l.Name == imu.Link))
            {
                fail($"{key}.link", $"'{imu.Link}' is not a link of robot '{robot.Name}'; expected one of: {string.Join(", ", robot.Links.Select(l => l.Name))}");
            }
            if (imu.Device < 0) fail($"{key}.device", $"is {imu.Device}; expected the IMU's bus position (0 or more)");
            else if (imu.Device > ConfigBounds.MaxBusPosition) fail($"{key}.device", Range(imu.Device, 0, ConfigBounds.MaxBusPosition, ""));
            else if (!devices.TryAdd(imu.Device, i)) fail($"{key}.device", $"device {imu.Device} is already used by imus[{devices[imu.Device]}]; expected one device per IMU");
            else if (drives.TryGetValue(imu.Device, out int j)) fail($"{key}.device", $"device {imu.Device} is joints[{j}]'s drive; expected a bus position of its own");
            if (imu.Xyz is not { Length: 3 }) fail($"{key}.xyz", $"has {imu.Xyz?.Length ?? 0} numbers; expected [x, y, z] in metres");
            else for (int a = 0; a < 3; a++) if (RangeOrNull(imu.Xyz[a], -ConfigBounds.MaxMountOffsetM, ConfigBounds.MaxMountOffsetM, "m") is { } p) fail($"{key}.xyz[{a}]", p);
            if (imu.Rpy is not { Length: 3 }) fail($"{key}.rpy", $"has {imu.Rpy?.Length ?? 0} numbers; expected [roll, pitch, yaw] in radians");
            else for (int a = 0; a < 3; a++) if (RangeOrNull(imu.Rpy[a], -2 * Math.PI, 2 * Math.PI, "rad") is { } p) fail($"{key}.rpy[{a}]", p);
            if (!(imu.AccelRangeMs2 > 0)) fail($"{key}.accel_range_ms2", $"is {imu.AccelRangeMs2}; expected a positive range in m/s²");
            else if (imu.AccelRangeMs2 > ConfigBounds.MaxAccelRangeMs2) fail($"{key}.accel_range_ms2", Above0(imu.AccelRangeMs2, ConfigBounds.MaxAccelRangeMs2, "m/s²"));
            if (!(imu.GyroRangeRadS > 0)) fail($"{key}.gyro_range_rad_s", $"is {imu.GyroRangeRadS}; expected a positive range in rad/s");
            else if (imu.GyroRangeRadS > ConfigBounds.MaxGyroRangeRadS) fail($"{key}.gyro_range_rad_s", Above0(imu.GyroRangeRadS, ConfigBounds.MaxGyroRangeRadS, "rad/s"));
            if (!(imu.RateHz > 0)) fail($"{key}.rate_hz", $"is {imu.RateHz}; expected a positive sample rate in Hz");
            else if (imu.RateHz > ConfigBounds.MaxRateHz) fail($"{key}.rate_hz", Above0(imu.RateHz, ConfigBounds.MaxRateHz, "Hz"));
        }
    }

    private static void CheckMotion(MotionSection m, Action<string, string> fail)
    {
        if (m.SettleS < 0) fail("motion.settle_s", $"is {m.SettleS}; expected zero or more seconds");
        else if (m.SettleS > ConfigBounds.MaxMotionTimeS) fail("motion.settle_s", Range(m.SettleS, 0, ConfigBounds.MaxMotionTimeS, "s"));
        if (m.AmplitudeRad < 0) fail("motion.amplitude_rad", $"is {m.AmplitudeRad}; expected zero or more radians");
        else if (m.AmplitudeRad > ConfigBounds.MaxMotionAmplitudeRad) fail("motion.amplitude_rad", Range(m.AmplitudeRad, 0, ConfigBounds.MaxMotionAmplitudeRad, "rad"));
        if (!(m.FrequencyHz > 0)) fail("motion.frequency_hz", $"is {m.FrequencyHz}; expected a positive frequency in Hz");
        else if (m.FrequencyHz > ConfigBounds.MaxMotionFrequencyHz) fail("motion.frequency_hz", Above0(m.FrequencyHz, ConfigBounds.MaxMotionFrequencyHz, "Hz"));
        if (!(m.FrequencyEndHz >= m.FrequencyHz)) fail("motion.frequency_end_hz", $"is {m.FrequencyEndHz}, below frequency_hz {m.FrequencyHz}; expected the sweep to end at or above where it starts");
        else if (m.FrequencyEndHz > ConfigBounds.MaxMotionFrequencyHz) fail("motion.frequency_end_hz", Above0(m.FrequencyEndHz, ConfigBounds.MaxMotionFrequencyHz, "Hz"));
        if (!(m.StepPeriodS > 0)) fail("motion.step_period_s", $"is {m.StepPeriodS}; expected a positive step period in seconds");
        else if (m.StepPeriodS > ConfigBounds.MaxMotionTimeS) fail("motion.step_period_s", Above0(m.StepPeriodS, ConfigBounds.MaxMotionTimeS, "s"));
        if (m.HipPitchRad < 0) fail("motion.hip_pitch_rad", $"is {m.HipPitchRad}; expected a non-negative amplitude in rad");
        else if (m.HipPitchRad > ConfigBounds.MaxMotionAmplitudeRad) fail("motion.hip_pitch_rad", Range(m.HipPitchRad, 0, ConfigBounds.MaxMotionAmplitudeRad, "rad"));
        if (m.KneeRad < 0) fail("motion.knee_rad", $"is {m.KneeRad}; expected a non-negative amplitude in rad");
        else if (m.KneeRad > ConfigBounds.MaxMotionAmplitudeRad) fail("motion.knee_rad", Range(m.KneeRad, 0, ConfigBounds.MaxMotionAmplitudeRad, "rad"));
    }

    private static void CheckBus(BusSection bus, Action<string, string> fail)
    {
        if (bus.FrameLossBudget < 1) fail("bus.frame_loss_budget", $"is {bus.FrameLossBudget}; expected at least 1 frame");
        else if (bus.FrameLossBudget > ConfigBounds.MaxFrameLossBudget) fail("bus.frame_loss_budget", Range(bus.FrameLossBudget, 1, ConfigBounds.MaxFrameLossBudget, "frames"));
        if (bus.Slaves.Count > ConfigBounds.MaxBusPosition + 1) fail("bus.slaves", $"has {bus.Slaves.Count} entries; expected at most {ConfigBounds.MaxBusPosition + 1}");
        var positions = new Dictionary<int, int>();
        for (int i = 0; i < bus.Slaves.Count; i++)
        {
            int p = bus.Slaves[i].Position;
            if (p < 0) fail($"bus.slaves[{i}].position", $"is {p}; expected a bus position (0 or more)");
            else if (p > ConfigBounds.MaxBusPosition) fail($"bus.slaves[{i}].position", Range(p, 0, ConfigBounds.MaxBusPosition, ""));
            else if (!positions.TryAdd(p, i)) fail($"bus.slaves[{i}].position", $"position {p} is already listed at bus.slaves[{positions[p]}]; expected each position once");
        }
    }

    private static void CheckTwin(TwinSection twin, Action<string, string> fail)
    {
        if (!(twin.FalseAlarmEveryHours > 0)) fail("twin.false_alarm_every_hours", $"is {twin.FalseAlarmEveryHours}; expected a positive number of hours between false alarms");
        else if (twin.FalseAlarmEveryHours > ConfigBounds.MaxFalseAlarmEveryHours) fail("twin.false_alarm_every_hours", Above0(twin.FalseAlarmEveryHours, ConfigBounds.MaxFalseAlarmEveryHours, "h"));
        if (!(twin.MinDetectableShiftSigma > 0)) fail("twin.min_detectable_shift_sigma", $"is {twin.MinDetectableShiftSigma}; expected a positive shift in standard deviations");
        else if (twin.MinDetectableShiftSigma > ConfigBounds.MaxShiftSigma) fail("twin.min_detectable_shift_sigma", Above0(twin.MinDetectableShiftSigma, ConfigBounds.MaxShiftSigma, "σ"));
        if (!(twin.ObserverGain > 0)) fail("twin.observer_gain", $"is {twin.ObserverGain}; expected a positive gain in 1/s");
        else if (twin.ObserverGain > ConfigBounds.MaxObserverGain) fail("twin.observer_gain", Above0(twin.ObserverGain, ConfigBounds.MaxObserverGain, "1/s"));
    }

    private static void CheckSafety(SafetySection safety, Action<string, string> fail)
    {
        foreach (var (name, trigger) in safety.Triggers)
        {
            string key = $"safety.triggers.{name}";
            if (!Reactions.Contains(trigger.Reaction)) fail($"{key}.reaction", $"is '{trigger.Reaction}'; expected one of {string.Join(", ", Reactions)}");
            if (trigger.DiscrepancyTicks < 1) fail($"{key}.discrepancy_ticks", $"is {trigger.DiscrepancyTicks}; expected at least 1 tick");
            if (trigger.Threshold < 0) fail($"{key}.threshold", $"is {trigger.Threshold}; expected zero (the trigger's default) or a positive threshold");
        }
        if (!(safety.StopDecelerationRadS2 > 0)) fail("safety.stop_deceleration_rad_s2", $"is {safety.StopDecelerationRadS2}; expected a positive deceleration in rad/s²");
        if (!(safety.StopTimeS > 0)) fail("safety.stop_time_s", $"is {safety.StopTimeS}; expected a positive time in seconds");
        if (!(safety.StandstillWindowRad > 0)) fail("safety.standstill_window_rad", $"is {safety.StandstillWindowRad}; expected a positive window in rad");
        CollisionHoldLimits.Check(safety.CollisionHoldTorqueLimit, fail);
        if (safety.FlightRecorderS < 0) fail("safety.flight_recorder_s", $"is {safety.FlightRecorderS}; expected zero or more seconds");
    }

    private static void CheckTelemetry(TelemetrySection t, Action<string, string> fail)
    {
        if (!Uri.TryCreate(t.Broker, UriKind.Absolute, out var uri) || uri.Scheme is not ("mqtt" or "mqtts") || string.IsNullOrEmpty(uri.Host))
        {
            fail("telemetry.broker", $"'{t.Broker}' is not an MQTT broker address; expected mqtt://host:port or mqtts://host:port");
        }
        else if (uri.IsDefaultPort || uri.Port <= 0 || !HasExplicitPort(t.Broker))
        {
            fail("telemetry.broker", $"'{t.Broker}' has no port; expected mqtt://host:port (usually 1883) or mqtts://host:port (usually 8883)");
        }
        if (t.Decimation < 1) fail("telemetry.decimation", $"is {t.Decimation}; expected 1 (every tick) or more");
        else if (t.Decimation > ConfigBounds.MaxDecimation) fail("telemetry.decimation", Range(t.Decimation, 1, ConfigBounds.MaxDecimation, "ticks"));
        if (t.BatchSize < 1) fail("telemetry.batch_size", $"is {t.BatchSize}; expected at least 1 record per message");
        else if (t.BatchSize > ConfigBounds.MaxBatchSize) fail("telemetry.batch_size", Range(t.BatchSize, 1, ConfigBounds.MaxBatchSize, "records per message"));
        if (string.IsNullOrWhiteSpace(t.TopicPrefix)) fail("telemetry.topic_prefix", "is empty; expected a topic prefix such as 'rt'");
        if (t.Encoding is not ("protobuf" or "json" or "binary")) fail("telemetry.encoding", $"is '{t.Encoding}'; expected protobuf, json or binary");
        if (!(t.SummaryHz >= 0 && t.SummaryHz <= ConfigBounds.MaxSummaryHz)) fail("telemetry.summary_hz", Range(t.SummaryHz, 0, ConfigBounds.MaxSummaryHz, "Hz (0 = off)"));
        if (!(t.RosHz >= 0 && t.RosHz <= ConfigBounds.MaxRosHz)) fail("telemetry.ros_hz", Range(t.RosHz, 0, ConfigBounds.MaxRosHz, "Hz (0 = off)"));
        if (!(t.ThresholdRepeatS >= ConfigBounds.MinThresholdRepeatS && t.ThresholdRepeatS <= ConfigBounds.MaxThresholdRepeatS))
            fail("telemetry.threshold_repeat_s", Range(t.ThresholdRepeatS, ConfigBounds.MinThresholdRepeatS, ConfigBounds.MaxThresholdRepeatS, "s"));
    }

    /// <summary>
    /// Every key that names a file or folder: its value must be free of NUL, at most <see cref="YamlInput.MaxTextLength"/>
    /// characters, and name the right kind of thing. Paths next to the config are checked against the file system now;
    /// state paths (log, socket, outbox) resolve at run time against the state folder, so only their absolute forms are.
    /// </summary>
    public static IReadOnlyList<(string Key, Func<RtConfig, string> Value, YamlInput.PathUse Use, bool NextToConfig)> PathKeys { get; } =
    [
        ("robot.description", c => c.Robot.Description, YamlInput.PathUse.File, true),
        ("twin.parameters", c => c.Twin.Parameters, YamlInput.PathUse.ExistingFile, true),
        ("safety.log_path", c => c.Safety.LogPath, YamlInput.PathUse.NewFile, false),
        ("safety.reset_socket", c => c.Safety.ResetSocket, YamlInput.PathUse.NewFile, false),
        ("telemetry.ca_file", c => c.Telemetry.CaFile, YamlInput.PathUse.ExistingFile, true),
        ("telemetry.cert_file", c => c.Telemetry.CertFile, YamlInput.PathUse.ExistingFile, true),
        ("telemetry.key_file", c => c.Telemetry.KeyFile, YamlInput.PathUse.ExistingFile, true),
        ("telemetry.credentials_file", c => c.Telemetry.CredentialsFile, YamlInput.PathUse.ExistingFile, true),
        ("telemetry.outbox_path", c => c.Telemetry.OutboxPath, YamlInput.PathUse.NewFolder, false),
    ];

    /// <summary>Not real-time safe (file-system checks). What is wrong with the path at <paramref name="key"/>, or null.</summary>
    public static string? PathProblem(RtConfig config, string key)
    {
        foreach (var (k, value, use, nextToConfig) in PathKeys)
        {
            if (k != key) continue;
            string folder = Path.GetDirectoryName(config.SourcePath) ?? ".";
            return YamlInput.PathProblem(value(config) ?? "", use, nextToConfig && config.SourcePath.Length > 0 ? folder : null);
        }
        return null;
    }

    private static void CheckPaths(RtConfig config, Action<string, string> fail)
    {
        foreach (var (key, _, _, _) in PathKeys)
        {
            if (PathProblem(config, key) is { } problem) fail(key, problem);
        }
    }

    private static string Range(double value, double min, double max, string unit) => YamlInput.RangeProblem(value, min, max, unit)!;

    private static string? RangeOrNull(double value, double min, double max, string unit) => YamlInput.RangeProblem(value, min, max, unit);

    private static string Above0(double value, double max, string unit) => YamlInput.RangeProblemAboveMin(value, 0, max, unit)!;

    // Uri reports -1 for unknown schemes without a port; also guard "mqtt://host:" forms.
    private static bool HasExplicitPort(string broker)
    {
        int authority = broker.IndexOf("://", StringComparison.Ordinal) + 3;
        int end = broker.IndexOf('/', authority);
        var hostPort = end < 0 ? broker[authority..] : broker[authority..end];
        int colon = hostPort.LastIndexOf(':');
        return colon >= 0 && colon < hostPort.Length - 1 && !hostPort.EndsWith(']');
    }
}
