using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety.Jog;

namespace Rt.Safety.Tests;

/// <summary>A brake released by hand, hold-to-run, inside the supervisor's tick: bounded re-engagement on the tick's clock.</summary>
public sealed class BrakeHoldTests
{
    private sealed class Brakes(int n) : IBrakeOutputs
    {
        public readonly bool[] Released = new bool[n];
        public int Joints => n;
        public void SetReleased(int joint, bool released) => Released[joint] = released;
        public bool IsReleased(int joint) => Released[joint];
    }

    private static (Rig Rig, HomingMode Homing, BrakeHold Hold, Brakes Out) Start()
    {
        var rig = new Rig();
        rig.S.MotionRequested = false; // no program motion: the supervisor stays Disabled
        var jog = new JogMode(rig.Config, rig.Sup);
        var homing = new HomingMode(rig.Config, rig.Sup, jog);
        var outputs = new Brakes(rig.Config.Joints.Count);
        var hold = new BrakeHold(outputs, rig.Sup, TimeSpan.FromMilliseconds(100));
        homing.Brakes = hold;
        rig.Run(5);
        Assert.Equal(SafetyState.Disabled, rig.State);
        return (rig, homing, hold, outputs);
    }

    private static List<BrakeEventKind> BrakeEvents(Rig rig) =>
        [.. rig.Log.Where(e => e.Trigger == FaultCode.ManualBrake).Select(e => (BrakeEventKind)ManualEventCode.Decode(e.Value).Kind)];

    [Fact]
    public void A_release_lasts_while_renewed_and_re_engages_in_the_first_tick_past_the_hold_timeout()
    {
        var (rig, _, hold, outputs) = Start();
        hold.Submit(BrakeCommandKind.Release, JogSource.LocalResetSocket, 1);
        rig.Step();
        Assert.True(outputs.Released[1]);
        for (int i = 0; i < 300; i++)
        {
            if (i % 50 == 0) hold.Submit(BrakeCommandKind.Hold, JogSource.LocalResetSocket, 1);
            rig.Step();
            Assert.True(outputs.Released[1], $"released at tick {i} while renewed");
        }
        // The last renewal was at tick 250 of 300: 50 ms ago. The brake closes once 100 ms have passed, not later.
        int t = 0;
        while (outputs.Released[1] && t < 1000) { rig.Step(); t++; }
        Assert.InRange(t, 50, 52);
        Assert.Equal([BrakeEventKind.Released, BrakeEventKind.Engaged], BrakeEvents(rig));
        Assert.Equal(SafetyState.Disabled, rig.State);
    }

    [Fact]
    public void A_release_is_refused_from_the_network_beside_a_motion_and_for_an_enabled_drive_and_engage_always_works()
    {
        var (rig, _, hold, outputs) = Start();
        hold.Submit(BrakeCommandKind.Release, JogSource.Network, 1);
        rig.Step();
        Assert.False(outputs.Released[1]);
        hold.Submit(BrakeCommandKind.Release, JogSource.LocalInput, 99);
        rig.Step();

        // The program enables the robot: no release while it may move.
        rig.S.MotionRequested = true;
        rig.Run(200);
        Assert.Equal(SafetyState.Operational, rig.State);
        hold.Submit(BrakeCommandKind.Release, JogSource.LocalInput, 1);
        rig.Step();
        Assert.False(outputs.Released[1]);
        Assert.Equal(BrakeEventKind.RefusedNotDisabled, hold.Status.LastEvent);

        hold.Submit(BrakeCommandKind.Engage, JogSource.LocalInput, 1);
        rig.Step();
        Assert.Equal([BrakeEventKind.RefusedNetwork, BrakeEventKind.RefusedJoint, BrakeEventKind.RefusedNotDisabled, BrakeEventKind.Engaged], BrakeEvents(rig));
    }

    [Fact]
    public void A_released_brake_closes_at_once_when_the_supervisor_leaves_disabled()
    {
        var (rig, _, hold, outputs) = Start();
        hold.Submit(BrakeCommandKind.Release, JogSource.LocalInput, 1);
        rig.Step();
        Assert.True(outputs.Released[1]);
        rig.S.MotionRequested = true; // enabling begins this tick
        rig.Step();
        rig.Step();
        Assert.False(outputs.Released[1]);
    }

    [Fact]
    public void The_brake_hold_and_an_idle_homing_allocate_nothing_per_tick()
    {
        var (rig, _, hold, _) = Start();
        hold.Submit(BrakeCommandKind.Release, JogSource.LocalInput, 1);
        rig.Run(200);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            if (i % 50 == 0) hold.Submit(BrakeCommandKind.Hold, JogSource.LocalInput, 1);
            rig.Step();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
