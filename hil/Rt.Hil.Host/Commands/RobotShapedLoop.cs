using System.Diagnostics;
using System.Globalization;
using Rt.Core.Config;
using Rt.Hil.Campaign.Realtime;
using Rt.Host.Commands;
using Rt.Perf;
using Rt.Session;

namespace Rt.Hil.Host.Commands;

/// <summary>
/// <c>rt bench loop --robot-shaped</c>: the host's tick alone, as on a robot — its pipeline (twin, supervisor,
/// controller, EtherCAT master over a raw socket, optionally telemetry) on the tick CPU, and the emulated robot
/// (<c>rt hil serve</c>: slaves and MuJoCo plant) in its own network namespace, process and CPU, answering over a veth
/// pair. For each rate and wait mode (sleep to the deadline, or sleep then spin the last <c>--spin-tail-us</c>), the
/// loop's wake-up latency and then Debian's cyclictest for the same time, interval, priority and CPU, in the same run.
/// Not real-time safe (a measurement harness). Needs root (namespace, veth, raw socket).
/// </summary>
internal static class RobotShapedLoop
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(RtConfig baseConfig, string configPath, double seconds, IReadOnlyList<double> rates, double spinTailUs,
        bool cyclictest, bool telemetry, int tickCpu, int serveCpu)
    {
        if (VethBench.Unavailable("rtloop-m") is { } why)
        {
            Console.Error.WriteLine($"error: --robot-shaped: {why}");
            return ExitCodes.Unavailable;
        }
        string state = Directory.CreateTempSubdirectory("rt-robot-loop-").FullName;
        LocalBroker? broker = null;
        try
        {
            using var veth = VethBench.Start("rtloop-m", configPath, 1, state, TimeSpan.FromSeconds(120));
            if (serveCpu >= 0) Pin(veth.ServePid, serveCpu);
            Console.WriteLine($"# rt hil serve: pid {veth.ServePid}, namespace {veth.Namespace}, CPU {(serveCpu >= 0 ? serveCpu.ToString(Inv) : "any")}; tick CPU {(tickCpu >= 0 ? tickCpu.ToString(Inv) : "any")}");
            if (telemetry)
            {
                broker = new LocalBroker(Path.Combine(state, "broker")).Start();
                Console.WriteLine($"# telemetry on: {broker.Uri}");
            }
            foreach (double rate in rates)
            {
                foreach (double tail in spinTailUs > 0 ? [0, spinTailUs] : new[] { 0.0 })
                {
                    string prefix = $"robot.{rate.ToString("0", Inv)}hz.{(tail > 0 ? "spin" + tail.ToString("0", Inv) + "us" : "sleep")}";
                    int code = OneRun(baseConfig, veth.HostInterface, state, rate, tail, tickCpu, seconds, cyclictest, broker?.Uri, prefix);
                    if (code != ExitCodes.Ok) return code;
                }
            }
            return ExitCodes.Ok;
        }
        finally
        {
            broker?.Dispose();
            try { Directory.Delete(state, recursive: true); } catch (IOException) { } // the serve process may still hold its socket a moment
        }
    }

    private static int OneRun(RtConfig baseConfig, string iface, string state, double rate, double tailUs, int cpu, double seconds, bool cyclictest, string? broker, string prefix)
    {
        // A fresh config per run: the rate, the spin tail and the CPU are the variables; the twin's servo models were fitted
        // at the config's rate, so another rate runs the twin on nominal parameters.
        var cfg = CommandOptions.LoadConfig(new FileInfo(baseConfig.SourcePath));
        cfg.Loop.SpinTailUs = tailUs;
        cfg.Loop.Cpu = cpu;
        if (Math.Abs(cfg.Loop.RateHz - rate) > 1e-9)
        {
            cfg.Loop.RateHz = rate;
            cfg.Twin.Parameters = "";
        }
        string dir = Path.Combine(state, prefix);
        Directory.CreateDirectory(dir);
        using var session = CreateSession(cfg, new SessionOptions { Bench = true, Interface = iface, StateDirectory = dir, Broker = broker, EnableMotion = true });
        var scheduler = session.CreateRealtime();
        // RT_ALLOC_STAGES=1: which pipeline stage allocated on the tick thread, and when (laps ~7 per tick).
        var stageProbe = Environment.GetEnvironmentVariable("RT_ALLOC_STAGES") == "1" ? new Rt.ControlLoop.Timing.StageProbe() : null;
        if (stageProbe != null)
        {
            stageProbe.TrackAllocations();
            session.Pipeline.Probe = stageProbe;
        }
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        var traffic0 = session.Telemetry?.Traffic() ?? [];
        var stats0 = session.Telemetry?.Stats;
        using var sampler = Environment.GetEnvironmentVariable("RT_ALLOC_SAMPLE") == "1" ? new AllocationSampler() : null;
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        scheduler.Run(session.TicksFor(seconds));
        sw.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
        var t = scheduler.Timing;
        long ticks = Math.Max(1, t.WakeLatency.Count);
        Console.WriteLine($"# {prefix}: {scheduler.Report}; {sw.Elapsed.TotalSeconds.ToString("0.#", Inv)} s");
        PerfCommand.PrintLatency($"{prefix}.loop.wake", t.WakeLatency);
        PerfCommand.Figure($"{prefix}.loop.compute.median", t.Compute.Percentile(0.5) / 1000.0, "us");
        PerfCommand.Figure($"{prefix}.loop.compute.p99", t.Compute.Percentile(0.99) / 1000.0, "us");
        PerfCommand.Figure($"{prefix}.loop.overruns", t.Overruns, "ticks");
        PerfCommand.Figure($"{prefix}.loop.missed_periods", t.MissedPeriods, "periods");
        PerfCommand.Figure($"{prefix}.loop.gc_count", scheduler.CollectionsDuringLoop, "collections");
        PerfCommand.Figure($"{prefix}.process.gc_gen0", GC.CollectionCount(0) - gen0, "collections");
        PerfCommand.Figure($"{prefix}.process.gc_gen1", GC.CollectionCount(1) - gen1, "collections");
        PerfCommand.Figure($"{prefix}.process.gc_gen2", GC.CollectionCount(2) - gen2, "collections");
        // What sizes the no-GC region (loop.no_gc_region_mb): the whole process's allocation rate, all threads.
        double s = sw.Elapsed.TotalSeconds;
        sampler?.Print(s);
        PerfCommand.Figure($"{prefix}.process.allocated", allocated / s / 1000, "kB/s");
        PerfCommand.Figure($"{prefix}.process.allocated_per_hour", allocated / s * 3600 / (1 << 20), "MiB");
        PerfCommand.Figure($"{prefix}.process.no_gc_region", scheduler.NoGcRegionBytes / (double)(1 << 20), "MiB");
        if (session.Telemetry is { } tel && stats0 is { } st0)
        {
            var st = tel.Stats;
            PerfCommand.Figure($"{prefix}.telemetry.publisher.cpu", (st.PublisherCpuNs - st0.PublisherCpuNs) / 1e9 / s * 100, "%");
            PerfCommand.Figure($"{prefix}.telemetry.records.dropped", st.RingDropped - st0.RingDropped + st.LinkDropped - st0.LinkDropped, "records");
            PerfCommand.Figure($"{prefix}.telemetry.missed_ticks", st.MissedTicks - st0.MissedTicks, "ticks");
            PerfCommand.Figure($"{prefix}.telemetry.allocated.per_message", allocated / (double)Math.Max(1, st.MessagesPublished - st0.MessagesPublished), "B");
            foreach (var (topic, messages, bytes) in tel.Traffic())
            {
                var before = traffic0.FirstOrDefault(x => x.Topic == topic);
                string name = (topic.StartsWith(tel.Topics.Root + "/", StringComparison.Ordinal) ? topic[(tel.Topics.Root.Length + 1)..] : topic).Replace('/', '.');
                PerfCommand.Figure($"{prefix}.telemetry.{name}.rate", (messages - before.Messages) / s, "Hz");
                PerfCommand.Figure($"{prefix}.telemetry.{name}.kbps", (bytes - before.Bytes) / s / 1000, "kB/s");
            }
        }
        PerfCommand.Figure($"{prefix}.loop.alloc_tick_thread_after_warmup", scheduler.AllocatedBytesAfterWarmup, "bytes");
        PerfCommand.Figure($"{prefix}.loop.bytes_per_tick_after_warmup", scheduler.AllocatedBytesAfterWarmup / (double)ticks, "bytes");
        if (stageProbe != null)
            foreach (var (lap, stage, bytes) in stageProbe.Allocations)
                Console.WriteLine($"# tick-thread allocation: lap {lap} (tick ~{lap / 7}), stage {stage}: {bytes} B");
        if (scheduler.FirstAllocatingTick >= 0)
            Console.WriteLine($"# first allocation after warm-up: tick {scheduler.FirstAllocatingTick}: {scheduler.FirstAllocationInBody} B in the pipeline, " +
                              $"{scheduler.FirstAllocationInWorld} B in the world, {scheduler.FirstAllocationBetweenTicks} B between ticks");
        PerfCommand.Figure($"{prefix}.loop.no_gc_region_held", scheduler.NoGcRegionHeld ? 1 : 0, "bool");
        PerfCommand.Figure($"{prefix}.loop.sched_fifo", scheduler.Report!.FifoGranted ? 1 : 0, "bool");
        PerfCommand.Figure($"{prefix}.loop.safety_state_operational", session.State.SafetyState == Core.Tick.SafetyState.Operational ? 1 : 0, "bool");
        if (!cyclictest) return ExitCodes.Ok;
        var cyc = Cyclictest.Run(seconds, cfg.Loop.Priority, (long)Math.Round(1e6 / rate), cpu);
        if (cyc == null) return ExitCodes.Unavailable;
        PerfCommand.PrintLatency($"{prefix}.cyclictest.wake", cyc);
        foreach (var (q, name) in new[] { (0.5, "p50"), (0.99, "p99"), (0.999, "p99.9") })
        {
            double c = cyc.Percentile(q);
            PerfCommand.Figure($"{prefix}.{name}_ratio_to_cyclictest", c > 0 ? t.WakeLatency.Percentile(q) / c : double.NaN, "x");
        }
        PerfCommand.Figure($"{prefix}.max_ratio_to_cyclictest", cyc.Max > 0 ? t.WakeLatency.Max / (double)cyc.Max : double.NaN, "x");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The serve process answers its first frames only once its frame path has been compiled, which on a loaded
    /// machine can outlast the master's bring-up retries: bring-up is retried for up to 60 s (wall clock, a harness).
    /// </summary>
    private static HostSession CreateSession(RtConfig cfg, SessionOptions options)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return HostSession.Create(cfg, options);
            }
            catch (Rt.Drivers.EtherCat.EtherCatException e) when (sw.Elapsed < TimeSpan.FromSeconds(60) && e.Message.Contains("no EtherCAT slave answered", StringComparison.Ordinal))
            {
                Thread.Sleep(500);
            }
        }
    }

    /// <summary>Every thread of the serve process onto <paramref name="cpu"/> (util-linux taskset).</summary>
    private static void Pin(int pid, int cpu)
    {
        var psi = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-a", "-p", "-c", cpu.ToString(Inv), pid.ToString(Inv)]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) Console.Error.WriteLine($"warning: could not pin rt hil serve to CPU {cpu}: {err.Trim()}");
    }
}
