using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Drivers.Gpio;
using Rt.Safety;

namespace Rt.Safety.Tests;

/// <summary>
/// Drives a real <see cref="SafetySupervisor"/> in lockstep with synthetic tick states: a one-tick-lag "perfect drive"
/// plant (measured = last frame's targets while powered), a simple controller, and hooks to inject conditions.
/// Tick order mirrors the pipeline: plant/bus inputs → controller → condition hook → Evaluate.
/// </summary>
internal sealed class Rig
{
    public const long PeriodNs = 1_000_000;
    public readonly RtConfig Config;
    public readonly ChannelLayout Layout;
    public readonly TickState S;
    public readonly SpscRing<SafetyEvent> Events;
    public readonly EmulatedDigitalInput EStop = new();
    public readonly EmulatedDigitalInput Reset = new();
    public readonly EmulatedDigitalOutput Enable = new();
    public readonly SafetySupervisor Sup;
    public readonly FlightRecorder Recorder;
    public readonly List<SafetyEvent> Log = [];

    /// <summary>Drive enable follows the power request after one tick unless this is false.</summary>
    public bool DrivesBecomeReady = true;

    /// <summary>Controller's commanded velocity for joint 0 while operational (rad/s); 0 = hold.</summary>
    public double CommandVelocity = 1.0;

    /// <summary>Pop the supervisor's events into <see cref="Log"/> after every tick (false: leave them in the ring).</summary>
    public bool DrainEvents = true;

    /// <summary>Use a sine motion instead of the constant velocity.</summary>
    public bool Sine;

    /// <summary>Called after the plant and the controller, before Evaluate: inject the condition under test.</summary>
    public Action<TickState>? Condition;

    /// <summary>Replaces the plant's measured velocity (e.g. a drive that ignores the ramp).</summary>
    public Func<int, double, double>? VelocityOverride;

    private readonly double[] _lastTargetPos, _lastTargetVel;
    private DrivePowerRequest _lastPower;
    private ushort _imuCounter;
    private long _tick;

    public Rig(Action<RtConfig>? configure = null, bool withRecorder = true, int eventCapacity = 1024, Action<ChannelLayout>? layoutSetup = null)
    {
        Events = new SpscRing<SafetyEvent>(eventCapacity);
        Config = MakeConfig();
        configure?.Invoke(Config);
        Layout = new ChannelLayout(["hip", "knee"], ["pelvis_imu"]);
        layoutSetup?.Invoke(Layout);
        S = new TickState(2, 1, Layout) { PeriodNs = PeriodNs };
        Recorder = new FlightRecorder(Layout, PeriodNs, 0.2);
        // The rig is a bench (a model plant): its tests may weaken a stop trigger, which a robot's config may not.
        Sup = new SafetySupervisor(Config, SafetyConfigValidator.Validate(Config, onBench: true), 2, Layout, PeriodNs, Events, EStop, Reset, Enable,
            withRecorder ? Recorder : null);
        _lastTargetPos = new double[2];
        _lastTargetVel = new double[2];
        S.MotionRequested = true;
        for (int i = 0; i < S.Image.Inputs.Length; i++) S.Image.Inputs[i].Statusword = 0x0250; // switch on disabled
    }

    public static RtConfig MakeConfig()
    {
        var c = new RtConfig { SourcePath = "/test/rt.yaml" };
        foreach (var name in new[] { "hip", "knee" })
        {
            c.Joints.Add(new JointDriveConfig
            {
                Name = name,
                Drive = c.Joints.Count,
                GearRatio = 100,
                EncoderCountsPerRev = 1 << 17,
                RatedTorqueNm = 1,
                TorqueConstantNmPerA = 0.1,
                Limits = new JointLimitConfig
                {
                    PositionMinRad = -2, PositionMaxRad = 2, VelocityRadS = 5, AccelerationRadS2 = 50, TorqueNm = 50,
                    FollowingErrorRad = 0.1,
                },
            });
        }
        c.Imus.Add(new ImuConfig { Name = "pelvis_imu", Link = "pelvis", RateHz = 1000 });
        c.Loop.RateHz = 1000;
        c.Safety.StopDecelerationRadS2 = 20;
        c.Safety.StopTimeS = 0.5;
        c.Safety.StandstillWindowRad = 0.02;
        return c;
    }

    public SafetyState State => Sup.State;

    /// <summary>One lockstep tick.</summary>
    public void Step()
    {
        var s = S;
        s.Tick = _tick;
        s.TimeNs = _tick * PeriodNs;
        s.Faults.Clear();
        bool powered = _lastPower == DrivePowerRequest.Operate;
        for (int j = 0; j < 2; j++)
        {
            if (powered)
            {
                s.Position[j] = _lastTargetPos[j];
                s.Velocity[j] = _lastTargetVel[j];
            }
            else s.Velocity[j] = 0;
            if (VelocityOverride is not null) s.Velocity[j] = VelocityOverride(j, s.Velocity[j]);
            s.Torque[j] = 5;
            bool op = powered && DrivesBecomeReady;
            s.DriveOperational[j] = op;
            s.Image.Inputs[j].Statusword = op ? (ushort)0x0237 : (ushort)0x0250;
            s.Image.Inputs[j].ErrorCode = 0;
        }
        s.AllDrivesOperational = s.DriveOperational[0] && s.DriveOperational[1];
        s.Image.Imus[0].SampleCounter = ++_imuCounter;
        s.Image.Imus[0].Status = 0;
        s.Image.Imus[0].SpecificForceZ = 9.81f;
        s.Divergence.Valid = true;
        Array.Clear(s.Divergence.OverThreshold);
        Array.Clear(s.Divergence.ExternalTorque);
        Array.Fill(s.Divergence.Threshold, 10.0);
        Array.Fill(s.Divergence.Detector, 1.0);

        // Controller.
        for (int j = 0; j < 2; j++)
        {
            double v = j == 0 ? (Sine ? 0.3 * 2 * Math.PI * 0.5 * Math.Cos(2 * Math.PI * 0.5 * _tick * 1e-3) : CommandVelocity) : 0;
            s.TargetVelocity[j] = v;
            s.TargetPosition[j] = s.Position[j] + v * 1e-3;
            s.FeedforwardTorque[j] = 0;
        }

        Condition?.Invoke(s);
        Sup.Evaluate(s);
        for (int j = 0; j < 2; j++)
        {
            _lastTargetPos[j] = s.TargetPosition[j];
            _lastTargetVel[j] = s.TargetVelocity[j];
        }
        _lastPower = s.PowerRequest;
        while (DrainEvents && Events.TryPop(out var e)) Log.Add(e);
        _tick++;
    }

    public long Tick => _tick;

    public void Run(int ticks)
    {
        for (int i = 0; i < ticks; i++) Step();
    }

    /// <summary>Ticks until the predicate holds (at most <paramref name="max"/>); returns the ticks taken.</summary>
    public int RunUntil(Func<Rig, bool> done, int max = 5000)
    {
        for (int i = 0; i < max; i++)
        {
            if (done(this)) return i;
            Step();
        }
        throw new Xunit.Sdk.XunitException($"condition not reached in {max} ticks; state {State}");
    }

    /// <summary>Enable and run until operational and moving.</summary>
    public Rig Operational(int settle = 20)
    {
        RunUntil(r => r.State == SafetyState.Operational);
        Run(settle);
        return this;
    }

    public static void AddFault(TickState s, FaultCode code, int source = 0, double value = 0) =>
        s.Faults.Add(Fault.Of(code, source, s.Tick, value: value));
}
