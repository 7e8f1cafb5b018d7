using Rt.Core.Tick;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign;

// The campaign's data contract: what a scenario file says (Scenario) and what running it produced (ScenarioResult).
// Loader, injectors, runner and reports all code against these records; keep them plain data.

/// <summary>What kind of fault an injection puts into the emulated robot, bus or host.</summary>
public enum InjectionKind
{
    /// <summary>An obstacle moved into a leg's path (target: link that should hit it).</summary>
    CollisionObstacle,
    /// <summary>An external wrench on a link (target: link; force_n [x,y,z] world frame, torque_nm optional).</summary>
    CollisionWrench,
    /// <summary>Mass added to a link (target: link; mass_kg).</summary>
    Payload,
    /// <summary>Joint friction raised (target: joint; friction_nm Coulomb and/or damping_nms).</summary>
    JointFriction,
    /// <summary>Drive delivers only a fraction of its torque (target: joint; scale 0..1, 0 = loss).</summary>
    TorqueLoss,
    /// <summary>Encoder stops updating (target: joint).</summary>
    EncoderFreeze,
    /// <summary>Encoder position jumps by an offset (target: joint; offset_rad).</summary>
    EncoderJump,
    /// <summary>Encoder noise burst (target: joint; noise_counts σ).</summary>
    EncoderNoise,
    /// <summary>IMU bias step (target: IMU; accel_bias_ms2 [x,y,z] and/or gyro_bias_rad_s [x,y,z]).</summary>
    ImuBias,
    /// <summary>IMU output frozen (target: IMU).</summary>
    ImuFreeze,
    /// <summary>IMU saturates (target: IMU): reads its range limit.</summary>
    ImuSaturation,
    /// <summary>Burst of lost frames (frames: how many consecutive cyclic frames are dropped).</summary>
    FrameLoss,
    /// <summary>A slave drops to SAFE-OP (target: joint or IMU whose slave it is).</summary>
    SlaveSafeOp,
    /// <summary>The link goes down (lockstep: the emulated segment; real time: the veth taken down).</summary>
    LinkDown,
    /// <summary>The MQTT broker goes away for duration_s (needs telemetry to a private broker).</summary>
    BrokerOutage,
    /// <summary>Real time only: CPU hog threads on the tick's core for duration_s.</summary>
    CpuHog,
}

/// <summary>One timed fault injection. Parameters not used by the kind stay null.</summary>
public sealed record Injection
{
    public required InjectionKind Kind { get; init; }
    /// <summary>Simulated seconds after the start of the run.</summary>
    public required double AtS { get; init; }
    /// <summary>How long it lasts; null = until the end of the run.</summary>
    public double? DurationS { get; init; }
    /// <summary>Joint, link or IMU name (kind-dependent); null where the kind has no target.</summary>
    public string? Target { get; init; }
    public double? Scale { get; init; }
    public double? MassKg { get; init; }
    public double? FrictionNm { get; init; }
    public double? DampingNms { get; init; }
    public double? OffsetRad { get; init; }
    public double? NoiseCounts { get; init; }
    public double[]? ForceN { get; init; }
    public double[]? TorqueNm { get; init; }
    public double[]? AccelBiasMs2 { get; init; }
    public double[]? GyroBiasRadS { get; init; }
    public int? Frames { get; init; }
    /// <summary>Payload only: the mass is added linearly over this many seconds (in 10 ms steps) instead of at once; null = a step.</summary>
    public double? RampS { get; init; }
    /// <summary>Line of the entry in the scenario file (for messages).</summary>
    public int Line { get; init; }
}

/// <summary>Bounds for domain randomisation; each value drawn uniformly within ±fraction (or in [min, max]) from the seed.</summary>
public sealed record Randomisation
{
    /// <summary>Link masses: ×(1 ± this).</summary>
    public double MassFraction { get; init; }
    /// <summary>Link principal inertias: ×(1 ± this).</summary>
    public double InertiaFraction { get; init; }
    /// <summary>Joint friction loss and damping: ×(1 ± this).</summary>
    public double FrictionFraction { get; init; }
    /// <summary>Motor torque constants (the drive's delivered torque per commanded torque): ×(1 ± this).</summary>
    public double MotorConstantFraction { get; init; }
    /// <summary>Encoder noise σ, counts, drawn in [min, max].</summary>
    public double[] EncoderNoiseCounts { get; init; } = [0, 0];
    /// <summary>IMU accelerometer noise σ, m/s², drawn in [min, max]; null = the emulator's default.</summary>
    public double[]? ImuAccelNoiseMs2 { get; init; }
    /// <summary>IMU gyro noise σ, rad/s, drawn in [min, max]; null = the emulator's default.</summary>
    public double[]? ImuGyroNoiseRadS { get; init; }
    /// <summary>Sensor latency, substeps of the plant, drawn in [min, max] (integers).</summary>
    public int[] SensorLatencySubsteps { get; init; } = [0, 0];

