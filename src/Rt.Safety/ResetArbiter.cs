using Rt.Core.Faults;
using Rt.Core.Hardware;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// Reset arbitration: a reset is a deliberate local edge (<see cref="Request"/> from the reset socket, or a rising
/// edge on the reset input), accepted only in a latched state with every stop trigger's cause gone; after it the
/// drives must leave "fault" within the reset timeout. Each decision is published as a <see cref="ResetOutcome"/>
/// (a seqlock, so the socket thread reads it without a lock). Real-time safe except where marked.
/// </summary>
internal sealed class ResetArbiter(SupervisorLimits limits, IDigitalInput? resetInput, SafetyEventSink events)
{
    private const ushort StatuswordFault = 0x0008; // CiA 402 statusword bit 3

    private int _requested;
    private bool _prevLevel = true; // a level already high at start is not an edge
    private long _resettingSince;
    private long _outcomeSeq;
    private ResetOutcome _outcome;

    /// <summary>Thread-safe: the next tick consumes one reset edge.</summary>
    public void Request() => Interlocked.Exchange(ref _requested, 1);

    /// <summary>Thread-safe. The last reset decision (sequence 0 = none yet).</summary>
    public ResetOutcome Last
    {
        get
        {
            while (true)
            {
                long s1 = Volatile.Read(ref _outcomeSeq);
                if ((s1 & 1) != 0) { Thread.SpinWait(1); continue; }
                var o = _outcome;
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _outcomeSeq) == s1) return o;
            }
        }
    }

    /// <summary>Whether a reset was asked for since the last tick (request or rising edge; a held level does nothing).</summary>
    public bool ConsumeEdge()
    {
        bool edge = Interlocked.Exchange(ref _requested, 0) != 0;
        if (resetInput is not null)
        {
            bool level = resetInput.Read();
            if (level && !_prevLevel) edge = true;
            _prevLevel = level;
        }
        return edge;
    }

    /// <summary>A reset edge in a latched state: accepted if no stop trigger's cause persists, else refused (logged).</summary>
    public SafetyInput Arbitrate(TriggerDetector detector, SafetyState state)
    {
        if (!detector.TryFindPersistingCause(out var cause)) return SafetyInput.ResetAccepted;
        events.Emit(state, state, StopCategory.None, cause);
        Publish(false, cause, state);
        return SafetyInput.None;
    }

    /// <summary>
    /// Answers a reset edge the state table will not see as a reset: nothing latched (ignored), or a trip / stop failure
    /// in the same tick (refused with that cause).
    /// </summary>
    public void AnswerPreempted(bool edge, SafetyState state, SafetyInput input, in Trip trip, in SafetyCause failure)
    {
        if (!edge) return;
        if (!SafetyTransitions.Latched(state)) Publish(false, new SafetyCause(FaultCode.None, -1, 0, 0), state); // nothing to reset
        else if (input is not (SafetyInput.ResetAccepted or SafetyInput.None))
            Publish(false, trip.Reaction != StopCategory.None ? trip.Cause : failure, state);
    }

    /// <summary>Entering Resetting at <paramref name="tick"/>.</summary>
    public void Began(long tick) => _resettingSince = tick;

    /// <summary>While Resetting: the drives must leave "fault" within the reset timeout (the axis logic sends the CiA 402 fault reset).</summary>
    public SafetyInput MonitorResetting(TickState s, long tick, TriggerDetector detector, ref SafetyCause failure)
    {
        var inputs = s.Image.Inputs;
        for (int j = 0; j < limits.Joints && j < inputs.Length; j++)
        {
            if ((inputs[j].Statusword & StatuswordFault) != 0 || detector.DriveFaultReported(j))
            {
                if (tick - _resettingSince < limits.ResetTimeoutTicks) return SafetyInput.None;
                failure = new SafetyCause(FaultCode.DriveFault, (short)j, inputs[j].ErrorCode, 0);
                return SafetyInput.ResetFailed;
            }
        }
        return tick > _resettingSince ? SafetyInput.ResetComplete : SafetyInput.None;
    }

    public void Publish(bool accepted, in SafetyCause cause, SafetyState state)
    {
        long seq = _outcomeSeq;
        Volatile.Write(ref _outcomeSeq, seq + 1); // odd: writing
        _outcome = new ResetOutcome((seq + 2) / 2, accepted, cause.Code, cause.Channel, cause.Value, cause.Threshold, state);
        Volatile.Write(ref _outcomeSeq, seq + 2);
    }
}
