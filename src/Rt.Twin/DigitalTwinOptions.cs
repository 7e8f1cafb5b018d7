using Rt.Core.Description;
using Rt.Twin.CrossCheck;
using Rt.Twin.Models;

namespace Rt.Twin;

/// <summary>Prepare-time inputs of the <see cref="DigitalTwin"/> beyond the config. All optional: defaults are nominal.</summary>
public sealed record DigitalTwinOptions
{
    /// <summary>Robot description; default <c>RtConfig.Description</c>.</summary>
    public RobotDescription? Description { get; init; }

    /// <summary>Servo model per joint in the CONFIG's joint order; default <see cref="ServoParameters.Nominal"/> from the URDF.</summary>
    public IReadOnlyList<ServoParameters>? Servo { get; init; }

    /// <summary>Inertial parameters π (10 per body, model order, see <c>RigidBodyModel</c>); default from the URDF.</summary>
    public IReadOnlyList<double>? InertialParameters { get; init; }

    /// <summary>Noise model for the cross-check; default <see cref="NoiseModel.Nominal"/>.</summary>
    public NoiseModel? Noise { get; init; }

    public CrossCheckOptions? CrossCheck { get; init; }

    /// <summary>
    /// Per joint (config order), the rigid-body model's relative torque error √(1 − R²) from the calibration's torque
    /// fit; the slip test (<see cref="HeldSlipCheck"/>) runs only on joints that have one. Null = no calibrated fit.
    /// </summary>
    public IReadOnlyList<double>? TorqueModelRelativeError { get; init; }

    /// <summary>
    /// The slip test (<see cref="HeldSlipCheck"/>) on joints with a calibrated torque fit (a drive losing torque at a
    /// standing joint). On by default (docs/TWIN.md, "Torque loss at a standing joint").
    /// </summary>
    public bool SlipTest { get; init; } = true;

    /// <summary>
    /// Correction gain for position, 0..1: x_c = x̂ + L(y − x̂). 1 (default) restarts every prediction from the
    /// measurement, so model error never accumulates beyond one tick.
    /// </summary>
    public double PositionCorrectionGain { get; init; } = 1.0;

    /// <summary>Correction gain for velocity, 0..1 (lower = smooth a noisy velocity through the model). Default 1.</summary>
    public double VelocityCorrectionGain { get; init; } = 1.0;

    /// <summary>
    /// Per-tick gain κ of the servo model's load-disturbance estimate (see <see cref="Models.ServoModel.Disturbance"/>),
    /// 0..1; 0 disables it (a pure second-order loop, right only for an unloaded joint at its tuning inertia).
    /// Default 0.7: the estimate follows a change within ≈2 ticks, far faster than a gait; 1 (deadbeat) passes more
    /// velocity noise (on the bench march: torque innovation 0.41 N·m RMS at 0.7, 0.56 at 1, 0.57 at 0.3).
    /// </summary>
    public double DisturbanceGain { get; init; } = 0.7;

    /// <summary>IMU bias correction gain per tick (see <see cref="ImuModel"/>).</summary>
    public double ImuBiasGain { get; init; } = 1e-4;

    /// <summary>
    /// The servo model describes a closed position loop: while a joint's drive is not in "operation enabled" its
    /// position/velocity/torque channels (and, while any drive is off, the IMU channels) are excluded from alarms.
    /// Default true.
    /// </summary>
    public bool RequireDrivesOperational { get; init; } = true;

    /// <summary>What the external-torque channel hands to the cross-check; see <see cref="ExternalTorqueComponent"/>.</summary>
    public ExternalTorqueComponent ExternalTorqueComponent { get; init; } = ExternalTorqueComponent.Whitened;

    /// <summary>How the drives' torque sawtooth is converted from the servo model's accelerations (see <see cref="SawtoothInertia"/>).</summary>
    public SawtoothInertia SawtoothInertia { get; init; } = SawtoothInertia.Diagonal;

    /// <summary>What the drives' torque feedback (0x6077) is: a tick mean (default; the bench's drives) or the last sample.</summary>
    public TorqueFeedback TorqueFeedback { get; init; } = TorqueFeedback.TickMean;

    /// <summary>What an IMU sample is: the mean over the tick (default; the bench's IMUs) or an instantaneous value.</summary>
    public ImuSampling ImuSampling { get; init; } = ImuSampling.TickMean;

    /// <summary>Ticks after a (re)start or a drive becoming operational before its servo channels may alarm.</summary>
    public int WarmupTicks { get; init; } = 20;
    /// <summary>
    /// Ticks after a bus gap (lost frames or a short working counter, within the frame-loss budget) during which the
    /// servo-driven channels are not scored, counted from the first fresh tick: the drives held their last target
    /// during the gap and catch up with a step the servo model does not describe (docs/TWIN.md, "Stale inputs").
    /// 0: the first fresh tick only (it has nothing to compare with). Measured by tools/frame-loss-grid.sh.
    /// </summary>
    public int CatchUpTicks { get; init; } = 20;

    /// <summary>
    /// A joint whose measured |q̇| is below min(this, its Coulomb smoothing velocity) is in its stiction band, rad/s
    /// (it leaves the band above twice that): its external-torque channel is not scored there and its torque channel
    /// sees only what a holding friction in [−F_c, F_c] cannot explain (<see cref="StictionTorqueMargin"/>).
    /// 0.02 rad/s is 3–5× the bench's velocity noise; kept narrow so that a joint that starts to move under a fault
    /// (a lost drive, a push) is scored again within a tick or two. 0 scores them always.
    /// </summary>
    public double StictionBandRadS { get; init; } = 0.02;

