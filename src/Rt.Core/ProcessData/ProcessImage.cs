namespace Rt.Core.ProcessData;

/// <summary>
/// What the host writes to one CiA 402 servo drive each cycle (RxPDO 0x1600 in CSP/CSV/CST).
/// Field units are the drive's: counts, counts/s, per-mille of rated torque.
/// </summary>
public struct DriveOutputs
{
    /// <summary>0x6040 controlword.</summary>
    public ushort Controlword;

    /// <summary>0x6060 modes of operation (8 CSP, 9 CSV, 10 CST).</summary>
    public sbyte ModeOfOperation;

    /// <summary>0x607A target position, motor encoder counts.</summary>
    public int TargetPosition;

    /// <summary>0x60FF target velocity, counts/s (CSV).</summary>
    public int TargetVelocity;

    /// <summary>0x6071 target torque, per-mille of rated torque (CST).</summary>
    public short TargetTorque;

    /// <summary>0x60B1 velocity offset, counts/s (feed-forward in CSP).</summary>
    public int VelocityOffset;

    /// <summary>0x60B2 torque offset, per-mille of rated torque (feed-forward in CSP/CSV).</summary>
    public short TorqueOffset;

    /// <summary>
    /// 0x6072 max torque, per-mille of rated torque (the drive clamps its torque to it): the joint's limit in motion, the
    /// collision hold's lower limit from the trip tick on. Sent only to drives that map it.
    /// </summary>
    public ushort MaxTorque;

    /// <summary>0x60FE:01 digital outputs; bit 0 releases the holding brake (<see cref="DriveDigitalOutputs.BrakeRelease"/>). Sent only to drives that map it.</summary>
    public uint DigitalOutputs;
}

/// <summary>Bits of 0x60FE:01 (digital outputs) the host sets.</summary>
public static class DriveDigitalOutputs
{
    /// <summary>Bit 0 (CiA 402 "set brake", under the 0x60FE:02 mask): 1 opens the holding brake while the power stage is off.</summary>
    public const uint BrakeRelease = 1u << 0;

    /// <summary>
    /// The bit a brake closed under power is commanded on: manufacturer-specific (bits 16–31), per brake in the config
    /// (<c>brakes[i].engage_bit</c>). The bench's drives (RtBench-Servo.xml) take bit 16.
    /// </summary>
    public static uint BrakeEngage(int bit) => (uint)bit is >= 16 and <= 31 ? 1u << bit : 0;

    /// <summary>The bench drive's brake-close-under-power bit (RtBench-Servo.xml, 0x60FE:02 default 0x00010001).</summary>
    public const uint BenchBrakeEngage = 1u << 16;
}

/// <summary>What one CiA 402 servo drive reports each cycle (TxPDO 0x1A00).</summary>
public struct DriveInputs
{
    /// <summary>0x6041 statusword.</summary>
    public ushort Statusword;

    /// <summary>0x6061 modes of operation display.</summary>
    public sbyte ModeDisplay;

    /// <summary>0x6064 position actual value, counts.</summary>
    public int PositionActual;

    /// <summary>0x606C velocity actual value, counts/s.</summary>
    public int VelocityActual;

    /// <summary>0x6077 torque actual value, per-mille of rated torque.</summary>
    public short TorqueActual;

    /// <summary>0x603F error code (CiA 402 / DS301 error code of the last fault), 0 = none.</summary>
    public ushort ErrorCode;

    /// <summary>0x60FD digital inputs (bit 0 negative limit, 1 positive limit, 2 home, 16+ manufacturer).</summary>
    public uint DigitalInputs;
}

/// <summary>
/// Which optional feedback objects a joint's drive maps (<see cref="ProcessImage.Feedback"/>). Statusword and position
/// actual are always there (a drive without them is refused at start). A missing object's input field stays at its
/// default; the stages that would read it drop the checks that need it and say so at start.
/// </summary>
[Flags]
public enum DriveFeedback : byte
{
    None = 0,

    /// <summary>0x606C velocity actual.</summary>
    Velocity = 1 << 0,

    /// <summary>0x6077 torque actual.</summary>
    Torque = 1 << 1,

    /// <summary>0x603F error code.</summary>
    ErrorCode = 1 << 2,

    /// <summary>0x60FD digital inputs.</summary>
    DigitalInputs = 1 << 3,

    /// <summary>0x6061 mode display.</summary>
    ModeDisplay = 1 << 4,

    All = Velocity | Torque | ErrorCode | DigitalInputs | ModeDisplay,
}

/// <summary>What one IMU reports each cycle, already in SI in the IMU's own frame.</summary>
public struct ImuInputs
{
    /// <summary>Specific force (accelerometer), m/s².</summary>
    public float SpecificForceX, SpecificForceY, SpecificForceZ;

    /// <summary>Angular rate (gyroscope), rad/s.</summary>
    public float AngularRateX, AngularRateY, AngularRateZ;

    /// <summary>Die temperature, °C.</summary>
    public float TemperatureC;

    /// <summary>Increments once per new sample; a counter that stops moving means a stale IMU.</summary>
    public ushort SampleCounter;

    /// <summary>Device status bits (<see cref="ImuStatus"/>).</summary>
    public ushort Status;
}

[Flags]
public enum ImuStatus : ushort
{
    None = 0,
    AccelSaturated = 1 << 0,
    GyroSaturated = 1 << 1,
    SelfTestFailed = 1 << 2,
}

/// <summary>
/// The cyclic process image: one slot per drive and per IMU, sized once at prepare time.
/// The fieldbus fills <see cref="Drives"/>'s inputs and <see cref="Imus"/> and sends the outputs; the pipeline
/// reads and writes the arrays in place. Real-time safe to read and write (plain arrays, no allocation).
/// </summary>
public sealed class ProcessImage
{
    public ProcessImage(int driveCount, int imuCount)
    {
        Outputs = new DriveOutputs[driveCount];
        Inputs = new DriveInputs[driveCount];
        Imus = new ImuInputs[imuCount];
        Feedback = new DriveFeedback[driveCount];
        Array.Fill(Feedback, DriveFeedback.All);
    }

    /// <summary>Per drive: which optional feedback objects it maps (all, unless the bus says otherwise at prepare time).</summary>
    public DriveFeedback[] Feedback { get; }

    public DriveOutputs[] Outputs { get; }
    public DriveInputs[] Inputs { get; }
    public ImuInputs[] Imus { get; }
    public int DriveCount => Outputs.Length;
    public int ImuCount => Imus.Length;
}
