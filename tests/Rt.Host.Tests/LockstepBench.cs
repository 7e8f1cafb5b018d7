using System.Collections.Concurrent;
using Rt.ControlLoop.Scheduling;
using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.ProcessData;
using Rt.Core.Tick;
using Rt.Drivers.EtherCat.Link;
using Rt.Hil;
using Rt.Hil.Drives;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Campaign;
using Rt.Session;
using Rt.Safety;
using Rt.TestSupport;
using Xunit;
using Rt.Drivers.Cia402;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Host.Tests;

/// <summary>
/// The whole host on the emulated bench (biped12, EtherCAT to the emulated slaves), stepped one tick at a time in
/// lockstep so a test can look at the bench, the process image and the supervisor between ticks.
/// Tick k: the exchange sends the outputs written in tick k−1 and reads inputs; the supervisor decides; the outputs
/// are written into the image; then the plant advances one period.
/// </summary>
internal sealed class LockstepBench : IDisposable
{
    private readonly LockstepScheduler _scheduler;
    private readonly double[] _previousVelocity;
    private readonly ConcurrentQueue<SafetyEvent> _events = new();
    private bool _disposed;

    public LockstepBench(bool? twin = false, bool enableMotion = true, Action<RtConfig>? tweak = null)
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        // The trigger tests isolate one trigger: without the twin its divergence/collision detectors cannot fire first.
        if (twin is bool enabled) config.Twin.Enabled = enabled; // null: as the config says
        tweak?.Invoke(config);
        string stateDirectory = Directory.CreateTempSubdirectory("rt-safety-bench-").FullName;
        try
        {
            Session = BenchSession.Create(config, new SessionOptions
            {
                Bench = true,
                Lockstep = true,
                Seed = 1,
                EnableMotion = enableMotion,
                StateDirectory = stateDirectory,
            });
        }
        catch
        {
            // A config the bench refuses (tests assert the exception): no instance, so no Dispose to delete the folder.
            TempFolders.Delete(stateDirectory);
            throw;
        }
        Session.SafetyEventForwarded += e => _events.Enqueue(e);
        _scheduler = Session.CreateLockstep();
        _previousVelocity = new double[State.Velocity.Length];
        Policy = Session.Supervisor!.Policy;
    }

    public HostSession Session { get; }
    public SafetyPolicy Policy { get; }
    public TickState State => Session.State;
    public RtConfig Config => Session.Config;
    public Bench Bench => Session.Bench!.Bench;
    public EscSegment Segment => Session.BenchBridge!.Segment;
    public LoopbackLink Link => (LoopbackLink)Session.Master!.Link;
    public int Joints => Config.Joints.Count;

    /// <summary>The tick that runs on the next <see cref="Step"/>.</summary>
    public long NextTick { get; private set; }

    /// <summary>The tick whose results are in <see cref="State"/>.</summary>
    public long LastTick => NextTick - 1;

    public int Joint(string name) => Config.Joints.FindIndex(j => j.Name == name);

    /// <summary>The emulated EtherCAT slave that carries joint <paramref name="joint"/>'s drive.</summary>
    public ServoDriveDevice DriveDevice(int joint) => (ServoDriveDevice)Segment.Slaves[Config.Joints[joint].Drive];

    public void Step()
    {
        Array.Copy(State.Velocity, _previousVelocity, _previousVelocity.Length); // the tick before, for the ramp's start
        _scheduler.Run(1, NextTick);
        NextTick++;
    }

    public void Run(long ticks)
    {
        _scheduler.Run(ticks, NextTick);
        NextTick += ticks;
    }

    /// <summary>Runs until the supervisor is operational, then <paramref name="settleTicks"/> more.</summary>
    public void RunUntilOperational(int settleTicks = 200, int maxTicks = 500)
    {
        for (int i = 0; i < maxTicks && State.SafetyState != SafetyState.Operational; i++) Step();
        Assert.True(State.SafetyState == SafetyState.Operational, $"not operational after {maxTicks} ticks: {State.SafetyState}");
        Run(settleTicks);
        Assert.Equal(SafetyState.Operational, State.SafetyState);
        Assert.True(State.AllDrivesOperational, "every drive in operation enabled");
    }

    /// <summary>
    /// Steps until the supervisor leaves <paramref name="from"/>. <paramref name="condition"/> is evaluated after every
    /// tick on the tick's own data (image, SI state, faults) and must not ask the supervisor; t0 is the first tick of
    /// the last unbroken run in which it held before the trip.
    /// </summary>
    public (long T0, long TTrip) StepUntilTrip(Func<bool> condition, int maxTicks, SafetyState from = SafetyState.Operational)
    {
        long t0 = -1;
        for (int i = 0; i < maxTicks; i++)
        {
            Step();
            bool tripped = State.SafetyState != from;
            bool holds = condition();
            if (holds && t0 < 0) t0 = LastTick;
            if (tripped)
            {
                if (t0 < 0)
                {
                    long tick = LastTick;
                    var state = State.SafetyState;
                    Assert.Fail($"the supervisor left {from} at tick {tick} (now {state}) but the condition was never seen; events: {string.Join("; ", CloseAndTakeEvents().Where(e => e.Tick == tick))}");
                }
                return (t0, LastTick);
            }
            if (!holds) t0 = -1;
        }
        Assert.Fail($"no trip within {maxTicks} ticks (condition {(t0 >= 0 ? $"true since tick {t0}" : "not true")})");
        return default;
    }

    /// <summary>Steps until the supervisor leaves <paramref name="from"/> (no condition tracked); returns that tick.</summary>
    public long StepUntilLeaves(SafetyState from, int maxTicks)
    {
        for (int i = 0; i < maxTicks; i++)
        {
            Step();
            if (State.SafetyState != from) return LastTick;
        }
        Assert.Fail($"still {from} after {maxTicks} ticks");
        return -1;
    }

    public bool HasFault(FaultCode code) => State.Faults.Contains(code);

    /// <summary>Asserts the bound of docs/SAFETY.md: decided after exactly the discrepancy, never later than discrepancy + 1.</summary>
    public int AssertReactionBound(SafetyTrigger trigger, long t0, long tTrip)
    {
        int d = Policy[trigger].DiscrepancyTicks;
        Assert.True(tTrip - t0 <= d + 1, $"{trigger}: t0 {t0}, trip {tTrip}: {tTrip - t0} ticks > discrepancy {d} + 1");
        Assert.True(tTrip - t0 >= d - 1, $"{trigger}: t0 {t0}, trip {tTrip}: decided before the condition held {d} ticks");
        return d;
    }

    /// <summary>
    /// Cat 0: after the trip tick the image carries "disable voltage" (0x0000) for every drive and the enable output is
    /// off; after the next exchange every emulated drive got 0x0000 and left operation enabled (none produces torque).
    /// <paramref name="deliveredAfter"/> = extra ticks with the bus down before a frame can reach the slaves.
    /// </summary>
    public void AssertCat0StopSentAndReceived(int deliveredAfter = 0, int skipDriveJoint = -1)
    {
        Assert.Equal(SafetyState.Faulted, State.SafetyState);
        Assert.Equal(DrivePowerRequest.Off, State.PowerRequest);
        Assert.False(Session.BenchEnableOutput!.Level, "enable output de-energised in the trip tick");
        for (int j = 0; j < Joints; j++)
            Assert.True(State.Image.Outputs[j].Controlword == 0x0000, $"{Config.Joints[j].Name}: controlword 0x{State.Image.Outputs[j].Controlword:X4} after the trip tick, expected 0x0000 (disable voltage)");
        for (int k = 0; k <= deliveredAfter; k++) Step();
        for (int j = 0; j < Joints; j++)
        {
            if (j == skipDriveJoint) continue;
            Assert.True(DriveDevice(j).Command.Controlword == 0x0000, $"{Config.Joints[j].Name}: slave received controlword 0x{DriveDevice(j).Command.Controlword:X4}");
            var st = Bench.Drives[j].State;
            Assert.True(st is DriveState.SwitchOnDisabled or DriveState.Fault or DriveState.FaultReactionActive,
                $"{Config.Joints[j].Name}: emulated drive in {st} after the stop frame");
        }
    }

    /// <summary>
    /// Cat 1/2: after the trip tick the supervisor is stopping with power kept, and every drive's image targets are the
    /// ramp's first step computed here from the measured position and velocity at the trip (SAFETY.md "Reactions");
    /// after the next exchange each slave received exactly those targets and the drive is still enabled (ramping).
    /// </summary>
    public void AssertRampStopSentAndReceived() => AssertStopSentAndReceived(hold: false);

    /// <summary>The collision's compliant hold (docs/SAFETY.md): every joint's target is its measured position moved back by the reflex, velocity 0.</summary>
    public void AssertHoldStopSentAndReceived() => AssertStopSentAndReceived(hold: true);

    private void AssertStopSentAndReceived(bool hold)
    {
        Assert.Equal(SafetyState.Stopping, State.SafetyState);
        Assert.Equal(DrivePowerRequest.Operate, State.PowerRequest);
        Assert.True(State.TargetsOverridden);
        Assert.True(Session.BenchEnableOutput!.Level, "SS1/SS2 keeps power during the ramp");
        double dt = Session.PeriodNs * 1e-9, decel = Policy.StopDecelerationRadS2;
        var sent = new DriveOutputs[Joints];
        for (int j = 0; j < Joints; j++)
        {
            // The ramp starts from the measured velocity unless it gained more than the ramp monitor's slack (deceleration
            // × 50 ms + 0.05 rad/s) since the tick before; then from the tick before's (docs/SAFETY.md, "Where a ramp starts").
            double p0 = State.Position[j], vm = State.Velocity[j], vPrev = _previousVelocity[j];
            double v0 = hold || Math.Abs(vm) <= Math.Abs(vPrev) + decel * 0.05 + 0.05 ? vm : vPrev;
            double tc = Math.Min(dt, Math.Abs(v0) / decel);
            // The hold's reflex (docs/SAFETY.md): back along the way the joint came by |v0|·10 ms, at most 30 mrad (well
            // inside the hold's give of half the following-error limit, so no clamp on the first tick).
            double ramp = hold ? p0 - Math.Sign(v0) * Math.Min(Math.Abs(v0) * 0.010, 0.03) : p0 + v0 * tc - Math.Sign(v0) * 0.5 * decel * tc * tc;
            var scaling = new Rt.Drivers.Cia402.JointScaling(Config.Joints[j]);
            // The ramp goes out as decided, not clamped to the limits (after a limit trip it starts outside them).
            int expected = scaling.PositionToCounts(ramp);
            ref readonly var o = ref State.Image.Outputs[j];
            Assert.True(o.Controlword == 0x000F, $"{Config.Joints[j].Name}: controlword 0x{o.Controlword:X4}, expected enable operation during the ramp");
            Assert.True(Math.Abs(o.TargetPosition - expected) <= 1, $"{Config.Joints[j].Name}: target {o.TargetPosition} counts, ramp step {expected}");
            double rampV = hold ? 0 : Math.Abs(v0) > decel * dt ? v0 - Math.Sign(v0) * decel * dt : 0;
            Assert.True(Math.Abs(o.VelocityOffset - scaling.VelocityToCounts(rampV)) <= 1, $"{Config.Joints[j].Name}: velocity offset {o.VelocityOffset}, ramp {scaling.VelocityToCounts(rampV)}");
            Assert.Equal(0, o.TorqueOffset);
            sent[j] = o;
        }
        Step();
        for (int j = 0; j < Joints; j++)
        {
            var got = DriveDevice(j).Command;
            Assert.Equal(sent[j].Controlword, got.Controlword);
            Assert.Equal(sent[j].TargetPosition, got.TargetPosition);
            Assert.Equal(sent[j].VelocityOffset, got.VelocityOffset);
            Assert.Equal(DriveState.OperationEnabled, Bench.Drives[j].State);
        }
    }

    /// <summary>Disposes the session (its safety log drains and fsyncs the rest) and returns every forwarded event.</summary>
    public List<SafetyEvent> CloseAndTakeEvents()
    {
        Dispose();
        return [.. _events];
    }

    /// <summary>The logged trip event of tick <paramref name="tick"/> (after <see cref="CloseAndTakeEvents"/>).</summary>
    public static SafetyEvent TripEvent(List<SafetyEvent> events, long tick)
    {
        var e = events.Where(x => x.Tick == tick && x.From != x.To).ToList();
        Assert.True(e.Count == 1, $"one state change logged in tick {tick}; log: {string.Join("; ", events)}");
        return e[0];
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Session.Dispose();
        TempFolders.Delete(Session.StateDirectory);
    }
}
