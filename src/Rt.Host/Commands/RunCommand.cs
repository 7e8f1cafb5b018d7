using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Rt.ControlLoop.Scheduling;
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
        var healthDb = new Option<FileInfo?>("--health-db") { Description = "After the run, add its per-joint health estimate to this health database (docs/TWIN.md, \"Health\"); records to a temporary file unless --record, for runs of at most 600 s" };
        var broker = new Option<string?>("--broker") { Description = "MQTT broker for telemetry, mqtt://host:port or mqtts://host:port (overrides the config)" };
        var seed = new Option<int>("--seed") { Description = "Bench randomisation seed", DefaultValueFactory = _ => 1 };
        var stateDir = new Option<DirectoryInfo?>("--state-dir") { Description = "Folder for the safety log, flight records, the telemetry outbox and cursor, and a relative reset socket (default ./rt-state)" };
        var untilStopped = new Option<bool>("--until-stopped") { Description = "Run until SIGTERM or SIGINT (a service) instead of --duration; either ends with the orderly stop" };
        var startDisabled = new Option<bool>("--start-disabled") { Description = "Do not raise the operator enable at start: the supervisor stays Disabled until a local reset (button or `rt reset`), so a restart never restarts into motion" };
        var noUi = new Option<bool>("--no-ui") { Description = "Print a status line per second instead of the live screen" };
        var motion = new Option<Core.Config.MotionKind?>("--motion") { Description = "Override the config's motion: hold, sine (per-joint sweep, for calibration) or march" };
        var warnOnly = new Option<string[]>("--warn-only")
        {
            Description = "Bench only: make these safety triggers warnings (e.g. twin_divergence collision while recording a calibration run with an uncalibrated twin)",
            AllowMultipleArgumentsPerToken = true,
        };
        var skipPreflight = new Option<bool>("--skip-preflight") { Description = "Bench only: do not try the motion on the twin before enabling the drives (a warning says so)" };
        var randomise = new Option<FileInfo?>("--randomise")
        {
            Description = "Bench only: draw the plant and sensor variations of this HIL scenario's `randomisation` section with --seed (e.g. to record calibration runs across the plant variations the twin must tolerate)",
        };
        var initialPose = new Option<string[]>("--initial-pose")
        {
            Description = "Bench only: start the emulated robot with these joints at these angles, <joint>=<rad> (e.g. l_knee=-0.12: outside its range, to practise recovery by hand with rt jog)",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("run", "Run the controller host: read drives and IMUs, step the twin, control, supervise, write, every tick")
        {
            ConfigOption, lockstep, duration, requireRt, iface, capture, record, broker, noUi, motion, stateDir, untilStopped, startDisabled,
            healthDb,
        };
        if (benchCommands != null)
        {
            cmd.Add(bench);
            cmd.Add(seed);
            cmd.Add(warnOnly);
            cmd.Add(randomise);
            cmd.Add(skipPreflight);
            cmd.Add(initialPose);
        }
        cmd.SetAction(r => CommandRunner.Guard(() => WithHealth(r.GetValue(healthDb)?.FullName, r.GetValue(record)?.FullName, r.GetValue(ConfigOption)!, r.GetValue(duration), r.GetValue(untilStopped), recordPath => Run(
            r.GetValue(ConfigOption)!,
            new SessionOptions
            {
                Bench = benchCommands != null && r.GetValue(bench),
                Lockstep = r.GetValue(lockstep),
                DurationS = r.GetValue(duration),
                RequireRealtime = r.GetValue(requireRt),
                Interface = r.GetValue(iface),
                CapturePath = r.GetValue(capture)?.FullName,
                RecordPath = recordPath,
                Broker = r.GetValue(broker),
                Seed = benchCommands != null ? r.GetValue(seed) : 1,
                StateDirectory = r.GetValue(stateDir)?.FullName,
                EnableMotion = !r.GetValue(startDisabled),
                InitialPose = benchCommands != null ? JogPose.Parse(r.GetValue(initialPose)) : null,
            },
            r.GetValue(untilStopped),
            r.GetValue(noUi),
            r.GetValue(motion),
            benchCommands != null ? r.GetValue(warnOnly) ?? [] : [],
            benchCommands != null ? r.GetValue(randomise) : null,
            benchCommands != null && r.GetValue(skipPreflight),
            benchCommands))));
        return cmd;
    }

    // --health-db: the database is checked before the run (created only with its entry), the run's recording estimated
    // into it after (never from the tick). Without --record the temporary recording is bounded by refusing long runs.
    private static int WithHealth(string? healthDb, string? record, FileInfo configFile, double durationS, bool untilStopped, Func<string?, int> run)
    {
        if (healthDb is null) return run(record);
        if (record is null && (untilStopped || durationS > HealthAfterRun.MaxTemporaryRecordingS))
            throw new Core.Errors.InputError("command line", "--health-db", string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"without --record the run is recorded to a temporary file, so it may last at most {HealthAfterRun.MaxTemporaryRecordingS:0} s (--duration), not {(untilStopped ? "--until-stopped" : $"{durationS} s")}; name the recording with --record <f>"));
        HealthAfterRun.Check(healthDb);
        string path = record ?? HealthAfterRun.TemporaryRecording();
        try
        {
            int code = run(path);
            // After the motion: a failure here is one line and never replaces the run's own exit code.
            if (code is ExitCodes.Ok or ExitCodes.RunFaulted && File.Exists(path))
                HealthAfterRun.TryAdd(healthDb, path, () => CommandOptions.LoadConfig(configFile), "run", code == ExitCodes.RunFaulted, Console.Out, Console.Error);
            return code;
        }
        finally
        {
            // The temporary recording: a failed delete must not replace the run's exit code (1 after a trip included).
            if (record is null)
            {
                try { File.Delete(path); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"warning: the temporary recording {path} was not removed: {e.Message}");
                }
            }
        }
    }

    private static int Run(FileInfo configFile, SessionOptions options, bool untilStopped, bool noUi, Core.Config.MotionKind? motion, string[] warnOnly, FileInfo? randomise, bool skipPreflight, IBenchCommands? benchCommands)
    {
        if (randomise != null && !options.Bench)
            throw new Core.Errors.InputError("command line", "--randomise", "plant randomisation exists on the bench only");
        // Before the session's bring-up: a scenario that is not there is refused at once.
        if (randomise != null && !File.Exists(randomise.FullName))
            throw new Core.Errors.InputError("command line", "--randomise", $"{randomise.FullName}: {(Directory.Exists(randomise.FullName) ? "is a folder" : "no such file")}; expected a HIL scenario file (hil/scenarios/*.yaml)");
        if (!untilStopped && !(options.DurationS > 0 && options.DurationS <= InputBounds.MaxSeconds))
            throw new Core.Errors.InputError("command line", "--duration", $"must be a positive number of seconds, got {options.DurationS}");
        var config = CommandOptions.LoadConfig(configFile);
        if (options.InitialPose != null) JogPose.Check(options.InitialPose, config, options.Bench);
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
        string? signal = null;
        void OnSignal(PosixSignalContext c)
        {
            // Keep the runtime from exiting: the run stops motion the configured way, then reports and exits.
            c.Cancel = true;
            Interlocked.CompareExchange(ref signal, c.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT", null);
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var session = HostSession.Create(config, options, benchCommands?.Factory);
        if (randomise != null) Console.WriteLine(benchCommands!.Randomise(session, randomise, options.Seed));
        var o = Console.Out;
        o.WriteLine($"robot {config.Robot.Name}: {config.Joints.Count} joints, {config.Imus.Count} IMUs, {config.Loop.RateHz} Hz, motion {config.Motion.Kind}");
        foreach (var note in session.Notes) o.WriteLine(note);
        // twin.adapt: the adaptation's log thread (not the tick) prints each payload change and, at the end, the estimates.
        var adaptTwin = session.Twin as Rt.Twin.DigitalTwin;
        using var adaptLog = adaptTwin?.Adaptation is not null || adaptTwin?.FrictionAdaptation is not null
            ? new Rt.Twin.Adaptation.PayloadAdaptationLog(adaptTwin!.Adaptation, o, session.PeriodNs * 1e-9, friction: adaptTwin.FrictionAdaptation)
            : null;
        // Pre-flight (issue 16): the enable stays low until the motion passed the twin from the first measured positions.
        bool preflight = options.EnableMotion && !skipPreflight;
        if (skipPreflight) o.WriteLine("warning: pre-flight skipped (--skip-preflight): the motion was not tried on the twin");
        if (preflight) session.Pipeline.Operator.Enable = false;
        Rt.Session.Preflight.PreflightResult? refused = null;
        bool Preflight(long nextTick)
        {
            var result = Rt.Session.Preflight.PreflightGate.Check(session, untilStopped ? double.PositiveInfinity : options.DurationS);
            if (!result.Feasible)
            {
                refused = result;
                return false;
            }
            o.WriteLine($"pre-flight: motion {config.Motion.Kind} feasible from the measured pose ({result.HorizonS:0.###} s checked)");
            session.Pipeline.Operator.EnableFromTick = nextTick;
            session.Pipeline.Operator.Enable = true;
            return true;
        }

        var faults = new FaultReporter(session.Faults, o, session.EtherCat is { } bus ? bus.SlaveName : null);
        // --until-stopped: run until SIGTERM/SIGINT (the service); the tick counter never gets near this.
        long ticks = untilStopped ? long.MaxValue / 4 : session.TicksFor(options.DurationS);
        var orderly = new OrderlyStop(session);
        TickTiming timing;
        Thread worker;
        Func<string>? realtimeSummary = null;
        Func<long>? loopCollections = null;
        Exception? failure = null;
        StopOutcome? outcome = null;
        RealtimeScheduler? rt = null;
        if (options.Lockstep)
        {
            // Simulated time waits for the publisher: tick 0 runs once the broker connection is up (or 5 s have passed).
            if (session.Telemetry is { } telemetryLink && !telemetryLink.WaitConnected(TimeSpan.FromSeconds(5)))
                o.WriteLine("warning: telemetry: no broker connection within 5 s of the start; running without it");
            var scheduler = session.CreateLockstep(measureCompute: true);
            timing = scheduler.Timing;
            worker = new Thread(() =>
            {
                try
                {
                    // One tick per call so a signal is seen between ticks; the end of --duration is a fixed tick (repeatable).
                    long k = 0;
                    if (preflight)
                    {
                        scheduler.Run(1, k++); // the first measured positions
                        if (!Preflight(k)) ticks = k;
                    }
                    while (k < ticks && Volatile.Read(ref signal) == null)
                    {
                        session.Telemetry?.WaitForPublisher(TimeSpan.FromSeconds(5)); // simulated time waits for the publisher
                        scheduler.Run(1, k++);
                    }
                    outcome = orderly.RunLockstep(scheduler, k).Outcome;
                }
                catch (Exception e)
                {
                    failure = e;
                }
            }) { Name = "rt-lockstep", IsBackground = true };
        }
        else
        {
            var scheduler = rt = session.CreateRealtime();
            timing = scheduler.Timing;
            loopCollections = () => scheduler.CollectionsDuringLoop;
            realtimeSummary = () => $"tick thread: {scheduler.AllocatedBytesAfterWarmup} bytes allocated after the first {Rt.ControlLoop.Scheduling.RealtimeScheduler.WarmupTicks} ticks ({scheduler.AllocatedBytesOnTickThread} including first calls); no-GC region held: {(scheduler.NoGcRegionHeld ? "yes" : "no")}";
            // Room past the duration for the stop (the main thread asks for it, so allow a second of lag too).
            long maxTicks = ticks + 2 * orderly.BudgetTicks + session.TicksFor(1);
            worker = new Thread(() => { try { scheduler.Run(maxTicks); } catch (Exception e) { failure = e; } }) { Name = "rt-host", IsBackground = true };
            worker.Start();
            while (scheduler.Report == null && worker.IsAlive) Thread.Sleep(5);
            if (scheduler.Report != null)
            {
                o.WriteLine($"real time: {scheduler.Report}");
                foreach (var w in scheduler.Report.Warnings()) o.WriteLine($"warning: {w}");
            }
            if (preflight)
            {
                while (session.State.Tick < 1 && worker.IsAlive) Thread.Sleep(1);
                if (!Preflight(session.State.Tick + 1)) ticks = 0;
            }
        }
        long gc0 = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
        var wall = Stopwatch.StartNew();
        if (options.Lockstep) worker.Start();

        // --start-disabled: the enable is raised only after a deliberate local reset (button or `rt reset`).
        var supervisor = session.Supervisor;
        long resetSeen = supervisor?.LastResetOutcome.Sequence ?? 0;
        bool awaitingReset = !options.EnableMotion && supervisor != null, resetArrived = false;
        if (awaitingReset) o.WriteLine("operator enable: not raised (--start-disabled); waiting for a local reset (reset button or `rt reset`)");
        bool live = !noUi && !Console.IsOutputRedirected;
        int drawn = 0;
        long lastPrint = 0, lastDraw = 0;
        while (worker.IsAlive)
        {
            worker.Join(20);
            if (rt != null && outcome == null && (Volatile.Read(ref signal) != null || session.State.Tick >= ticks))
            {
                // Real time: the stop is asked for from here; the tick keeps running until the drives confirm.
                orderly.Request();
                outcome = orderly.WaitRealtime(session.State.TimeNs, worker);
                rt.Stop();
                worker.Join();
            }
            if (awaitingReset && outcome == null && Volatile.Read(ref signal) == null)
            {
                var last = supervisor!.LastResetOutcome;
                if (last.Sequence != resetSeen)
                {
                    resetSeen = last.Sequence;
                    resetArrived |= last.Accepted || last.Cause == Core.Faults.FaultCode.None;
                }
                if (resetArrived && supervisor.State == SafetyState.Disabled)
                {
                    awaitingReset = false;
                    if (skipPreflight)
                    {
                        session.Pipeline.Operator.EnableFromTick = session.State.Tick + 1;
                        session.Pipeline.Operator.Enable = true;
                        o.WriteLine("operator enable: raised after a local reset");
                    }
                    else if (Preflight(session.State.Tick + 1)) o.WriteLine("operator enable: raised after a local reset and the pre-flight");
                    else ticks = 0; // refused: stop the way --duration ends (lockstep waits for no reset)
                }
            }
            faults.Drain();
            if (wall.ElapsedMilliseconds - lastDraw < 200) continue;
            lastDraw = wall.ElapsedMilliseconds;
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
                var status = RunReport.Live(session, timing, wall.Elapsed.TotalSeconds, options.Lockstep).Take(2);
                o.WriteLine(string.Join("  |  ", status));
            }
        }
        // The tick has stopped (normally or not): the slaves go to SAFE-OP and INIT before anything else.
        string? busProblem = orderly.StopBus();
        wall.Stop();
        faults.Drain();
        if (failure != null)
        {
            if (busProblem != null) Console.Error.WriteLine($"error: {busProblem}");
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
        if (refused != null)
        {
            foreach (var line in Rt.Session.Preflight.PreflightGate.Lines(refused)) Console.Error.WriteLine(line);
            Console.Error.WriteLine("refusing to enable motion.");
            return ExitCodes.BadInput;
        }
        adaptLog?.Dispose(); // the tick has stopped: the last changes and the final estimates go into the report
        long gcCount = loopCollections?.Invoke() ?? GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - gc0;
        RunReport.Final(o, session, timing, wall.Elapsed.TotalSeconds, options.Lockstep, faults, gcCount);
        if (realtimeSummary != null) o.WriteLine(realtimeSummary());
        string why = Volatile.Read(ref signal) is { } sig ? $"{sig} received" : "end of --duration";
        o.WriteLine(outcome == StopOutcome.Settled
            ? $"stop: {why}: motion stopped (safety {session.State.SafetyState}), every drive disabled{(session.Master != null ? busProblem == null ? ", every slave in INIT" : "" : "")}"
            : $"stop: {why}: the drives did not confirm disabled within {orderly.BudgetNs / 1e9:0.0#} s (safety {session.State.SafetyState})");
        if (busProblem != null)
        {
            Console.Error.WriteLine($"error: {busProblem}");
            return ExitCodes.Unavailable;
        }
        if (outcome != StopOutcome.Settled) return ExitCodes.RunFaulted;
        // Any trip (a Cat 1 stop ends in Stopped, a Cat 2 stop in Holding, Cat 0 in Faulted) makes the run a failure for scripts.
        return session.State.SafetyState is SafetyState.Faulted or SafetyState.Stopped or SafetyState.Stopping or SafetyState.Holding
            ? ExitCodes.RunFaulted
            : ExitCodes.Ok;
    }
}
