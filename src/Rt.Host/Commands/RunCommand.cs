using System.CommandLine;
using System.Diagnostics;
using Rt.ControlLoop.Timing;
using Rt.Core.Config;
using Rt.Core.Tick;
using Rt.Session;
using Rt.Host.Ui;

namespace Rt.Host.Commands;

/// <summary>
/// <c>rt run</c>: run the host (on the robot, or on the bench in lockstep or real time) with a live summary and a final
/// report. The bench-only options (<c>--bench</c>, <c>--seed</c>, <c>--warn-only</c>, <c>--randomise</c>) exist in the bench's binary only.
/// </summary>
internal static class RunCommand
{
    public static readonly Option<FileInfo> ConfigOption = new("--config", "-c")
    {
        Description = "Host configuration (YAML), e.g. hil/robots/biped12/biped12.yaml",
        Required = true,
    };

    public static Command Create(IBenchCommands? benchCommands)
    {
        var bench = new Option<bool>("--bench") { Description = "Run against the emulated bench (MuJoCo plant, emulated drives and IMUs)" };
        var lockstep = new Option<bool>("--lockstep") { Description = "Simulated time advanced by the bench: deterministic and faster than real time" };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds to run (simulated seconds in lockstep)", DefaultValueFactory = _ => 10 };
        var requireRt = new Option<bool>("--require-rt") { Description = "Refuse to run unless SCHED_FIFO and mlockall are granted" };
        var iface = new Option<string?>("--iface") { Description = "Network interface of the EtherCAT bus (e.g. a veth end with `rt hil serve` on the other)" };
        var capture = new Option<FileInfo?>("--capture") { Description = "Write every EtherCAT frame sent and received to this pcapng file" };
        var record = new Option<FileInfo?>("--record") { Description = "Record every tick (inputs, outputs, twin state) to this file, off the real-time thread" };
        var broker = new Option<string?>("--broker") { Description = "MQTT broker for telemetry, mqtt://host:port or mqtts://host:port (overrides the config)" };
        var seed = new Option<int>("--seed") { Description = "Bench randomisation seed", DefaultValueFactory = _ => 1 };
        var noUi = new Option<bool>("--no-ui") { Description = "Print a status line per second instead of the live screen" };
        var motion = new Option<Core.Config.MotionKind?>("--motion") { Description = "Override the config's motion: hold, sine (per-joint sweep, for calibration) or march" };
        var warnOnly = new Option<string[]>("--warn-only")
        {
            Description = "Bench only: make these safety triggers warnings (e.g. twin_divergence collision while recording a calibration run with an uncalibrated twin)",
            AllowMultipleArgumentsPerToken = true,
        };
        var randomise = new Option<FileInfo?>("--randomise")
        {
            Description = "Bench only: draw the plant and sensor variations of this HIL scenario's `randomisation` section with --seed (e.g. to record calibration runs across the plant variations the twin must tolerate)",
        };
        var cmd = new Command("run", "Run the controller host: read drives and IMUs, step the twin, control, supervise, write, every tick")
        {
            ConfigOption, lockstep, duration, requireRt, iface, capture, record, broker, noUi, motion,
        };
        if (benchCommands != null)
        {
            cmd.Add(bench);
            cmd.Add(seed);
            cmd.Add(warnOnly);
            cmd.Add(randomise);
        }
        cmd.SetAction(r => CommandRunner.Guard(() => Run(
            r.GetValue(ConfigOption)!,
            new SessionOptions
            {
                Bench = benchCommands != null && r.GetValue(bench),
                Lockstep = r.GetValue(lockstep),
                DurationS = r.GetValue(duration),
                RequireRealtime = r.GetValue(requireRt),
                Interface = r.GetValue(iface),
                CapturePath = r.GetValue(capture)?.FullName,
                RecordPath = r.GetValue(record)?.FullName,
                Broker = r.GetValue(broker),
                Seed = benchCommands != null ? r.GetValue(seed) : 1,
            },
            r.GetValue(noUi),
            r.GetValue(motion),
            benchCommands != null ? r.GetValue(warnOnly) ?? [] : [],
            benchCommands != null ? r.GetValue(randomise) : null,
            benchCommands)));
        return cmd;
    }

