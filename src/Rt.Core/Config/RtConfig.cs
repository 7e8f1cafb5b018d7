using Rt.Core.Description;
using YamlDotNet.Serialization;

namespace Rt.Core.Config;

/// <summary>
/// The host configuration, bound from YAML by <c>ConfigLoader</c> and validated before anything moves.
/// Units are in the key names (<c>_hz</c>, <c>_nm</c>, <c>_rad</c>) so a reader of the YAML never has to guess.
/// Not real-time safe; the pipeline copies what it needs into flat arrays at prepare time.
/// Sections added by later issues (twin, safety, telemetry, hil) hang off this root.
/// </summary>
public sealed class RtConfig
{
    /// <summary>Absolute path of the YAML file this came from (for messages and for resolving relative paths).</summary>
    [YamlIgnore]
    public string SourcePath { get; set; } = "";

    public RobotSection Robot { get; set; } = new();
    public LoopSection Loop { get; set; } = new();
    public List<JointDriveConfig> Joints { get; set; } = [];
    public List<ImuConfig> Imus { get; set; } = [];

    /// <summary>IMUs on the controller's own I²C buses (issue 15); see <see cref="I2cImuConfig"/>.</summary>
    public List<I2cImuConfig> I2cImus { get; set; } = [];

    /// <summary>Every IMU a session sees, EtherCAT ones first, then the I²C ones (see <see cref="I2cImuConfig.AsImu"/>): a shallow copy of this config whose <see cref="Imus"/> is that list. Not real-time safe.</summary>
    public RtConfig WithI2cImusAsImus() { var c = (RtConfig)MemberwiseClone(); c.Imus = [.. Imus, .. I2cImus.Select(i => i.AsImu())]; return c; }
    public MotionSection Motion { get; set; } = new();
    public BusSection Bus { get; set; } = new();
    public BenchSection Bench { get; set; } = new();

    /// <summary>Twin section (issue 4); opaque to the foundation.</summary>
    public TwinSection Twin { get; set; } = new();

    /// <summary>Safety section (issue 5).</summary>
    public SafetySection Safety { get; set; } = new();

    /// <summary>Telemetry section (issue 6).</summary>
    public TelemetrySection Telemetry { get; set; } = new();

    /// <summary>Holding brakes per joint (issue 13); see <see cref="BrakeConfig"/>.</summary>
    public List<BrakeConfig> Brakes { get; set; } = [];

    /// <summary>Recovering the robot by hand (issue 15): jog speed bounds and hold-to-run; see <see cref="JogSection"/>.</summary>
    public JogSection Jog { get; set; } = new();

    /// <summary>Homing joints with incremental encoders by hand (issue 15, <c>rt home</c>); see <see cref="HomingSection"/>.</summary>
    public HomingSection Homing { get; set; } = new();

    /// <summary>The parsed robot description referenced by <see cref="RobotSection.Description"/>; set by the loader.</summary>
    [YamlIgnore]
    public RobotDescription? Description { get; set; }

    /// <summary>Resolves a path written in the config relative to the config file's folder.</summary>
    public string Resolve(string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SourcePath) ?? ".", path));
}

public sealed class RobotSection
{
    public string Name { get; set; } = "";

    /// <summary>URDF path, relative to the config file.</summary>
    public string Description { get; set; } = "";
}

public sealed class LoopSection
{
    public double RateHz { get; set; } = 1000;

    /// <summary>This many consecutive overruns raise <c>FaultCode.LoopOverrun</c> for the safety gate.</summary>
    public int OverrunFaultAfter { get; set; } = 3;

    /// <summary>Busy-wait this long before each deadline instead of sleeping (trades a core for lower jitter).</summary>
    public double SpinTailUs { get; set; }

    /// <summary>CPU to pin the real-time thread to; -1 leaves affinity alone.</summary>
    public int Cpu { get; set; } = -1;

    /// <summary>SCHED_FIFO priority (1..99); 0 leaves the thread SCHED_OTHER.</summary>
    public int Priority { get; set; } = 80;

    /// <summary>Bench plant substeps per tick.</summary>
    public int PlantSubsteps { get; set; } = 4;

    /// <summary>No-GC region for the run, MiB; -1 (default): 256 MiB plus an hour of telemetry's allocations when it is on; 0: none.</summary>
    public int NoGcRegionMb { get; set; } = -1;
}

/// <summary>One robot joint bound to one CiA 402 servo drive.</summary>
public sealed class JointDriveConfig
{
    /// <summary>Joint name; must be a movable joint of the URDF.</summary>
    public string Name { get; set; } = "";

    /// <summary>Position of the drive on the bus (0-based, in bus order) or in the in-process image.</summary>
    public int Drive { get; set; } = -1;

    /// <summary>Motor turns per joint turn (positive; the sign of the mounting goes in <see cref="Direction"/>).</summary>
    public double GearRatio { get; set; }

    /// <summary>+1 or -1: whether positive motor counts move the joint along its URDF axis.</summary>
    public int Direction { get; set; } = 1;

