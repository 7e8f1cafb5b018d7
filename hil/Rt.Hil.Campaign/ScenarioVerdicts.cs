using System.Globalization;
using Rt.Core.Tick;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign;

/// <summary>What one run showed, reduced to what the verdict needs (built by <see cref="ScenarioObserver.Finish"/>).</summary>
internal sealed record RunFacts
{
    public required Expectation Expect { get; init; }
    public required double PeriodMs { get; init; }
    public required double SimulatedS { get; init; }
    public long? FirstInjectionTick { get; init; }
    public SafetyEvent? Trip { get; init; }
    public long? TripTick { get; init; }
    public string? TripTrigger { get; init; }
    public string TripChannel { get; init; } = "";
    public StopCategory? TripCategory { get; init; }
    /// <summary>First tick whose exchange sent the stop (trip + 1).</summary>
    public long? StopSentTick { get; init; }
    /// <summary>First tick whose frame reached the slaves with the stop (= sent unless frames were lost or the link was down).</summary>
    public long? StopDeliveredTick { get; init; }
    /// <summary>A delivered frame after the trip that did not carry the stop (a host bug), described.</summary>
    public string? StopMismatch { get; init; }
    public int Warnings { get; init; }
    /// <summary>Warnings from a trigger the expectation accepts.</summary>
    public int AcceptedWarnings { get; init; }
    public string? FirstWarning { get; init; }
    public long? FirstWarningTick { get; init; }
    public long Raised { get; init; }
    public long Logged { get; init; }
    public (string Channel, double Ratio)? WorstChannel { get; init; }
    public string? LogFailure { get; init; }
    public bool PlantFailed { get; init; }
    /// <summary>The first injection put an obstacle in a link's path and the scenario is tagged "reaction": the collision reaction is judged too (issue 13).</summary>
    public bool Collision { get; init; }
    public string? Cat0Escalation { get; init; }
    public double? StopDistanceRad { get; init; }
    public string? StopDistanceJoint { get; init; }
    public ContactForceFigures? Contact { get; init; }
    /// <summary>The first injection is a collision (obstacle or wrench on a link) on the bench, tag or not: its collision numbers are reported (<see cref="ScenarioVerdicts.CollisionNumbersOf"/>).</summary>
    public bool CollisionRun { get; init; }
}

/// <summary>Turns a run's facts into a verdict against the scenario's expectation, with one sentence that carries the numbers.</summary>
internal static class ScenarioVerdicts
{
    /// <summary>Issue 13: a collision's stop may move no joint further than this from its position at the trip, rad.</summary>
    public const double CollisionStopDistanceRad = 0.15;

    /// <summary>Issue 13: a collision's stop is on the bus at most this long after the contact, ms.</summary>
    public const double CollisionStopCommandMs = 10;

    private static string F(double v, string format = "0.0") => v.ToString(format, CultureInfo.InvariantCulture);

    public static string Category(StopCategory? c) => c switch
    {
        StopCategory.Cat0 => "Cat 0",
        StopCategory.Cat1 => "Cat 1",
        StopCategory.Cat2 => "Cat 2",
        StopCategory.Warning => "warning",
        null => "any category",
        _ => "no stop",
    };

    public static (Verdict Verdict, string Reason) Judge(RunFacts f)
    {
        // Faults of the instrument itself come first: the figures of such a run mean nothing.
        if (f.PlantFailed) return (Verdict.Error, "the MuJoCo plant went unstable during the run; no figures are valid");
        if (f.LogFailure is { } lf) return (Verdict.Error, $"the safety log stopped: {lf}");
        if (f.Raised != f.Logged)
            return (Verdict.Fail, $"{f.Raised} safety events raised but {f.Logged} logged: {f.Raised - f.Logged} lost");
        if (f.StopMismatch is { } mismatch)
            return (Verdict.Fail, $"{Tripped(f)}, but the next frame that reached the slaves did not carry the stop: {mismatch}");

        return f.Expect.Outcome switch
        {
            ExpectedOutcome.NoTrip => NoTrip(f),
            ExpectedOutcome.Warning => Warning(f),
            _ => Stop(f),
        };
    }

    private static string At(RunFacts f, long tick) => $"{F(tick * f.PeriodMs / 1e3, "0.000")} s";

