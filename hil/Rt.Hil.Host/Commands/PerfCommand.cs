using Rt.Core.Errors;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Rt.ControlLoop.Diagnostics;
using Rt.ControlLoop.Timing;
using Rt.Hil.Campaign;
using Rt.Host.Commands;
using Rt.Perf;
using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Host.Commands;

/// <summary>
/// <c>rt bench &lt;name&gt;</c>: system-level benchmarks. Each prints its figures one per line as <c>name: value unit</c>
/// so a script can read them (harnesses: bench/Rt.Perf); micro-benchmarks live in bench/Rt.Benchmarks (BenchmarkDotNet).
/// </summary>
public static class PerfCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var cmd = new Command("bench", "System-level benchmarks; each prints `name: value unit` lines");
        cmd.Add(Loop());
        cmd.Add(Tick());
        cmd.Add(Lockstep());
        foreach (var extra in ExtraPerfCommands.Create()) cmd.Add(extra);
        return cmd;
    }

    internal static Option<FileInfo> ConfigOption() => CommandOptions.ConfigOption();

    /// <summary>The most ticks, cycles or frames a benchmark option takes (about 2.8 h at 1 kHz): more is a typo.</summary>
    internal const int MaxCount = 10_000_000;

    /// <summary>A count option (<c>--ticks</c>, <c>--cycles</c>) in 1 … <see cref="MaxCount"/>, else one line, exit 2 (InputError).</summary>
    internal static int Count(int value, string option, string unit)
    {
        if (value is < 1 or > MaxCount)
            throw new InputError("command line", option, string.Create(Inv, $"{value} {unit}; expected 1 … {MaxCount} {unit}"));
        return value;
    }

    /// <summary>A CPU number option in <paramref name="min"/> … the machine's last CPU (−1 where "any" is allowed), else one line, exit 2.</summary>
    internal static int Cpu(int value, string option, int min = 0)
    {
        int last = Environment.ProcessorCount - 1;
        if (value < min || value > last)
            throw new InputError("command line", option, string.Create(Inv, $"CPU {value}; expected {(min < 0 ? "-1 (any) or " : "")}0 … {last} (this machine has {last + 1} CPUs)"));
        return value;
    }

    internal static void Figure(string name, double value, string unit) =>
        Console.WriteLine($"{name}: {value.ToString("0.###", Inv)} {unit}");

    private static Command Tick()
    {
        var config = ConfigOption();
        var ticks = new Option<int>("--ticks") { Description = "Ticks to measure", DefaultValueFactory = _ => 20000 };
        var twin = new Option<bool>("--twin") { Description = "Include the twin (off: the foundation figure, tick without the twin)" };
        var cmd = new Command("tick", "Tick compute time (bench, lockstep) and bytes allocated per tick") { config, ticks, twin };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            int n = Count(r.GetValue(ticks), "--ticks", "ticks");
            bool withTwin = r.GetValue(twin);
            // The host's own tick (process image exchanged in-process with the bench drives), then the same tick over
            // the EtherCAT master, where the figure also contains the in-process slave emulator's work on the frame.
            foreach (var (kind, prefix) in new[] { (Core.Config.BusKind.InProcess, "tick"), (Core.Config.BusKind.EtherCat, "tick.ethercat_loopback") })
            {
                var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
                cfg.Twin.Enabled = withTwin;
                cfg.Bus.Kind = kind;
                using var session = BenchSession.Create(cfg, new SessionOptions { Bench = true, Lockstep = true, StateDirectory = Path.Combine(Path.GetTempPath(), "rt-bench-state") });
                var scheduler = session.CreateLockstep(measureCompute: true);
                scheduler.Run(3000); // warm-up: enable, settle, JIT tiers
                scheduler.Timing.Compute.Clear();
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                int gc0 = GC.CollectionCount(0);
                scheduler.Run(n, 3000);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - a0;
                var c = scheduler.Timing.Compute;
                Figure($"{prefix}.compute.median", c.Percentile(0.5) / 1000.0, "us");
                Figure($"{prefix}.compute.p99", c.Percentile(0.99) / 1000.0, "us");
                Figure($"{prefix}.compute.max", c.Max / 1000.0, "us");
                Figure($"{prefix}.alloc_per_tick", (double)allocated / n, "bytes");
                Figure($"{prefix}.gc_count", GC.CollectionCount(0) - gc0, "collections");
            }
            Figure("tick.twin_enabled", withTwin ? 1 : 0, "bool");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Lockstep()
    {
        var config = ConfigOption();
        var duration = new Option<double>("--duration", "-d") { Description = "Simulated seconds", DefaultValueFactory = _ => 60 };
        var cmd = new Command("lockstep", "How much faster than real time a lockstep bench run goes, and the median time of each stage of a tick") { config, duration };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
            using var session = BenchSession.Create(cfg, new SessionOptions { Bench = true, Lockstep = true });
            // The speed run, then the same length again with each stage timed (Rt.ControlLoop.Diagnostics.LockstepSpeedProbe).
            new LockstepSpeedProbe(session.Pipeline, () => session.CreateLockstep()).Run(session.TicksFor(r.GetValue(duration)), Figure);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Loop()
    {
        var config = ConfigOption();
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds of real-time running (and of cyclictest after it)", DefaultValueFactory = _ => 10 };
        var skipCyclictest = new Option<bool>("--no-cyclictest") { Description = "Only measure the host's loop" };
        var robotShaped = new Option<bool>("--robot-shaped") { Description = "The host's tick alone over veth to `rt hil serve` in its own namespace, process and CPU (needs root); per rate and wait mode, paired with cyclictest" };
        var rates = new Option<double[]>("--rates") { Description = "--robot-shaped: loop rates, Hz", DefaultValueFactory = _ => [1000, 4000], AllowMultipleArgumentsPerToken = true };
        var spinTail = new Option<double>("--spin-tail-us") { Description = "--robot-shaped: also run each rate with this busy-wait tail (0: sleep only)", DefaultValueFactory = _ => 50 };
        var telemetry = new Option<bool>("--telemetry") { Description = "--robot-shaped: publish telemetry to a private mosquitto during the runs" };
        var tickCpu = new Option<int>("--tick-cpu") { Description = "--robot-shaped: CPU of the tick thread (and of cyclictest)", DefaultValueFactory = _ => 0 };
        var serveCpu = new Option<int>("--serve-cpu") { Description = "--robot-shaped: CPU of `rt hil serve` (-1: any)", DefaultValueFactory = _ => 1 };
        var cmd = new Command("loop", "Real-time loop wake-up latency on the bench, then Debian's cyclictest for the same time at the same priority") { config, duration, skipCyclictest, robotShaped, rates, spinTail, telemetry, tickCpu, serveCpu };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
            double seconds = r.GetValue(duration);
            if (!(seconds > 0 && seconds <= 86_400))
                throw new InputError("command line", "--duration", $"{seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s; expected more than 0 and at most 86400");
            foreach (double hz in r.GetValue(rates) ?? [])
                if (!(hz >= 1 && hz <= 20_000))
                    throw new InputError("command line", "--rates", $"{hz.ToString(System.Globalization.CultureInfo.InvariantCulture)} Hz; expected 1 … 20000 Hz each, separated by spaces (e.g. --rates 1000 4000)");
            double tail = r.GetValue(spinTail);
            if (!(tail >= 0 && tail < 1_000))
                throw new InputError("command line", "--spin-tail-us", $"{tail.ToString(System.Globalization.CultureInfo.InvariantCulture)} µs; expected 0 … 999");
            Cpu(r.GetValue(tickCpu), "--tick-cpu");
            Cpu(r.GetValue(serveCpu), "--serve-cpu", min: -1);
            if (r.GetValue(robotShaped))
            {
                return RobotShapedLoop.Run(cfg, r.GetValue(config)!.FullName, seconds, r.GetValue(rates) ?? [1000, 4000], r.GetValue(spinTail),
                    !r.GetValue(skipCyclictest), r.GetValue(telemetry), r.GetValue(tickCpu), r.GetValue(serveCpu));
            }
            using var session = BenchSession.Create(cfg, new SessionOptions { Bench = true, Lockstep = false });
            var scheduler = session.CreateRealtime();
            scheduler.Run(session.TicksFor(seconds));
            int gcs = scheduler.CollectionsDuringLoop;
            var rep = scheduler.Report!;
            Console.WriteLine($"# {rep}");
            var t = scheduler.Timing;
            PrintLatency("loop.wake", t.WakeLatency);
            Figure("loop.compute.median", t.Compute.Percentile(0.5) / 1000.0, "us");
            Figure("loop.compute.p99", t.Compute.Percentile(0.99) / 1000.0, "us");
            Figure("loop.overruns", t.Overruns, "ticks");
            Figure("loop.missed_periods", t.MissedPeriods, "periods");
            Figure("loop.gc_count", gcs, "collections");
            Figure("loop.alloc_tick_thread", scheduler.AllocatedBytesOnTickThread, "bytes");
            Figure("loop.alloc_tick_thread_after_warmup", scheduler.AllocatedBytesAfterWarmup, "bytes");
            Figure("loop.no_gc_region_held", scheduler.NoGcRegionHeld ? 1 : 0, "bool");
            Figure("loop.sched_fifo", rep.FifoGranted ? 1 : 0, "bool");
            if (r.GetValue(skipCyclictest)) return ExitCodes.Ok;
            var cyc = Cyclictest.Run(seconds, cfg.Loop.Priority, (long)Math.Round(1e6 / cfg.Loop.RateHz), cfg.Loop.Cpu);
            if (cyc == null) return ExitCodes.Unavailable;
            PrintLatency("cyclictest.wake", cyc);
            double p99Loop = t.WakeLatency.Percentile(0.99), p99Cyc = cyc.Percentile(0.99);
            Figure("loop.p99_ratio_to_cyclictest", p99Cyc > 0 ? p99Loop / p99Cyc : double.NaN, "x");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    internal static void PrintLatency(string prefix, LatencyHistogram h)
    {
        Figure($"{prefix}.p50", h.Percentile(0.5) / 1000.0, "us");
        Figure($"{prefix}.p99", h.Percentile(0.99) / 1000.0, "us");
        Figure($"{prefix}.p99.9", h.Percentile(0.999) / 1000.0, "us");
        Figure($"{prefix}.max", h.Max / 1000.0, "us");
        Figure($"{prefix}.samples", h.Count, "ticks");
    }
}

/// <summary>Benchmarks of the twin, the supervisor and telemetry (bus: see BusCommands).</summary>
internal static partial class ExtraPerfCommands
{
    public static IEnumerable<Command> Create()
    {
        var safety = new Command("safety", "Supervisor step time and allocation (12 joints)");
        safety.SetAction(_ => CommandRunner.Guard(() =>
        {
            SafetyPerf.Run(Console.Out);
            return ExitCodes.Ok;
        }));
        yield return safety;

        var seconds = new Option<double>("--seconds") { Description = "Length of the sustained 1 kHz stream", DefaultValueFactory = _ => 10 };
        var broker = new Option<string?>("--broker") { Description = "Broker to publish to (default: a private mosquitto on a free port)" };
        var outage = new Option<double>("--outage") { Description = "Stop the private broker for this many seconds in the middle of the stream", DefaultValueFactory = _ => 0 };
        var noSubscriber = new Option<bool>("--no-subscriber") { Description = "No in-process subscriber (an external one counts; GC figures are then the publisher's)" };
        var telemetry = new Command("telemetry", "Ring push time from the tick, and publisher CPU for a sustained 1 kHz divergence stream") { seconds, broker, outage, noSubscriber };
        telemetry.SetAction(r => CommandRunner.Guard(() =>
        {
            double run = r.GetValue(seconds), gap = r.GetValue(outage);
            if (!(gap >= 0 && (gap == 0 || gap < run)))
                throw new InputError("command line", "--outage", string.Create(CultureInfo.InvariantCulture, $"{gap} s; expected 0 (none) … less than --seconds ({run} s)"));
            TelemetryPerf.Run(Console.Out, r.GetValue(seconds), r.GetValue(broker), outageS: r.GetValue(outage), subscriber: !r.GetValue(noSubscriber));
            return ExitCodes.Ok;
        }));
        yield return telemetry;

        foreach (var c in TwinBenchmarks()) yield return c;
        foreach (var c in BusBenchmarks()) yield return c;
    }

    private static partial IEnumerable<Command> TwinBenchmarks();

    private static partial IEnumerable<Command> BusBenchmarks();
}
