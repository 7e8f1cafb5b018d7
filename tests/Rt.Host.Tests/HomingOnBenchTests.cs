using System.Collections.Concurrent;
using Rt.ControlLoop.Scheduling;
using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Hil.Campaign;
using Rt.Hil.Drives;
using Rt.Safety.Jog;
using Rt.Session;
using Rt.TestSupport;
using Xunit;

namespace Rt.Host.Tests;

/// <summary>
/// Homing by hand on the bench (issue 15): biped12 in lockstep over the in-process EtherCAT segment. The homing objects
/// go to the emulated drives by SDO when the session starts; the tick switches the drive to mode 6 and raises bit 4;
/// the drive's homing runs on the MuJoCo plant; requests are submitted between ticks as the socket's thread does.
/// </summary>
public sealed class HomingOnBenchTests : IDisposable
{
    private readonly ConcurrentQueue<SafetyEvent> _events = new();
    private HostSession? _session;
    private LockstepScheduler? _scheduler;
    private long _tick;

    private HostSession Start(Dictionary<string, double> pose, bool enableMotion = false, Action<RtConfig>? edit = null)
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Twin.Enabled = false; // homing moves the encoder's frame: judged here by the supervisor's own triggers
        config.Homing.Joints.Add(new HomingJointConfig { Joint = "l_knee", Method = 35, HomeOffsetRad = 0.3 });
        config.Homing.Joints.Add(new HomingJointConfig { Joint = "r_hip_yaw", Method = 17, SwitchSpeedRadS = 0.1, ZeroSpeedRadS = 0.02, AccelerationRadS2 = 1, HomeOffsetRad = -0.25 });
        edit?.Invoke(config);
        _session = BenchSession.Create(config, new SessionOptions
        {
            Bench = true,
            Lockstep = true,
            EnableMotion = enableMotion,
            InitialPose = pose,
            StateDirectory = Directory.CreateTempSubdirectory("rt-homing-bench-").FullName,
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

    private int Joint(string name) => _session!.Config.Joints.FindIndex(j => j.Name == name);
    private HomingMode Homing => _session!.Homing!;
    private EmulatedServoDrive Drive(string name) => ((BenchRig)_session!.Rig!).Bench.Drives[Joint(name)];
    private double TrueAngle(string name) => ((BenchRig)_session!.Rig!).Bench.Plant.JointPosition(Joint(name));

    private HomingStatus Request(string joint, JogSource source = JogSource.LocalResetSocket)
    {
        long seq = Homing.Submit(HomingCommandKind.Start, source, Joint(joint));
        Run(1);
        var st = Homing.Status;
        Assert.Equal(seq, st.CommandSeq);
        return st;
    }

    /// <summary>Holds the button (a renewal every 100 ms) until the homing is over; returns the ticks it took.</summary>
    private long HoldUntilIdle(string joint, long maxTicks, Action? everyTick = null)
    {
        long t = 0;
        while (t < maxTicks && Homing.Phase != HomingModePhase.Idle)
        {
            if (t % 100 == 0) Homing.Submit(HomingCommandKind.Hold, JogSource.LocalResetSocket, Joint(joint));
            Run(1);
            everyTick?.Invoke();
            t++;
        }
        return t;
    }

    private List<HomingEventKind> HomingEvents()
    {
        _session!.Dispose();
        return [.. _events.Where(e => e.Trigger == FaultCode.ManualHoming).Select(e => (HomingEventKind)ManualEventCode.Decode(e.Value).Kind)];
    }

    [Fact]
    public void Method_35_homes_the_knee_where_it_stands_the_position_reads_the_home_offset_and_nothing_moves()
    {
        var s = Start(new() { ["l_knee"] = 0.5 });
        Run(50);
        Assert.Equal(SafetyState.Disabled, s.Supervisor!.State);
        int knee = Joint("l_knee");
        Assert.InRange(s.State.Position[knee], 0.49, 0.51);
        double trueBefore = TrueAngle("l_knee");
        Assert.Equal(35, Drive("l_knee").Homing.Method); // the set-up went over SDO to the drive's 0x6098

        Assert.Equal(HomingEventKind.Started, Request("l_knee").StartOutcome);
        bool sawMode6 = false, powered = false;
        HoldUntilIdle("l_knee", 5000, () =>
        {
            sawMode6 |= s.State.Image.Outputs[knee].ModeOfOperation == 6 && (s.State.Image.Outputs[knee].Controlword & 0x10) != 0;
            powered |= s.State.PowerRequest == DrivePowerRequest.Operate;
        });
        Assert.True(sawMode6, "0x6060 = 6 with controlword bit 4 went out");
        Assert.True(powered);
        Assert.Equal(HomingModePhase.Idle, Homing.Phase);
        Assert.Equal(HomingEventKind.Attained, Homing.Status.EndEvent);
        Assert.InRange(s.State.Position[knee], 0.29, 0.31);                   // reads the home offset now
        Assert.InRange(TrueAngle("l_knee") - trueBefore, -0.01, 0.01);        // and did not move
        Assert.Equal(8, s.State.Image.Outputs[knee].ModeOfOperation);         // back to CSP
        Assert.Equal(DrivePowerRequest.Off, s.State.PowerRequest);            // settled, then STO
        Assert.Equal(SafetyState.Disabled, s.Supervisor.State);               // no trip on the way
        Assert.Equal([HomingEventKind.Started, HomingEventKind.Attained, HomingEventKind.Settled], HomingEvents());
    }

    [Fact]
    public void Method_17_searches_the_negative_switch_at_the_set_up_speed_and_homes_at_its_edge_allocating_nothing_per_tick()
    {
        var s = Start(new() { ["r_hip_yaw"] = -0.2 });
        Drive("r_hip_yaw").SetLimitSwitches(-0.35, 0.45); // switches mounted inside the supervisor's range [-0.5, 0.5]
        Run(50);
        int yaw = Joint("r_hip_yaw");
        Assert.Equal(HomingEventKind.Started, Request("r_hip_yaw").StartOutcome);
        double maxSpeed = 0;
        HoldUntilIdle("r_hip_yaw", 600, () => maxSpeed = Math.Max(maxSpeed, Math.Abs(s.State.Velocity[yaw])));
        Assert.Equal(HomingModePhase.Homing, Homing.Phase);

        // 0 bytes per tick with homing active (after 0.6 s of it: JIT tiering done for these paths); 200 ms < the hold timeout.
        Homing.Submit(HomingCommandKind.Hold, JogSource.LocalResetSocket, yaw);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(200);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);

        HoldUntilIdle("r_hip_yaw", 10_000, () => maxSpeed = Math.Max(maxSpeed, Math.Abs(s.State.Velocity[yaw])));
        Assert.Equal(HomingEventKind.Attained, Homing.Status.EndEvent);
        Assert.InRange(maxSpeed, 0.05, 0.1 * 1.5); // at the switch speed, never far beyond it
        Assert.InRange(TrueAngle("r_hip_yaw"), -0.37, -0.33); // stopped at the switch's edge
        // The encoder's frame moved: the edge reads the home offset (-0.25), the joint at most a standstill away from it.
        Assert.InRange(s.State.Position[yaw] - (TrueAngle("r_hip_yaw") - (-0.35)), -0.25 - 0.01, -0.25 + 0.01);
        Assert.Equal(SafetyState.Disabled, s.Supervisor!.State);
        Assert.Equal([HomingEventKind.Started, HomingEventKind.Attained, HomingEventKind.Settled], HomingEvents());
    }

    [Fact]
    public void Homing_is_refused_while_the_robot_is_enabled_from_the_network_for_a_joint_without_set_up_and_times_out_on_the_tick_clock()
    {
        var s = Start(new() { ["r_hip_yaw"] = -0.2 }, edit: c => c.Homing.TimeoutS = 0.5);
        Drive("r_hip_yaw").SetLimitSwitches(-0.45, 0.45); // 0.25 rad away at 0.1 rad/s: more than the 0.5 s timeout
        Run(50);
        Assert.Equal(HomingEventKind.RefusedNetwork, Request("r_hip_yaw", JogSource.Network).StartOutcome);
        Assert.Equal(HomingEventKind.RefusedNoHoming, Request("l_hip_yaw").StartOutcome);
        Assert.Equal(HomingModePhase.Idle, Homing.Phase);
        Assert.Equal(DrivePowerRequest.Off, s.State.PowerRequest); // nothing moved

        Assert.Equal(HomingEventKind.Started, Request("r_hip_yaw").StartOutcome);
        long ticks = HoldUntilIdle("r_hip_yaw", 5000);
        Assert.Equal(HomingEventKind.TimedOut, Homing.Status.EndEvent);
        Assert.InRange(ticks, 500, 500 + 300 + 50); // the timeout, then the settle
        Assert.Equal(0, Drive("r_hip_yaw").HomeShiftCounts); // never homed
    }

    [Fact]
    public void Homing_is_refused_while_the_robot_runs_its_program()
    {
        var s = Start(new() { ["l_knee"] = 0.5 }, enableMotion: true);
        Run(1500);
        Assert.Equal(SafetyState.Operational, s.Supervisor!.State);
        Assert.Equal(HomingEventKind.RefusedNotDisabled, Request("l_knee").StartOutcome);
        Assert.Equal(HomingModePhase.Idle, Homing.Phase);
        Assert.Equal(0, Drive("l_knee").HomeShiftCounts);
    }

    /// <summary>The bench's brake outputs: a release by hand opens the emulated drive's holding brake (0x60FE's job on a real drive).</summary>
    private sealed class BenchBrakes(IReadOnlyList<EmulatedServoDrive> drives) : IBrakeOutputs
    {
        public int Joints => drives.Count;
        public void SetReleased(int joint, bool released) => drives[joint].Brake!.ManualRelease = released;
        public bool IsReleased(int joint) => drives[joint].Brake!.ManualRelease;
    }

    [Fact]
    public void A_brake_released_by_hand_lets_the_unpowered_knee_sag_only_while_held_and_re_engages_within_the_hold_timeout()
    {
        var s = Start(new() { ["l_knee"] = 0.8 });
        var brakes = new BrakeHold(new BenchBrakes(((BenchRig)s.Rig!).Bench.Drives), s.Supervisor!, TimeSpan.FromSeconds(s.Config.Jog.HoldTimeoutS));
        Homing.Brakes = brakes; // the lockstep test thread is the tick thread: set between ticks
        Run(200);
        int knee = Joint("l_knee");
        Assert.Equal(SafetyState.Disabled, s.Supervisor!.State);
        Assert.Equal(DrivePowerRequest.Off, s.State.PowerRequest);
        double q0 = TrueAngle("l_knee");
        Run(100);
        Assert.InRange(TrueAngle("l_knee") - q0, -0.002, 0.002); // braked, unpowered: it stays

        brakes.Submit(BrakeCommandKind.Release, JogSource.LocalResetSocket, knee);
        Run(1);
        Assert.True(brakes.Status.Released);
        for (int t = 0; t < 150; t++)
        {
            if (t % 100 == 0) brakes.Submit(BrakeCommandKind.Hold, JogSource.LocalResetSocket, knee);
            Run(1);
        }
        double sag = TrueAngle("l_knee") - q0;
        Assert.True(Math.Abs(sag) > 0.005, $"the released knee sags under gravity ({sag} rad)");

        // No renewal since tick 100 of 150: re-engaged once the hold timeout has passed on the tick's clock.
        long holdTicks = (long)(s.Config.Jog.HoldTimeoutS * 1000);
        long waited = 0;
        while (brakes.Status.Released && waited < 5 * holdTicks) { Run(1); waited++; }
        Assert.InRange(waited, 1, holdTicks - 50 + 2);
        Run(60); // the brake's engage time (20 ms) and its spring catching the joint
        double caught = TrueAngle("l_knee");
        Run(500);
        Assert.InRange(TrueAngle("l_knee") - caught, -0.003, 0.003); // stopped once re-engaged
        Assert.Equal(DrivePowerRequest.Off, s.State.PowerRequest); // never powered
        var brakeEvents = CloseAndTakeBrakeEvents();
        Assert.Equal([BrakeEventKind.Released, BrakeEventKind.Engaged], brakeEvents);
    }

    private List<BrakeEventKind> CloseAndTakeBrakeEvents()
    {
        _session!.Dispose();
        return [.. _events.Where(e => e.Trigger == FaultCode.ManualBrake).Select(e => (BrakeEventKind)ManualEventCode.Decode(e.Value).Kind)];
    }

    public void Dispose()
    {
        if (_session == null) return;
        _session.Dispose();
        try { Directory.Delete(_session.StateDirectory, recursive: true); }
        catch (IOException) { }
    }
}
