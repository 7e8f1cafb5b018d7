using Rt.Core.Concurrency;
using Rt.Safety.Jog;
using Xunit;

namespace Rt.Safety.Tests;

/// <summary>Supervised jog: reduced speed, only toward the valid range while outside it, hold-to-run, never from the network, every step logged.</summary>
public sealed class JogTests
{
    private const long Ms = 1_000_000;
    private readonly SpscRing<JogEvent> _events = new(64);

    private JogGuard Guard(double speed = 0.1) => new([-0.5, -1.0], [0.5, 1.0], speed, TimeSpan.FromMilliseconds(100), _events);

    private List<JogEvent> Events()
    {
        var list = new List<JogEvent>();
        while (_events.TryPop(out var e)) list.Add(e);
        return list;
    }

    [Fact]
    public void A_robot_started_past_a_limit_is_jogged_back_at_reduced_speed_and_stops_on_reaching_the_range()
    {
        var g = Guard();
        double q = 0.62; // joint 0 started 0.12 rad past its 0.5 rad maximum
        Assert.True(g.Request(JogSource.LocalInput, 0, -1, q, supervisorDisabled: true, nowNs: 0));
        long t = 0;
        int ticks = 0;
        while (g.ActiveJoint == 0 && ticks < 5000)
        {
            t += Ms;
            double next = g.Step(0, q, 0.001, t);
            Assert.InRange(Math.Abs(next - q), 0, 0.1 * 0.001 + 1e-12); // never faster than 0.1 rad/s
            q = next;
            g.Hold(JogSource.LocalInput, t); // the operator keeps the button pressed
            ticks++;
        }
        Assert.Equal(0.5, q, 12);
        Assert.InRange(ticks, 1150, 1250); // 0.12 rad at 0.1 rad/s
        var ev = Events();
        Assert.Equal(JogEventKind.Started, ev[0].Kind);
        Assert.Equal(JogEventKind.ReachedRange, ev[^1].Kind);
    }

    [Fact]
    public void Away_from_the_range_while_outside_it_is_refused_and_logged()
    {
        var g = Guard();
        Assert.False(g.Request(JogSource.LocalInput, 0, +1, 0.62, true, 0));
        Assert.False(g.Request(JogSource.LocalResetSocket, 1, -1, -1.3, true, 0));
        Assert.Equal(-1, g.ActiveJoint);
        Assert.All(Events(), e => Assert.Equal(JogEventKind.RefusedDirection, e.Kind));
    }

    [Fact]
    public void The_network_can_never_jog_and_jog_is_refused_unless_the_supervisor_is_disabled()
    {
        var g = Guard();
        Assert.False(g.Request(JogSource.Network, 0, -1, 0.0, true, 0));
        Assert.False(g.Request(JogSource.LocalInput, 0, -1, 0.0, supervisorDisabled: false, 0));
        Assert.Equal([JogEventKind.RefusedNetwork, JogEventKind.RefusedNotDisabled], Events().Select(e => e.Kind));
    }

    [Fact]
    public void Releasing_the_hold_stops_the_joint_where_it_is_after_the_hold_timeout_on_the_injected_clock()
    {
        var g = Guard();
        Assert.True(g.Request(JogSource.LocalResetSocket, 1, +1, 0.0, true, 0));
        double q = 0;
        for (long t = Ms; t <= 100 * Ms; t += Ms) q = g.Step(1, q, 0.001, t); // no renewal: runs out at 100 ms
        Assert.Equal(1, g.ActiveJoint);
        double held = g.Step(1, q, 0.001, 101 * Ms);
        Assert.Equal(q, held);
        Assert.Equal(-1, g.ActiveJoint);
        Assert.Equal(q, g.Step(1, q, 0.001, 102 * Ms)); // stays put
        Assert.Equal(JogEventKind.HoldReleased, Events()[^1].Kind);
    }

    [Fact]
    public void Inside_the_range_a_jog_stops_at_the_edge_it_runs_to()
    {
        var g = Guard();
        double q = 0.499;
        Assert.True(g.Request(JogSource.LocalInput, 0, +1, q, true, 0));
        for (long t = Ms; t <= 50 * Ms; t += Ms)
        {
            q = g.Step(0, q, 0.001, t);
            g.Hold(JogSource.LocalInput, t);
        }
        Assert.Equal(0.5, q, 12);
    }

    [Fact]
    public void Faster_than_a_tenth_of_a_radian_per_second_is_refused_at_construction() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Guard(speed: 0.2));

    [Fact]
    public void A_full_event_ring_stops_the_jog_and_counts_the_loss()
    {
        var g = new JogGuard([-0.5], [0.5], 0.1, TimeSpan.FromMilliseconds(100), new SpscRing<JogEvent>(2));
        g.Request(JogSource.Network, 0, 1, 0, true, 0);
        g.Request(JogSource.Network, 0, 1, 0, true, 0);
        Assert.False(g.Request(JogSource.LocalInput, 0, 1, 0, true, 0)); // its Started event has no room: it does not run
        Assert.Equal(-1, g.ActiveJoint);
        Assert.True(g.EventsLost >= 1);
    }

    [Fact]
    public void Jogging_allocates_nothing()
    {
        var g = Guard();
        g.Request(JogSource.LocalInput, 0, -1, 0.3, true, 0);
        g.Step(0, 0.3, 0.001, Ms);
        long before = GC.GetAllocatedBytesForCurrentThread();
        double q = 0.3;
        for (long k = 2; k < 10_000; k++)
        {
            q = g.Step(0, q, 0.001, k * Ms);
            g.Hold(JogSource.LocalInput, k * Ms);
            while (_events.TryPop(out _)) { }
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
