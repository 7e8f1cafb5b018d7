namespace Rt.Core.Faults;

/// <summary>
/// Every fault the tick can raise, as a value. Faults leave the tick through a lock-free ring, never as exceptions.
/// Numbers are stable (they go to the safety log and to telemetry); add new codes at the end of their group.
/// </summary>
public enum FaultCode : ushort
{
    None = 0,

    // Loop (0x01xx)
    LoopOverrun = 0x0101,
    LoopClockStall = 0x0102,

    // Bus (0x02xx)
    BusWorkingCounter = 0x0201,
    BusFrameLost = 0x0202,
    BusSlaveLeftOp = 0x0203,
    BusLinkDown = 0x0204,
    BusMalformedFrame = 0x0205,

    // Drive (0x03xx)
    DriveFault = 0x0301,
    DriveUnexpectedState = 0x0302,
    DriveNonFinite = 0x0303,

    // IMU (0x04xx)
    ImuStale = 0x0401,
    ImuSaturated = 0x0402,
    ImuNonFinite = 0x0403,

    // Twin (0x05xx)
    TwinDivergence = 0x0501,
    Collision = 0x0502,
    SensorNonFinite = 0x0503,
    // The twin's refined cause (issue 13): its isolator's answer after the evidence window of a twin trip, logged as its
    // own record after the trip's (which keeps the trip tick's cause); never a trigger. Channel/value/threshold: the
    // window's evidence (see DivergenceRecord.RefinedEvidenceChannel).
    IsolationRefined = 0x0504,

    // Motion limits (0x06xx)
    PositionLimit = 0x0601,
    VelocityLimit = 0x0602,
    TorqueLimit = 0x0603,
    FollowingError = 0x0604,

    // Hardware inputs (0x07xx)
    EStop = 0x0701,

    // Telemetry (0x08xx): warnings only, never a motion trigger.
    TelemetryDropped = 0x0801,

    // Safety supervisor itself (0x09xx): a safety event that did not fit its ring; a policy digest that is not the pinned one.
    SafetyEventLost = 0x0901,
    SafetyConfigMismatch = 0x0902,
    // The stop monitor: a stop in progress (SS1/SS2 ramp, collision hold) was not followed or not finished in time: STO.
    StopMonitor = 0x0903,
    // The collision hold closed a joint's brake under power (a push the drive's full torque did not hold): logged,
    // never a trigger. Channel = joint; value = the drive's torque, N·m; threshold = the joint's travel since the trip, rad.
    HoldBrakeClosed = 0x0904,

    // Recovery by hand (0x0Axx, issue 15): logged, never a trigger. Channel = joint; value = kind, source, direction
    // (Rt.Safety.Jog.ManualEventCode); threshold = the joint's position, rad.
    ManualJog = 0x0A01,
    ManualHoming = 0x0A02,
    ManualBrake = 0x0A03,
}

/// <summary>
/// One fault occurrence: what, where (axis, slave or channel index), when (tick) and the numbers that show it
/// (e.g. a working counter: <see cref="Expected"/> vs <see cref="Received"/>). Unmanaged so it fits in a ring slot.
/// </summary>
public readonly record struct Fault(FaultCode Code, short Source, long Tick, int Expected, int Received, double Value)
{
    public static Fault Of(FaultCode code, int source, long tick, int expected = 0, int received = 0, double value = 0) =>
        new(code, (short)source, tick, expected, received, value);

    public override string ToString() =>
        $"{Code} (0x{(ushort)Code:X4}) at source {Source}, tick {Tick}: expected {Expected}, received {Received}, value {Value}";
}

/// <summary>
/// The faults raised during one tick: a fixed-capacity list reused every tick. Real-time safe.
/// If more faults are raised than fit, the surplus is counted in <see cref="Overflowed"/> rather than lost silently.
/// </summary>
public sealed class FaultList
{
    private readonly Fault[] _items;

    public FaultList(int capacity) => _items = new Fault[capacity];

    public int Count { get; private set; }
    public int Overflowed { get; private set; }
    public int Capacity => _items.Length;

    public ReadOnlySpan<Fault> Items => _items.AsSpan(0, Count);

    public void Add(in Fault fault)
    {
        if (Count < _items.Length) _items[Count++] = fault;
        else Overflowed++;
    }

    public bool Contains(FaultCode code)
    {
        for (int i = 0; i < Count; i++) if (_items[i].Code == code) return true;
        return false;
    }

    public void Clear()
    {
        Count = 0;
        Overflowed = 0;
    }
}
