using Rt.ControlLoop.Control;
using Rt.ControlLoop.Diagnostics;
using Rt.ControlLoop.Pipeline;
using Rt.ControlLoop.Scheduling;
using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;

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
        State = new TickState(jointNames.Count, imuNames.Count, Layout) { MotionRequested = Options.EnableMotion };
        Faults = new SpscRing<Fault>(4096);

        if (!Options.Bench)
            throw new HostUnavailableException("only the bench is supported in this build: pass --bench (a real robot needs the EtherCAT bus section and --iface)");
        Bench = BenchRig.Create(Config, Options);
        _owned.Add(Bench);
        Bus = Bench;
        World = Bench;
        Notes.Add(Bench.Description);

        Twin = new DisabledTwin();
        Controller = new TrajectoryController(Config);
        Safety = new LatchingFaultGate();

        var sinks = new List<ITickSink>();
        if (Options.HashTrace)
        {
            Trace = new TraceHasher();
            sinks.Add(Trace);
        }
        Pipeline = new TickPipeline(State, Bus, new JointIo(Config), Twin, Controller, Safety, sinks, Faults, PeriodNs);
    }

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

    public RealtimeScheduler CreateRealtime()
    {
        var scheduler = new RealtimeScheduler(new RealtimeOptions
        {
            PeriodNs = PeriodNs,
            Priority = Config.Loop.Priority,
            Cpu = Config.Loop.Cpu,
            SpinTailNs = (long)(Config.Loop.SpinTailUs * 1000),
            RequireRealtime = Options.RequireRealtime,
            OverrunFaultAfter = Config.Loop.OverrunFaultAfter,
        }, Pipeline, World);
        Pipeline.Timing = scheduler.Timing;
        return scheduler;
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }
}