    private static string Tripped(RunFacts f)
    {
        string who = f.TripChannel.Length > 0 ? $"{f.TripTrigger} ({f.TripChannel})" : f.TripTrigger ?? "unknown";
        string when = f.FirstInjectionTick is long i && f.TripTick is long t && t >= i
            ? $"{F((t - i) * f.PeriodMs)} ms after the injection"
            : $"at {At(f, f.TripTick ?? 0)}" + (f.FirstInjectionTick is long i2 ? $", {F((i2 - (f.TripTick ?? 0)) * f.PeriodMs)} ms before the injection" : "");
        return $"{who} tripped {Category(f.TripCategory)} {when}";
    }

    private static string Worst(RunFacts f) =>
        f.WorstChannel is { } w ? $"worst divergence {F(w.Ratio, "0.00")} of threshold ({w.Channel})" : "no twin divergence recorded";

    private static string Accepting(Expectation e) => e.Triggers.Count == 0 ? "any trigger" : string.Join("/", e.Triggers);

    private static (Verdict, string) NoTrip(RunFacts f)
    {
        if (f.TripTick is not null) return (Verdict.Fail, $"expected no trip, but {Tripped(f)}");
        if (f.Warnings > 0)
            return (Verdict.Fail, $"expected no warning, but {f.Warnings} warning(s), the first {f.FirstWarning} at {At(f, f.FirstWarningTick ?? 0)}");
        return (Verdict.Pass, $"no trip and no warning in {F(f.SimulatedS, "0.0")} s; {Worst(f)}");
    }

    private static (Verdict, string) Warning(RunFacts f)
    {
        if (f.TripTick is not null) return (Verdict.Fail, $"expected a warning without a trip, but {Tripped(f)}");
        if (f.AcceptedWarnings == 0)
            return (Verdict.Fail, f.Warnings == 0
                ? $"expected a warning from {Accepting(f.Expect)}, but none in {F(f.SimulatedS, "0.0")} s; {Worst(f)}"
                : $"expected a warning from {Accepting(f.Expect)}, but the {f.Warnings} warning(s) came from elsewhere (first {f.FirstWarning})");
        string after = f.FirstInjectionTick is long i && f.FirstWarningTick is long w && w >= i ? $", {F((w - i) * f.PeriodMs)} ms after the injection" : "";
        return (Verdict.Pass, $"{f.AcceptedWarnings} warning(s) from {Accepting(f.Expect)}, the first {f.FirstWarning} at {At(f, f.FirstWarningTick ?? 0)}{after}; no trip");
    }

