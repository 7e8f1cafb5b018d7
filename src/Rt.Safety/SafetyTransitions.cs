using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// What the supervisor saw this tick, reduced to one input for the state table. When several apply in one tick the
/// strongest wins, in this order: Cat 0 trip, stop failure (ramp not followed / standstill lost), Cat 1 trip, Cat 2 trip,
/// stop complete (SS1 done / SS2 at standstill / operator stop done), reset, reset complete, disable, drives ready, enable.
/// </summary>
public enum SafetyInput : byte
{
    None = 0,
    TripCat0,
    StopFailed,
    TripCat1,
    TripCat2,
    StopComplete,
    HoldReached,
    OperatorStopComplete,
    ResetAccepted,
    ResetComplete,
    ResetFailed,
    DisableRequested,
    DrivesReady,
    EnableRequested,
}

/// <summary>What entering the target state does to the stop in progress.</summary>
public enum StopAction : byte
{
    /// <summary>Nothing to start or change.</summary>
    None = 0,

    /// <summary>Start (or switch to) SS1: ramp down, then STO. Never weakens a stronger stop.</summary>
    BeginSs1,

    /// <summary>Start SS2: ramp down, then hold position with power (SOS).</summary>
    BeginSs2,

    /// <summary>Operator's own stop: SS1 ramp then disabled, not latched.</summary>
    BeginOperatorStop,

    /// <summary>STO now: power off.</summary>
    Sto,
}

/// <summary>One row of the state table.</summary>
public readonly record struct SafetyTransition(SafetyState From, SafetyInput Input, SafetyState To, StopAction Action, bool Latches);

/// <summary>
/// The supervisor's state table, in one place; docs/SAFETY.md prints the same rows. A (state, input) pair with no row
/// leaves the state unchanged. Lookup is real-time safe (a precomputed dense table, no allocation).
/// </summary>
public static class SafetyTransitions
{
    private static readonly SafetyState Di = SafetyState.Disabled, En = SafetyState.Enabling, Op = SafetyState.Operational,
        St = SafetyState.Stopping, Sd = SafetyState.Stopped, Ho = SafetyState.Holding, Fa = SafetyState.Faulted,
        Re = SafetyState.Resetting;

    /// <summary>Every row of the table.</summary>
    public static readonly IReadOnlyList<SafetyTransition> Rows =
    [
        // Normal operation.
        new(Di, SafetyInput.EnableRequested, En, StopAction.None, false),
        new(En, SafetyInput.DrivesReady, Op, StopAction.None, false),
        new(En, SafetyInput.DisableRequested, Di, StopAction.Sto, false),
        new(Op, SafetyInput.DisableRequested, St, StopAction.BeginOperatorStop, false),
        new(St, SafetyInput.OperatorStopComplete, Di, StopAction.Sto, false),
        // Trips. Every trip latches; Cat 0 removes power at once.
        new(Di, SafetyInput.TripCat0, Fa, StopAction.Sto, true),
        new(Di, SafetyInput.TripCat1, Fa, StopAction.Sto, true),
        new(Di, SafetyInput.TripCat2, Fa, StopAction.Sto, true),
        new(En, SafetyInput.TripCat0, Fa, StopAction.Sto, true),
        new(En, SafetyInput.TripCat1, St, StopAction.BeginSs1, true),
        new(En, SafetyInput.TripCat2, St, StopAction.BeginSs2, true),
        new(Op, SafetyInput.TripCat0, Fa, StopAction.Sto, true),
        new(Op, SafetyInput.TripCat1, St, StopAction.BeginSs1, true),
        new(Op, SafetyInput.TripCat2, St, StopAction.BeginSs2, true),
        // Escalation while stopping: Cat 2 → Cat 1 → Cat 0; a stop that is not followed ends in STO.
        new(St, SafetyInput.TripCat0, Fa, StopAction.Sto, true),
        new(St, SafetyInput.TripCat1, St, StopAction.BeginSs1, true),
        new(St, SafetyInput.TripCat2, St, StopAction.BeginSs2, true),
        new(St, SafetyInput.StopFailed, Fa, StopAction.Sto, true),
        new(St, SafetyInput.StopComplete, Sd, StopAction.Sto, true), // SS1 ramp done: STO
        new(St, SafetyInput.HoldReached, Ho, StopAction.None, true), // SS2 ramp done: SOS
        // SOS: hold with power, standstill monitored.
        new(Ho, SafetyInput.TripCat0, Fa, StopAction.Sto, true),
        new(Ho, SafetyInput.TripCat1, Sd, StopAction.Sto, true),
        new(Ho, SafetyInput.StopFailed, Fa, StopAction.Sto, true),
        new(Sd, SafetyInput.TripCat0, Fa, StopAction.Sto, true),
        // Reset: a deliberate local edge with the cause gone.
        new(Sd, SafetyInput.ResetAccepted, Re, StopAction.Sto, false),
        new(Ho, SafetyInput.ResetAccepted, Re, StopAction.Sto, false),
        new(Fa, SafetyInput.ResetAccepted, Re, StopAction.Sto, false),
        new(Re, SafetyInput.ResetComplete, Di, StopAction.Sto, false),
        new(Re, SafetyInput.ResetFailed, Fa, StopAction.Sto, true),
        new(Re, SafetyInput.TripCat0, Fa, StopAction.Sto, true),
        new(Re, SafetyInput.TripCat1, Fa, StopAction.Sto, true),
        new(Re, SafetyInput.TripCat2, Fa, StopAction.Sto, true),
    ];

    private const int States = 8, Inputs = 14;
    private static readonly short[] Dense = BuildDense();

    private static short[] BuildDense()
    {
        var dense = new short[States * Inputs];
        Array.Fill(dense, (short)-1);
        for (int i = 0; i < Rows.Count; i++)
        {
            var r = Rows[i];
            int k = (int)r.From * Inputs + (int)r.Input;
            if (dense[k] >= 0) throw new InvalidOperationException($"duplicate state table row {r.From} + {r.Input}");
            dense[k] = (short)i;
        }
        return dense;
    }

    /// <summary>Finds the row for (state, input). Real-time safe.</summary>
    public static bool TryFind(SafetyState from, SafetyInput input, out SafetyTransition row)
    {
        int k = (int)from * Inputs + (int)input;
        if ((uint)k < (uint)Dense.Length && Dense[k] >= 0)
        {
            row = Rows[Dense[k]];
            return true;
        }
        row = default;
        return false;
    }

    /// <summary>Whether the drives get power (targets followed) in this state.</summary>
    public static bool Powered(SafetyState s) =>
        s is SafetyState.Enabling or SafetyState.Operational or SafetyState.Stopping or SafetyState.Holding;

    /// <summary>A latched stop/fault state that only a reset leaves.</summary>
    public static bool Latched(SafetyState s) => s is SafetyState.Stopped or SafetyState.Holding or SafetyState.Faulted;
}