    /// <summary>Encoder counts per motor revolution.</summary>
    public long EncoderCountsPerRev { get; set; }

    /// <summary>
    /// Motor torque constant, N·m per A. Not a key of the file: nothing in the host uses it (torque goes to the drive
    /// in per-mille of <see cref="RatedTorqueNm"/>), and a key that is read but never used would be silently ignored.
    /// </summary>
    [YamlIgnore]
    public double TorqueConstantNmPerA { get; set; }

    /// <summary>Motor rated torque (N·m at the motor shaft): CiA 402 torque objects are in per-mille of this.</summary>
    public double RatedTorqueNm { get; set; }

    /// <summary>Encoder count at which the joint angle is zero.</summary>
    public long ZeroOffsetCounts { get; set; }

    /// <summary>CiA 402 mode the host commands this joint in (csp, csv, cst); see <see cref="JointMode"/>.</summary>
    public JointMode Mode { get; set; } = JointMode.Csp;

    /// <summary>The host's loop gains for csv/cst (see <see cref="HostLoopConfig"/>).</summary>
    public HostLoopConfig HostLoop { get; set; } = new();

    public JointLimitConfig Limits { get; set; } = new();
}

/// <summary>Joint-side limits the controller and the supervisor enforce; must lie inside the URDF's limits.</summary>
public sealed class JointLimitConfig
{
    public double PositionMinRad { get; set; }
    public double PositionMaxRad { get; set; }
    public double VelocityRadS { get; set; }
    public double AccelerationRadS2 { get; set; }
    public double TorqueNm { get; set; }
    public double FollowingErrorRad { get; set; } = 0.1;
}

/// <summary>An IMU rigidly mounted on a link.</summary>
public sealed class ImuConfig
{
    public string Name { get; set; } = "";
    public string Link { get; set; } = "";

    /// <summary>Bus position of the IMU slave (after the drives), or in-process index.</summary>
    public int Device { get; set; } = -1;

    /// <summary>Mounting position in the link frame, metres.</summary>
    public double[] Xyz { get; set; } = [0, 0, 0];

    /// <summary>Mounting orientation in the link frame, roll-pitch-yaw radians.</summary>
    public double[] Rpy { get; set; } = [0, 0, 0];

    public double AccelRangeMs2 { get; set; } = 160;
    public double GyroRangeRadS { get; set; } = 35;
    public double RateHz { get; set; } = 1000;
}

public enum MotionKind
{
    Hold,
    Sine,
    March,
}

public sealed class MotionSection
{
    public MotionKind Kind { get; set; } = MotionKind.March;

    /// <summary>Time to move from the measured pose to the motion's start pose.</summary>
    public double SettleS { get; set; } = 1.0;

    /// <summary>Sine sweep: amplitude (rad) and frequency range (Hz), swept per joint in turn.</summary>
    public double AmplitudeRad { get; set; } = 0.2;
    public double FrequencyHz { get; set; } = 0.5;
    public double FrequencyEndHz { get; set; } = 2.0;

    /// <summary>March: step period (s), hip pitch and knee amplitudes (rad).</summary>
    public double StepPeriodS { get; set; } = 1.2;
    public double HipPitchRad { get; set; } = 0.5;
    public double KneeRad { get; set; } = 0.9;
}

public enum BusKind
{
    /// <summary>Process image exchanged in-process with the bench's emulated drives (no EtherCAT).</summary>
    InProcess,

    /// <summary>EtherCAT master over a link (in-memory to an in-process emulator, or a raw interface).</summary>
    EtherCat,
}

public sealed class BusSection
{
    public BusKind Kind { get; set; } = BusKind.InProcess;

    /// <summary>Network interface for the raw EtherCAT link (e.g. a veth end).</summary>
    public string Interface { get; set; } = "";

    /// <summary>Consecutive lost/short-WKC frames tolerated before the bus fault is confirmed.</summary>
    public int FrameLossBudget { get; set; } = 3;

    /// <summary>Expected identities per bus position (vendor, product, revision); empty = take what is found in a scan.</summary>
    public List<SlaveIdentityConfig> Slaves { get; set; } = [];

    public bool DistributedClocks { get; set; } = true;
    public List<string> Esi { get; set; } = [];
}

public sealed class SlaveIdentityConfig
{
    public int Position { get; set; }
    public uint Vendor { get; set; }
    public uint Product { get; set; }
    public uint Revision { get; set; }
    public List<SlaveSdoWriteConfig> Startup { get; set; } = [];
    public SlavePdoConfig Pdo { get; set; } = new();
}

/// <summary>Twin settings (issue 4). Kept as a flat bag here so the foundation does not depend on the twin's shape.</summary>
public sealed class TwinSection
{
    public bool Enabled { get; set; } = true;

    /// <summary>Twin-parameter file written by <c>rt calibrate</c>; empty = nominal parameters from the URDF.</summary>
    public string Parameters { get; set; } = "";

