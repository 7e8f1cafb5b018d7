using Rt.Core.Concurrency;
using Rt.Safety.Jog;
using Xunit;

namespace Rt.Safety.Tests;

/// <summary>CiA 402 homing mode (6098/6099/609A, mode 6) and brake commands by hand.</summary>
public sealed class HomingAndBrakeTests
{
    private const long Ms = 1_000_000;

    [Fact]
    public void Homing_set_up_writes_method_speeds_acceleration_and_offset_and_refuses_bad_values()
    {
        var w = HomingProcedure.Configuration(method: 35, switchSpeed: 20000, zeroSpeed: 2000, acceleration: 100000, homeOffset: -512);
        Assert.Equal([(0x6098, 0, 35L), (0x6099, 1, 20000L), (0x6099, 2, 2000L), (0x609A, 0, 100000L), (0x607C, 0, -512L)],
            w.Select(x => ((int)x.Index, (int)x.SubIndex, x.Value)));
        Assert.Throws<ArgumentOutOfRangeException>(() => HomingProcedure.Configuration(-1, 1, 1, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => HomingProcedure.Configuration(36, 1, 1, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => HomingProcedure.Configuration(1, 100, 200, 1, 0));
    }

    [Fact]
    public void Homing_switches_to_mode_6_then_raises_bit_4_until_attained_and_target_reached()
    {
        var h = new HomingProcedure(TimeSpan.FromSeconds(10));
        h.Start(0);
        h.Step(0x0237, modeDisplay: 8, Ms, out var mode, out var cw);
        Assert.Equal(6, mode);
        Assert.Equal(0, cw); // mode not yet shown by the drive: no start bit
        h.Step(0x0237, 6, 2 * Ms, out mode, out cw);
        Assert.Equal(HomingPhase.Running, h.Phase);
        h.Step(0x0237, 6, 3 * Ms, out mode, out cw);
        Assert.Equal(HomingProcedure.StartBit, cw);
        h.Step((ushort)(0x0237 | HomingProcedure.HomingAttained), 6, 4 * Ms, out _, out cw); // attained but still moving
        Assert.Equal(HomingPhase.Running, h.Phase);
        h.Step((ushort)(0x0237 | HomingProcedure.HomingAttained | HomingProcedure.TargetReached), 6, 5 * Ms, out _, out cw);
        Assert.Equal(HomingPhase.Attained, h.Phase);
        Assert.Equal(0, cw);
    }

    [Fact]
    public void Homing_fails_on_the_drives_error_bit_or_after_its_timeout_on_the_injected_clock()
    {
        var h = new HomingProcedure(TimeSpan.FromMilliseconds(50));
        h.Start(0);
        h.Step(0x0237, 6, Ms, out _, out _);
        h.Step((ushort)(0x0237 | HomingProcedure.HomingError), 6, 2 * Ms, out _, out _);
        Assert.Equal(HomingPhase.Failed, h.Phase);
        Assert.Contains("bit 13", h.Failure, StringComparison.Ordinal);
        h.Start(100 * Ms);
        h.Step(0x0237, 6, 149 * Ms, out _, out _);
        Assert.Equal(HomingPhase.Running, h.Phase);
        h.Step(0x0237, 6, 151 * Ms, out _, out _);
        Assert.Equal("timeout", h.Failure);
    }

    private sealed class Brakes(int n) : IBrakeOutputs
    {
        public readonly bool[] Released = new bool[n];
        public int Joints => n;
        public void SetReleased(int joint, bool released) => Released[joint] = released;
        public bool IsReleased(int joint) => Released[joint];
    }

    [Fact]
    public void A_brake_is_released_only_locally_and_only_while_disabled_engaging_always_works_and_each_is_logged()
    {
        var b = new Brakes(2);
        var ring = new SpscRing<BrakeEvent>(16);
        var c = new BrakeCommands(b, ring);
        Assert.False(c.Release(JogSource.Network, 0, true, 0));
        Assert.False(c.Release(JogSource.LocalInput, 0, supervisorDisabled: false, 0));
        Assert.False(c.Release(JogSource.LocalInput, 5, true, 0));
        Assert.False(b.Released[0]);
        Assert.True(c.Release(JogSource.LocalResetSocket, 1, true, Ms));
        Assert.True(b.Released[1]);
        c.Engage(JogSource.LocalInput, 1, 2 * Ms);
        Assert.False(b.Released[1]);
        var kinds = new List<BrakeEventKind>();
        while (ring.TryPop(out var e)) kinds.Add(e.Kind);
        Assert.Equal([BrakeEventKind.RefusedNetwork, BrakeEventKind.RefusedNotDisabled, BrakeEventKind.RefusedJoint, BrakeEventKind.Released, BrakeEventKind.Engaged], kinds);
    }

    [Fact]
    public void Without_room_to_log_it_a_brake_is_not_released()
    {
        var b = new Brakes(1);
        var ring = new SpscRing<BrakeEvent>(2);
        var c = new BrakeCommands(b, ring);
        c.Release(JogSource.Network, 0, true, 0);
        c.Release(JogSource.Network, 0, true, 0);
        Assert.False(c.Release(JogSource.LocalInput, 0, true, 0));
        Assert.False(b.Released[0]);
        Assert.Equal(1, c.EventsLost);
    }
}
