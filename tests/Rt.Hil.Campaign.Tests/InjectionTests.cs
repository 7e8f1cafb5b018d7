using Rt.Core.Errors;
using Rt.Core.Faults;
using Rt.Core.ProcessData;
using Rt.Hil.Esc.Esc;
using Rt.Hil.Campaign;
using Rt.Host.Tests;
using Xunit.Abstractions;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// Each injection kind has its observable effect on the bench, the slave chain or the broker, at its tick, and is undone
/// at its end. Most run beside a reference session (same seed, no injection): the two are bit-identical until the
/// injection, so any difference after it is the fault's. Twin off: its detectors are not under test here.
/// </summary>
public sealed class InjectionTests(ITestOutputHelper output)
{
    private const double AtS = 1.5;   // operational, settled (1 s) and marching by then
    private const long At = 1500;     // its tick at 1 kHz

    private static Scenario With(params Injection[] injections) => RandomisationTests.ScenarioWith(1, Randomisation.None, injections);

    private static Injection I(InjectionKind kind, string? target = null, double? duration = null) =>
        new() { Kind = kind, AtS = AtS, Target = target, DurationS = duration, Line = 6 };

    /// <summary>Steps the bench (and the reference) to just before <paramref name="tick"/>, applying due injections before every tick.</summary>
    private static void RunTo(long tick, LockstepBench b, FaultInjector f, LockstepBench? reference = null)
    {
        while (b.NextTick < tick)
        {
            f.ApplyDue(b.NextTick);
            b.Step();
            reference?.Step();
        }
    }

