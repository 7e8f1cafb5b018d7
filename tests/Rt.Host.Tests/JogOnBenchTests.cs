using System.Collections.Concurrent;
using Rt.ControlLoop.Scheduling;
using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Hil.Campaign;
using Rt.Safety.Jog;
using Rt.Session;
using Rt.TestSupport;
using Xunit;

namespace Rt.Host.Tests;

/// <summary>
/// Recovering a robot by hand on the bench (issue 15): biped12 in lockstep (simulated time: the hold-to-run deadline is
/// judged on the tick's clock), jog requests submitted between ticks as the reset socket's thread does.
/// </summary>
public sealed class JogOnBenchTests : IDisposable
{
    private const double KneeStart = -0.12; // l_knee's range is [-0.05, 2.3] rad: 0.07 rad below it
    private readonly ConcurrentQueue<SafetyEvent> _events = new();
    private HostSession? _session;
    private LockstepScheduler? _scheduler;
    private long _tick;

    private HostSession Start(Dictionary<string, double>? pose)
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Twin.Enabled = false; // the jog is judged by the supervisor's own triggers here
        _session = BenchSession.Create(config, new SessionOptions
        {
            Bench = true,
            Lockstep = true,
            EnableMotion = false, // as `rt run --start-disabled`: no program motion
            InitialPose = pose,
            StateDirectory = Directory.CreateTempSubdirectory("rt-jog-bench-").FullName,
        });
        _session.SafetyEventForwarded += e => _events.Enqueue(e);
        _scheduler = _session.CreateLockstep();
        return _session;
    }

    private void Run(long ticks)
    {
        _scheduler!.Run(ticks, _tick);
        _tick += ticks;
    }

    private int Knee => _session!.Config.Joints.FindIndex(j => j.Name == "l_knee");
    private JogMode Jog => _session!.Jog!;

    private JogStatus StartJog(int direction, double speed = 0.05)
    {
        long seq = Jog.Submit(JogCommandKind.Start, JogSource.LocalResetSocket, Knee, direction, speed);
        Run(1);
        var st = Jog.Status;
        Assert.Equal(seq, st.CommandSeq);
        return st;
    }

    /// <summary>Holds the button (a renewal every 100 ms) until the jog is over; returns the ticks it took.</summary>
    private long HoldUntilIdle(long maxTicks, Action? everyTick = null)
    {
        long t = 0;
        while (t < maxTicks && Jog.Phase != JogPhase.Idle)
        {
            if (t % 100 == 0) Jog.Submit(JogCommandKind.Hold, JogSource.LocalResetSocket, Knee, 0, 0);
            Run(1);
            everyTick?.Invoke();
            t++;
        }
        return t;
    }

    private List<SafetyEvent> CloseAndTakeEvents()
    {
        _session!.Dispose();
        return [.. _events];
    }

    [Fact]
    public void A_robot_started_outside_a_joint_limit_latches_is_jogged_back_inside_and_then_resets()
    {
        var s = Start(new() { ["l_knee"] = KneeStart });
        var sup = s.Supervisor!;
        Run(50);
        Assert.Equal(SafetyState.Faulted, sup.State); // latched at power-up: position limit
        Assert.Equal(DrivePowerRequest.Off, s.State.PowerRequest);

        // The reset is refused while the knee is outside: the cause persists.
        sup.RequestReset();
        Run(2);
        Assert.False(sup.LastResetOutcome.Accepted);
        Assert.Equal(FaultCode.PositionLimit, sup.LastResetOutcome.Cause);

        // Away from the range: refused, nothing powered.
        var away = StartJog(-1);
        Assert.Equal(JogEventKind.RefusedDirection, away.StartOutcome);
        Assert.Equal(JogPhase.Idle, Jog.Phase);
        Assert.Equal(DrivePowerRequest.Off, s.State.PowerRequest);

        // Toward it: the drives are enabled in place, the knee moves at ≤ the jog speed, every other joint holds.
        int knee = Knee;
        var others = Enumerable.Range(0, s.State.JointCount).Where(j => j != knee).ToDictionary(j => j, j => s.State.Position[j]);
        var toward = StartJog(+1, 0.05);
        Assert.Equal(JogEventKind.Started, toward.StartOutcome);
        double maxTargetStep = 0, prevTarget = double.NaN, maxOtherMove = 0;
        bool powered = false;
        long ticks = HoldUntilIdle(10_000, () =>
        {
            powered |= s.State.PowerRequest == DrivePowerRequest.Operate;
            double target = s.State.TargetPosition[knee];
            if (s.State.PowerRequest == DrivePowerRequest.Operate && double.IsFinite(prevTarget)) maxTargetStep = Math.Max(maxTargetStep, Math.Abs(target - prevTarget));
            prevTarget = target;
            foreach (var (j, q0) in others) maxOtherMove = Math.Max(maxOtherMove, Math.Abs(s.State.Position[j] - q0));
        });
        Assert.True(powered, "the jog powered the drives");
        Assert.True(ticks < 10_000, "the jog ended");
        Assert.InRange(maxTargetStep, 0, 0.05 * 0.001 + 1e-9); // never faster than the asked 0.05 rad/s
        Assert.InRange(maxOtherMove, 0, 0.01);
        Assert.InRange(s.State.Position[knee], -0.05, 0.0); // inside, the margin (0.01 rad) from the edge
        Assert.Equal(DrivePowerRequest.Off, s.State.PowerRequest); // settled, then STO
        Assert.Equal(JogEventKind.Settled, Jog.Status.LastEvent);

        // Now the reset is accepted and the supervisor is Disabled: recovered.
        sup.RequestReset();
        Run(20);
        Assert.True(sup.LastResetOutcome.Accepted, $"reset: {Rt.Safety.LocalResetSocket.Describe(sup.LastResetOutcome)}");
        Assert.Equal(SafetyState.Disabled, sup.State);

        var jogEvents = CloseAndTakeEvents().Where(e => e.Trigger == FaultCode.ManualJog).Select(e => (JogEventKind)ManualEventCode.Decode(e.Value).Kind).ToList();
        Assert.Equal([JogEventKind.RefusedDirection, JogEventKind.Started, JogEventKind.ReachedRange, JogEventKind.Settled], jogEvents);
    }

    [Fact]
    public void Letting_go_of_the_hold_stops_the_joint_within_the_hold_timeout()
    {
        var s = Start(pose: new() { ["l_knee"] = 0.5 });
        Run(50);
        Assert.Equal(SafetyState.Disabled, s.Supervisor!.State);
        int knee = Knee;
        Assert.Equal(JogEventKind.Started, StartJog(+1, 0.1).StartOutcome);
        HoldUntilIdle(300); // held for 0.3 s (renewals at 0, 100, 200 ms)
        Assert.NotEqual(JogPhase.Idle, Jog.Phase);
        // No more renewals: the jog stops within the hold timeout on the tick's clock, the target frozen from then on.
        long holdTicks = (long)(s.Config.Jog.HoldTimeoutS * 1000);
        long t = 0;
        while (Jog.Phase == JogPhase.Jogging && t < 5 * holdTicks) { Run(1); t++; }
        Assert.InRange(t, 1, holdTicks + 2); // the last renewal was at 200 ms of 300 held
        Assert.Equal(JogEventKind.HoldReleased, Jog.Status.LastEvent);
        double frozen = s.State.TargetPosition[knee];
        Run(100);
        Assert.Equal(frozen, s.State.TargetPosition[knee]);
        Assert.InRange(Math.Abs(s.State.Velocity[knee]), 0, 0.02);
    }

    [Fact]
    public void A_trip_during_the_jog_ends_it_at_once_and_the_network_is_never_heard()
    {
        var s = Start(new() { ["l_knee"] = KneeStart });
        Run(50);
        Assert.Equal(JogEventKind.RefusedNetwork, new Func<JogStatus>(() =>
        {
            Jog.Submit(JogCommandKind.Start, JogSource.Network, Knee, +1, 0.05);
            Run(1);
            return Jog.Status;
        })().StartOutcome);
        Assert.Equal(JogEventKind.Started, StartJog(+1).StartOutcome);
        HoldUntilIdle(200);
        Assert.Equal(DrivePowerRequest.Operate, s.State.PowerRequest);
        s.BenchEstop!.Set(true); // the e-stop: a Cat 0 trigger, confirmed while the robot is latched
        Jog.Submit(JogCommandKind.Hold, JogSource.LocalResetSocket, Knee, 0, 0);
        Run(5);
        Assert.Equal(JogPhase.Idle, Jog.Phase);
        Assert.Equal(DrivePowerRequest.Off, s.State.PowerRequest);
        Assert.Equal(JogEventKind.StoppedByTrip, Jog.Status.LastEvent);
        // And no jog while the e-stop is pressed.
        Assert.Equal(JogEventKind.RefusedNotDisabled, StartJog(+1).StartOutcome);
    }

    public void Dispose()
    {
        if (_session == null) return;
        _session.Dispose();
        try { Directory.Delete(_session.StateDirectory, recursive: true); }
        catch (IOException) { }
    }
}