    /// <summary>Configured false-alarm rate: one false alarm per this many hours of running, per detector.</summary>
    public double FalseAlarmEveryHours { get; set; } = 1000;

    /// <summary>Minimum detectable shift, in noise standard deviations, the CUSUM is tuned for.</summary>
    public double MinDetectableShiftSigma { get; set; } = 3;

    /// <summary>Momentum-observer gain K (1/s): residual follows τ_ext with time constant 1/K.</summary>
    public double ObserverGain { get; set; } = 200;

    /// <summary>Online adaptation of slow parameters (<see cref="TwinAdaptSection"/>).</summary>
    public TwinAdaptSection Adapt { get; set; } = new();
}

/// <summary>Safety settings (issue 5): per trigger reaction and discrepancy time. Keys are trigger names.</summary>
public sealed class SafetySection
{
    public Dictionary<string, TriggerConfig> Triggers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>SS1/SS2 deceleration ramp, rad/s² at the joint.</summary>
    public double StopDecelerationRadS2 { get; set; } = 20;

    /// <summary>Time allowed for a Cat 1/Cat 2 stop before STO is forced.</summary>
    public double StopTimeS { get; set; } = 0.5;

    /// <summary>SOS standstill window, rad.</summary>
    public double StandstillWindowRad { get; set; } = 0.02;

    /// <summary>A collision's hold: each drive's 0x6072 max torque as a fraction of the joint's limits.torque_nm (bounded: <see cref="CollisionHoldLimits"/>).</summary>
    public double CollisionHoldTorqueLimit { get; set; } = CollisionHoldLimits.DefaultFraction;

    public string LogPath { get; set; } = "rt-safety.log";
    public double FlightRecorderS { get; set; } = 5;

    /// <summary>GPIO lines: "chip:line", e.g. "/dev/gpiochip0:17"; empty = not wired (bench uses emulated GPIO).</summary>
    public string EstopInput { get; set; } = "";
    public string ResetInput { get; set; } = "";
    public string EnableOutput { get; set; } = "";

    /// <summary>Unix socket for the local reset command; file permissions restrict who may reset.</summary>
    public string ResetSocket { get; set; } = "";

    /// <summary>Reset socket permissions: "0600" (owner only) or "0660" (owner and <see cref="ResetSocketGroup"/>).</summary>
    public string ResetSocketMode { get; set; } = "0600";

    /// <summary>Operator group (name or number) that owns the reset socket; empty = the process's group.</summary>
    public string ResetSocketGroup { get; set; } = "";

    /// <summary>A reset client must send its command within this time, or it is dropped so others are served.</summary>
    public double ResetSocketReceiveTimeoutS { get; set; } = 1.0;

    /// <summary>SHA-256 (hex) the effective safety policy must have; empty = not pinned. A mismatch refuses motion.</summary>
    public string ExpectedDigest { get; set; } = "";
}

public sealed class TriggerConfig
{
    /// <summary>"cat0", "cat1", "cat2" or "warn".</summary>
    public string Reaction { get; set; } = "";

    /// <summary>The condition must hold for this many consecutive ticks before the trip is confirmed.</summary>
    public int DiscrepancyTicks { get; set; } = 1;

    /// <summary>Trigger-specific threshold (units depend on the trigger), 0 = trigger's default.</summary>
    public double Threshold { get; set; }
}

/// <summary>Telemetry settings (issue 6).</summary>
public sealed class TelemetrySection
{
    public bool Enabled { get; set; }

    /// <summary>mqtt://host:port or mqtts://host:port.</summary>
    public string Broker { get; set; } = "mqtt://127.0.0.1:1883";
    public string RobotId { get; set; } = "";
    public string TopicPrefix { get; set; } = "rt";

    /// <summary>Publish every Nth tick's divergence record (1 = all).</summary>
    public int Decimation { get; set; } = 1;

    /// <summary>Records per divergence message.</summary>
    public int BatchSize { get; set; } = 50;

    public string CaFile { get; set; } = "";
    public string CertFile { get; set; } = "";
    public string KeyFile { get; set; } = "";

    /// <summary>File holding "username:password"; must not be readable by group/others.</summary>
    public string CredentialsFile { get; set; } = "";

    public string OutboxPath { get; set; } = "rt-outbox";

    /// <summary>Divergence encoding: protobuf (schema v2), json or binary (RTD1).</summary>
    public string Encoding { get; set; } = "protobuf";

    /// <summary>Summary topic rate, Hz (0 = off).</summary>
    public double SummaryHz { get; set; } = 10;

    /// <summary>joint_states / imu topics rate, Hz (0 = off).</summary>
    public double RosHz { get; set; } = 100;

    /// <summary>Protobuf: thresholds and gates are sent when they change, and at least this often, s.</summary>
    public double ThresholdRepeatS { get; set; } = 1;

    /// <summary>Protobuf: bit-pack the quantised columns (false: one varint byte per value).</summary>
    public bool PackColumns { get; set; } = true;
}