    private static (Verdict, string) Stop(RunFacts f)
    {
        var e = f.Expect;
        string expected = (e.Category is null ? "a stop" : $"a {Category(e.Category)} stop") + $" by {Accepting(e)}" + (e.WithinMs is double w0 ? $" within {F(w0, "0.#")} ms" : "");
        if (f.FirstInjectionTick is null)
            return (Verdict.Fail, $"expected {expected} of an injection, but the scenario injected nothing");
        if (f.TripTick is null)
            return (Verdict.Fail, $"expected {expected}, but nothing tripped in {F(f.SimulatedS, "0.0")} s"
                + (f.Warnings > 0 ? $" ({f.Warnings} warning(s), the first {f.FirstWarning})" : "") + $"; {Worst(f)}");
        if (f.TripTick < f.FirstInjectionTick)
            return (Verdict.Fail, $"expected {expected}, but {Tripped(f)}: a false trip");
        if (e.Category is { } cat && f.TripCategory != cat)
            return (Verdict.Fail, $"expected {expected}, but {Tripped(f)}: wrong category");
        if (!ScenarioObserver.Accepted(e.Triggers, f.TripTrigger ?? ""))
            return (Verdict.Fail, $"expected {expected}, but {Tripped(f)}: another trigger");
        if (f.StopSentTick is null)
            return (Verdict.Fail, $"{Tripped(f)} in the last tick of the run: no frame carried the stop before the end");

        long inj = f.FirstInjectionTick!.Value;
        double sentMs = (f.StopSentTick.Value - inj) * f.PeriodMs;
        string delivered = f.StopDeliveredTick is long d
            ? d == f.StopSentTick ? "" : $" (it reached the slaves at {F((d - inj) * f.PeriodMs)} ms, after the lost frames)"
            : " (it did not reach the slaves before the end: frames lost or the link down)";
        string bound = e.WithinMs is double w ? (sentMs <= w + 1e-9 ? $" ≤ {F(w, "0.#")} ms" : $" > {F(w, "0.#")} ms") : "";
        string sentence = $"{Tripped(f)}; stop on the bus at {F(sentMs)} ms{bound}{delivered}";
        if (e.WithinMs is double within && sentMs > within + 1e-9) return (Verdict.Fail, sentence + ": too late");
        return f.Collision ? CollisionReaction(f, sentence) : (Verdict.Pass, sentence);
    }

    /// <summary>
    /// Issue 13's collision numbers for any collision run, whatever its expectation (a report line, never the verdict):
    /// the stop on the bus ≤ <see cref="CollisionStopCommandMs"/> after the contact (the first contact force for an
    /// obstacle, else the injection); the compliant hold — no Cat 0 at the trip, no Cat 1 (its ramp ends in STO: the
    /// power cut a collision must not get), no Cat 0 escalation; every joint within
    /// <see cref="CollisionStopDistanceRad"/> of the trip; and, when an obstacle force is measured, falling or released.
    /// </summary>
    public static CollisionNumbers CollisionNumbersOf(RunFacts f)
    {
        var why = new List<string>();
        if (f.TripTick is not long trip || f.StopSentTick is not long sent)
            why.Add(f.TripTick is null ? "no stop" : "the stop never went out");
        else if (f.FirstInjectionTick is long inj && trip < inj)
            why.Add("tripped before the collision");
        else
        {
            long contact = f.Contact?.FirstContactTick ?? f.FirstInjectionTick ?? trip;
            double ms = (sent - contact) * f.PeriodMs;
            if (ms > CollisionStopCommandMs + 1e-9) why.Add($"stop {F(ms)} ms after the contact");
            if (f.TripCategory == StopCategory.Cat0) why.Add("Cat 0 at the trip");
            else if (f.TripCategory == StopCategory.Cat1) why.Add("Cat 1 ramp, not the hold");
            if (f.Cat0Escalation is { } esc) why.Add($"escalated to Cat 0 ({esc})");
            if (TooFar(f) is double d) why.Add($"stop distance {F(d * 1e3, "0")} mrad ({f.StopDistanceJoint})");
            if (ForceNotFalling(f) is { } c)
                why.Add(c.Trend == "rising" ? $"contact force rising {F(c.AtStopN, "0")}→{F(c.EndOfWindowN, "0")} N" : $"contact force: {c.Trend}");
        }
        return new CollisionNumbers { Met = why.Count == 0, Violations = why };
    }

    /// <summary>
    /// Issue 13's collision numbers on top of the stop: no Cat 0 (the trip's or an escalation), every joint within
    /// <see cref="CollisionStopDistanceRad"/> of where it was at the trip, and the contact force not rising after the
    /// stop command (mean over the last 10 ms of the 50 ms after it ≤ the force at the command, or released).
    /// </summary>
    private static (Verdict, string) CollisionReaction(RunFacts f, string sentence)
    {
        string force = f.Contact is { } c
            ? c.Trend is "no contact" ? "no contact force measured"
                : $"contact force {F(c.AtStopN, "0")} N at the command, peak {F(c.PeakAfterStopN, "0")} N, {F(c.EndOfWindowN, "0")} N at 40–50 ms: {c.Trend}"
            : "no contact force measured";
        string distance = f.StopDistanceRad is double d ? $"stop distance {F(d * 1e3, "0")} mrad ({f.StopDistanceJoint})" : "no stop distance";
        sentence = $"{sentence}; {distance}; {force}";
        if (f.TripCategory == StopCategory.Cat0) return (Verdict.Fail, sentence + ": a collision stopped by Cat 0");
        if (f.Cat0Escalation is { } esc) return (Verdict.Fail, $"{sentence}: escalated ({esc})");
        if (TooFar(f) is not null) return (Verdict.Fail, $"{sentence}: > {F(CollisionStopDistanceRad * 1e3, "0")} mrad");
        if (ForceNotFalling(f) is { } cc)
            return (Verdict.Fail, $"{sentence}: {(cc.Trend == "rising" ? "the force rose after the stop" : "the force could not be judged")}");
        return (Verdict.Pass, sentence);
    }

    /// <summary>The stop distance when it is over <see cref="CollisionStopDistanceRad"/> (or not a number), else null.</summary>
    private static double? TooFar(RunFacts f) =>
        f.StopDistanceRad is double d && !(d <= CollisionStopDistanceRad + 1e-12) ? d : null;

    /// <summary>The contact-force figures when the force rose after the stop or could not be judged, else null.</summary>
    private static ContactForceFigures? ForceNotFalling(RunFacts f) =>
        f.Contact is { Trend: "rising" or "window cut short" or "no stop" } c ? c : null;
}
