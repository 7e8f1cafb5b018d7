namespace Rt.Session.Preflight;

/// <summary>
/// The pre-flight before <c>rt run</c> enables any drive: the motion from the first measured positions. The run path
/// holds the operator enable low until this passes. Prepare-time, NOT real-time safe (call it off the tick thread,
/// between ticks or while the tick runs with the drives disabled).
/// </summary>
public static class PreflightGate
{
    /// <summary>Checks the session's motion from its last measured positions over <paramref name="durationS"/> seconds (capped at one period of the motion).</summary>
    public static PreflightResult Check(HostSession session, double durationS)
    {
        var preflight = new MotionPreflight(session.Config);
        var start = (double[])session.State.Position.Clone();
        return preflight.Run(start, preflight.Horizon(durationS));
    }

    /// <summary>One line per refused joint, for stderr.</summary>
    public static IEnumerable<string> Lines(PreflightResult result)
    {
        foreach (var v in result.Violations) yield return $"error: pre-flight: {v}";
    }
}
