using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety.Jog;

namespace Rt.Safety.Tests;

/// <summary>The jog inside the supervisor: monitored like any motion, ended by any trip, allocation-free on the tick.</summary>
public sealed class JogModeTests
{
    private static (Rig Rig, JogMode Jog) Start()
    {
        var rig = new Rig();
        rig.S.MotionRequested = false; // no program motion: the supervisor stays Disabled
        var jog = new JogMode(rig.Config, rig.Sup);
        rig.Run(5);
        Assert.Equal(SafetyState.Disabled, rig.State);
        return (rig, jog);
    }

    private static void Hold(Rig rig, JogMode jog, int ticks)
    {
        for (int i = 0; i < ticks; i++)
        {
            if (i % 50 == 0) jog.Submit(JogCommandKind.Hold, JogSource.LocalInput, 1, 0, 0);
            rig.Step();
        }
    }

    [Fact]
    public void A_following_error_while_jogging_trips_the_supervisor_and_ends_the_jog_in_that_tick()
    {
        var (rig, jog) = Start();
        jog.Submit(JogCommandKind.Start, JogSource.LocalInput, 1, +1, 0.05);
        Hold(rig, jog, 100);
        Assert.Equal(JogPhase.Jogging, jog.Phase);
        Assert.Equal(DrivePowerRequest.Operate, rig.S.PowerRequest);

        rig.Condition = s => s.Position[1] -= 0.3; // the knee does not follow the jog's targets
        int ticks = 0;
        while (jog.Phase != JogPhase.Idle && ticks < 100) { rig.Step(); ticks++; }
        Assert.InRange(ticks, 1, 20);
        Assert.Equal(DrivePowerRequest.Off, rig.S.PowerRequest);
        Assert.Equal(JogEventKind.StoppedByTrip, jog.Status.LastEvent);
        Assert.Contains(rig.Log, e => e.Trigger == FaultCode.FollowingError && e.Channel == 1);
        Assert.NotEqual(SafetyState.Disabled, rig.State); // the trip latched
    }

    [Fact]
    public void Jogging_is_refused_beside_a_running_motion()
    {
        var rig = new Rig().Operational();
        var jog = new JogMode(rig.Config, rig.Sup);
        jog.Submit(JogCommandKind.Start, JogSource.LocalInput, 1, +1, 0.05);
        rig.Step();
        Assert.Equal(JogEventKind.RefusedNotDisabled, jog.Status.StartOutcome);
        Assert.Equal(JogPhase.Idle, jog.Phase);
    }

    [Fact]
    public void A_speed_above_the_joints_own_bound_is_refused_and_logged()
    {
        var rig = new Rig(c => c.Jog.JointMaxSpeedRadS["knee"] = 0.02);
        rig.S.MotionRequested = false;
        var jog = new JogMode(rig.Config, rig.Sup);
        rig.Run(5);
        jog.Submit(JogCommandKind.Start, JogSource.LocalInput, 1, +1, 0.05);
        rig.Step();
        Assert.Equal(JogEventKind.RefusedSpeed, jog.Status.StartOutcome);
        var e = Assert.Single(rig.Log, x => x.Trigger == FaultCode.ManualJog);
        Assert.Equal(JogEventKind.RefusedSpeed, (JogEventKind)ManualEventCode.Decode(e.Value).Kind);
        Assert.Equal(JogSource.LocalInput, ManualEventCode.Decode(e.Value).Source);
    }

    [Fact]
    public void The_jog_on_the_tick_allocates_nothing()
    {
        var (rig, jog) = Start();
        rig.DrainEvents = false;
        void Cycle()
        {
            jog.Submit(JogCommandKind.Start, JogSource.LocalInput, 1, +1, 0.05);
            for (int i = 0; i < 1000; i++)
            {
                if (i % 50 == 0 && i < 200) jog.Submit(JogCommandKind.Hold, JogSource.LocalInput, 1, 0, 0);
                rig.Step(); // held 200 ms, then let go: stop, settle, STO
                while (rig.Events.TryPop(out _)) { }
            }
            _ = jog.Status;
        }
        Cycle();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 5; k++) Cycle();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(JogPhase.Idle, jog.Phase);
    }
}
