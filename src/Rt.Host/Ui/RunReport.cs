using System.Globalization;
using Rt.ControlLoop.Timing;
using Rt.Session;

namespace Rt.Host.Ui;

/// <summary>The live one-screen summary and the final report of <c>rt run</c>. Not real-time safe (UI thread).</summary>
public static class RunReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Us(long ns) => (ns / 1000.0).ToString("0.0", Inv);

    public static IEnumerable<string> Live(HostSession session, TickTiming timing, double wallS, bool lockstep)
    {
        var st = session.Pipeline.Statistics;
        double simS = st.LastTimeNs * 1e-9;
        yield return $"rt run  {session.Config.Robot.Name}  {(lockstep ? "lockstep" : "real time")}  " +
                     $"sim {simS.ToString("0.00", Inv)} s  wall {wallS.ToString("0.00", Inv)} s  " +
                     $"({(wallS > 0 ? (simS / wallS).ToString("0.0", Inv) : "-")}× real time)";
        yield return $"ticks {st.Ticks}  rate {(wallS > 0 ? (st.Ticks / wallS).ToString("0", Inv) : "-")} /s (wall)  " +
                     $"safety {st.SafetyState}  drives {(st.AllDrivesOperational ? "operational" : "not operational")}  " +
                     $"motion {session.Controller.CurrentPhase} t={session.Controller.MotionTimeS.ToString("0.00", Inv)} s";
        if (!lockstep)
            yield return $"wake latency µs  p50 {Us(timing.WakeLatency.Percentile(0.5))}  p99 {Us(timing.WakeLatency.Percentile(0.99))}  " +
                         $"p99.9 {Us(timing.WakeLatency.Percentile(0.999))}  max {Us(timing.WakeLatency.Max)}   overruns {timing.Overruns}  missed {timing.MissedPeriods}";
        if (timing.Compute.Count > 0)
            yield return (!lockstep && session.World != null ? "tick+plant µs    p50" : "compute µs       p50") + $" {Us(timing.Compute.Percentile(0.5))}  p99 {Us(timing.Compute.Percentile(0.99))}  max {Us(timing.Compute.Max)}";
        if (st.JointCount > 0)
        {
            double worstRms = 0, worstMax = 0;
            int worst = 0;
            for (int j = 0; j < st.JointCount; j++)
            {
                if (st.TrackingMax(j) > worstMax) { worstMax = st.TrackingMax(j); worst = j; }
                worstRms = Math.Max(worstRms, st.TrackingRms(j));
            }
            yield return $"tracking error mrad  worst rms {(worstRms * 1e3).ToString("0.00", Inv)}  worst max {(worstMax * 1e3).ToString("0.00", Inv)} ({session.Config.Joints[worst].Name})";
        }
        if (session.State.Divergence.Valid || st.MaxDivergenceRatio > 0)
            yield return $"divergence  worst detector/threshold {st.MaxDivergenceRatio.ToString("0.00", Inv)}" +
                         (st.WorstChannel >= 0 ? $" ({session.Layout.Channels[st.WorstChannel].Name})" : "");
    }

    public static void Final(TextWriter o, HostSession session, TickTiming timing, double wallS, bool lockstep, FaultReporter faults, long gcCount)
    {
        var st = session.Pipeline.Statistics;
        o.WriteLine();
        o.WriteLine("== final report ==");
        foreach (var line in Live(session, timing, wallS, lockstep)) o.WriteLine(line);
        o.WriteLine($"garbage collections during the run: {gcCount}");
        o.WriteLine("joint                 tracking rms mrad   max mrad");
        for (int j = 0; j < st.JointCount; j++)
            o.WriteLine($"{session.Config.Joints[j].Name,-20}  {(st.TrackingRms(j) * 1e3),17:0.000}  {(st.TrackingMax(j) * 1e3),9:0.000}");
        Faults(o, faults);
    }

    /// <summary>
    /// The report's fault section: each kind once with its count, a slave named as the live line named it (e.g.
    /// <c>slave 13 (l_foot_imu)</c>, <see cref="FaultReporter.SlaveName"/>).
    /// </summary>
    public static void Faults(TextWriter o, FaultReporter faults)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(faults);
        if (faults.Seen.Count == 0)
        {
            o.WriteLine("faults: none");
            return;
        }
        o.WriteLine($"faults: {faults.Total}");
        foreach (var (_, (first, count)) in faults.Seen) o.WriteLine($"  {count}× {FaultReporter.Describe(first, faults.SlaveName)}");
    }
}
