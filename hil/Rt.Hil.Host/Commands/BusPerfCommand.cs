using System.CommandLine;
using Rt.Core.Tick;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Hil.Campaign;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Esc.Server;
using Rt.Host.Commands;
using Rt.Perf;
using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Host.Commands;

internal static partial class ExtraPerfCommands
{
    private static partial IEnumerable<Command> BusBenchmarks()
    {
        var iface = new Option<string?>("--iface") { Description = "Also measure the round trip over this interface (the emulator served on its far end)" };
        var cycles = new Option<int>("--cycles") { Description = "Cyclic exchanges for the round-trip figures", DefaultValueFactory = _ => 60_000 };
        var config = CommandOptions.ConfigOption();
        var bus = new Command("bus", "Cyclic frame encode+decode, bring-up time of the bench bus, cyclic round trip (loopback, and a real interface with --iface)") { iface, cycles, config };
        bus.SetAction(r => CommandRunner.Guard(() =>
        {
            PerfCommand.Count(r.GetValue(cycles), "--cycles", "cycles");
            var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
            BusPerf.EncodeDecode(Console.Out, cfg.Joints.Count, cfg.Imus.Count);
            using var rig = BenchRig.Create(cfg, new SessionOptions { Bench = true });
            BusPerf.BringUp(Console.Out, () => new LoopbackLink(new BenchBridge(rig.Bench, cfg)), cfg.Bus.Slaves);
            var layout = new Core.Divergence.ChannelLayout(cfg.Joints.Select(j => j.Name).ToList(), cfg.Imus.Select(i => i.Name).ToList());
            {
                var master = new EtherCatMaster(new LoopbackLink(new BenchBridge(rig.Bench, cfg)), MasterOptions.FromConfig(cfg));
                var fieldbus = EtherCatFieldbus.FromConfig(master.BringUp(cfg, 0), cfg);
                Console.WriteLine("# loopback (in-process emulator)");
                BusPerf.RoundTrip(Console.Out, fieldbus, new TickState(cfg.Joints.Count, cfg.Imus.Count, layout), Math.Min(r.GetValue(cycles), 20_000));
            }
            if (r.GetValue(iface) is { } name)
            {
                var master = new EtherCatMaster(CommandOptions.OpenRaw(name), MasterOptions.FromConfig(cfg));
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var opBus = master.BringUp(cfg, 0);
                PerfCommand.Figure("bus.veth.bringup", sw.Elapsed.TotalMilliseconds, "ms");
                // A generous reply wait (100 ms): the benchmark measures round trips, a slow one must show in the tail, not as a loss.
                var fieldbus = EtherCatFieldbus.FromConfig(opBus, cfg, new FieldbusOptions { ReplyTimeoutNs = 100_000_000 });
                Console.WriteLine($"# {name} (emulator in its own process), paced at the loop rate");
                RoundTripPaced(fieldbus, new TickState(cfg.Joints.Count, cfg.Imus.Count, layout), r.GetValue(cycles), cfg);
            }
            return ExitCodes.Ok;
        }));
        yield return bus;
    }

    /// <summary>Round trip per cycle over a real link at the loop rate, on the real-time scheduler (1 kHz for cycles/1000 s).</summary>
    private static void RoundTripPaced(EtherCatFieldbus fieldbus, TickState state, int cycles, Core.Config.RtConfig cfg)
    {
        var h = new ControlLoop.Timing.LatencyHistogram();
        var body = new RoundTripBody(fieldbus, state, h);
        var scheduler = new ControlLoop.Scheduling.RealtimeScheduler(new ControlLoop.Scheduling.RealtimeOptions
        {
            PeriodNs = (long)Math.Round(1e9 / cfg.Loop.RateHz),
            Priority = cfg.Loop.Priority,
            Cpu = cfg.Loop.Cpu,
        }, body);
        scheduler.Run(cycles);
        PerfCommand.Figure("bus.veth.roundtrip.p50", h.Percentile(0.5) / 1000.0, "us");
        PerfCommand.Figure("bus.veth.roundtrip.p99", h.Percentile(0.99) / 1000.0, "us");
        PerfCommand.Figure("bus.veth.roundtrip.p99.9", h.Percentile(0.999) / 1000.0, "us");
        PerfCommand.Figure("bus.veth.roundtrip.max", h.Max / 1000.0, "us");
        PerfCommand.Figure("bus.veth.cycles", h.Count, "frames");
        PerfCommand.Figure("bus.veth.lost_frames", fieldbus.LostFrames, "frames");
        PerfCommand.Figure("bus.veth.wkc_errors", fieldbus.WorkingCounterErrors, "frames");
        PerfCommand.Figure("bus.veth.rejected_frames", fieldbus.RejectedFrames, "frames");
        PerfCommand.Figure("bus.veth.overruns", scheduler.Timing.Overruns, "ticks");
    }

    private sealed class RoundTripBody(EtherCatFieldbus fieldbus, TickState state, ControlLoop.Timing.LatencyHistogram h) : ControlLoop.Scheduling.ITickBody
    {
        public void Tick(long tick, long timeNs, long wakeLatencyNs)
        {
            // The benchmark harness, not the pipeline, reads the clock around the exchange.
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            state.Faults.Clear();
            fieldbus.Exchange(state);
            long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
            h.Record((long)((t1 - t0) * (1e9 / System.Diagnostics.Stopwatch.Frequency)));
        }
    }
}