    public static Randomisation None { get; } = new();
}

/// <summary>What the run should end with.</summary>
public enum ExpectedOutcome
{
    /// <summary>No trip and no warning.</summary>
    NoTrip,
    /// <summary>At least one warning (a trigger configured to warn), no trip.</summary>
    Warning,
    /// <summary>A stop of the given category caused by one of the given triggers, within the given time of the first injection.</summary>
    Stop,
}

public sealed record Expectation
{
    public required ExpectedOutcome Outcome { get; init; }
    /// <summary>For Stop: the stop category (Cat0/1/2); null = any.</summary>
    public StopCategory? Category { get; init; }
    /// <summary>For Stop (and Warning): accepted trigger names (SafetyTrigger names as in the config, e.g. "collision"); empty = any.</summary>
    public IReadOnlyList<string> Triggers { get; init; } = [];
    /// <summary>For Stop: bound from the injection to the stop command on the bus, ms.</summary>
    public double? WithinMs { get; init; }
    /// <summary>With twin_adapt: the twin's adapted payload at the (first) payload injection's link at the end of the run, kg (passes within ± <see cref="PayloadToleranceFraction"/>).</summary>
    public double? PayloadKg { get; init; }

    /// <summary>The accepted relative error of the adapted payload (issue 16: ± 10 %).</summary>
    public const double PayloadToleranceFraction = 0.1;
}

/// <summary>A parsed, validated scenario file.</summary>
public sealed record Scenario
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary>Absolute path of the scenario file.</summary>
    public required string SourcePath { get; init; }
    /// <summary>Absolute path of the host config (robot) the scenario runs.</summary>
    public required string ConfigPath { get; init; }
    /// <summary>Motion override ("hold", "sine", "march"); null = the config's.</summary>
    public string? Motion { get; init; }
    public required double DurationS { get; init; }
    public required ulong Seed { get; init; }
    /// <summary>Seeds the sensor-noise streams alone (null: <see cref="Seed"/>); the ageing campaign draws one per (seed, day) on the same plant.</summary>
    public ulong? NoiseSeed { get; init; }
    public Randomisation Randomisation { get; init; } = Randomisation.None;
    public IReadOnlyList<Injection> Injections { get; init; } = [];
    public required Expectation Expect { get; init; }
    /// <summary>Needs the real-time mode (e.g. a CPU hog); skipped with a reason in lockstep.</summary>
    public bool RealtimeOnly { get; init; }
    /// <summary>twin_adapt: turns the twin's guarded adaptation (twin.adapt.enabled) on or off for this run; null = the robot config's.</summary>
    public bool? TwinAdapt { get; init; }
    /// <summary>Tags for selecting subsets (e.g. "ci", "nominal", "collision").</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
}

public enum Verdict { Pass, Fail, Skipped, Error }

/// <summary>One safety state change seen in the run.</summary>
public sealed record StateChange(long Tick, double TimeS, SafetyState From, SafetyState To, string Trigger, string Channel, double Value, double Threshold)
{
    /// <summary>The isolated cause (issue 13), e.g. "collision at l_shin (cusum)"; empty when the event was not isolated.</summary>
    public string Cause { get; init; } = "";
}

/// <summary>One injection as it was applied.</summary>
public sealed record AppliedInjection(InjectionKind Kind, string? Target, long Tick, double TimeS, long? EndTick);

/// <summary>Per-channel maximum of the divergence record over the run (worst ratio = detector/threshold or NIS/gate).</summary>
public sealed record ChannelMaximum(string Channel, double MaxRatio, double MaxInnovation, long AtTick);

