using Rt.ControlLoop.Control;
using Rt.ControlLoop.Pipeline;
using Rt.ControlLoop.Scheduling;
using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.TestSupport;

namespace Rt.ControlLoop.Tests;

public class PipelineTests
{
    private static (TickPipeline Pipeline, IdealDrives Drives, TrajectoryController Controller, LatchingFaultGate Gate, SpscRing<Fault> Faults, RtConfig Config) Build(MotionKind kind = MotionKind.March)
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Motion.Kind = kind;
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var state = new TickState(config.Joints.Count, config.Imus.Count, layout);
        var drives = new IdealDrives(config.Joints.Count);
        var controller = new TrajectoryController(config);
        var gate = new LatchingFaultGate();
        var faults = new SpscRing<Fault>(256);
        var pipeline = new TickPipeline(state, drives, new JointIo(config), new DisabledTwin(), controller, gate, [], faults, 1_000_000);
        pipeline.Operator.Enable = true;
        return (pipeline, drives, controller, gate, faults, config);
    }

    [Fact]
    public void Drives_are_enabled_then_the_controller_settles_and_runs_the_motion()
    {
        var (p, _, controller, _, _, _) = Build();
        var scheduler = new LockstepScheduler(1_000_000, p, null);
        scheduler.Run(5);
        Assert.True(p.State.AllDrivesOperational, "the CiA 402 sequence takes 3 exchanges; by tick 5 all drives operate");
        Assert.Equal(TrajectoryController.Phase.Settle, controller.CurrentPhase);
        scheduler.Run(3000, 5);
        Assert.Equal(TrajectoryController.Phase.Run, controller.CurrentPhase);
        Assert.Equal(SafetyState.Operational, p.State.SafetyState);
    }

    [Fact]
    public void Targets_respect_the_configured_velocity_and_position_limits()
    {
        var (p, _, _, _, _, config) = Build();
        var previous = new double[config.Joints.Count];
        for (long k = 0; k < 6000; k++)
        {
            p.Tick(k, k * 1_000_000, 0);
            for (int j = 0; j < previous.Length; j++)
            {
                var l = config.Joints[j].Limits;
                double q = p.State.TargetPosition[j];
                Assert.InRange(q, l.PositionMinRad, l.PositionMaxRad);
                if (k > 0 && p.State.AllDrivesOperational)
                    Assert.True(Math.Abs(q - previous[j]) <= l.VelocityRadS * 1e-3 + 1e-12, $"{config.Joints[j].Name} moved {Math.Abs(q - previous[j])} rad in one tick");
                previous[j] = q;
            }
        }
    }

    [Fact]
    public void The_march_lifts_the_left_and_right_knee_in_turn()
    {
        var (p, _, controller, _, _, config) = Build();
        int lKnee = config.Joints.FindIndex(j => j.Name == "l_knee"), rKnee = config.Joints.FindIndex(j => j.Name == "r_knee");
        double maxL = 0, maxR = 0, bothHigh = 0;
        for (long k = 0; k < 8000; k++)
        {
            p.Tick(k, k * 1_000_000, 0);
            if (controller.CurrentPhase != TrajectoryController.Phase.Run) continue;
            double l = p.State.TargetPosition[lKnee], r = p.State.TargetPosition[rKnee];
            maxL = Math.Max(maxL, l);
            maxR = Math.Max(maxR, r);
            bothHigh = Math.Max(bothHigh, Math.Min(l, r));
        }
        Assert.True(maxL > 0.8 && maxR > 0.8, $"both knees lift (left {maxL}, right {maxR})");
        Assert.True(bothHigh < 0.4, $"never both at once (both above {bothHigh})");
    }

    [Fact]
    public void A_fault_in_the_tick_turns_power_off_and_the_fault_leaves_through_the_ring()
    {
        var (p, drives, _, gate, faults, _) = Build();
        for (long k = 0; k < 100; k++) p.Tick(k, k * 1_000_000, 0);
        Assert.Equal(DrivePowerRequest.Operate, p.State.PowerRequest);
        var timing = new Timing.TickTiming(1_000_000, 1);
        p.Timing = timing;
        timing.Complete(0, 0, 2_000_001); // one overrun with N = 1 → fault pending
        p.Tick(100, 100_000_000, 0);
        Assert.True(gate.Latched);
        Assert.Equal(DrivePowerRequest.Off, p.State.PowerRequest);
        Assert.True(faults.TryPop(out var f));
        Assert.Equal(FaultCode.LoopOverrun, f.Code);
        // The next frame carries "disable voltage" to every drive.
        p.Tick(101, 101_000_000, 0);
        Assert.All(p.State.Image.Outputs, o => Assert.Equal(0, o.Controlword));
        Assert.True(drives.Exchanges > 0);
    }

    [Fact]
    public void A_drive_that_is_not_operating_is_given_its_own_position_as_target()
    {
        var (p, drives, _, _, _, _) = Build();
        drives.FailDrive = true;
        for (long k = 0; k < 10; k++) p.Tick(k, k * 1_000_000, 0);
        Assert.False(p.State.AllDrivesOperational);
        Assert.Equal(p.State.Image.Inputs[0].PositionActual, p.State.Image.Outputs[0].TargetPosition);
    }

    [Fact]
    public void After_skipped_periods_the_motion_resumes_where_it_was_instead_of_jumping_ahead()
    {
        var (p, _, controller, _, _, _) = Build();
        long k = 0, time = 0;
        while (controller.CurrentPhase != TrajectoryController.Phase.Run) p.Tick(k++, time += 1_000_000, 0);
        for (int i = 0; i < 100; i++) p.Tick(k++, time += 1_000_000, 0);
        double before = controller.MotionTimeS;
        // A 40 ms stall: the scheduler skipped 39 periods; the next tick comes with a time 40 ms later.
        p.Tick(k++, time += 40_000_000, 0);
        Assert.Equal(before + 0.001, controller.MotionTimeS, 9);
    }

    private sealed class DroppingSink : ITickSink
    {
        public bool Drop;
        public void Enqueue(TickState state)
        {
            if (Drop) state.Faults.Add(Fault.Of(FaultCode.TelemetryDropped, -1, state.Tick));
        }
    }

    private sealed class RecordingGate : ISafetyGate
    {
        public readonly List<(long Tick, FaultCode Code)> Seen = [];
        public void Evaluate(TickState state)
        {
            foreach (var f in state.Faults.Items) Seen.Add((state.Tick, f.Code));
            state.PowerRequest = DrivePowerRequest.Operate;
        }
    }

    [Fact]
    public void A_fault_raised_by_a_sink_after_the_gate_reaches_the_gate_in_the_next_tick_and_leaves_the_ring_once()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var state = new TickState(config.Joints.Count, config.Imus.Count, layout);
        var sink = new DroppingSink();
        var gate = new RecordingGate();
        var ring = new SpscRing<Fault>(64);
        var p = new TickPipeline(state, new IdealDrives(config.Joints.Count), new JointIo(config), new DisabledTwin(), new TrajectoryController(config), gate, [sink], ring, 1_000_000);
        p.Tick(0, 0, 0);
        sink.Drop = true;
        p.Tick(1, 1_000_000, 0);
        sink.Drop = false;
        p.Tick(2, 2_000_000, 0);
        p.Tick(3, 3_000_000, 0);
        Assert.Equal([(2L, FaultCode.TelemetryDropped)], gate.Seen);
        Assert.True(ring.TryPop(out var f));
        Assert.Equal(1, f.Tick);
        Assert.False(ring.TryPop(out _));
    }

    [Theory]
    [InlineData(MotionKind.March)]
    [InlineData(MotionKind.Sine)]
    [InlineData(MotionKind.Hold)]
    public void A_tick_allocates_nothing(MotionKind kind)
    {
        var (p, _, _, _, _, _) = Build(kind);
        for (long k = 0; k < 2000; k++) p.Tick(k, k * 1_000_000, 0); // warm-up: enable, settle, JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long k = 2000; k < 12000; k++) p.Tick(k, k * 1_000_000, 0);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