    [Fact]
    public void Start_and_end_ticks_follow_at_s_and_duration_s_and_applied_records_them()
    {
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(
            I(InjectionKind.TorqueLoss, "l_knee", 0.25) with { Scale = 0.5 },
            I(InjectionKind.CollisionObstacle, "l_shin") with { AtS = AtS + 0.1 }));
        Assert.Equal(At, f.FirstInjectionTick);
        Assert.Equal(At, f.NextEventTick);
        RunTo(At, b, f);
        Assert.Equal(1.0, b.Bench.Drives[3].TorqueScale);
        f.ApplyDue(At);
        Assert.Equal(0.5, b.Bench.Drives[3].TorqueScale);
        Assert.Equal(At + 99, f.NextEventTick); // the obstacle's look at the shin, one tick before it appears
        RunTo(At + 100, b, f);
        f.ApplyDue(At + 100);
        Assert.Equal(At + 250, f.NextEventTick);
        RunTo(At + 251, b, f);
        Assert.Equal(1.0, b.Bench.Drives[3].TorqueScale);
        Assert.Equal(long.MaxValue, f.NextEventTick);
        Assert.Equal(2, f.Applied.Count);
        Assert.Equal(new AppliedInjection(InjectionKind.TorqueLoss, "l_knee", At, AtS, At + 250), f.Applied[0]);
        Assert.Equal(At + 100, f.Applied[1].Tick);
        Assert.Null(f.Applied[1].EndTick);
    }

    [Fact]
    public void An_unknown_target_or_a_cpu_hog_in_lockstep_is_refused_at_construction_naming_the_field()
    {
        using var b = new LockstepBench();
        var e = Assert.Throws<InputError>(() => new FaultInjector(b.Session, With(I(InjectionKind.Payload, "l_wing") with { MassKg = 1 })));
        output.WriteLine(e.Message);
        Assert.Contains("injections[0].target", e.Location, StringComparison.Ordinal);
        Assert.Contains("l_shin", e.Problem, StringComparison.Ordinal);
        e = Assert.Throws<InputError>(() => new FaultInjector(b.Session, With(I(InjectionKind.CpuHog, null, 1))));
        output.WriteLine(e.Message);
        Assert.Contains("injections[0].kind", e.Location, StringComparison.Ordinal);
        Assert.Contains("real time", e.Problem, StringComparison.Ordinal);
        e = Assert.Throws<InputError>(() => new FaultInjector(b.Session, With(I(InjectionKind.BrokerOutage, null, 1))));
        Assert.Contains("private broker", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Collision_obstacle_is_placed_against_the_moving_shin_and_deflects_the_leg()
    {
        using var b = new LockstepBench();
        using var r = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.CollisionObstacle, "l_shin", 0.1)));
        var plant = b.Bench.Plant;
        var parked = plant.ObstaclePosition(0);
        RunTo(At + 1, b, f, r);
        var placed = f.Injections[0].ObstaclePlacedAt;
        Assert.Equal(placed, plant.ObstaclePosition(0));
        // Beside the shin's middle: shin radius 0.045 + the box's half depth − overlap 0.003 from its axis.
        var knee = plant.LinkWorldPosition(plant.LinkIndex("l_shin"));
        var ankle = plant.LinkWorldPosition(plant.LinkIndex("l_ankle_link"));
        var mid = new Rt.Core.Description.Vec3((knee.X + ankle.X) / 2, (knee.Y + ankle.Y) / 2, (knee.Z + ankle.Z) / 2);
        double dist = Math.Sqrt(Math.Pow(placed.X - mid.X, 2) + Math.Pow(placed.Y - mid.Y, 2) + Math.Pow(placed.Z - mid.Z, 2));
        output.WriteLine($"obstacle at ({placed.X:F3}, {placed.Y:F3}, {placed.Z:F3}), {dist * 1000:F1} mm from the shin's middle");
        double expected = 0.045 + plant.ObstacleHalfDepthM - BenchInjection.ObstacleOverlapM;
        Assert.InRange(dist, expected - 0.01, expected + 0.01);
        double maxDiff = MaxJointDifference(b, r, 30);
        output.WriteLine($"largest joint deviation from the reference within 30 ticks: {maxDiff * 1000:F2} mrad");
        Assert.True(maxDiff > 1e-3, $"the leg did not notice the obstacle ({maxDiff} rad)");
        RunTo(At + 101, b, f, r);
        Assert.Equal(parked, plant.ObstaclePosition(0));
    }

    private static double MaxJointDifference(LockstepBench b, LockstepBench r, int ticks)
    {
        double max = 0;
        for (int k = 0; k < ticks; k++)
        {
            b.Step();
            r.Step();
            for (int j = 0; j < b.Joints; j++)
                max = Math.Max(max, Math.Abs(b.Bench.Plant.JointPosition(j) - r.Bench.Plant.JointPosition(j)));
        }
        return max;
    }

    [Fact]
    public void Collision_wrench_pushes_the_leg_and_is_cleared_at_the_end()
    {
        using var b = new LockstepBench();
        using var r = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.CollisionWrench, "l_foot", 0.02) with { ForceN = [120, 0, 0] }));
        RunTo(At + 1, b, f, r);
        double during = MaxJointDifference(b, r, 19);
        Assert.True(during > 1e-3, $"a 120 N push moved no joint ({during} rad)");
        int foot = b.Bench.Plant.LinkIndex("l_foot");
        b.Bench.Plant.ExternalWrench(foot, out var force, out _);
        Assert.Equal(120, force.X);
        RunTo(At + 30, b, f, r);
        b.Bench.Plant.ExternalWrench(foot, out force, out var torque);
        Assert.Equal(default, force);
        Assert.Equal(default, torque);
    }

    [Fact]
    public void Payload_adds_mass_to_the_link_and_the_end_takes_it_off()
    {
        using var b = new LockstepBench();
        using var r = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.Payload, "l_foot", 0.05) with { MassKg = 2.5 }));
        double m0 = b.Bench.Plant.GetLinkMass("l_foot");
        RunTo(At, b, f, r);
        f.ApplyDue(At);
        // The mass changes; the robot stays where it is (MuJoCo's set_const must not move it to the zero pose).
        for (int j = 0; j < b.Joints; j++)
        {
            Assert.Equal(r.Bench.Plant.JointPosition(j), b.Bench.Plant.JointPosition(j));
            Assert.Equal(r.Bench.Plant.JointVelocity(j), b.Bench.Plant.JointVelocity(j));
        }
        RunTo(At + 1, b, f, r);
        Assert.Equal(m0 + 2.5, b.Bench.Plant.GetLinkMass("l_foot"), 12);
        RunTo(At + 51, b, f);
        Assert.Equal(m0, b.Bench.Plant.GetLinkMass("l_foot"));
    }

    [Fact]
    public void Joint_friction_rises_and_falls_back()
    {
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.JointFriction, "l_knee", 0.05) with { FrictionNm = 8, DampingNms = 2 }));
        int knee = b.Joint("l_knee");
        double f0 = b.Bench.Plant.GetJointFrictionLoss(knee), d0 = b.Bench.Plant.GetJointDamping(knee);
        RunTo(At + 1, b, f);
        Assert.Equal(f0 + 8, b.Bench.Plant.GetJointFrictionLoss(knee), 12);
        Assert.Equal(d0 + 2, b.Bench.Plant.GetJointDamping(knee), 12);
        RunTo(At + 51, b, f);
        Assert.Equal(f0, b.Bench.Plant.GetJointFrictionLoss(knee));
        Assert.Equal(d0, b.Bench.Plant.GetJointDamping(knee));
    }

    [Fact]
    public void Torque_loss_lets_the_knee_drift_from_where_the_reference_goes()
    {
        using var b = new LockstepBench();
        using var r = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.TorqueLoss, "l_knee") with { Scale = 0 }));
        RunTo(At + 1, b, f, r);
        Assert.Equal(0, b.Bench.Drives[b.Joint("l_knee")].TorqueScale);
        double diff = MaxJointDifference(b, r, 30);
        output.WriteLine($"30 ticks without knee torque: largest deviation {diff * 1000:F2} mrad");
        Assert.True(diff > 1e-3);
    }

    [Fact]
    public void Encoder_freeze_holds_the_reported_position_while_the_joint_moves()
    {
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.EncoderFreeze, "l_knee", 0.05)));
        int knee = b.Joint("l_knee");
        RunTo(At + 2, b, f);
        int frozen = b.State.Image.Inputs[knee].PositionActual;
        double q0 = b.Bench.Plant.JointPosition(knee);
        for (int k = 0; k < 30; k++)
        {
            f.ApplyDue(b.NextTick);
            b.Step();
            Assert.Equal(frozen, b.State.Image.Inputs[knee].PositionActual);
        }
        Assert.True(Math.Abs(b.Bench.Plant.JointPosition(knee) - q0) > 1e-3, "the knee did not move while its encoder was frozen");
        RunTo(At + 60, b, f);
        Assert.NotEqual(frozen, b.State.Image.Inputs[knee].PositionActual);
    }

    [Fact]
    public void Encoder_jump_offsets_the_reported_position_by_offset_rad()
    {
        using var b = new LockstepBench();
        using var r = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.EncoderJump, "l_knee") with { OffsetRad = 0.05 }));
        int knee = b.Joint("l_knee");
        RunTo(At + 1, b, f, r);
        b.Step();
        r.Step();
        var scaling = b.Bench.Drives[knee].Scaling;
        double seen = scaling.CountsToPosition(b.State.Image.Inputs[knee].PositionActual) - scaling.CountsToPosition(r.State.Image.Inputs[knee].PositionActual);
        output.WriteLine($"reported jump {seen:F5} rad");
        Assert.Equal(0.05, seen, 3);
    }

    [Fact]
    public void Encoder_noise_burst_scatters_the_reported_position_by_its_sigma_and_stops_at_the_end()
    {
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.EncoderNoise, "l_knee", 0.03) with { NoiseCounts = 20000 }));
        int knee = b.Joint("l_knee");
        var scaling = b.Bench.Drives[knee].Scaling;
        // The drive's latched position minus the true angle where its encoder sampled it (the start of the last substep).
        double substepS = b.Bench.Plant.TimestepS;
        double Rms(int ticks)
        {
            double sum2 = 0;
            for (int k = 0; k < ticks; k++)
            {
                f.ApplyDue(b.NextTick);
                b.Step();
                var plant = b.Bench.Plant;
                double sampled = plant.JointPosition(knee) - plant.JointVelocity(knee) * substepS;
                double d = b.Bench.Drives[knee].Feedback.PositionActual - (sampled * scaling.CountsPerRadian + scaling.ZeroOffsetCounts);
                sum2 += d * d;
            }
            return Math.Sqrt(sum2 / ticks);
        }
        RunTo(At - 20, b, f);
        double before = Rms(20);
        RunTo(At + 2, b, f);
        double during = Rms(25);
        output.WriteLine($"reported − true position, RMS: {before:F0} counts before, {during:F0} during the 20000-count burst");
        Assert.True(before < 1000, $"{before} counts before the burst");
        Assert.InRange(during, 15000, 25000);
        RunTo(At + 40, b, f);
        Assert.Equal(0, b.Bench.Drives[knee].EncoderNoiseCounts);
    }

    [Fact]
    public void Imu_bias_shifts_the_reported_specific_force_by_the_bias()
    {
        using var b = new LockstepBench();
        using var r = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.ImuBias, "pelvis_imu", 0.05) with { AccelBiasMs2 = [0, 0, 2] }));
        RunTo(At + 3, b, f, r);
        double dz = b.State.Image.Imus[0].SpecificForceZ - r.State.Image.Imus[0].SpecificForceZ;
        output.WriteLine($"IMU z shift {dz:F4} m/s²");
        Assert.Equal(2.0, dz, 1);
        RunTo(At + 60, b, f, r);
        Assert.Equal(default, b.Bench.Imus[0].AccelBias);
    }

    [Fact]
    public void Imu_freeze_stops_the_sample_counter()
    {
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.ImuFreeze, "pelvis_imu", 0.02)));
        RunTo(At + 2, b, f);
        ushort counter = b.State.Image.Imus[0].SampleCounter;
        RunTo(At + 15, b, f);
        Assert.Equal(counter, b.State.Image.Imus[0].SampleCounter);
        RunTo(At + 30, b, f);
        Assert.NotEqual(counter, b.State.Image.Imus[0].SampleCounter);
    }

    [Fact]
    public void Imu_saturation_reads_the_range_limit_with_both_saturation_bits()
    {
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.ImuSaturation, "l_foot_imu", 0.02)));
        RunTo(At + 3, b, f);
        var s = b.State.Image.Imus[1];
        var both = (ushort)(ImuStatus.AccelSaturated | ImuStatus.GyroSaturated);
        Assert.Equal(both, (ushort)(s.Status & both));
        double range = b.Config.Imus[1].AccelRangeMs2;
        Assert.Equal(range, Math.Abs(s.SpecificForceZ), 1);
        RunTo(At + 30, b, f);
        Assert.Equal(0, b.State.Image.Imus[1].Status & both);
    }

    [Fact]
    public void Frame_loss_drops_exactly_that_many_cyclic_frames()
    {
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.FrameLoss) with { Frames = 2 }));
        RunTo(At, b, f);
        long dropped = b.Segment.FramesDropped;
        RunTo(At + 10, b, f);
        Assert.Equal(dropped + 2, b.Segment.FramesDropped);
    }

    [Fact]
    public void Slave_safeop_drops_the_knee_drives_slave_to_safeop_with_an_al_error_and_the_host_sees_it()
    {
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.SlaveSafeOp, "l_knee")));
        var esc = b.DriveDevice(b.Joint("l_knee")).Esc;
        RunTo(At, b, f);
        Assert.Equal(AlState.Op, esc.State);
        f.ApplyDue(At);
        Assert.Equal(AlState.SafeOp, esc.State);
        Assert.True(esc.AlError);
        bool seen = false;
        for (int k = 0; k < 3 && !seen; k++)
        {
            b.Step();
            seen = b.HasFault(FaultCode.BusSlaveLeftOp);
        }
        Assert.True(seen, "the master did not report the slave out of OP within 3 ticks");
    }

    [Fact]
    public void Link_down_loses_every_frame_until_the_end()
    {
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.LinkDown, null, 0.01)));
        RunTo(At, b, f);
        long dropped = b.Segment.FramesDropped;
        RunTo(At + 10, b, f);
        Assert.True(b.Segment.LinkDown);
        Assert.Equal(dropped + 10, b.Segment.FramesDropped);
        RunTo(At + 12, b, f);
        Assert.False(b.Segment.LinkDown);
    }

    [Fact]
    public void Cpu_hog_in_real_time_spins_its_threads_for_its_duration()
    {
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.CpuHog, null, 0.005)), realtime: true);
        RunTo(At, b, f);
        Assert.Equal(0, f.Injections[0].HogThreadsSpinning);
        f.ApplyDue(At);
        for (int k = 0; k < 500 && f.Injections[0].HogThreadsSpinning < Environment.ProcessorCount; k++) Thread.Sleep(2); // threads start asynchronously
        Assert.Equal(Environment.ProcessorCount, f.Injections[0].HogThreadsSpinning); // loop.cpu −1: one per core
        RunTo(At + 6, b, f);
        Assert.Equal(0, f.Injections[0].HogThreadsSpinning);
    }

    [Fact]
    public void Broker_outage_stops_the_private_broker_and_restarts_it_on_the_same_port()
    {
        using var broker = PrivateBroker.Start();
        int port = broker.Port;
        using var b = new LockstepBench();
        using var f = new FaultInjector(b.Session, With(I(InjectionKind.BrokerOutage, null, 0.01)), broker);
        Assert.StartsWith("mqtt://127.0.0.1:", broker.Uri, StringComparison.Ordinal);
        RunTo(At, b, f);
        Assert.True(broker.Running);
        f.ApplyDue(At);
        Assert.False(broker.Running);
        RunTo(At + 11, b, f);
        Assert.True(broker.Running);
        Assert.Equal(port, broker.Port);
        using var c = new System.Net.Sockets.TcpClient();
        c.Connect(System.Net.IPAddress.Loopback, port); // listening again
    }
}