/// <summary>Decimated time series for the report's plots; one sample per <see cref="DecimationTicks"/> ticks (max over the window for ratios).</summary>
public sealed record ScenarioSeries
{
    public required int DecimationTicks { get; init; }
    public required double[] TimeS { get; init; }
    /// <summary>Series name (channel group, e.g. "joint torque", "external torque", "IMU") → worst ratio in the window (threshold = 1).</summary>
    public required IReadOnlyDictionary<string, double[]> Ratios { get; init; }
    /// <summary>Safety state per sample (the state at the end of the window).</summary>
    public required SafetyState[] States { get; init; }
}

/// <summary>
/// The obstacle's normal contact force (MuJoCo touch sensor on the box) around the stop, N (docs/HIL.md, "Collision
/// reaction"): at the stop command, peak and end-of-window mean over the 50 ms after it, and the trend.
/// </summary>
public sealed record ContactForceFigures
{
    /// <summary>First tick with contact (force above the released level) at or after the injection.</summary>
    public long? FirstContactTick { get; init; }
    /// <summary>First contact → the stop command on the bus, ms.</summary>
    public double? ContactToStopMs { get; init; }
    /// <summary>Force when the stop command went out (the trip tick's sample).</summary>
    public double AtStopN { get; init; }
    /// <summary>Peak force in the 50 ms after the command.</summary>
    public double PeakAfterStopN { get; init; }
    /// <summary>Mean force over the last 10 ms of that window.</summary>
    public double EndOfWindowN { get; init; }
    /// <summary>Peak force over the whole run from the injection.</summary>
    public double PeakN { get; init; }
    /// <summary>Force 100 ms after the command (the tick's sample); null if the run ended before.</summary>
    public double? At100msN { get; init; }
    /// <summary>Force 300 ms after the command; null if the run ended before.</summary>
    public double? At300msN { get; init; }
    /// <summary>"falling" (end ≤ at the command), "released" (end ≤ 1 N), "rising", "no contact", "no stop", "window cut short".</summary>
    public string Trend { get; init; } = "";
}

/// <summary>One robot link's contact with the obstacle box: the largest normal force over the watched window, N, and the tick of its first contact above <see cref="ScenarioObserver.ContactReleasedN"/> (null: never above it).</summary>
public sealed record LinkContact(string Link, double PeakN, long? FirstTick);

/// <summary>
/// The obstacle's physical truth for isolation (issue 13): per robot link the normal contact force between the box and the
/// link (MuJoCo's contacts, <see cref="Rt.Hil.Plant.MujocoPlant.ObstacleContacts"/>), from the injection to the end of the
/// isolator's evidence window (trip + <see cref="ScenarioObserver.TouchAfterTripMs"/>; no trip: the end of the run).
/// </summary>
public sealed record ObstacleTouch
{
    /// <summary>The watched window, ticks (null when the run never reached the injection).</summary>
    public long? FromTick { get; init; }
    public long? ToTick { get; init; }
    /// <summary>Every link with a force in the window, largest peak first.</summary>
    public IReadOnlyList<LinkContact> Links { get; init; } = [];
    /// <summary>The links touched: peak ≥ <see cref="IsolationScore.TouchedFraction"/> of the largest (grazes left out), largest first.</summary>
    public IReadOnlyList<LinkContact> Touched { get; init; } = [];
    /// <summary>The link whose contact came first (the injection's target is meant to be it); null without contact.</summary>
    public string? FirstTouched { get; init; }
    /// <summary>True if some tick had more touching links than could be recorded (cannot happen with the spans sized per link).</summary>
    public bool Incomplete { get; init; }
    /// <summary>
    /// The isolator's evidence window (trip + <see cref="ScenarioObserver.WindowSettleMs"/> … trip +
    /// <see cref="ScenarioObserver.TouchAfterTripMs"/>), per joint in config order: the mean of the twin's observer residual
    /// and of the box's true joint torques (MuJoCo's contacts, <see cref="Rt.Hil.Plant.MujocoPlant.ObstacleContactTorque"/>).
    /// Null without a trip.
    /// </summary>
    public IReadOnlyList<JointWindowTorque>? Window { get; init; }
}

/// <summary>
/// One joint's mean over the evidence window, N·m: the observer's residual, the box's true joint torque, and that torque
/// as an exact observer shows it (through the observer's first-order response, gain <c>twin.observer_gain</c>, from the
/// box's placement on: the residual still carries a contact that ended just before the window), and the joint's
/// position at the window's last tick (rad; the pose the window's fit is made at).
/// </summary>
public sealed record JointWindowTorque(string Joint, double ResidualNm, double ContactNm, double ContactSeenNm, double PositionRad);

