namespace Rt.Core.Tick;

/// <summary>
/// What kind of fault a trip or warning was isolated to (issue 13). The reaction chooses by it: a collision gets a
/// compliant reaction, sensor and actuator faults the configured stop category. Numbers are stable (safety log, telemetry).
/// </summary>
public enum FaultClass : byte
{
    /// <summary>Not isolated (e.g. an event that is not a trip, or evidence that fits no class).</summary>
    Unknown = 0,
    /// <summary>Contact with the environment: a residual the rigid-body model explains as an external wrench on a link.</summary>
    Collision = 1,
    /// <summary>A sensor disagrees with its own other channels and with the model: encoder, torque sensor, IMU axis.</summary>
    Sensor = 2,
    /// <summary>The drive or joint does not produce the commanded torque: torque loss, friction, a drive fault.</summary>
    Actuator = 3,
    /// <summary>The fieldbus: lost frames, a slave leaving OP, the link down.</summary>
    Bus = 4,
    /// <summary>A configured motion limit (position, velocity, torque, following error).</summary>
    Limit = 5,
    /// <summary>The controller's own timing: a loop overrun or a stalled clock.</summary>
    Timing = 6,
    /// <summary>An operator input: the emergency stop.</summary>
    Operator = 7,
    /// <summary>Telemetry or the safety log itself (a lost event, a policy mismatch).</summary>
    System = 8,
}

/// <summary>What <see cref="FaultDiagnosis.Location"/> indexes. Numbers are stable.</summary>
public enum FaultSite : byte
{
    None = 0,
    /// <summary>A joint, in config order.</summary>
    Joint = 1,
    /// <summary>A link of the robot description (the body a contact acts on), in the rigid-body model's body order.</summary>
    Link = 2,
    /// <summary>An IMU, in config order; <see cref="FaultDiagnosis.Axis"/> names the axis when known.</summary>
    Imu = 3,
    /// <summary>A bus slave, by its position on the bus.</summary>
    Slave = 4,
}

/// <summary>Which test confirmed the fault. Numbers are stable.</summary>
public enum DetectionTest : byte
{
    None = 0,
    /// <summary>The twin's per-channel CUSUM on the whitened innovation.</summary>
    Cusum = 1,
    /// <summary>The twin's per-tick χ² gate on the normalised innovation.</summary>
    Gate = 2,
    /// <summary>A detector on the un-whitened mean shift (correlated channels).</summary>
    MeanShift = 3,
    /// <summary>A fixed bound (limit, collision torque threshold, discrepancy count).</summary>
    Limit = 4,
    /// <summary>Reported by another stage (bus, drive, IMU status, loop).</summary>
    Report = 5,
    /// <summary>The encoder's own noise stopped (the twin's stuck-encoder check): a frozen reading, a sensor fault by construction.</summary>
    StuckEncoder = 6,
    /// <summary>The joints of a standing leg stepped together (the twin's held-leg step test): a push on that leg.</summary>
    HeldLegStep = 7,
}

/// <summary>
/// The isolated cause of a safety event: class, where (site and index, plus the IMU axis 0..2 or -1), and which test
/// fired. The event's Channel/Value/Threshold carry the evidence (worst channel, its statistic and threshold).
/// Unmanaged; default = not isolated.
/// </summary>
public readonly record struct FaultDiagnosis(FaultClass Class, FaultSite Site, short Location, sbyte Axis, DetectionTest Test)
{
    public static readonly FaultDiagnosis None = new(FaultClass.Unknown, FaultSite.None, -1, -1, DetectionTest.None);
}
