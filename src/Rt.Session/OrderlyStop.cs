using Rt.ControlLoop.Scheduling;
using Rt.Core.Tick;
using Rt.Drivers.Cia402;
using Rt.Drivers.EtherCat.SubDevices;

namespace Rt.Session;

/// <summary>How a run ended its motion.</summary>
public enum StopOutcome
{
    /// <summary>The supervisor is out of motion (Disabled after the operator stop, or tripped) and every drive confirms it is off.</summary>
    Settled,

    /// <summary>The stop budget (session clock) ran out before the supervisor and every drive confirmed.</summary>
    TimedOut,
}

/// <summary>
/// The orderly end of a run (SIGINT, SIGTERM, the end of --duration, or an error after bring-up): drop the operator's
/// enable so the supervisor runs its operator stop (the configured ramp, then STO); keep ticking until the supervisor
/// is out of motion and every drive's statusword says it is off (the CiA 402 machine walks down one step per frame),
/// bounded by a budget on the session clock; then take every EtherCAT slave to SAFE-OP and INIT. Not real-time safe
/// (runs beside the tick or between ticks, never inside one); the tick itself only sees the operator flag.
/// </summary>
public sealed class OrderlyStop(HostSession session)
{
    /// <summary>Time beyond the configured stop time for the drives to confirm they are off.</summary>
    public const double MarginS = 0.5;

    private readonly HostSession _s = session;

    /// <summary>The longest the stop may take on the session clock: every ramp ends within safety.stop_time_s (validated at start).</summary>
    public long BudgetNs => (long)((PauseS + _s.Config.Safety.StopTimeS + MarginS) * 1e9);

    /// <summary>The motion slows to rest along its own path in this time before the drives are disabled.</summary>
    public double PauseS => _s.Config.Safety.StopTimeS;

    /// <summary>Ticks of <see cref="BudgetNs"/>.</summary>
    public long BudgetTicks => BudgetNs / _s.PeriodNs + 1;

    /// <summary>Asks the supervisor for the operator stop: the tick sees the enable fall in its next read.</summary>
    /// <summary>Starts the stop: the motion slows to rest along its path (then <see cref="DisableWhenAtRest"/> drops the enable).</summary>
    public void Request() => _s.Controller.RequestPause(PauseS);

    /// <summary>Drops the operator enable once the motion is at rest (the supervisor then disables the drives from standstill).</summary>
    public void DisableWhenAtRest()
    {
        if (_s.Controller.IsAtRest && _s.Pipeline.Operator.Enable) _s.Pipeline.Operator.Enable = false;
    }

    /// <summary>
    /// True once the supervisor is out of motion and no drive is switched on. Read from another thread while the tick
    /// runs, so it may lag one tick; it only ever ends a wait.
    /// </summary>
    public bool Settled()
    {
        var st = _s.State.SafetyState;
        if (st is SafetyState.Operational or SafetyState.Enabling or SafetyState.Stopping or SafetyState.Resetting) return false;
        var inputs = _s.State.Image.Inputs;
        for (int i = 0; i < inputs.Length; i++)
            if (Statusword.Decode(inputs[i].Statusword) is DriveState.OperationEnabled or DriveState.SwitchedOn or DriveState.QuickStopActive or DriveState.FaultReactionActive)
                return false;
        return true;
    }

    /// <summary>
    /// Lockstep: runs ticks from <paramref name="firstTick"/> until <see cref="Settled"/> (checked between ticks, so the
    /// end is bit-for-bit repeatable) or <see cref="BudgetTicks"/> have run. Returns the outcome and the next tick.
    /// </summary>
    public (StopOutcome Outcome, long NextTick) RunLockstep(LockstepScheduler scheduler, long firstTick)
    {
        Request();
        long k = firstTick, end = firstTick + BudgetTicks;
        while (k < end)
        {
            DisableWhenAtRest();
            if (Settled()) return (StopOutcome.Settled, k);
            scheduler.Run(1, k);
            k++;
        }
        return (Settled() ? StopOutcome.Settled : StopOutcome.TimedOut, k);
    }

    /// <summary>
    /// Real time: after <see cref="Request"/>, waits (polling, off the tick) until settled or the budget has passed on
    /// the session clock since <paramref name="requestedAtNs"/>, or the tick thread has ended.
    /// </summary>
    public StopOutcome WaitRealtime(long requestedAtNs, Thread tickThread)
    {
        while (tickThread.IsAlive)
        {
            DisableWhenAtRest();
            if (Settled()) return StopOutcome.Settled;
            if (_s.State.TimeNs - requestedAtNs > BudgetNs) return StopOutcome.TimedOut;
            tickThread.Join(2);
        }
        return Settled() ? StopOutcome.Settled : StopOutcome.TimedOut;
    }

    /// <summary>
    /// With the tick stopped: every EtherCAT slave to SAFE-OP (outputs to their safe state), then INIT. Returns a problem
    /// line, or null when every slave confirmed INIT (or there is no EtherCAT bus). Never throws.
    /// </summary>
    public string? StopBus()
    {
        var master = _s.Master;
        if (master == null) return null;
        try
        {
            master.RequestState(AlState.SafeOp);
            master.RequestState(AlState.Init);
            master.ReadStates();
            var stuck = master.SubDevices.Where(d => d.Status.State != AlState.Init).Select(d => $"0x{d.StationAddress:X4}{(d.Name.Length > 0 ? " (" + d.Name + ")" : "")} in {d.Status.State}").ToList();
            return stuck.Count == 0 ? null : $"slaves not in INIT: {string.Join(", ", stuck)}";
        }
        catch (Exception e)
        {
            return $"taking the slaves to SAFE-OP/INIT failed: {e.Message}";
        }
    }
}