    /// <summary>
    /// In the stiction band the joint-torque innovation passes through a dead zone of this × F_c (the holding friction
    /// can be anywhere in [−F_c, F_c]; 1.5 covers a plant whose friction is up to 50 % above the calibrated value).
    /// </summary>
    public double StictionTorqueMargin { get; init; } = 1.5;

    /// <summary>
    /// A joint held by static friction (in its stiction band, command settled) is predicted to stay where it is plus
    /// its creep (<see cref="Models.ServoModel.HeldPosition"/>), not where the servo model carries its velocity sample
    /// (stick-slip chatter). Default on; off = the servo model's position for every joint (before session 9).
    /// </summary>
    public bool HeldPosition { get; init; } = true;

    /// <summary>
    /// The stuck-encoder test (<c>CrossCheck/EncoderStuckCheck</c>, issue 13): on by default (session 10). It names a
    /// frozen encoder on a still joint from its stopped flicker (iso-encoder-freeze-left-hip-roll: 40 ms, 351 ms without
    /// it); its null model is the encoder's own white noise, learnt from the count's lag-1 change products and checked
    /// against the joint's own rate of continuing runs (a joint chattering against its friction, which session 9's
    /// version false-tripped on: nominal-march seed 7073, l_knee; docs/TWIN.md, "Stuck encoder").
    /// </summary>
    public bool EncoderStuckCheck { get; init; } = true;

    /// <summary>
    /// The contact matched filter (<c>CrossCheck/ContactTest</c>, issue 13): not evaluated by default. Its alarm is off
    /// (it still fires on the synthetic twin's nominal noise, docs/TWIN.md "Contact test") and nothing in the host reads
    /// its fit yet, so running its per-chain fits every tick would be tick time spent for nothing. On for its tests and
    /// for analysis (<see cref="DigitalTwin.Contact"/>).
    /// </summary>
    public bool ContactTest { get; init; }

    /// <summary>
    /// The held-leg step test (<c>CrossCheck/HeldLegStepTest</c>, issue 13): a push on a leg whose joints all stand held
    /// shows as a step of their position innovations together, scored against the leg's own standing covariance
    /// (Hotelling T², F threshold from the false-alarm budget). Default on.
    /// </summary>
    public bool HeldLegStepTest { get; init; } = true;
}

/// <summary>
/// The external-torque channel's innovation component. The observer's residual r is a first-order low-pass
/// (pole a = e^(−K·dt)) of the per-tick torque estimate w, so consecutive r are strongly correlated, which breaks the
/// independent-sample assumption behind the CUSUM thresholds (a low-passed noise crosses them far more often than the
/// configured rate). The whitened component w_k = (r_k − a·r_(k−1)) / (1 − a) is the observer's own input: the same mean
/// (τ_ext), no low-pass, so the CUSUM does the averaging it was designed for. <c>DivergenceRecord.ExternalTorque</c>
/// always carries r itself.
/// </summary>
public enum ExternalTorqueComponent
{
    /// <summary>w_k = (r_k − a·r_(k−1)) / (1 − a): per-tick external-torque estimate (default).</summary>
    Whitened,

    /// <summary>r_k, the observer's filtered estimate.</summary>
    Filtered,
}

/// <summary>
/// What the measured joint torque represents within the tick. A position-loop drive fed a new target each tick makes a
/// torque sawtooth (a step when the command lands, then a decay at the loop's bandwidth) whose peak-to-peak at a
/// moving hip is tens of N·m; which point of it the drive reports decides both the torque prediction and the observer.
/// </summary>
public enum TorqueFeedback
{
    /// <summary>
    /// The mean torque over the tick (a current reading filtered over the bus cycle; the bench's drives). The torque
    /// channel is predicted at the tick's mean acceleration (q̇_(k+1) − q̇_k)/dt, and the observer integrates the mean
    /// as it is (no sawtooth correction): τ̄·dt is the tick's momentum change exactly.
    /// </summary>
    TickMean,

    /// <summary>
    /// The torque of the drive loop's last cycle before the sample (end of the sawtooth). Predicted at the servo
    /// model's end-of-tick acceleration; the observer adds the sawtooth's missing integral (see <see cref="SawtoothInertia"/>).
    /// </summary>
    LastSample,
}

/// <summary>What an IMU sample represents within the tick (see <see cref="TorqueFeedback"/> for why it matters).</summary>
public enum ImuSampling
{
    /// <summary>The mean over the tick (an IMU's decimation filter): predicted at the tick's mean acceleration.</summary>
    TickMean,

    /// <summary>An instantaneous value at the tick: predicted at the servo model's end-of-tick acceleration.</summary>
    Instant,
}

/// <summary>
/// Which inertia turns the servo model's within-tick acceleration sawtooth into the drives' torque sawtooth for the
/// momentum observer's sampled-torque correction.
/// </summary>
public enum SawtoothInertia
{
    /// <summary>
    /// diag(M(q)): each drive runs its own loop on its own joint (P–PI, tuned for the joint's inertia), so joint j's
    /// torque moves by ≈ M_jj·Δq̈_j within a tick. Right for real drives and the bench (default).
    /// </summary>
    Diagonal,

    /// <summary>Full M(q): a computed-torque controller whose torque is exactly M·q̈ + c (the synthetic test robot).</summary>
    Full,
}
