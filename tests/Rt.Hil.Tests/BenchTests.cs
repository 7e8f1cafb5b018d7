using Rt.Core.ProcessData;
using Rt.Hil.Drives;
using Rt.Drivers.Cia402;

namespace Rt.Hil.Tests;

public class BenchTests
{
    [Fact]
    public void Creates_twelve_drives_and_three_imus_from_the_sample_config()
    {
        using var bench = Bench.Create(BenchFixtures.Config);
        Assert.Equal(12, bench.Drives.Count);
        Assert.Equal(3, bench.Imus.Count);
        Assert.Equal(bench.Config.Loop.PlantSubsteps, bench.Substeps);
        Assert.Equal(bench.TickPeriodNs / bench.Substeps, (long)Math.Round(bench.Plant.TimestepS * 1e9));
        Assert.Equal(1_000_000, bench.TickPeriodNs);
        for (int i = 0; i < 12; i++) Assert.Equal(BenchFixtures.Config.Joints[i].Name, bench.Drives[i].JointName);
    }

    [Fact]
    public void Exchange_reports_switch_on_disabled_and_imu_samples_after_power_up()
    {
        using var bench = Bench.Create(BenchFixtures.Config, new BenchOptions { ImuAccelNoiseMs2 = 0, ImuGyroNoiseRadS = 0 });
        var state = BenchFixtures.NewState(BenchFixtures.Config);
        bench.Exchange(state);
        foreach (var input in state.Image.Inputs) Assert.Equal(0x40, input.Statusword & 0x4F);
        var pelvis = state.Image.Imus[0];
        Assert.Equal(9.81, pelvis.SpecificForceZ, 0.01); // 16-bit quantised over ±160 m/s²
        Assert.Equal(0, pelvis.AngularRateX, 0.002);
        Assert.Equal(1, pelvis.SampleCounter);
        bench.Advance(bench.TickPeriodNs);
        bench.Exchange(state);
        Assert.Equal(2, state.Image.Imus[0].SampleCounter);
        Assert.Equal(1_000_000, bench.SimTimeNs);
    }

    [Fact]
    public void Csp_step_with_the_plant_attached_converges_on_the_target()
    {
        using var bench = Bench.Create(BenchFixtures.Config);
        var state = BenchFixtures.NewState(BenchFixtures.Config);
        BenchFixtures.EnableAll(bench, state);
        int knee = BenchFixtures.JointIndex("l_knee");
        int rollR = BenchFixtures.JointIndex("r_hip_roll"); // direction -1: exercises the mirrored scaling
        var kneeScaling = bench.Drives[knee].Scaling;
        var rollScaling = bench.Drives[rollR].Scaling;
        double kneeTarget = 0.5 + bench.Plant.JointPosition(knee);
        double rollTarget = -0.05 + bench.Plant.JointPosition(rollR);
        // Step in small increments per tick so the following-error window (0.1 rad) is respected: a ramp of 0.5 rad over 0.25 s.
        for (int tick = 0; tick < 1500; tick++)
        {
            double f = Math.Min(1.0, tick / 250.0);
            for (int i = 0; i < 12; i++) state.Image.Outputs[i].Controlword = 0x0F;
            state.Image.Outputs[knee].TargetPosition = kneeScaling.PositionToCounts(f * kneeTarget);
            state.Image.Outputs[rollR].TargetPosition = rollScaling.PositionToCounts(f * rollTarget);
            bench.Exchange(state);
            bench.Advance(bench.TickPeriodNs);
        }
        bench.Exchange(state);
        Assert.True(bench.PlantHealthy);
        Assert.Equal(DriveState.OperationEnabled, bench.Drives[knee].State);
        Assert.Equal(kneeTarget, bench.Plant.JointPosition(knee), 0.003);
        Assert.Equal(rollTarget, bench.Plant.JointPosition(rollR), 0.003);
        Assert.Equal(kneeTarget, kneeScaling.CountsToPosition(state.Image.Inputs[knee].PositionActual), 0.003);
        Assert.NotEqual(0, state.Image.Inputs[knee].Statusword & 0x0400); // target reached
        // Holding the bent knee against gravity takes torque, reported in per-mille.
        Assert.NotEqual(0, state.Image.Inputs[knee].TorqueActual);
    }

