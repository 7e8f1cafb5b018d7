using Rt.Core.Concurrency;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

/// <summary>A safety event is never lost silently: a push that does not fit stops motion (Cat 0) and the log records the loss.</summary>
public sealed class EventLossTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-event-loss-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static void Fill(SpscRing<SafetyEvent> ring)
    {
        while (ring.Count < ring.Capacity)
            Assert.True(ring.TryPush(new SafetyEvent(-1, 0, 0, SafetyState.Disabled, SafetyState.Disabled, FaultCode.None, -1, StopCategory.None, 0, 0)));
        Assert.Equal(0, ring.Dropped);
    }

    [Fact]
    public void A_stop_whose_event_does_not_fit_becomes_sto_in_the_same_tick_and_the_log_records_the_loss()
    {
        var rig = new Rig(eventCapacity: 4).Operational();
        Assert.True(rig.S.PowerRequest == DrivePowerRequest.Operate && rig.Enable.Level);
        rig.DrainEvents = false;
        Fill(rig.Events);

        rig.S.MotionRequested = false; // the operator's own stop: Operational → Stopping, an event that cannot be pushed
        rig.Step();

        Assert.Equal(SafetyState.Faulted, rig.State);            // not Stopping: the loss is a Cat 0 fault
        Assert.Equal(DrivePowerRequest.Off, rig.S.PowerRequest); // STO goes out in the next frame
        Assert.False(rig.Enable.Level);
        Assert.True(rig.Sup.EventsLost >= 1);
        Assert.Equal(rig.Sup.EventsLost, rig.Events.Dropped);

        string path = Path.Combine(_dir, "loss.log");
        using (var log = new SafetyLog(path, rig.Events)) log.DrainOnce();
        var c = SafetyLogReader.Read(path);
        var loss = Assert.Single(c.Records, r => r.Event.Trigger == FaultCode.SafetyEventLost);
        Assert.Equal(rig.Events.Dropped, loss.Event.Value); // how many did not fit
        Assert.Equal(StopCategory.Cat0, loss.Event.Reaction);
        Assert.Equal(SafetyState.Faulted, loss.Event.To);
        Assert.Equal(loss, c.Records[^1]); // recorded after the events that did fit
    }

    [Fact]
    public void A_cat1_trip_whose_event_does_not_fit_is_escalated_to_cat0()
    {
        var rig = new Rig(eventCapacity: 2).Operational();
        rig.DrainEvents = false;
        Fill(rig.Events);
        rig.EStop.Set(false);
        rig.Condition = s => s.Faults.Add(Fault.Of(FaultCode.ImuStale, 0, s.Tick)); // imu_fault: Cat 1 by default
        rig.Run(5);
        Assert.Equal(SafetyState.Faulted, rig.State);
        Assert.Equal(DrivePowerRequest.Off, rig.S.PowerRequest);
        Assert.Equal(StopCategory.None, rig.Sup.StopInProgress);
    }

    [Fact]
    public void With_room_in_the_ring_nothing_is_lost_and_nothing_stops()
    {
        var rig = new Rig().Operational(200);
        Assert.Equal(0, rig.Sup.EventsLost);
        Assert.Equal(SafetyState.Operational, rig.State);
    }

    [Fact]
    public void Ring_budget_follows_the_bound_in_its_comment()
    {
        var layout = new ChannelLayout(["hip", "knee"], ["pelvis_imu"]);
        // Defaults at 1 kHz, 0.5 s drain budget: 4·500 + 1 + telemetry_loss 1 × (⌈500/2⌉ + 1) = 2252 → 4096.
        Assert.Equal(4096, SafetyEventBudget.RingCapacity(SafetyConfigValidator.Validate(Rig.MakeConfig()), layout, Rig.PeriodNs));
        var config = Rig.MakeConfig();
        config.Safety.Triggers["velocity_limit"] = new() { Reaction = "warn", DiscrepancyTicks = 1 };
        // + velocity_limit 2 joints × 251 = 2754 → 4096.
        Assert.Equal(4096, SafetyEventBudget.RingCapacity(SafetyConfigValidator.Validate(config, onBench: true), layout, Rig.PeriodNs));
    }

    [Fact]
    public void Budgeted_ring_holds_the_worst_case_for_the_whole_drain_budget_without_draining()
    {
        // Bench policy: the per-joint velocity trigger only warns, discrepancy 1, and its condition toggles every other
        // tick on every joint (the fastest a warning can repeat), with telemetry loss toggling the same way.
        void Warn(Rt.Core.Config.RtConfig c) => c.Safety.Triggers["velocity_limit"] = new() { Reaction = "warn", DiscrepancyTicks = 1 };
        var config = Rig.MakeConfig();
        Warn(config);
        var layout = new ChannelLayout(["hip", "knee"], ["pelvis_imu"]);
        int capacity = SafetyEventBudget.RingCapacity(SafetyConfigValidator.Validate(config, onBench: true), layout, Rig.PeriodNs);
        var rig = new Rig(Warn, eventCapacity: capacity).Operational();
        rig.DrainEvents = false;
        while (rig.Events.TryPop(out _)) { }
        rig.VelocityOverride = (j, v) => rig.Tick % 2 == 0 ? 100 : v;
        rig.Condition = s => { if (s.Tick % 2 == 0) s.Faults.Add(Fault.Of(FaultCode.TelemetryDropped, 0, s.Tick)); };
        long ticks = (long)(SafetyEventBudget.DrainBudgetS * 1e9 / Rig.PeriodNs);
        rig.Run((int)ticks);
        Assert.Equal(0, rig.Sup.EventsLost);
        Assert.Equal(SafetyState.Operational, rig.State);
        Assert.True(rig.Events.Count >= 3 * (ticks / 2), $"{rig.Events.Count} warnings in {ticks} ticks"); // the load was real
    }
}
