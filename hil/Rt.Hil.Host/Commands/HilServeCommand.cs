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

internal static class HilServeCommand
{
    /// <summary><c>rt hil run|serve|sweep</c>: the bench as a test instrument.</summary>
    public static Command Create()
    {
        var hil = new Command("hil", "Hardware-in-the-loop bench: serve the emulated robot on an interface, run scenarios");
        hil.Add(Serve());
        hil.Add(HilCommands.Run());
        hil.Add(HilCommands.Sweep());
        hil.Add(AgeCommand.Create());
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
        var config = CommandOptions.ConfigOption();
        var seed = new Option<int>("--seed") { Description = "Bench randomisation seed", DefaultValueFactory = _ => 1 };
        var seconds = new Option<double>("--seconds") { Description = "Stop after this many seconds (0: until Ctrl+C / SIGTERM)" };
        var control = new Option<FileInfo?>("--control")
        {
            Description = "Unix socket (mode 0600) taking fault injections, one JSON object per line, e.g. {\"tick\":2000,\"kind\":\"encoder_freeze\",\"target\":\"l_knee\"}; applied between frames, answered ok / error: <reason>",
        };
        var drift = new Option<double>("--dc-drift-ppm")
        {
            Description = "Largest clock drift of an emulated slave, ppm (spread over ±this along the line); the slaves' DC clocks run on the host's monotonic clock",
            DefaultValueFactory = _ => 20,
        };
        var cmd = new Command("serve", "Serve the emulated robot on a raw interface for a host on the other end") { iface, config, seed, seconds, control, drift };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
            using var rig = BenchRig.Create(cfg, new SessionOptions { Bench = true, Seed = r.GetValue(seed) });
            double driftPpm = r.GetValue(drift);
            if (!(driftPpm >= 0 && driftPpm <= 200))
                throw new Rt.Core.Errors.InputError("command line", "--dc-drift-ppm", $"is {driftPpm}; expected 0 to 200 ppm (the ESC's drift control corrects at most ±244 ppm)");
            // Served in real time: every ESC's DC clock runs on the host's monotonic clock (plus its offset and drift),
            // not on the plant's time, so a master that locks its cycle to the reference clock can.
            var bridge = new BenchBridge(rig.Bench, cfg, new EscBenchOptions { DcClock = Rt.Core.Time.MonotonicClock.Instance, DriftSpreadPpm = driftPpm });
            EscRawServer server;
            try
            {
                server = new EscRawServer(r.GetValue(iface)!, bridge);
            }
            catch (IOException e)
            {
                throw new HostUnavailableException(e.Message, e);
            }
            using var ownedServer = server;
            long period = (long)Math.Round(1e9 / cfg.Loop.RateHz);
            server.AfterFrame = (_, _) =>
            {
                if (bridge.Segment.LastFrameExchangedProcessData) rig.Advance(period);
            };
            using var controlSocket = r.GetValue(control) is { } controlPath ? OpenControl(controlPath, rig, bridge, cfg) : null;
            if (controlSocket != null)
            {
                // Injections land between frames: after the last frame's plant step, before the next frame is processed.
                server.BeforeFrame = (_, _) => controlSocket.ApplyPending();
                Rt.Hil.Campaign.Realtime.JitWarmup.Prepare(Rt.Hil.Campaign.Realtime.JitWarmup.BenchSide); // an injection's first edge is not compiled between two frames
                Console.WriteLine($"control: {controlSocket.Path} (mode 0600): one JSON injection per line, answered ok / error: <reason>");
            }
            using var cts = new CancellationTokenSource();
            // SIGINT/SIGTERM end the serve loop (and the summary prints); the registrations go before the token does.
            void OnSignal(System.Runtime.InteropServices.PosixSignalContext c)
            {
                c.Cancel = true;
                try { cts.Cancel(); } catch (ObjectDisposedException) { }
            }
            using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
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

    private static Rt.Hil.Campaign.Realtime.ControlSocketServer OpenControl(FileInfo path, BenchRig rig, BenchBridge bridge, Rt.Core.Config.RtConfig cfg)
    {
        try
        {
            return new Rt.Hil.Campaign.Realtime.ControlSocketServer(path.FullName, new Rt.Hil.Campaign.Realtime.ServedFaults(rig.Bench, bridge.Segment, cfg));
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            throw new Rt.Core.Errors.InputError("command line", "--control", $"cannot listen on {path.FullName}: {e.Message}");
        }
    }
}