    [Fact]
    public void Cst_torque_moves_joints_the_way_the_motor_direction_says()
    {
        using var bench = Bench.Create(BenchFixtures.Config);
        var state = BenchFixtures.NewState(BenchFixtures.Config);
        BenchFixtures.EnableAll(bench, state, Cia402Modes.CyclicSyncTorque);
        int knee = BenchFixtures.JointIndex("l_knee"), rollR = BenchFixtures.JointIndex("r_hip_roll");
        double knee0 = bench.Plant.JointPosition(knee), roll0 = bench.Plant.JointPosition(rollR);
        int rollCounts0 = bench.Drives[rollR].Feedback.PositionActual;
        for (int tick = 0; tick < 100; tick++)
        {
            for (int i = 0; i < 12; i++) state.Image.Outputs[i] = new DriveOutputs { Controlword = 0x0F, ModeOfOperation = Cia402Modes.CyclicSyncTorque };
            state.Image.Outputs[knee].TargetTorque = 400;   // +20 N·m at the knee
            state.Image.Outputs[rollR].TargetTorque = 400;  // +24 N·m at the motor side → −24 N·m at the joint (direction −1)
            bench.Exchange(state);
            bench.Advance(bench.TickPeriodNs);
        }
        bench.Exchange(state);
        Assert.True(bench.Plant.JointPosition(knee) > knee0 + 0.05, $"knee {bench.Plant.JointPosition(knee)}");
        Assert.True(bench.Plant.JointPosition(rollR) < roll0 - 0.02, $"r_hip_roll {bench.Plant.JointPosition(rollR)}");
        // …while the motor-side counts go up: positive motor torque, positive motor motion.
        Assert.True(state.Image.Inputs[rollR].PositionActual > rollCounts0);
    }

    [Fact]
    public void Same_seed_and_commands_give_a_bit_identical_trajectory()
    {
        ulong a = Run(seed: 5), b = Run(seed: 5), c = Run(seed: 6);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c); // the hash does see the (seeded) encoder noise

        static ulong Run(ulong seed)
        {
            using var bench = Bench.Create(BenchFixtures.Config, new BenchOptions { Seed = seed, EncoderNoiseCounts = 3 });
            var state = BenchFixtures.NewState(BenchFixtures.Config);
            BenchFixtures.EnableAll(bench, state);
            ulong h = 14695981039346656037UL;
            for (int tick = 0; tick < 600; tick++)
            {
                for (int i = 0; i < 12; i++)
                {
                    var s = bench.Drives[i].Scaling;
                    state.Image.Outputs[i].Controlword = 0x0F;
                    state.Image.Outputs[i].TargetPosition = s.PositionToCounts(0.05 * Math.Sin(tick * 0.01 + i));
                }
                bench.Exchange(state);
                bench.Advance(bench.TickPeriodNs);
                h = BenchFixtures.HashState(bench, h);
            }
            return h;
        }
    }

    [Fact]
    public void Exchange_and_advance_allocate_nothing()
    {
        using var bench = Bench.Create(BenchFixtures.Config);
        var state = BenchFixtures.NewState(BenchFixtures.Config);
        BenchFixtures.EnableAll(bench, state);
        for (int k = 0; k < 300; k++) Tick(bench, state);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 2000; k++) Tick(bench, state);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static void Tick(Rt.Hil.Bench bench, Rt.Core.Tick.TickState state)
        {
            state.Faults.Clear();
            bench.Exchange(state);
            bench.Advance(bench.TickPeriodNs);
        }
    }

    [Fact]
    public void Initial_pose_is_applied_and_held_at_rest()
    {
        using var bench = Bench.Create(BenchFixtures.Config, new BenchOptions
        {
            InitialPose = new Dictionary<string, double> { ["l_knee"] = 0.7 },
        });
        int knee = BenchFixtures.JointIndex("l_knee");
        Assert.Equal(0.7, bench.Plant.JointPosition(knee), 1e-12);
        Assert.Equal(0.7, bench.Drives[knee].MeasuredPositionRad, 1e-5);
    }

    [Fact]
    public void Injected_drive_fault_reaches_the_image_as_fault_state_and_error_code()
    {
        using var bench = Bench.Create(BenchFixtures.Config);
        var state = BenchFixtures.NewState(BenchFixtures.Config);
        BenchFixtures.EnableAll(bench, state);
        bench.Drives[3].InjectFault(0x7305);
        bench.Advance(bench.TickPeriodNs);
        bench.Exchange(state);
        Assert.Equal(0x08, state.Image.Inputs[3].Statusword & 0x4F);
        Assert.Equal(0x7305, state.Image.Inputs[3].ErrorCode);
        Assert.Equal(0x27, state.Image.Inputs[2].Statusword & 0x6F);
    }
}
