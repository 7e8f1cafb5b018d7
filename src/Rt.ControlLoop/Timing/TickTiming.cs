using Rt.Core.Faults;

namespace Rt.ControlLoop.Timing;

/// <summary>
/// Per-tick timing statistics and the overrun policy, shared by both clocks.
/// An overrun is a tick whose work ended after the next deadline. Missed periods are skipped (the next deadline
/// stays on the period grid, never drifts) and counted. <see cref="OverrunFaultAfter"/> consecutive overruns make
/// <see cref="TakePendingFault"/> return a <see cref="FaultCode.LoopOverrun"/> for the safety gate.
/// Real-time safe: all storage is preallocated.
/// </summary>
public sealed class TickTiming
{
    public TickTiming(long periodNs, int overrunFaultAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(periodNs, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(overrunFaultAfter, 1);
        PeriodNs = periodNs;
        OverrunFaultAfter = overrunFaultAfter;
    }

    public long PeriodNs { get; }
    public int OverrunFaultAfter { get; }

    /// <summary>Deadline to actual wake-up.</summary>
    public LatencyHistogram WakeLatency { get; } = new();

    /// <summary>Wake-up to end of the tick's work.</summary>
    public LatencyHistogram Compute { get; } = new();

    public long Ticks { get; private set; }
    public long Overruns { get; private set; }
    public long MissedPeriods { get; private set; }
    public int ConsecutiveOverruns { get; private set; }
    public long OverrunFaultsRaised { get; private set; }

    private bool _faultPending;
    private int _faultRun;

    /// <summary>
    /// Real-time safe. Records one tick that was due at <paramref name="deadlineNs"/>, woke at <paramref name="wokeNs"/>
    /// and finished at <paramref name="endNs"/>; returns the next deadline on the period grid, skipping any periods
    /// already missed.
    /// </summary>
    public long Complete(long deadlineNs, long wokeNs, long endNs)
    {
        Ticks++;
        WakeLatency.Record(wokeNs - deadlineNs);
        Compute.Record(endNs - wokeNs);
        long next = deadlineNs + PeriodNs;
        if (endNs > next)
        {
            long missed = (endNs - next) / PeriodNs + 1;
            next += missed * PeriodNs;
            Overruns++;
            MissedPeriods += missed;
            ConsecutiveOverruns++;
            if (ConsecutiveOverruns >= OverrunFaultAfter && !_faultPending && ConsecutiveOverruns % OverrunFaultAfter == 0)
            {
                _faultPending = true;
                _faultRun = ConsecutiveOverruns;
                OverrunFaultsRaised++;
            }
        }
        else
        {
            ConsecutiveOverruns = 0;
        }
        return next;
    }

    /// <summary>Real-time safe. Hands a confirmed overrun fault to the next tick, once.</summary>
    public bool TakePendingFault(long tick, out Fault fault)
    {
        if (!_faultPending)
        {
            fault = default;
            return false;
        }
        _faultPending = false;
        fault = Fault.Of(FaultCode.LoopOverrun, -1, tick, OverrunFaultAfter, _faultRun);
        return true;
    }

    public void Reset()
    {
        WakeLatency.Clear();
        Compute.Clear();
        Ticks = Overruns = MissedPeriods = OverrunFaultsRaised = 0;
        ConsecutiveOverruns = 0;
        _faultPending = false;
    }
}
