using System.CommandLine;
using Rt.Core.Tick;
using Rt.Drivers.Capture;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Hil;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Esc.Server;
using Rt.Host.Composition;

namespace Rt.Host.Commands;

internal static partial class ExtraCommands
{
    private static partial IEnumerable<Command> BusCommands()
    {
        yield return Scan();
        yield return Hil();
    }

    /// <summary><c>rt scan</c>: list the bus like a field engineer expects.</summary>
    private static Command Scan()
    {
        var iface = new Option<string?>("--iface") { Description = "Scan a real interface (raw socket; needs CAP_NET_RAW)" };
        var bench = new Option<bool>("--bench") { Description = "Scan the emulated bench in-process" };
        var config = BenchCommand.ConfigOption();
        var capture = new Option<FileInfo?>("--capture") { Description = "Write every frame of the scan to this pcapng file" };
        var cmd = new Command("scan", "List the EtherCAT bus: position, station address, identity, names from SII, state, PDO mapping, DC") { iface, bench, config, capture };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            string? name = r.GetValue(iface);
            if (name == null && !r.GetValue(bench))
                throw new Core.Errors.InputError("command line", "rt scan", "say what to scan: --iface <name> or --bench");
            BenchRig? rig = null;
            IEthernetLink? link = null;
            CapturingLink? cap = null;
            try
            {
                if (name != null)
                {
                    link = OpenRaw(name);
                }
                else
                {
                    var cfg = RunCommand.LoadConfig(r.GetValue(config)!);
                    rig = BenchRig.Create(cfg, new SessionOptions { Bench = true });
                    link = new LoopbackLink(new BenchBridge(rig.Bench, cfg));
                }
                if (r.GetValue(capture) is { } f)
                {
                    long frame = 0;
                    // The capture owns the link from here: disposing it disposes the link (once).
                    link = cap = new CapturingLink(link, PcapngWriter.Create(f.FullName, name ?? "rt-bench"), () => frame++ * 1000);
                    cap.StartBackgroundWriter(); // a scan sends thousands of frames: drain while it runs, not only at the end
                }
                // No slave at all throws EtherCatException (NoSlaves/LinkDown): one line and exit 3 from CommandRunner.
                var report = BusScanner.Scan(link);
                Console.WriteLine(report.ToString());
            }
            finally
            {
                cap?.Drain();
                link?.Dispose();
                if (cap != null) Console.WriteLine($"capture: {r.GetValue(capture)!.FullName} ({cap.Dropped} frames dropped)");
                rig?.Dispose();
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    internal static IEthernetLink OpenRaw(string name)
    {
        try
        {
            return new RawSocketLink(name);
        }
        catch (EtherCatException e)
        {
            throw new HostUnavailableException($"interface '{name}': {e.Message}", e);
        }
    }

    /// <summary><c>rt hil run|serve|sweep</c>: the bench as a test instrument.</summary>
    private static Command Hil()
    {
        var hil = new Command("hil", "Hardware-in-the-loop bench: serve the emulated robot on an interface, run scenarios");
        hil.Add(Serve());
        hil.Add(HilCommands.Run());
        hil.Add(HilCommands.Sweep());
        return hil;
    }

    /// <summary>
    /// <c>rt hil serve --iface</c>: the emulated robot (EtherCAT slaves in front of the MuJoCo plant) answering frames on
    /// a raw interface, typically the far end of a veth pair in a network namespace. The plant advances one tick per
    /// cyclic process-data frame, so the host's loop is the bench's clock.
    /// </summary>
    private static Command Serve()
    {
        var iface = new Option<string>("--iface") { Description = "Interface to answer frames on (e.g. the veth end in the bench namespace)", Required = true };
        var config = BenchCommand.ConfigOption();
        var seed = new Option<int>("--seed") { Description = "Bench randomisation seed", DefaultValueFactory = _ => 1 };
        var seconds = new Option<double>("--seconds") { Description = "Stop after this many seconds (0: until Ctrl+C / SIGTERM)" };
        var control = new Option<FileInfo?>("--control")
        {
            Description = "Unix socket (mode 0600) taking fault injections, one JSON object per line, e.g. {\"tick\":2000,\"kind\":\"encoder_freeze\",\"target\":\"l_knee\"}; applied between frames, answered ok / error: <reason>",
        };
        var cmd = new Command("serve", "Serve the emulated robot on a raw interface for a host on the other end") { iface, config, seed, seconds, control };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = RunCommand.LoadConfig(r.GetValue(config)!);
            using var rig = BenchRig.Create(cfg, new SessionOptions { Bench = true, Seed = r.GetValue(seed) });
            var bridge = new BenchBridge(rig.Bench, cfg);
            var server = new EscRawServer(r.GetValue(iface)!, bridge);
            long period = (long)Math.Round(1e9 / cfg.Loop.RateHz);
            server.AfterFrame = (_, _) =>
            {
                if (bridge.Segment.LastFrameExchangedProcessData) rig.Advance(period);
            };
            using var controlSocket = r.GetValue(control) is { } controlPath
                ? new Campaign.Realtime.ControlSocketServer(controlPath.FullName, new Campaign.Realtime.ServedFaults(rig.Bench, bridge.Segment, cfg))
                : null;
            if (controlSocket != null)
            {
                // Injections land between frames: after the last frame's plant step, before the next frame is processed.
                server.BeforeFrame = (_, _) => controlSocket.ApplyPending();
                Campaign.Realtime.JitWarmup.Prepare(Campaign.Realtime.JitWarmup.BenchSide); // an injection's first edge is not compiled between two frames
                Console.WriteLine($"control: {controlSocket.Path} (mode 0600): one JSON injection per line, answered ok / error: <reason>");
            }
            using var cts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
            AppDomain.CurrentDomain.ProcessExit += (_, _) => cts.Cancel();
            double s = r.GetValue(seconds);
            if (s > 0) cts.CancelAfter(TimeSpan.FromSeconds(s));
            Console.WriteLine($"serving {cfg.Robot.Name} on {r.GetValue(iface)}: {cfg.Joints.Count} drives + {cfg.Imus.Count} IMUs; the plant steps once per process-data frame");
            // The emulated robot must answer within the host's tick: run the server at the host's priority.
            foreach (var refused in ControlLoop.Scheduling.RealtimeThread.TryElevate(cfg.Loop.Priority))
                Console.WriteLine($"warning: {refused}; the emulator runs SCHED_OTHER");
            server.Run(cts.Token);
            Console.WriteLine($"served {bridge.Segment.FramesProcessed} frames ({bridge.Segment.ProcessDataFrames} process data, {bridge.Segment.MalformedFrames} malformed), plant at {rig.Bench.SimTimeNs / 1e9:0.000} s");
            if (controlSocket != null)
                Console.WriteLine($"control: {controlSocket.Accepted} injection lines accepted, {controlSocket.Rejected} rejected");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}

internal static partial class ExtraBenchmarks
{
    private static partial IEnumerable<Command> BusBenchmarks()
    {
        var iface = new Option<string?>("--iface") { Description = "Also measure the round trip over this interface (the emulator served on its far end)" };
        var cycles = new Option<int>("--cycles") { Description = "Cyclic exchanges for the round-trip figures", DefaultValueFactory = _ => 60_000 };
        var config = BenchCommand.ConfigOption();
        var bus = new Command("bus", "Cyclic frame encode+decode, bring-up time of the bench bus, cyclic round trip (loopback, and a real interface with --iface)") { iface, cycles, config };
        bus.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = RunCommand.LoadConfig(r.GetValue(config)!);
            BusBenchmark.EncodeDecode(Console.Out, cfg.Joints.Count, cfg.Imus.Count);
            using var rig = BenchRig.Create(cfg, new SessionOptions { Bench = true });
            BusBenchmark.BringUp(Console.Out, () => new LoopbackLink(new BenchBridge(rig.Bench, cfg)), cfg.Bus.Slaves);
            var layout = new Core.Divergence.ChannelLayout(cfg.Joints.Select(j => j.Name).ToList(), cfg.Imus.Select(i => i.Name).ToList());
            {
                var master = new EtherCatMaster(new LoopbackLink(new BenchBridge(rig.Bench, cfg)), MasterOptions.FromConfig(cfg));
                var fieldbus = EtherCatFieldbus.FromConfig(master.BringUp(cfg, 0), cfg);
                Console.WriteLine("# loopback (in-process emulator)");
                BusBenchmark.RoundTrip(Console.Out, fieldbus, new TickState(cfg.Joints.Count, cfg.Imus.Count, layout), Math.Min(r.GetValue(cycles), 20_000));
            }
            if (r.GetValue(iface) is { } name)
            {
                var master = new EtherCatMaster(ExtraCommands.OpenRaw(name), MasterOptions.FromConfig(cfg));
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var opBus = master.BringUp(cfg, 0);
                BenchCommand.Figure("bus.veth.bringup", sw.Elapsed.TotalMilliseconds, "ms");
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
        BenchCommand.Figure("bus.veth.roundtrip.p50", h.Percentile(0.5) / 1000.0, "us");
        BenchCommand.Figure("bus.veth.roundtrip.p99", h.Percentile(0.99) / 1000.0, "us");
        BenchCommand.Figure("bus.veth.roundtrip.p99.9", h.Percentile(0.999) / 1000.0, "us");
        BenchCommand.Figure("bus.veth.roundtrip.max", h.Max / 1000.0, "us");
        BenchCommand.Figure("bus.veth.cycles", h.Count, "frames");
        BenchCommand.Figure("bus.veth.lost_frames", fieldbus.LostFrames, "frames");
        BenchCommand.Figure("bus.veth.wkc_errors", fieldbus.WorkingCounterErrors, "frames");
        BenchCommand.Figure("bus.veth.rejected_frames", fieldbus.RejectedFrames, "frames");
        BenchCommand.Figure("bus.veth.overruns", scheduler.Timing.Overruns, "ticks");
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
