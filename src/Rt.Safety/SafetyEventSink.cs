using Rt.Core.Concurrency;
using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// What caused a trip or a failed stop: the code logged, the evidence (channel and the numbers that show it) and the
/// isolated cause (<see cref="FaultDiagnosis"/>: class, location, test; default = not isolated).
/// </summary>
internal readonly record struct SafetyCause(FaultCode Code, short Channel, double Value, double Threshold, FaultDiagnosis Diagnosis = default);

/// <summary>This tick's strongest newly confirmed trip (<see cref="StopCategory.None"/> = none).</summary>
internal readonly record struct Trip(StopCategory Reaction, SafetyCause Cause);

/// <summary>
/// Numbers the supervisor's events and pushes them into the ring the safety log drains. A safety event must never
/// be lost: the ring is sized for the worst case (<see cref="SafetyEventBudget"/>), and a push that still does not fit
/// is a fault: <see cref="LostThisTick"/> makes the supervisor stop motion (Cat 0) in the same tick, and the ring's
/// <see cref="SpscRing{T}.Dropped"/> counter tells the log thread to record the loss. The id still advances on a
/// loss, so the log shows the gap too. Real-time safe.
/// </summary>
internal sealed class SafetyEventSink(SpscRing<SafetyEvent> ring)
{
    private long _id, _tick, _timeNs, _lost;

    /// <summary>Set when an event did not fit in the ring this tick.</summary>
    public bool LostThisTick { get; private set; }

    /// <summary>Thread-safe. Events that did not fit, since start.</summary>
    public long Lost => Volatile.Read(ref _lost);

    public void BeginTick(long tick, long timeNs)
    {
        _tick = tick;
        _timeNs = timeNs;
        LostThisTick = false;
    }

    public void Emit(SafetyState from, SafetyState to, FaultCode trigger, short channel, StopCategory reaction, double value, double threshold,
        FaultDiagnosis diagnosis = default)
    {
        if (ring.TryPush(new SafetyEvent(++_id, _tick, _timeNs, from, to, trigger, channel, reaction, value, threshold, diagnosis))) return;
        Volatile.Write(ref _lost, _lost + 1);
        LostThisTick = true;
    }

    public void Emit(SafetyState from, SafetyState to, StopCategory reaction, in SafetyCause c) =>
        Emit(from, to, c.Code, c.Channel, reaction, c.Value, c.Threshold, c.Diagnosis);
}
