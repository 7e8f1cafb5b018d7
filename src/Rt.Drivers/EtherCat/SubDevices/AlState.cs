namespace Rt.Drivers.EtherCat.SubDevices;

/// <summary>Application-layer states (AL control 0x0120 / AL status 0x0130, low nibble).</summary>
public enum AlState : byte
{
    None = 0,
    Init = 1,
    PreOp = 2,
    Boot = 3,
    SafeOp = 4,
    Op = 8,
}

/// <summary>One reading of AL status (0x0130) and AL status code (0x0134). Real-time safe (value type).</summary>
public readonly record struct AlStatus(ushort Raw, ushort Code)
{
    /// <summary>AL status bit 4: the slave refused a state change or fell back on an error; latched until acknowledged.</summary>
    public const ushort ErrorBit = 0x10;

    public AlState State => (AlState)(Raw & 0x0F);
    public bool Error => (Raw & ErrorBit) != 0;

    public override string ToString() => Error
        ? $"{State} with error {AlStatusCodes.Describe(Code)}"
        : State.ToString();
}

/// <summary>The verdict on a requested state change, before it is sent.</summary>
public readonly record struct AlTransition(AlState From, AlState To, bool Allowed, string Reason);

/// <summary>
/// The EtherCAT state machine's allowed transitions (ETG.1000.6 "ESM"): INIT↔PREOP, PREOP↔SAFEOP, SAFEOP↔OP, INIT↔BOOT,
/// and every state back down to INIT/PREOP/SAFEOP. Skipping up (INIT→SAFEOP, PREOP→OP) is refused, as a slave would with
/// 0x0011. Pure functions returning values. Real-time safe.
/// </summary>
public static class AlTransitions
{
    /// <summary>Whether a slave accepts going from <paramref name="from"/> straight to <paramref name="to"/>.</summary>
    public static AlTransition Check(AlState from, AlState to)
    {
        bool allowed = (from, to) switch
        {
            _ when from == to => true,
            (AlState.Init, AlState.PreOp) or (AlState.Init, AlState.Boot) => true,
            (AlState.PreOp, AlState.SafeOp) or (AlState.PreOp, AlState.Init) => true,
            (AlState.SafeOp, AlState.Op) or (AlState.SafeOp, AlState.PreOp) or (AlState.SafeOp, AlState.Init) => true,
            (AlState.Op, AlState.SafeOp) or (AlState.Op, AlState.PreOp) or (AlState.Op, AlState.Init) => true,
            (AlState.Boot, AlState.Init) => true,
            _ => false,
        };
        return new AlTransition(from, to, allowed, allowed ? "" : $"{from}→{to} is not an ESM transition (slave would answer 0x0011 invalid requested state change)");
    }

    /// <summary>The next state to request on the way from <paramref name="from"/> to <paramref name="to"/> (one ESM step).</summary>
    public static AlState NextStep(AlState from, AlState to)
    {
        if (Check(from, to).Allowed) return to;
        int Rank(AlState s) => s switch { AlState.Init => 0, AlState.PreOp => 1, AlState.SafeOp => 2, AlState.Op => 3, _ => 0 };
        if (from == AlState.Boot) return AlState.Init;
        if (to == AlState.Boot) return AlState.Init;
        return Rank(to) > Rank(from)
            ? Rank(from) switch { 0 => AlState.PreOp, 1 => AlState.SafeOp, _ => AlState.Op }
            : to;
    }
}

/// <summary>A slave refused (or did not reach) a requested AL state. Carries the AL status code by name. Not real-time safe.</summary>
public sealed class AlStateRefusedException : EtherCatException
{
    public AlStateRefusedException(int position, ushort station, AlState requested, AlStatus status, string? extra = null)
        : base(status.Error ? BusErrorKind.DeviceRefused : BusErrorKind.Timeout,
               $"slave at position {position} (station 0x{station:X4}) refused {requested}: it is in {status.State}"
               + (status.Error ? $", AL status code {AlStatusCodes.Describe(status.Code)}" : " without error code (timeout)")
               + (extra is null ? "" : "; " + extra), position)
    {
        Requested = requested;
        Status = status;
    }

    public AlState Requested { get; }
    public AlStatus Status { get; }
    public AlStatusCode Code => (AlStatusCode)Status.Code;
}
