using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// Sizes the supervisor's event ring for the worst case, so a full ring (a Cat 0 fault) cannot happen while the log
/// thread keeps up within <see cref="DrainBudgetS"/>. The bound, over D = ⌈drain budget / period⌉ ticks:
/// <list type="bullet">
/// <item>per tick at most 4 events that are not warnings: one state change, logged trip or refused reset (one
/// state-table input per tick; a refused reset only in a tick with no other input), one refined cause of a twin trip
/// (<see cref="Rt.Core.Faults.FaultCode.IsolationRefined"/>, at most one per tick), one brake the collision hold closed
/// under power (<see cref="Rt.Core.Faults.FaultCode.HoldBrakeClosed"/>, at most one per tick), one Cat 0 stop for a
/// lost event; plus the single digest refusal of a session;</item>
/// <item>per warning trigger and channel, one event per episode; an episode needs d ticks of the condition (its
/// discrepancy) and one clear tick before the next, so at most ⌈D / (d + 1)⌉ + 1 in D ticks.</item>
/// </list>
/// Capacity = 4·D + 1 + Σ over warning triggers of width × (⌈D / (d + 1)⌉ + 1), rounded up to a power of two, at
/// least <see cref="MinimumCapacity"/>. With the defaults at 1 kHz (only telemetry_loss warns) that is 4096 events.
/// Not real-time safe.
/// </summary>
public static class SafetyEventBudget
{
    /// <summary>How long the log thread may fall behind (poll interval plus a slow fsync on flash storage).</summary>
    public const double DrainBudgetS = 0.5;

    public const int MinimumCapacity = 1024;

    public static int RingCapacity(SafetyPolicy policy, ChannelLayout layout, long periodNs, double drainBudgetS = DrainBudgetS)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(periodNs, 0);
        long d = Math.Max(1, (long)Math.Ceiling(drainBudgetS / (periodNs * 1e-9) - 1e-9));
        long events = 4 * d + 1;
        for (int t = 0; t < SafetyTriggers.Count; t++)
        {
            var p = policy.Triggers[t];
            if (p.Reaction != StopCategory.Warning) continue;
            long width = SupervisorLimits.Width((SafetyTrigger)t, layout.Count, layout.JointCount, layout.ImuCount);
            long perChannel = (d + p.DiscrepancyTicks) / (p.DiscrepancyTicks + 1) + 1; // ⌈D / (d + 1)⌉ + 1
            events += width * perChannel;
        }
        events = Math.Clamp(events, MinimumCapacity, 1 << 24);
        return (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)events);
    }
}
