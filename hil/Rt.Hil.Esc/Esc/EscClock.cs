namespace Rt.Hil.Esc.Esc;

/// <summary>
/// The free-running local clock of one emulated ESC: its own ns counter derived from the bench's injected time with
/// a fixed offset and a drift in ppm, so a master's distributed-clock maths has real offsets and drifts to measure.
/// Real-time safe (pure arithmetic).
/// </summary>
public sealed class EscClock
{
    /// <summary>Local time at bench time 0, ns.</summary>
    public long OffsetNs { get; set; }

    /// <summary>How fast this clock runs against the bench time, parts per million (positive = fast).</summary>
    public double DriftPpm { get; set; }

    /// <summary>The local time (ns) when the bench time is <paramref name="benchTimeNs"/>. Real-time safe.</summary>
    public long Local(long benchTimeNs) => OffsetNs + benchTimeNs + (long)(benchTimeNs * DriftPpm * 1e-6);
}
