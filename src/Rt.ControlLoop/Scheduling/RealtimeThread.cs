namespace Rt.ControlLoop.Scheduling;

/// <summary>
/// Gives the calling thread real-time scheduling outside the tick scheduler (e.g. the bench's frame server, which
/// must answer within the host's tick). Not real-time safe (call once, at thread start).
/// </summary>
public static class RealtimeThread
{
    /// <summary>Tries SCHED_FIFO at <paramref name="priority"/> and affinity to <paramref name="cpu"/> (−1: leave it); returns what was refused.</summary>
    public static IReadOnlyList<string> TryElevate(int priority, int cpu = -1)
    {
        var refused = new List<string>();
        if (priority > 0 && LinuxRealtime.TrySetFifo(priority) is { } fifo) refused.Add($"SCHED_FIFO {priority}: {fifo}");
        if (cpu >= 0 && LinuxRealtime.TrySetAffinity(cpu) is { } aff) refused.Add($"CPU {cpu}: {aff}");
        return refused;
    }
}