/// <summary>What running one scenario produced.</summary>
public sealed record ScenarioResult
{
    public required string Name { get; init; }
    public required string SourcePath { get; init; }
    public required ulong Seed { get; init; }
    public required Verdict Verdict { get; init; }
    /// <summary>Why it passed or failed, one sentence.</summary>
    public required string Reason { get; init; }
    public required string Mode { get; init; }           // "lockstep" | "realtime"
    public required double SimulatedS { get; init; }
    public required double WallS { get; init; }
    public long Ticks { get; init; }
    public IReadOnlyList<AppliedInjection> Injections { get; init; } = [];
    public IReadOnlyList<StateChange> Timeline { get; init; } = [];
    /// <summary>First trip (leaving Operational for a stopping/faulted state): tick; null = none.</summary>
    public long? TripTick { get; init; }
    public string? TripTrigger { get; init; }
    public StopCategory? TripCategory { get; init; }
    /// <summary>First injection → trip decision, ms (null without a trip or an injection).</summary>
    public double? DetectionLatencyMs { get; init; }
    /// <summary>First injection → first bus frame carrying the stop command, ms.</summary>
    public double? StopCommandLatencyMs { get; init; }
    /// <summary>Trip → standstill (or STO), ms.</summary>
    public double? StopTimeMs { get; init; }
    /// <summary>Largest joint travel after the trip decision, rad (and which joint).</summary>
    public double? StopDistanceRad { get; init; }
    public string? StopDistanceJoint { get; init; }
    /// <summary>Largest joint travel from the trip while the drives were powered (until the power request went off, or the end), rad, and the joint.</summary>
    public double? PoweredTravelRad { get; init; }
    public string? PoweredTravelJoint { get; init; }
    /// <summary>Largest joint travel after the power request went off (STO), from where the joint was then, rad; null when the power stayed on.</summary>
    public double? UnpoweredTravelRad { get; init; }
    public string? UnpoweredTravelJoint { get; init; }
    /// <summary>Trip → the power request off (STO), ms; null when the power stayed on.</summary>
    public double? PowerOffMs { get; init; }
    /// <summary>Trip → every joint slower than 0.01 rad/s, powered or not (the robot at rest), ms; null when it never came to rest.</summary>
    public double? StandstillTimeMs { get; init; }
    /// <summary>The first Cat 0 after the trip (an escalation: stop monitor, brake, …), described; null when none.</summary>
    public string? Cat0Escalation { get; init; }
    /// <summary>The obstacle's contact force around the stop (runs with a collision_obstacle); null otherwise.</summary>
    public ContactForceFigures? Contact { get; init; }
    /// <summary>Issue 13's collision numbers, for every run whose first injection is a collision (obstacle or wrench); null otherwise. A report, not the verdict.</summary>
    public CollisionNumbers? CollisionNumbers { get; init; }
    /// <summary>Trips that were not expected (before the first injection, or in a no-trip scenario).</summary>
    public int FalseTrips { get; init; }
    public int Warnings { get; init; }
    /// <summary>Safety events produced by the supervisor and events that reached the safety log (must be equal).</summary>
    public long SafetyEventsRaised { get; init; }
    public long SafetyEventsLogged { get; init; }
    public IReadOnlyList<ChannelMaximum> MaxDivergence { get; init; } = [];
    public ScenarioSeries? Series { get; init; }
    /// <summary>Randomised plant/sensor values actually drawn (name → value), for the report.</summary>
    public IReadOnlyDictionary<string, double> Drawn { get; init; } = new Dictionary<string, double>();
    /// <summary>Isolation (issue 13): the trip's isolated class and location, by name (null without a trip or isolation).</summary>
    public string? IsolatedClass { get; init; }
    public string? IsolatedLocation { get; init; }
    /// <summary>What the trip tick itself isolated (the reaction's basis), when the record's refined cause (after the twin's evidence window) differs or exists; null otherwise.</summary>
    public string? TripIsolatedClass { get; init; }
    public string? TripIsolatedLocation { get; init; }
    /// <summary>The first injection's class and location (null without an injection that is a robot fault).</summary>
    public string? TruthClass { get; init; }
    public string? TruthLocation { get; init; }
    /// <summary>Whether the isolated class / location is the injected one (null when there is no truth or no trip).</summary>
    public bool? ClassRight { get; init; }
    public bool? LocationRight { get; init; }
    /// <summary>Which links the obstacle box touched from its injection to the end of the isolator's evidence window (runs with a collision_obstacle); null otherwise.</summary>
    public ObstacleTouch? Touch { get; init; }
    /// <summary>
    /// "Named a link the obstacle touched": <see cref="LocationRight"/>, or for a collision_obstacle run the class right and
    /// the isolated link in <see cref="ObstacleTouch.Touched"/> (<see cref="IsolationScore.NamedTouchedLink"/>). Null when not scored.
    /// </summary>
    public bool? TouchedLinkRight { get; init; }
    /// <summary>What the scenario expected (copied from <see cref="Scenario.Expect"/>); the sweep statistics tell nominal runs from fault runs by it. Null = unknown (a run with no injection then counts as nominal).</summary>
    public Expectation? Expect { get; init; }
    /// <summary>The run's MCAP recording (rt hil run --record/--dataset), or null; and ticks its recorder dropped.</summary>
    public string? Recording { get; init; }
    public long RecordingDropped { get; init; }
    /// <summary>The motion the run executed (march, sine, hold): the dataset's task.</summary>
    public string? Motion { get; init; }
    /// <summary>With the twin's adaptation on (twin_adapt / --twin-adapt): its final payload estimate per end link, kg; null when it was off.</summary>
    public IReadOnlyDictionary<string, double>? AdaptedPayloadKg { get; init; }
    /// <summary>With adaptation on: payload changes logged (one per log step moved) and ticks a change waited for a full log ring.</summary>
    public long AdaptationChanges { get; init; }
    public long AdaptationBlocked { get; init; }
    /// <summary>With adaptation on: how much of the run it was frozen, and which detectors froze it most.</summary>
    public string? AdaptationFrozen { get; init; }
}

