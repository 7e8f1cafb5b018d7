using Rt.ControlLoop.Control;
using Rt.ControlLoop.Diagnostics;
using Rt.ControlLoop.Pipeline;
using Rt.ControlLoop.Scheduling;
using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Core.Hardware;
using Rt.Core.Errors;
using Rt.Drivers.Capture;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.Gpio;
using Rt.Drivers.Imu.I2c;
using Rt.Safety;
using Rt.Telemetry;
using Rt.Telemetry.Native;

namespace Rt.Session;

/// <summary>
/// One configured control session: the process image, the bus, the stages, the sinks and the pipeline that runs
/// them, plus (on the bench) the simulated world. Everything is sized here, before the first tick; the config is read,
/// never changed. The robot's binary and the bench's compose the same session: the bench plugs its emulated robot in
/// through an <see cref="IBenchFactory"/>. Not real-time safe (this is the prepare phase); the pipeline it builds is.
/// </summary>
public sealed class HostSession : IDisposable
{

    private readonly List<IDisposable> _owned = [];
    private readonly List<string> _notes = [];

    private HostSession(RtConfig config, SessionOptions options, IBenchFactory? bench)
    {
        Config = config;
        Options = options;
        PeriodNs = (long)Math.Round(1e9 / config.Loop.RateHz);
        try
        {
            // The I²C IMUs join the EtherCAT ones after them: the twin and the supervisor see every IMU of this view.
            var view = config.I2cImus.Count > 0 ? config.WithI2cImusAsImus() : config;
            var jointNames = config.Joints.Select(j => j.Name).ToList();
            var imuNames = view.Imus.Select(i => i.Name).ToList();
            Layout = new ChannelLayout(jointNames, imuNames);
            State = new TickState(jointNames.Count, imuNames.Count, Layout);
            Faults = new SpscRing<Fault>(4096);

            Rig = CreateRig(bench);
            World = Rig?.World;
            // The chips beside the bus are checked before the bus comes up: wrong hardware refuses the session (exit 3).
            I2cImus = OpenI2cImus();
            (Bus, Master, EtherCat, Capture) = BuildBus();
            if (EtherCat != null)
            {
                // A drive's missing optional objects turn channels off before the twin and supervisor read the layout.
                EtherCat.Feedback.CopyTo(State.Image.Feedback, 0);
                _notes.AddRange(EtherCat.Notes);
                _notes.AddRange(DriveChannels.Apply(config, EtherCat.Feedback, Layout));
            }
            if (I2cImus != null) Bus = new I2cImuFieldbus(Bus, I2cImus, config.Imus.Count, Rig?.Clock ?? TimeProvider.System);

            StateDirectory = Path.GetFullPath(options.StateDirectory ?? Path.Combine(Environment.CurrentDirectory, "rt-state"));
            Directory.CreateDirectory(StateDirectory);

            Twin = config.Twin.Enabled
                ? new Rt.Twin.DigitalTwin(view, Layout, Rt.Twin.Parameters.TwinParameterOptions.FromConfig(view, Layout))
                : new DisabledTwin();
            _notes.Add(config.Twin.Enabled
                ? $"twin: rigid-body dynamics, servo, IMU and momentum-observer models; parameters {(string.IsNullOrEmpty(config.Twin.Parameters) ? "nominal (from the URDF)" : config.Resolve(config.Twin.Parameters))}"
                : "twin: disabled (twin.enabled: false)");
            Controller = new TrajectoryController(config);

            // Validate first: a trigger without a reaction or a ramp that cannot stop in time refuses the session here.
            var policy = SafetyConfigValidator.Validate(view, onBench: options.Bench);
            SafetyEvents = new SpscRing<SafetyEvent>(SafetyEventBudget.RingCapacity(policy, Layout, PeriodNs));
            FlightRecorder = new FlightRecorder(Layout, PeriodNs, config.Safety.FlightRecorderS);
            var (estop, reset, enable) = OpenSafetyLines();
            if (options.Bench)
            {
                // The bench has no GPIO chip: emulated buttons and enable line stand in behind the same seam.
                if (estop == null) estop = BenchEstop = new EmulatedDigitalInput();
                if (reset == null) reset = BenchResetButton = new EmulatedDigitalInput();
                if (enable == null) enable = BenchEnableOutput = new EmulatedDigitalOutput();
            }
            Supervisor = new SafetySupervisor(view, policy, config.Joints.Count, Layout, PeriodNs, SafetyEvents, estop, reset, enable, FlightRecorder);
            Safety = Supervisor;
            Jog = new Rt.Safety.Jog.JogMode(config, Supervisor); // recovery by hand, inside the supervisor (issue 15)
            Homing = new Rt.Safety.Jog.HomingMode(config, Supervisor, Jog); // homing by hand, in front of the jog
            WriteHomingSetup();
            OpenBrakeOutputs(); // brakes released by hand (rt brake): GPIO lines written off the tick
            if (!string.IsNullOrEmpty(config.Homing.HoldInput)) OpenHoldInput();
            SafetyLog = StartSafetyLog(policy);

            var sinks = new List<ITickSink>();
            if (options.HashTrace)
            {
                Trace = new TraceHasher();
                sinks.Add(Trace);
            }
            Telemetry = StartTelemetry();
            if (Telemetry != null) sinks.Add(Telemetry.Sink);
            if (options.RecordPath != null)
            {
                Recorder = Own(Rt.Twin.Recording.TickRecorders.Create(options.RecordPath, config.Robot.Name, Layout, PeriodNs, RobotDescriptionText()));
                sinks.Add(Recorder);
                if (Recorder is Rt.Twin.Recording.Mcap.McapTickRecorder mcap) SafetyEventForwarded += mcap.AddSafetyEvent;
                _notes.Add($"recording every tick to {options.RecordPath}");
            }
            var jointIo = new JointIo(config, EtherCat?.DriveMaxTorque); // never above a drive's own 0x6072
            _notes.AddRange(jointIo.Notes);
            Pipeline = new TickPipeline(State, Bus, jointIo, Twin, new OperatorHold(Controller), Safety, sinks, Faults, PeriodNs);
            // The operator's enable, raised after the first tick so the supervisor sees it rise (no start at power-on).
            Pipeline.Operator.EnableFromTick = 1;
            Pipeline.Operator.Enable = options.EnableMotion;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public RtConfig Config { get; }
    public SessionOptions Options { get; }
    public long PeriodNs { get; }
    public ChannelLayout Layout { get; }
    public TickState State { get; }
    public SpscRing<Fault> Faults { get; }
    public TickPipeline Pipeline { get; }
    public IFieldbus Bus { get; }

    /// <summary>The emulated robot (bench in-process), or null on a robot or with the bench in its own process.</summary>
    public ISessionRig? Rig { get; }

    /// <summary>What the scheduler advances after every tick (the bench's plant), or null.</summary>
    public ISimulatedWorld? World { get; }

    /// <summary>The EtherCAT master, when the session runs over a bus (null for the in-process image).</summary>
    public EtherCatMaster? Master { get; }
    public EtherCatFieldbus? EtherCat { get; }

    /// <summary>
    /// Whether <see cref="CreateRealtime()"/> phase-locks the cycle to the DC reference clock (bus.distributed_clocks on,
    /// and the slaves' clocks run on real time: a bus behind a network interface, not the in-process bench).
    /// </summary>
    public bool DcPhaseLocked { get; private set; }
    public CapturingLink? Capture { get; }

    /// <summary>The IMUs on the controller's own I²C buses (<c>i2c_imus:</c>), or null when none is configured.</summary>
    public I2cImuSet? I2cImus { get; }

    public TrajectoryController Controller { get; }
    public ITwinStage Twin { get; }
    public ISafetyGate Safety { get; }

    /// <summary>The supervisor behind <see cref="Safety"/>.</summary>
    public SafetySupervisor? Supervisor { get; }
    public SpscRing<SafetyEvent> SafetyEvents { get; }

    /// <summary>Supervised jog (recovery by hand): requests from the local reset socket (<c>rt jog</c>) or, in tests, <see cref="Rt.Safety.Jog.JogMode.Submit"/>.</summary>
    public Rt.Safety.Jog.JogMode? Jog { get; }

    /// <summary>Homing by hand (joints with incremental encoders): requests from the local reset socket (<c>rt home</c>).</summary>
    public Rt.Safety.Jog.HomingMode? Homing { get; }
    public SafetyLog? SafetyLog { get; }
    public FlightRecorder? FlightRecorder { get; }

    /// <summary>On the bench: the emulated e-stop and reset buttons and the enable output (where the config names no GPIO line).</summary>
    public EmulatedDigitalInput? BenchEstop { get; }
    public EmulatedDigitalInput? BenchResetButton { get; }
    public EmulatedDigitalOutput? BenchEnableOutput { get; }

    public TraceHasher? Trace { get; }
    public TelemetryService? Telemetry { get; }
    public Rt.Twin.Recording.ITickRecorder? Recorder { get; }

    /// <summary>The URDF text for an MCAP recording's /robot_description, or null when the file cannot be read again.</summary>
    private string? RobotDescriptionText()
    {
        try
        {
            return string.IsNullOrEmpty(Config.Robot.Description) ? null : File.ReadAllText(Config.Resolve(Config.Robot.Description));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Non-real-time messages from the session's services (telemetry link changes…), one line each.</summary>
    public Action<string> Log { get; set; } = Console.WriteLine;

    /// <summary>Where logs, flight records and outboxes go (relative paths in the config resolve here).</summary>
    public string StateDirectory { get; }

    /// <summary>Lines the host prints before the run (what was set up, what was degraded).</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Called (off the tick, after the event is fsynced in the safety log) for every safety event.</summary>
    public event Action<SafetyEvent>? SafetyEventForwarded;

    /// <summary>
    /// Builds the session. <paramref name="bench"/> supplies the emulated robot when <see cref="SessionOptions.Bench"/>
    /// is set without an interface; the robot's binary has none and never asks for one.
    /// </summary>
    public static HostSession Create(RtConfig config, SessionOptions options, IBenchFactory? bench = null) => new(config, options, bench);

    private ISessionRig? CreateRig(IBenchFactory? bench)
    {
        string iface = Options.Interface ?? Config.Bus.Interface;
        bool remote = !string.IsNullOrEmpty(iface);
        if (!Options.Bench && !remote)
            throw new InputError(Config.SourcePath, "bus.interface", bench != null
                ? "no network interface for the EtherCAT bus: set bus.interface or pass --iface, or run on the emulated bench with --bench"
                : "no network interface for the EtherCAT bus: set bus.interface or pass --iface");
        if (!Options.Bench || remote) return null;
        if (bench == null)
            throw new HostUnavailableException("this rt binary has no bench: run the bench's rt (hil/Rt.Hil.Host) for --bench");
        var rig = Own(bench.Create(Config, Options));
        _notes.Add(rig.Description);
        return rig;
    }

    private (IFieldbus Bus, EtherCatMaster? Master, EtherCatFieldbus? EtherCat, CapturingLink? Capture) BuildBus()
    {
        string iface = Options.Interface ?? Config.Bus.Interface;
        bool remote = !string.IsNullOrEmpty(iface);
        if (!remote && Config.Bus.Kind != BusKind.EtherCat) return (Rig!.Fieldbus, null, null, null);

        IEthernetLink link;
        if (remote)
        {
            try
            {
                link = Own(new RawSocketLink(iface));
            }
            catch (EtherCatException e) when (Options.RequireRealtime && e.Message.Contains("needs CAP_NET_RAW", StringComparison.Ordinal))
            {
                // A refused privilege under --require-rt is exit 4, like SCHED_FIFO and mlockall, naming what grants it.
                throw new RealtimeUnavailableException($"raw socket on '{iface}' refused (EPERM); needs CAP_NET_RAW: AmbientCapabilities=CAP_NET_RAW");
            }
            catch (EtherCatException e)
            {
                throw new HostUnavailableException($"EtherCAT interface '{iface}': {e.Message}", e);
            }
            _notes.Add($"bus: EtherCAT on {iface} (raw socket){(Options.Bench ? "; the bench runs in its own process (rt hil serve)" : "")}");
        }
        else
        {
            link = Rig!.CreateLink();
            _notes.Add("bus: EtherCAT to the emulated slaves, in-process");
        }
        CapturingLink? capture = null;
        if (Options.CapturePath != null)
        {
            var state = State;
            capture = Own(new CapturingLink(link, PcapngWriter.Create(Options.CapturePath, remote ? iface : "rt-bench"), () => state.TimeNs));
            capture.StartBackgroundWriter();
            link = capture;
            _notes.Add($"capture: every frame to {Options.CapturePath}");
        }
        var master = new EtherCatMaster(link, MasterOptions.FromConfig(Config));
        // Bring-up runs before the first tick, on this thread; time since the DC epoch starts at 0 on the bench.
        var opBus = master.BringUp(Config, masterTimeNs: 0);
        // bus.distributed_clocks: the fieldbus runs the master's DC-sync loop on the reference's time every cycle.
        var fieldbus = EtherCatFieldbus.FromConfig(opBus, Config, new FieldbusOptions
        {
            ReplyTimeoutNs = FieldbusOptions.ReplyTimeoutFor(PeriodNs),
            DcCycleNs = Config.Bus.DistributedClocks && master.Dc != null ? PeriodNs : 0,
        });
        // Only a reference clock that runs on real time (slaves behind a network interface, or rt hil serve's, which
        // runs on CLOCK_MONOTONIC) can be phase-locked to; the in-process bench's clocks run on simulated time, which
        // no shift of the host's grid moves, so its correction would only push the grid to the bound.
        DcPhaseLocked = remote && fieldbus.Options.DcCycleNs > 0;
        _notes.Add($"bus: {master.SubDevices.Count} slaves in OP" + (master.Dc != null ? $"; distributed clocks: {master.Dc}" : "")
            + (DcPhaseLocked ? "; the real-time cycle phase-locks to the DC reference clock" : ""));
        return (fieldbus, master, fieldbus, capture);
    }

    private I2cImuSet? OpenI2cImus()
    {
        if (Config.I2cImus.Count == 0) return null;
        // On the bench the rig's chip models are sampled in step with its plant; on the robot each chip has its thread.
        var buses = Rig?.I2cBuses;
        var clock = Rig?.Clock ?? TimeProvider.System;
        var set = Own(I2cImuSet.Open(Config, clock, buses, firstSource: Config.Imus.Count, startThreads: buses == null));
        if (buses != null) Rig!.AttachI2cImus(set);
        else set.WaitForFirstSamples(Config, clock, TimeSpan.FromSeconds(1));
        foreach (var s in set.Samplers) _notes.Add($"imu {s.Name}: {s.Chip.Model} on I2C, {1e9 / s.PeriodNs:0.#} Hz, sampled {(buses == null ? "on its own thread" : "by the bench in step with the plant")}");
        return set;
    }

    /// <summary>
    /// The homing objects (0x6098/0x6099/0x609A/0x607C) of every joint in <c>homing.joints</c>, by SDO before the first
    /// tick (the tick only switches the mode and raises bit 4). A drive that refuses one refuses the session (exit 2).
    /// </summary>
    private void WriteHomingSetup()
    {
        if (Config.Homing.Joints.Count == 0) return;
        if (Master == null)
        {
            _notes.Add("homing: the in-process bus has no SDO; the drives' homing objects are left as they are");
            return;
        }
        for (int i = 0; i < Config.Homing.Joints.Count; i++)
        {
            var h = Config.Homing.Joints[i];
            var joint = Config.Joints.Find(j => j.Name == h.Joint)!;
            var scaling = new Rt.Drivers.Cia402.JointScaling(joint);
            var slave = Master.SubDevices[joint.Drive];
            var sdo = slave.Sdo ?? throw new InputError(Config.SourcePath, $"homing.joints[{i}].joint",
                $"the drive of '{h.Joint}' (bus position {joint.Drive}) has no CoE mailbox: its homing objects cannot be written");
            var bytes = new byte[4];
            foreach (var w in Rt.Safety.Jog.HomingSetup.Writes(h, scaling.CountsPerRadian, scaling.ZeroOffsetCounts))
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, unchecked((int)w.Value));
                try
                {
                    sdo.Download(w.Index, w.SubIndex, bytes.AsSpan(0, w.Size));
                }
                catch (Rt.Drivers.EtherCat.CoE.SdoAbortException e)
                {
                    throw new InputError(Config.SourcePath, $"homing.joints[{i}]", $"the drive of '{h.Joint}' refused its homing set-up: {e.Message}");
                }
            }
            _notes.Add($"homing: {h.Joint} set up for method {h.Method} (0x6098/0x6099/0x609A/0x607C written by SDO)");
        }
    }

    /// <summary>The brake release outputs (<c>brakes[i].release_output</c>), or null when no brake has one.</summary>
    public BrakeReleaseWriter? BrakeOutputs { get; private set; }

    /// <summary>
    /// One GPIO line per braked joint with a release output, opened de-energised, written by <see cref="BrakeReleaseWriter"/>'s
    /// thread (lockstep: flushed by the caller between ticks); <see cref="Rt.Safety.Jog.HomingMode.Brakes"/> drives them.
    /// </summary>
    private void OpenBrakeOutputs()
    {
        CheckBrakesClosedByDrive();
        var byDrive = DriveReleasedBrakes();
        if (!Config.Brakes.Exists(b => b.ReleaseOutput != null))
        {
            if (byDrive is null) return;
            Homing!.Brakes = new Rt.Safety.Jog.BrakeHold(new Rt.Safety.Jog.DriveBrakeOutputs(State.Image, byDrive), Supervisor!, TimeSpan.FromSeconds(Config.Jog.HoldTimeoutS));
            _notes.Add($"brakes: released through the drives' 0x60FE:01 bit 0 for {string.Join(", ", Config.Brakes.Where(b => b.ReleaseByDrive).Select(b => b.Joint))} (rt brake)");
            return;
        }
        var lines = new Rt.Core.Hardware.IDigitalOutput?[Config.Joints.Count];
        try
        {
            for (int i = 0; i < Config.Brakes.Count; i++)
            {
                if (Config.Brakes[i].ReleaseOutput is not { } o) continue;
                int j = Config.Joints.FindIndex(x => x.Name == Config.Brakes[i].Joint);
                lines[j] = GpioLines.OpenOutput(o.Spec, Config.SourcePath, $"brakes[{i}].release_output",
                    new GpioLineOptions { Consumer = "rt-brake-" + Config.Brakes[i].Joint, ActiveLow = o.ActiveLow, ReadMode = GpioReadMode.Direct },
                    Options.BrakeGpioDrivers ?? Rig?.BrakeGpioDrivers);
            }
        }
        catch
        {
            foreach (var l in lines) (l as IDisposable)?.Dispose();
            throw;
        }
        // A quarter of the brake's hold timeout, at most 50 ms: a stalled tick leaves no brake open for long.
        var heartbeat = TimeSpan.FromSeconds(Math.Clamp(Config.Jog.HoldTimeoutS / 4, 0.004, 0.05)); // at least twice the writer period below
        BrakeOutputs = Own(new BrakeReleaseWriter(lines, Rig?.Clock ?? TimeProvider.System, heartbeat, TimeSpan.FromMilliseconds(2), startThread: !Options.Lockstep));
        Rt.Safety.Jog.IBrakeOutputs outputs = new GpioBrakeOutputs(BrakeOutputs);
        if (byDrive is not null) outputs = new Rt.Safety.Jog.BrakeOutputsByJoint(outputs, new Rt.Safety.Jog.DriveBrakeOutputs(State.Image, byDrive));
        Homing!.Brakes = new Rt.Safety.Jog.BrakeHold(outputs, Supervisor!, TimeSpan.FromSeconds(Config.Jog.HoldTimeoutS));
        _notes.Add($"brakes: release outputs {string.Join(", ", Config.Brakes.Where(b => b.ReleaseOutput != null).Select(b => $"{b.Joint} on {b.ReleaseOutput!.Spec}"))} (rt brake; heartbeat {heartbeat.TotalMilliseconds} ms)");
        if (byDrive is not null) _notes.Add($"brakes: released through the drives' 0x60FE:01 bit 0 for {string.Join(", ", Config.Brakes.Where(b => b.ReleaseByDrive).Select(b => b.Joint))} (rt brake)");
    }

    /// <summary>
    /// Per joint: its brake is released through its drive (<c>brakes[i].release_by_drive</c>), or null when none is.
    /// On a bus, a drive that does not map 0x60FE:01 refuses the session (one line naming the brake and the drive); the
    /// lockstep bench's drive model has it.
    /// </summary>
    private bool[]? DriveReleasedBrakes()
    {
        bool[]? flags = null;
        for (int i = 0; i < Config.Brakes.Count; i++)
        {
            if (!Config.Brakes[i].ReleaseByDrive) continue;
            int j = Config.Joints.FindIndex(x => x.Name == Config.Brakes[i].Joint);
            if (EtherCat is { } ec && j < ec.Drives.Count && !ec.Drives[j].MapsDigitalOutputs)
                throw new EtherCatException(BusErrorKind.ConfigMismatch,
                    $"brakes[{i}].release_by_drive: {ec.Drives[j].Who} does not map 0x60FE:01 digital outputs in its RxPDO; map it (startup PDO configuration) or release this brake with brakes[{i}].release_output");
            (flags ??= new bool[Config.Joints.Count])[j] = true;
        }
        return flags;
    }

    /// <summary>
    /// A brake the collision hold may close under power (<c>brakes[i].engage_bit</c>) goes through its drive's 0x60FE:01:
    /// on a bus, a drive that does not map it refuses the session (one line naming the brake and the drive), as a brake
    /// the host believes it can close and cannot would leave the hold to the travel monitor's STO.
    /// </summary>
    private void CheckBrakesClosedByDrive()
    {
        if (EtherCat is not { } ec) return;
        for (int i = 0; i < Config.Brakes.Count; i++)
        {
            if (!Config.Brakes[i].EngageByDrive) continue;
            int j = Config.Joints.FindIndex(x => x.Name == Config.Brakes[i].Joint);
            if (j >= 0 && j < ec.Drives.Count && !ec.Drives[j].MapsDigitalOutputs)
                throw new EtherCatException(BusErrorKind.ConfigMismatch,
                    $"brakes[{i}].engage_bit: {ec.Drives[j].Who} does not map 0x60FE:01 digital outputs in its RxPDO; map it (startup PDO configuration) or remove engage_bit");
        }
    }

    /// <summary>The hold-to-run button (<c>homing.hold_input</c>): read on its own thread, never the tick.</summary>
    private void OpenHoldInput()
    {
        var line = Own(GpioLines.OpenInput(Config.Homing.HoldInput, Config.SourcePath, "homing.hold_input", "rt-hold", activeLow: false, debounceUs: 5000, levelOnError: false));
        var homing = Homing!;
        var jog = Jog!;
        var renewEvery = TimeSpan.FromSeconds(Math.Max(Config.Jog.HoldTimeoutS / 4, 0.001)); // a hold timeout near 0 must not make it 0
        Own(new HoldToRunInput(line, renewEvery,
            renew: () =>
            {
                homing.Submit(Rt.Safety.Jog.HomingCommandKind.Hold, Rt.Safety.Jog.JogSource.LocalInput, homing.Status.Joint);
                jog.Submit(Rt.Safety.Jog.JogCommandKind.Hold, Rt.Safety.Jog.JogSource.LocalInput, 0, 0, 0);
                if (homing.Brakes is { } b) b.Submit(Rt.Safety.Jog.BrakeCommandKind.Hold, Rt.Safety.Jog.JogSource.LocalInput, b.Status.Joint);
            },
            released: () =>
            {
                homing.Submit(Rt.Safety.Jog.HomingCommandKind.Release, Rt.Safety.Jog.JogSource.LocalInput, homing.Status.Joint);
                jog.Submit(Rt.Safety.Jog.JogCommandKind.Release, Rt.Safety.Jog.JogSource.LocalInput, 0, 0, 0);
                if (homing.Brakes is { } b) b.Submit(Rt.Safety.Jog.BrakeCommandKind.Engage, Rt.Safety.Jog.JogSource.LocalInput, b.Status.Joint);
            }));
        _notes.Add($"manual hold-to-run button: {Config.Homing.HoldInput} (homing.hold_input)");
    }

    private (IDigitalInput? Estop, IDigitalInput? Reset, IDigitalOutput? Enable) OpenSafetyLines()
    {
        var src = Config.SourcePath;
        var sa = Config.Safety;
        var estop = string.IsNullOrEmpty(sa.EstopInput) ? null : Own(GpioLines.OpenInput(sa.EstopInput, src, "safety.estop_input", "rt-estop", activeLow: false, debounceUs: 5000, levelOnError: true));
        var reset = string.IsNullOrEmpty(sa.ResetInput) ? null : Own(GpioLines.OpenInput(sa.ResetInput, src, "safety.reset_input", "rt-reset", activeLow: false, debounceUs: 5000, levelOnError: false));
        var enable = string.IsNullOrEmpty(sa.EnableOutput) ? null : Own(GpioLines.OpenOutput(sa.EnableOutput, src, "safety.enable_output", "rt-enable"));
        return (estop, reset, enable);
    }

    private SafetyLog StartSafetyLog(SafetyPolicy policy)
    {
        var sa = Config.Safety;
        var log = Own(new SafetyLog(ResolveState(sa.LogPath), SafetyEvents, FlightRecorder!, StateDirectory, forward: e => SafetyEventForwarded?.Invoke(e), policyDigest: policy.Digest));
        log.Start();
        if (!string.IsNullOrEmpty(sa.ResetSocket))
        {
            var socket = Own(LocalResetSocket.Open(Config, ResolveState(sa.ResetSocket), Supervisor!));
            socket.Commands = new Rt.Safety.Jog.LocalCommandSet(
                new Rt.Safety.Jog.JogSocketCommands(Jog!, [.. Config.Joints.Select(j => (j.Limits.PositionMinRad, j.Limits.PositionMaxRad))]),
                new Rt.Safety.Jog.HomingSocketCommands(Homing!),
                new Rt.Safety.Jog.BrakeSocketCommands(Homing!.Brakes, [.. Config.Joints.Select(j => j.Name)], [.. Config.Brakes.Select(b => b.Joint)]));
            _notes.Add($"safety: local reset socket {ResolveState(sa.ResetSocket)} (mode {sa.ResetSocketMode}{(sa.ResetSocketGroup.Length > 0 ? ", group " + sa.ResetSocketGroup : "")})");
        }
        _notes.Add($"safety: supervisor log {ResolveState(sa.LogPath)}; flight recorder {Config.Safety.FlightRecorderS} s");
        _notes.Add($"safety policy digest {policy.Digest}{(Supervisor!.EnableRefusal is { } refusal ? "; " + refusal : "")}");
        return log;
    }

    private TelemetryService? StartTelemetry()
    {
        BrokerUri? broker = Options.Broker == null ? null : BrokerUri.Parse(Options.Broker, "command line", "--broker");
        var s = Config.Telemetry;
        if (broker == null && !s.Enabled) return null;
        // As TelemetryService.FromConfig, except that a relative outbox lives in the state folder, not the config's.
        string R(string p) => string.IsNullOrEmpty(p) ? p : Config.Resolve(p);
        var section = new TelemetrySection
        {
            Enabled = s.Enabled, Broker = s.Broker, RobotId = s.RobotId, TopicPrefix = s.TopicPrefix,
            Decimation = s.Decimation, BatchSize = s.BatchSize, CaFile = R(s.CaFile), CertFile = R(s.CertFile),
            KeyFile = R(s.KeyFile), CredentialsFile = R(s.CredentialsFile), OutboxPath = ResolveState(s.OutboxPath),
        };
        string robot = string.IsNullOrEmpty(s.RobotId) ? Config.Robot.Name : s.RobotId;
        TelemetryService telemetry;
        try
        {
            // Safety events are published from the safety log itself (one durable record; telemetry keeps a cursor).
            telemetry = Own(new TelemetryService(section, Layout, robot, m => Log($"telemetry: {m}"), brokerOverride: broker,
                journal: new SafetyLogJournal(ResolveState(Config.Safety.LogPath))));
        }
        catch (MosquittoUnavailableException e)
        {
            throw new HostUnavailableException(e.Message, e);
        }
        SafetyEventForwarded += e => telemetry.PublishSafetyEvent(e);
        telemetry.Start();
        _notes.Add($"telemetry: {telemetry.Broker}, topics {telemetry.Topics.All}");
        return telemetry;
    }

    private T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private string ResolveState(string path) => Path.IsPathRooted(path) ? path : Path.Combine(StateDirectory, path);

    public long TicksFor(double seconds) => (long)Math.Round(seconds * 1e9 / PeriodNs);

    /// <summary>Runs the session in lockstep on the calling thread for <paramref name="ticks"/> ticks.</summary>
    public LockstepScheduler RunLockstep(long ticks, long firstTick = 0, bool measureCompute = false)
    {
        var scheduler = CreateLockstep(measureCompute);
        scheduler.Run(ticks, firstTick);
        return scheduler;
    }

    public LockstepScheduler CreateLockstep(bool measureCompute = false)
    {
        var scheduler = new LockstepScheduler(PeriodNs, Pipeline, World, Config.Loop.OverrunFaultAfter) { MeasureCompute = measureCompute };
        Pipeline.Timing = scheduler.Timing;
        return scheduler;
    }

    public RealtimeScheduler CreateRealtime() => CreateRealtime(World);

    /// <summary>
    /// As <see cref="CreateRealtime()"/>, with <paramref name="world"/> advanced on the tick thread instead of
    /// <see cref="World"/> (the real-time campaign wraps the bench so injections land between ticks).
    /// </summary>
    public RealtimeScheduler CreateRealtime(ISimulatedWorld? world)
    {
        var scheduler = new RealtimeScheduler(new RealtimeOptions
        {
            PeriodNs = PeriodNs,
            Priority = Config.Loop.Priority,
            Cpu = Config.Loop.Cpu,
            SpinTailNs = (long)(Config.Loop.SpinTailUs * 1000),
            RequireRealtime = Options.RequireRealtime,
            OverrunFaultAfter = Config.Loop.OverrunFaultAfter,
            NoGcRegionBytes = RealtimeOptions.NoGcRegionFor(Config.Loop.NoGcRegionMb, Telemetry?.AllocationPerHourBytes(1e9 / PeriodNs) ?? 0, ConfigBounds.MaxNoGcRegionMb),
            // Master DC-sync: each period is lengthened or shortened by the fieldbus's PI correction (bounded there and
            // by the scheduler), so the frame passes the reference at a fixed phase of SYNC0. Lockstep never reads it.
            PeriodCorrectionNs = DcPhaseLocked && EtherCat is { } dc ? dc.ReadDcPeriodCorrectionNs : null,
        }, Pipeline, world);
        Pipeline.Timing = scheduler.Timing;
        return scheduler;
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }
}
