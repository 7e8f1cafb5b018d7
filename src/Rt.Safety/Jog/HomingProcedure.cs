namespace Rt.Safety.Jog;

/// <summary>One SDO download the homing set-up needs before the drive is switched to homing mode.</summary>
public readonly record struct SdoWrite(ushort Index, byte SubIndex, long Value, byte Size);

public enum HomingPhase : byte
{
    Idle,
    SwitchingMode,
    Running,
    Attained,
    Failed,
}

/// <summary>
/// CiA 402 homing (DS402 §10, mode of operation 6) for a drive with an incremental encoder: the set-up writes
/// (0x6098 method, 0x6099:01/02 search speeds, 0x609A acceleration, 0x607C home offset) go out by SDO before the run;
/// then per tick the procedure switches 0x6060 to 6, waits for 0x6061 to show it, raises controlword bit 4 (homing
/// operation start) and watches statusword bit 12 (homing attained) with bit 10 (target reached), bit 13 (homing
/// error), and a timeout that is a duration on the tick's clock. Construction and <see cref="Configuration"/>: not
/// real-time safe; <see cref="Step"/>: real-time safe.
/// </summary>
public sealed class HomingProcedure
{
    public const sbyte HomingMode = 6;
    public const ushort StartBit = 1 << 4;
    public const ushort TargetReached = 1 << 10, HomingAttained = 1 << 12, HomingError = 1 << 13;

    private readonly long _timeoutNs;
    private long _startedNs;

    public HomingProcedure(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(5))
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "homing timeout must be in (0, 300] s");
        _timeoutNs = (long)timeout.TotalNanoseconds;
    }

    public HomingPhase Phase { get; private set; }

    /// <summary>Why it failed (null while not failed): "homing error (statusword bit 13)" or "timeout".</summary>
    public string? Failure { get; private set; }

    /// <summary>Whether the failure is the timeout (the drive never reported attained in time).</summary>
    public bool TimedOut { get; private set; }

    /// <summary>
    /// The SDO writes for <paramref name="method"/> (DS402: 1..35, 37; the manufacturer-specific negative methods are
    /// refused), search speeds and acceleration in drive units (counts/s, counts/s²), and the home offset in counts.
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the value. Not real-time safe.
    /// </summary>
    public static IReadOnlyList<SdoWrite> Configuration(int method, uint switchSpeed, uint zeroSpeed, uint acceleration, int homeOffset)
    {
        if (method is < 1 or > 37 or 36)
            throw new ArgumentOutOfRangeException(nameof(method), method, "expected a DS402 homing method 1..35 or 37");
        if (switchSpeed == 0) throw new ArgumentOutOfRangeException(nameof(switchSpeed), switchSpeed, "expected a search-for-switch speed > 0 counts/s");
        if (zeroSpeed == 0 || zeroSpeed > switchSpeed) throw new ArgumentOutOfRangeException(nameof(zeroSpeed), zeroSpeed, "expected a search-for-zero speed > 0 and not above the switch speed");
        if (acceleration == 0) throw new ArgumentOutOfRangeException(nameof(acceleration), acceleration, "expected a homing acceleration > 0 counts/s²");
        return
        [
            new(0x6098, 0, method, 1),
            new(0x6099, 1, switchSpeed, 4),
            new(0x6099, 2, zeroSpeed, 4),
            new(0x609A, 0, acceleration, 4),
            new(0x607C, 0, homeOffset, 4),
        ];
    }

    /// <summary>Real-time safe. Begins the run (the drive must be in Operation Enabled, its set-up written).</summary>
    public void Start(long nowNs)
    {
        Phase = HomingPhase.SwitchingMode;
        Failure = null;
        TimedOut = false;
        _startedNs = nowNs;
    }

    /// <summary>
    /// Real-time safe. One tick: from the drive's statusword and mode display, the mode of operation to write and the
    /// controlword bits to OR into the state machine's controlword (bit 4 while running).
    /// </summary>
    public void Step(ushort statusword, sbyte modeDisplay, long nowNs, out sbyte modeOfOperation, out ushort controlwordBits)
    {
        modeOfOperation = HomingMode;
        controlwordBits = 0;
        switch (Phase)
        {
            case HomingPhase.Idle:
            case HomingPhase.Attained:
            case HomingPhase.Failed:
                modeOfOperation = 0; // leave the mode to the caller
                return;
        }
        if ((statusword & HomingError) != 0)
        {
            Fail("homing error (statusword bit 13)");
            modeOfOperation = 0;
            return;
        }
        if (nowNs - _startedNs > _timeoutNs)
        {
            Fail("timeout");
            TimedOut = true;
            modeOfOperation = 0;
            return;
        }
        if (Phase == HomingPhase.SwitchingMode)
        {
            if (modeDisplay == HomingMode) Phase = HomingPhase.Running; // the rising edge of bit 4 goes out next tick
            return;
        }
        controlwordBits = StartBit;
        if ((statusword & (HomingAttained | TargetReached)) == (HomingAttained | TargetReached))
        {
            Phase = HomingPhase.Attained;
            controlwordBits = 0;
        }
    }

    private void Fail(string why)
    {
        Phase = HomingPhase.Failed;
        Failure = why;
    }
}