/// <summary>A whole campaign run (rt hil run / sweep).</summary>
public sealed record CampaignResult
{
    public required DateTimeOffset StartedUtc { get; init; }
    public required string Host { get; init; }
    public required string Mode { get; init; }
    public required IReadOnlyList<ScenarioResult> Scenarios { get; init; }
    public double WallS { get; init; }
    public int Passed => Scenarios.Count(s => s.Verdict == Verdict.Pass);
    public int Failed => Scenarios.Count(s => s.Verdict is Verdict.Fail or Verdict.Error);
    public int Skipped => Scenarios.Count(s => s.Verdict == Verdict.Skipped);
    /// <summary>Runs whose trip could be scored against an injected truth (issue 13).</summary>
    public int IsolationScored => Scenarios.Count(s => s.ClassRight is not null);
    /// <summary>Fraction of scored runs isolated to the right class / location (null when none was scored).</summary>
    public double? ClassAccuracy => IsolationScored == 0 ? null : Scenarios.Count(s => s.ClassRight == true) / (double)IsolationScored;
    public double? LocationAccuracy => IsolationScored == 0 ? null : Scenarios.Count(s => s.LocationRight == true) / (double)IsolationScored;
    /// <summary>Scored runs that named a link the obstacle touched (<see cref="ScenarioResult.TouchedLinkRight"/>), and their fraction.</summary>
    public int TouchedLinkRight => Scenarios.Count(s => s.TouchedLinkRight == true);
    public double? TouchedLinkAccuracy => IsolationScored == 0 ? null : TouchedLinkRight / (double)IsolationScored;
    /// <summary>Runs whose first injection is a collision (skipped ones left out), and how many of them met issue 13's collision numbers.</summary>
    public int CollisionRuns => Scenarios.Count(s => s.CollisionNumbers is not null && s.Verdict != Verdict.Skipped);
    public int CollisionRunsMet => Scenarios.Count(s => s.CollisionNumbers is { Met: true } && s.Verdict != Verdict.Skipped);
}

/// <summary>
/// Issue 13's numbers for one collision run (docs/HIL.md, "Collision numbers on every collision run"): the stop on the
/// bus ≤ 10 ms after the contact, the compliant hold (no Cat 0 at the trip, no Cat 1 ramp that ends in STO, no Cat 0
/// escalation), no joint further than 0.15 rad from the trip, and the contact force falling or released when measured.
/// </summary>
public sealed record CollisionNumbers
{
    public required bool Met { get; init; }
    /// <summary>Why not, one short phrase per number missed (empty when met).</summary>
    public IReadOnlyList<string> Violations { get; init; } = [];
}
