using System.Globalization;
using Rt.ControlLoop.Timing;
using Rt.Core.Tick;
using Rt.Session;
using Rt.Host.Ui;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Realtime;

/// <summary>
/// The live screen of a real-time scenario (<c>rt hil run … --realtime --live</c>, the demo): <c>rt run</c>'s live
/// summary (<see cref="RunReport.Live"/>) plus the scenario's progress, its injections as they land and the safety
/// state with the cause of a trip. Redraws in place on a terminal; on a pipe or in CI it prints one status line per
/// second instead. Not real-time safe (UI thread).
/// </summary>
public sealed class RealtimeDashboard
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly TextWriter _out;
    private readonly bool _redraw;
    private int _drawn;
    private double _lastLineS = -1;
    private int _eventsPrinted, _injectionsPrinted, _warnings;
    private const int MaxWarningLines = 5;

    public RealtimeDashboard(TextWriter output, bool redraw)
    {
        _out = output;
        _redraw = redraw;
    }

    /// <summary>For the console: redraw in place unless the output is redirected.</summary>
    public static RealtimeDashboard ForConsole() => new(Console.Out, !Console.IsOutputRedirected);

    public void Draw(HostSession session, TickTiming timing, double wallS, Scenario scenario, IReadOnlyList<AppliedInjection> applied, IReadOnlyList<SafetyEvent> events)
    {
        if (_redraw)
        {
            var lines = Lines(session, timing, wallS, scenario, applied, events).ToList();
            if (_drawn > 0) _out.Write($"\u001b[{_drawn}A");
            foreach (var l in lines) _out.WriteLine($"\u001b[2K{l}");
            _drawn = lines.Count;
            _out.Flush();
            return;
        }
        // Not a terminal: what happened, once, and a status line per second.
        for (; _injectionsPrinted < applied.Count; _injectionsPrinted++) _out.WriteLine($"injected: {Describe(applied[_injectionsPrinted], session)}");
        for (; _eventsPrinted < events.Count; _eventsPrinted++)
        {
            var e = events[_eventsPrinted];
            // State changes and stops always; warnings (a chatty twin can raise hundreds) only the first few.
            if (e.From == e.To && e.Reaction == StopCategory.Warning && ++_warnings > MaxWarningLines) continue;
            _out.WriteLine($"safety: {Describe(e, session, applied)}");
        }
        if (_lastLineS < 0 || wallS - _lastLineS >= 1)
        {
            _lastLineS = wallS;
            string more = _warnings > MaxWarningLines ? $"  (+{_warnings - MaxWarningLines} warnings not shown)" : "";
            _out.WriteLine($"{Progress(session, scenario)}  {RunReport.Live(session, timing, wallS, lockstep: false).ElementAt(1)}{more}");
        }
        _out.Flush();
    }

    private static IEnumerable<string> Lines(HostSession session, TickTiming timing, double wallS, Scenario scenario, IReadOnlyList<AppliedInjection> applied, IReadOnlyList<SafetyEvent> events)
    {
        foreach (var l in RunReport.Live(session, timing, wallS, lockstep: false)) yield return l;
        yield return "";
        yield return $"scenario {scenario.Name}  {Progress(session, scenario)}  expect: {Expected(scenario.Expect)}";
        foreach (var i in scenario.Injections)
        {
            var a = applied.FirstOrDefault(x => x.Kind == i.Kind && x.Target == i.Target);
            string when = a is null ? $"at {i.AtS.ToString("0.000", Inv)} s (pending)" : When(a);
            yield return $"  injection {ControlProtocol.KindName(i.Kind)}{(i.Target is null ? "" : " " + i.Target)}: {when}";
        }
        var state = session.State.SafetyState;
        SafetyEvent? trip = null;
        foreach (var e in events) if (ScenarioObserver.IsTripEvent(e)) { trip = e; break; }
        yield return trip is { } t
            ? $"safety: {state.ToString().ToUpperInvariant()}  ← {Describe(t, session, applied)}"
            : $"safety: {state}";
    }

    private static string Progress(HostSession session, Scenario scenario)
    {
        double sim = session.Pipeline.Statistics.LastTimeNs * 1e-9;
        double f = scenario.DurationS > 0 ? Math.Clamp(sim / scenario.DurationS, 0, 1) : 0;
        int filled = (int)Math.Round(f * 24);
        return $"[{new string('#', filled)}{new string('.', 24 - filled)}] {sim.ToString("0.0", Inv)}/{scenario.DurationS.ToString("0.0", Inv)} s";
    }

    private static string Expected(Expectation e) => e.Outcome switch
    {
        ExpectedOutcome.NoTrip => "no trip",
        ExpectedOutcome.Warning => "a warning, no trip",
        _ => $"stop{(e.Category is { } c ? " " + c : "")}{(e.Triggers.Count > 0 ? " by " + string.Join("/", e.Triggers) : "")}{(e.WithinMs is { } ms ? $" within {ms.ToString("0.#", Inv)} ms" : "")}",
    };

    private static string ChannelOf(SafetyEvent e, HostSession session)
    {
        if (e.Channel < 0) return "";
        var cfg = session.Config;
        // Twin triggers name a divergence channel; the joint-level ones a joint. Other kinds: the number.
        if (e.Trigger is Rt.Core.Faults.FaultCode.TwinDivergence && e.Channel < session.Layout.Count) return $" ({session.Layout.Channels[e.Channel].Name})";
        if (e.Trigger is Rt.Core.Faults.FaultCode.Collision or Rt.Core.Faults.FaultCode.FollowingError or Rt.Core.Faults.FaultCode.StopMonitor && e.Channel < cfg.Joints.Count) return $" ({cfg.Joints[e.Channel].Name})";
        return "";
    }

    private static string Describe(AppliedInjection a, HostSession session) =>
        $"{ControlProtocol.KindName(a.Kind)}{(a.Target is null ? "" : " " + a.Target)} {When(a)}";

    private static string When(AppliedInjection a) =>
        $"at {a.TimeS.ToString("0.000", Inv)} s (tick {a.Tick})" + (a.EndTick is { } end ? $" until tick {end}" : "");

    private static string Describe(SafetyEvent e, HostSession session, IReadOnlyList<AppliedInjection> applied)
    {
        string cause = ScenarioObserver.TriggerName(e.Trigger);
        string after = applied.Count > 0 && e.Tick >= applied[0].Tick
            ? $", {((e.Tick - applied[0].Tick) * session.PeriodNs / 1e6).ToString("0.#", Inv)} ms after the injection"
            : "";
        if (cause.Length == 0) return $"{e.From} → {e.To} (operator) at tick {e.Tick}{after}";
        return $"{e.From} → {e.To}: {cause}{ChannelOf(e, session)} {e.Reaction} at tick {e.Tick}{after} " +
               $"(value {e.Value.ToString("G4", Inv)}, threshold {e.Threshold.ToString("G4", Inv)})";
    }
}