    private static int Run(FileInfo configFile, SessionOptions options, bool noUi, Core.Config.MotionKind? motion, string[] warnOnly, FileInfo? randomise, IBenchCommands? benchCommands)
    {
        if (randomise != null && !options.Bench)
            throw new Core.Errors.InputError("command line", "--randomise", "plant randomisation exists on the bench only");
        if (options.DurationS <= 0 || double.IsNaN(options.DurationS))
            throw new Core.Errors.InputError("command line", "--duration", $"must be a positive number of seconds, got {options.DurationS}");
        var config = CommandOptions.LoadConfig(configFile);
        if (motion is { } m) config.Motion.Kind = m;
        if (warnOnly.Length > 0)
        {
            if (!options.Bench)
                throw new Core.Errors.InputError("command line", "--warn-only", "safety triggers can be turned into warnings on the bench only, never on a robot");
            foreach (var trigger in warnOnly)
            {
                if (trigger is "estop")
                    throw new Core.Errors.InputError("command line", "--warn-only", "the e-stop always stops the robot");
                config.Safety.Triggers[trigger] = new TriggerConfig { Reaction = "warn", DiscrepancyTicks = config.Safety.Triggers.TryGetValue(trigger, out var t) ? t.DiscrepancyTicks : 1 };
                Console.WriteLine($"warning: safety trigger '{trigger}' only warns in this run (--warn-only)");
            }
        }
        using var session = HostSession.Create(config, options, benchCommands?.Factory);
        if (randomise != null) Console.WriteLine(benchCommands!.Randomise(session, randomise, options.Seed));
        var o = Console.Out;
        o.WriteLine($"robot {config.Robot.Name}: {config.Joints.Count} joints, {config.Imus.Count} IMUs, {config.Loop.RateHz} Hz, motion {config.Motion.Kind}");
        foreach (var note in session.Notes) o.WriteLine(note);

        var faults = new FaultReporter(session.Faults, o);
        long ticks = session.TicksFor(options.DurationS);
        TickTiming timing;
        Action stop;
        Thread worker;
        Func<string>? realtimeSummary = null;
        Func<long>? loopCollections = null;
        Exception? failure = null;
        if (options.Lockstep)
        {
            var scheduler = session.CreateLockstep(measureCompute: true);
            timing = scheduler.Timing;
            stop = scheduler.Stop;
            worker = new Thread(() => { try { scheduler.Run(ticks); } catch (Exception e) { failure = e; } }) { Name = "rt-lockstep", IsBackground = true };
        }
        else
        {
            var scheduler = session.CreateRealtime();
            timing = scheduler.Timing;
            stop = scheduler.Stop;
            loopCollections = () => scheduler.CollectionsDuringLoop;
            realtimeSummary = () => $"tick thread: {scheduler.AllocatedBytesAfterWarmup} bytes allocated after the first {Rt.ControlLoop.Scheduling.RealtimeScheduler.WarmupTicks} ticks ({scheduler.AllocatedBytesOnTickThread} including first calls); no-GC region held: {(scheduler.NoGcRegionHeld ? "yes" : "no")}";
            worker = new Thread(() => { try { scheduler.Run(ticks); } catch (Exception e) { failure = e; } }) { Name = "rt-host", IsBackground = true };
            worker.Start();
            while (scheduler.Report == null && worker.IsAlive) Thread.Sleep(5);
            if (scheduler.Report != null)
            {
                o.WriteLine($"real time: {scheduler.Report}");
                foreach (var w in scheduler.Report.Warnings()) o.WriteLine($"warning: {w}");
            }
        }
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop(); };
        Console.CancelKeyPress += onCancel;
        long gc0 = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
        var wall = Stopwatch.StartNew();
        if (options.Lockstep) worker.Start();

        bool live = !noUi && !Console.IsOutputRedirected;
        int drawn = 0;
        long lastPrint = 0;
        while (worker.IsAlive)
        {
            worker.Join(200);
            faults.Drain();
            if (live)
            {
                var lines = RunReport.Live(session, timing, wall.Elapsed.TotalSeconds, options.Lockstep).ToList();
                if (drawn > 0) o.Write($"\u001b[{drawn}A");
                foreach (var l in lines) o.WriteLine($"\u001b[2K{l}");
                drawn = lines.Count;
            }
            else if (wall.ElapsedMilliseconds - lastPrint >= 1000)
            {
                lastPrint = wall.ElapsedMilliseconds;
                o.WriteLine(RunReport.Live(session, timing, wall.Elapsed.TotalSeconds, options.Lockstep).ElementAt(0));
            }
        }
        wall.Stop();
        Console.CancelKeyPress -= onCancel;
        faults.Drain();
        if (failure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        long gcCount = loopCollections?.Invoke() ?? GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - gc0;
        RunReport.Final(o, session, timing, wall.Elapsed.TotalSeconds, options.Lockstep, faults, gcCount);
        if (realtimeSummary != null) o.WriteLine(realtimeSummary());
        // Any trip (a Cat 1 stop ends in Stopped, a Cat 2 stop in Holding, Cat 0 in Faulted) makes the run a failure for scripts.
        return session.State.SafetyState is SafetyState.Faulted or SafetyState.Stopped or SafetyState.Stopping or SafetyState.Holding
            ? ExitCodes.RunFaulted
            : ExitCodes.Ok;
    }
}
