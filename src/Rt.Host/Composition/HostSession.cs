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
using Rt.Hil.Esc.Segment;
using Rt.Safety;
using Rt.Telemetry;
using Rt.Telemetry.Native;

namespace Rt.Host.Composition;

/// <summary>
/// One configured control session: the process image, the bus, the stages, the sinks and the pipeline that runs
/// them, plus (on the bench) the simulated world. Everything is sized here, before the first tick.
/// Not real-time safe (this is the prepare phase); the pipeline it builds is.
/// </summary>
public sealed class HostSession : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private HostSession(RtConfig config, SessionOptions options)
    {
        Config = config;
        Options = options;
        PeriodNs = (long)Math.Round(1e9 / config.Loop.RateHz);
    }

    public RtConfig Config { get; }
    public SessionOptions Options { get; }
    public long PeriodNs { get; }
    public TickState State { get; private set; } = null!;
    public TickPipeline Pipeline { get; private set; } = null!;
    public IFieldbus Bus { get; private set; } = null!;
    public ISimulatedWorld? World { get; private set; }
    public BenchRig? Bench { get; private set; }
    public TrajectoryController Controller { get; private set; } = null!;
    public ISafetyGate Safety { get; private set; } = null!;
    public ITwinStage Twin { get; private set; } = null!;
    public SpscRing<Fault> Faults { get; private set; } = null!;
    public TraceHasher? Trace { get; private set; }

    /// <summary>The supervisor (null only if a test replaced the gate).</summary>
    public SafetySupervisor? Supervisor { get; private set; }
    public SpscRing<SafetyEvent> SafetyEvents { get; private set; } = null!;
    public SafetyLog? SafetyLog { get; private set; }
    public FlightRecorder? FlightRecorder { get; private set; }

    /// <summary>On the bench: the emulated e-stop and reset buttons and the enable output.</summary>
    public EmulatedDigitalInput? BenchEstop { get; private set; }
    public EmulatedDigitalInput? BenchResetButton { get; private set; }
    public EmulatedDigitalOutput? BenchEnableOutput { get; private set; }

    public TelemetryService? Telemetry { get; private set; }
    public Rt.Twin.Recording.TickRecorder? Recorder { get; private set; }

    /// <summary>Non-real-time messages from the session's services (telemetry link changes…), one line each.</summary>
    public Action<string> Log { get; set; } = Console.WriteLine;

    /// <summary>Where logs, flight records and outboxes go (relative paths in the config resolve here).</summary>
    public string StateDirectory { get; private set; } = "";
    public ChannelLayout Layout { get; private set; } = null!;

    /// <summary>Lines the host prints before the run (what was set up, what was degraded).</summary>
    public List<string> Notes { get; } = [];

    public static HostSession Create(RtConfig config, SessionOptions options)
    {
        var session = new HostSession(config, options);
        try
        {
            session.Build();
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private void Build()
    {
        var jointNames = Config.Joints.Select(j => j.Name).ToList();
        var imuNames = Config.Imus.Select(i => i.Name).ToList();
        Layout = new ChannelLayout(jointNames, imuNames);
        State = new TickState(jointNames.Count, imuNames.Count, Layout);
        Faults = new SpscRing<Fault>(4096);

        BuildBus();

        StateDirectory = Path.GetFullPath(Options.StateDirectory ?? Path.Combine(Environment.CurrentDirectory, "rt-state"));
        Directory.CreateDirectory(StateDirectory);

        Twin = Config.Twin.Enabled
            ? new Rt.Twin.DigitalTwin(Config, Layout, Rt.Twin.Parameters.TwinParameterOptions.FromConfig(Config, Layout))
            : new DisabledTwin();
        Notes.Add(Config.Twin.Enabled
            ? $"twin: rigid-body dynamics, servo, IMU and momentum-observer models; parameters {(string.IsNullOrEmpty(Config.Twin.Parameters) ? "nominal (from the URDF)" : Config.Resolve(Config.Twin.Parameters))}"
            : "twin: disabled (twin.enabled: false)");
        Controller = new TrajectoryController(Config);
        BuildSafety();

        var sinks = new List<ITickSink>();
        if (Options.HashTrace)
        {
            Trace = new TraceHasher();
            sinks.Add(Trace);
        }
        BuildTelemetry(sinks);
        if (Options.RecordPath != null)
        {
            Recorder = Own(new Rt.Twin.Recording.TickRecorder(Options.RecordPath, Config.Robot.Name, Layout, PeriodNs));
            sinks.Add(Recorder);
            Notes.Add($"recording every tick to {Options.RecordPath}");
        }
        Pipeline = new TickPipeline(State, Bus, new JointIo(Config), Twin, Controller, Safety, sinks, Faults, PeriodNs);
        // The operator's enable, raised after the first tick so the supervisor sees it rise (no start at power-on).
        Pipeline.Operator.EnableFromTick = 1;
        Pipeline.Operator.Enable = Options.EnableMotion;
    }

    /// <summary>The EtherCAT master, when the session runs over a bus (null for the in-process image).</summary>
    public EtherCatMaster? Master { get; private set; }
    public EtherCatFieldbus? EtherCat { get; private set; }
    public CapturingLink? Capture { get; private set; }

    /// <summary>On the in-process bench over EtherCAT: the emulated slave chain in front of the plant (its fault hooks: link down, dropped frames, AL errors).</summary>
    public BenchBridge? BenchBridge { get; private set; }

    private void BuildBus()
    {
        string iface = Options.Interface ?? Config.Bus.Interface;
        bool remote = !string.IsNullOrEmpty(iface);
        bool overEtherCat = remote || Config.Bus.Kind == BusKind.EtherCat;
        if (!Options.Bench && !remote)
            throw new InputError(Config.SourcePath, "bus.interface", "no network interface for the EtherCAT bus: set bus.interface or pass --iface, or run on the emulated bench with --bench");
        if (Options.Bench && !remote)
        {
            Bench = Own(BenchRig.Create(Config, Options));
            World = Bench;
            Notes.Add(Bench.Description);
        }
        if (!overEtherCat)
        {
            Bus = Bench!;
            return;
        }

        IEthernetLink link;
        if (remote)
        {
            try
            {
                link = Own(new RawSocketLink(iface));
            }
            catch (EtherCatException e)
            {
                throw new HostUnavailableException($"EtherCAT interface '{iface}': {e.Message}", e);
            }
            Notes.Add($"bus: EtherCAT on {iface} (raw socket){(Options.Bench ? "; the bench runs in its own process (rt hil serve)" : "")}");
        }
        else
        {
            BenchBridge = new BenchBridge(Bench!.Bench, Config);
            link = new LoopbackLink(BenchBridge);
            Notes.Add("bus: EtherCAT to the emulated slaves, in-process");
        }
        if (Options.CapturePath != null)
        {
            var state = State;
            Capture = Own(new CapturingLink(link, PcapngWriter.Create(Options.CapturePath, remote ? iface : "rt-bench"), () => state.TimeNs));
            Capture.StartBackgroundWriter();
            link = Capture;
            Notes.Add($"capture: every frame to {Options.CapturePath}");
        }
        Master = new EtherCatMaster(link, MasterOptions.FromConfig(Config));
        // Bring-up runs before the first tick, on this thread; time since the DC epoch starts at 0 on the bench.
        var opBus = Master.BringUp(Config, masterTimeNs: 0);
        EtherCat = EtherCatFieldbus.FromConfig(opBus, Config, new FieldbusOptions { ReplyTimeoutNs = FieldbusOptions.ReplyTimeoutFor(PeriodNs) });
        Bus = EtherCat;
        Notes.Add($"bus: {Master.SubDevices.Count} slaves in OP" + (Master.Dc != null ? $"; distributed clocks: {Master.Dc}" : ""));
    }

    private void BuildSafety()
    {
        // Validate first: a trigger without a reaction or a ramp that cannot stop in time refuses the session here.
        var policy = SafetyConfigValidator.Validate(Config);
        SafetyEvents = new SpscRing<SafetyEvent>(1024);
        FlightRecorder = new FlightRecorder(Layout, PeriodNs, Config.Safety.FlightRecorderS);
        IDigitalInput? estop, reset;
        IDigitalOutput? enable;
        var src = Config.SourcePath;
        var sa = Config.Safety;
        estop = string.IsNullOrEmpty(sa.EstopInput) ? null : Own(GpioLines.OpenInput(sa.EstopInput, src, "safety.estop_input", "rt-estop", activeLow: false, debounceUs: 5000, levelOnError: true));
        reset = string.IsNullOrEmpty(sa.ResetInput) ? null : Own(GpioLines.OpenInput(sa.ResetInput, src, "safety.reset_input", "rt-reset", activeLow: false, debounceUs: 5000, levelOnError: false));
        enable = string.IsNullOrEmpty(sa.EnableOutput) ? null : Own(GpioLines.OpenOutput(sa.EnableOutput, src, "safety.enable_output", "rt-enable"));
        if (Options.Bench)
        {
            // The bench has no GPIO chip: emulated buttons and enable line stand in behind the same seam.
            estop ??= BenchEstop = new EmulatedDigitalInput();
            reset ??= BenchResetButton = new EmulatedDigitalInput();
            enable ??= BenchEnableOutput = new EmulatedDigitalOutput();
        }
        Supervisor = new SafetySupervisor(Config, policy, Config.Joints.Count, Layout, PeriodNs, SafetyEvents, estop, reset, enable, FlightRecorder);
        Safety = Supervisor;
        SafetyLog = Own(new SafetyLog(ResolveState(sa.LogPath), SafetyEvents, FlightRecorder, StateDirectory, forward: e => SafetyEventForwarded?.Invoke(e)));
        SafetyLog.Start();
        if (!string.IsNullOrEmpty(sa.ResetSocket))
        {
            Own(new LocalResetSocket(ResolveState(sa.ResetSocket), Supervisor));
            Notes.Add($"safety: local reset socket {ResolveState(sa.ResetSocket)} (mode 0600)");
        }
        Notes.Add($"safety: supervisor log {ResolveState(sa.LogPath)}; flight recorder {Config.Safety.FlightRecorderS} s");
    }

    private void BuildTelemetry(List<ITickSink> sinks)
    {
        BrokerUri? broker = Options.Broker == null ? null : BrokerUri.Parse(Options.Broker, "command line", "--broker");
        if (broker == null && !Config.Telemetry.Enabled) return;
        if (!Path.IsPathRooted(Config.Telemetry.OutboxPath))
            Config.Telemetry.OutboxPath = ResolveState(Config.Telemetry.OutboxPath);
        try
        {
            Telemetry = Own(TelemetryService.FromConfig(Config, Layout, m => Log($"telemetry: {m}"), broker));
        }
        catch (MosquittoUnavailableException e)
        {
            throw new HostUnavailableException(e.Message, e);
        }
        sinks.Add(Telemetry.Sink);
        var telemetry = Telemetry;
        SafetyEventForwarded += e => telemetry.PublishSafetyEvent(e);
        telemetry.Start();
        Notes.Add($"telemetry: {telemetry.Broker}, topics {telemetry.Topics.All}");
    }

    /// <summary>Called (off the tick, after the event is fsynced in the safety log) for every safety event.</summary>
    public event Action<SafetyEvent>? SafetyEventForwarded;

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
