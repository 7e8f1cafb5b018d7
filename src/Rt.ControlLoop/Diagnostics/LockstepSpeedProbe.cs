using System.Diagnostics;
using Rt.ControlLoop.Pipeline;
using Rt.ControlLoop.Scheduling;
using Rt.ControlLoop.Timing;

namespace Rt.ControlLoop.Diagnostics;

/// <summary>
/// How much faster than real time a lockstep session runs, and where each tick's time goes. Two runs of the same
/// session, one after the other: the first, unprobed, gives the speed (wall time of the whole run, JIT warm-up
/// included); the second, with a <see cref="StageProbe"/>, gives the median of each stage and of the whole tick. The
/// other load on the machine moves wall times; the medians and their ratios (same run) are what to compare.
/// Not real-time safe (it reports); the runs themselves are the ordinary lockstep ticks.
/// </summary>
public sealed class LockstepSpeedProbe
{
    private readonly TickPipeline _pipeline;
    private readonly Func<LockstepScheduler> _scheduler;

    /// <param name="pipeline">the session's pipeline</param>
    /// <param name="scheduler">makes a lockstep scheduler over that pipeline and its world</param>
    public LockstepSpeedProbe(TickPipeline pipeline, Func<LockstepScheduler> scheduler)
    {
        _pipeline = pipeline;
        _scheduler = scheduler;
    }

    /// <summary>Runs <paramref name="ticks"/> ticks unprobed, then as many probed, and reports both through <paramref name="figure"/> (name, value, unit).</summary>
    public void Run(long ticks, Action<string, double, string> figure)
    {
        var speedRun = _scheduler();
        long period = speedRun.PeriodNs;
        var sw = Stopwatch.StartNew();
        speedRun.Run(ticks);
        sw.Stop();
        double simS = ticks * period / 1e9;
        figure("lockstep.sim_time", simS, "s");
        figure("lockstep.wall_time", sw.Elapsed.TotalSeconds, "s");
        figure("lockstep.speedup", simS / sw.Elapsed.TotalSeconds, "x");
        figure("lockstep.rate", ticks / sw.Elapsed.TotalSeconds, "ticks/s");

        var probe = new StageProbe();
        var probed = _scheduler();
        probed.Probe = probe;
        _pipeline.Probe = probe;
        try
        {
            probed.Run(ticks, firstTick: ticks);
        }
        finally
        {
            _pipeline.Probe = null;
        }
        Report(probe, period, figure);
    }

    private static readonly (TickStage Stage, string Name)[] Stages =
    [
        (TickStage.Bus, "bus"), (TickStage.Convert, "convert"), (TickStage.Twin, "twin"), (TickStage.Controller, "controller"),
        (TickStage.Safety, "safety"), (TickStage.Write, "write"), (TickStage.Sinks, "sinks"), (TickStage.Plant, "plant"),
    ];

    /// <summary>Per stage the median and mean, µs per tick; the whole tick's median; the real-time factor from it.</summary>
    public static void Report(StageProbe probe, long periodNs, Action<string, double, string> figure)
    {
        foreach (var (stage, name) in Stages)
        {
            var h = probe[stage];
            figure($"lockstep.stage.{name}.median", h.Percentile(0.5) / 1000.0, "us");
            figure($"lockstep.stage.{name}.mean", h.Mean / 1000.0, "us");
        }
        long median = probe.Total.Percentile(0.5);
        figure("lockstep.stage.total.median", median / 1000.0, "us");
        figure("lockstep.stage.total.mean", probe.Total.Mean / 1000.0, "us");
        figure("lockstep.stage.total.p99", probe.Total.Percentile(0.99) / 1000.0, "us");
        // The real-time factor of a median tick: steadier under other load than the wall time of the whole run.
        figure("lockstep.speedup_median_tick", median > 0 ? (double)periodNs / median : 0, "x");
    }
}
