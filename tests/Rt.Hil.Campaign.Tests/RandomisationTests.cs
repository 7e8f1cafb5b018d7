using Rt.Core.Config;
using Rt.Core.ProcessData;
using Rt.Hil.Drives;
using Rt.Hil.Campaign;
using Rt.Session;
using Rt.TestSupport;
using Xunit.Abstractions;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>Domain randomisation: drawn from the seed alone, applied to the bench, and the same seed repeats the run bit for bit.</summary>
public sealed class RandomisationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolders _temp = new(); // deleted after the test

    public void Dispose() => _temp.Dispose();

    private static readonly Randomisation Bounds = new()
    {
        MassFraction = 0.05,
        InertiaFraction = 0.05,
        FrictionFraction = 0.2,
        MotorConstantFraction = 0.03,
        EncoderNoiseCounts = [0, 2],
        ImuAccelNoiseMs2 = [0.01, 0.03],
        ImuGyroNoiseRadS = [0.001, 0.003],
        SensorLatencySubsteps = [0, 2],
    };

    internal static Scenario ScenarioWith(ulong seed, Randomisation randomisation, IReadOnlyList<Injection>? injections = null) => new()
    {
        Name = "t",
        SourcePath = Path.Combine(RepoPaths.Root, "hil", "scenarios", "t.yaml"),
        ConfigPath = RepoPaths.Biped12Config,
        DurationS = 5,
        Seed = seed,
        Randomisation = randomisation,
        Injections = injections ?? [],
        Expect = new Expectation { Outcome = ExpectedOutcome.NoTrip },
    };

    private HostSession NewSession(bool hashTrace = false, Action<RtConfig>? tweak = null)
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        tweak?.Invoke(config);
        string dir = _temp.New("rt-randomise-");
        return BenchSession.Create(config, new SessionOptions
        {
            Bench = true,
            Lockstep = true,
            HashTrace = hashTrace,
            StateDirectory = dir,
        });
    }

    [Fact]
    public void The_same_seed_draws_the_same_values_and_another_seed_draws_others_within_the_bounds()
    {
        using var a = NewSession();
        using var b = NewSession();
        using var c = NewSession();
        var da = DomainRandomiser.Apply(a, ScenarioWith(7, Bounds));
        var db = DomainRandomiser.Apply(b, ScenarioWith(7, Bounds));
        var dc = DomainRandomiser.Apply(c, ScenarioWith(8, Bounds));
        foreach (var (k, v) in da.Take(6)) output.WriteLine($"{k}: {v} (seed 8: {dc[k]})");
        Assert.Equal(da.OrderBy(p => p.Key), db.OrderBy(p => p.Key));
        Assert.Equal(da.Keys.Order(), dc.Keys.Order());
        int differ = da.Count(p => p.Value != dc[p.Key]);
        Assert.True(differ > da.Count / 2, $"seed 8 repeats {da.Count - differ} of {da.Count} values of seed 7");

        // Every value inside its bound.
        var nominal = RepoPlant();
        foreach (var (k, v) in dc)
        {
            string[] p = k.Split('.');
            switch (p[1])
            {
                case "mass_kg": Assert.InRange(v / nominal[p[0]], 0.95 - 1e-12, 1.05 + 1e-12); break;
                case "inertia_factor": Assert.InRange(v, 0.95, 1.05); break;
                case "motor_constant_scale": Assert.InRange(v, 0.97, 1.03); break;
                case "encoder_noise_counts": Assert.InRange(v, 0, 2); break;
                case "accel_noise_ms2": Assert.InRange(v, 0.01, 0.03); break;
                case "gyro_noise_rad_s": Assert.InRange(v, 0.001, 0.003); break;
                case "sensor_latency_substeps": Assert.Contains(v, new[] { 0.0, 1.0, 2.0 }); break;
            }
        }
        Assert.Contains(dc, p => p.Key.EndsWith(".sensor_latency_substeps", StringComparison.Ordinal) && p.Value == 2);
    }

    private static Dictionary<string, double> RepoPlant()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        return config.Description!.Links.Where(l => l.Inertial is not null).ToDictionary(l => l.Name, l => l.Inertial!.Mass);
    }

    [Fact]
    public void The_drawn_values_reach_the_plant_the_drives_and_the_imus()
    {
        using var s = NewSession();
        var plant = s.Bench!.Bench.Plant;
        double thigh0 = plant.GetLinkMass("l_thigh"), knee0 = plant.GetJointFrictionLoss(s.Config.Joints.FindIndex(j => j.Name == "l_knee"));
        var inertia0 = plant.GetLinkInertia("l_shin");
        var d = DomainRandomiser.Apply(s, ScenarioWith(3, Bounds));
        int knee = s.Config.Joints.FindIndex(j => j.Name == "l_knee");
        var drive = s.Bench!.Bench.Drives[knee];
        var imu = s.Bench!.Bench.Imus[0];

        Assert.Equal(d["l_thigh.mass_kg"], plant.GetLinkMass("l_thigh"), 12);
        Assert.NotEqual(thigh0, plant.GetLinkMass("l_thigh"));
        Assert.Equal(inertia0.X * d["l_shin.inertia_factor"], plant.GetLinkInertia("l_shin").X, 12);
        Assert.Equal(d["l_knee.frictionloss_nm"], plant.GetJointFrictionLoss(knee), 12);
        Assert.NotEqual(knee0, plant.GetJointFrictionLoss(knee));
        Assert.Equal(d["l_knee.damping_nms"], plant.GetJointDamping(knee), 12);
        Assert.Equal(d["l_knee.motor_constant_scale"], drive.MotorConstantScale);
        Assert.Equal(d["l_knee.encoder_noise_counts"], drive.EncoderNoiseCounts);
        Assert.Equal(d["l_knee.sensor_latency_substeps"], drive.FeedbackLatencySubsteps);
        Assert.Equal(d[$"{imu.Name}.accel_noise_ms2"], imu.AccelNoiseMs2);
        Assert.Equal(d[$"{imu.Name}.gyro_noise_rad_s"], imu.GyroNoiseRadS);
        Assert.Equal(d[$"{imu.Name}.sensor_latency_substeps"], s.Bench!.Bench.ImuLatencySubsteps(0));
        Assert.Equal(1.0, drive.TorqueScale); // the fault hook is left alone
    }

    [Fact]
    public void The_same_seed_repeats_the_run_bit_for_bit_and_another_seed_does_not()
    {
        ulong Run(ulong seed)
        {
            using var s = NewSession(hashTrace: true);
            DomainRandomiser.Apply(s, ScenarioWith(seed, Bounds));
            s.RunLockstep(600);
            return s.Trace!.Hash;
        }
        ulong a = Run(5), b = Run(5), c = Run(6);
        output.WriteLine($"trace hashes: seed 5 {a:X16}, {b:X16}; seed 6 {c:X16}");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Ticks_with_sensor_latency_and_an_idle_injector_allocate_nothing()
    {
        using var s = NewSession();
        DomainRandomiser.Apply(s, ScenarioWith(9, Bounds with { SensorLatencySubsteps = [2, 2] }));
        Assert.Equal(2, s.Bench!.Bench.ImuLatencySubsteps(0));
        using var injector = new FaultInjector(s, ScenarioWith(9, Randomisation.None,
            [new Injection { Kind = InjectionKind.TorqueLoss, AtS = 4, Target = "l_knee", Scale = 0.5, Line = 1 }]));
        var scheduler = s.CreateLockstep();
        scheduler.Run(1500, 0); // enabled, settled, marching; JIT warm
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long t = 1500; t < 2500; t++)
        {
            injector.ApplyDue(t);
            scheduler.Run(1, t);
        }
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{bytes} bytes over 1000 ticks");
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Zero_latency_and_a_unit_motor_constant_leave_the_bench_exactly_as_it_was()
    {
        ulong Run(bool setHooks)
        {
            using var s = NewSession(hashTrace: true);
            if (setHooks)
            {
                var bench = s.Bench!.Bench;
                for (int j = 0; j < bench.Drives.Count; j++)
                {
                    bench.Drives[j].FeedbackLatencySubsteps = 0;
                    bench.Drives[j].MotorConstantScale = 1.0;
                }
                for (int k = 0; k < bench.Imus.Count; k++) bench.SetImuLatencySubsteps(k, 0);
            }
            s.RunLockstep(600);
            return s.Trace!.Hash;
        }
        Assert.Equal(Run(false), Run(true));
    }

    [Fact]
    public void A_drive_with_feedback_latency_reports_the_position_of_that_many_substeps_ago()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        var joint = config.Joints[3];
        var fresh = new EmulatedServoDrive(joint);
        var late = new EmulatedServoDrive(joint) { FeedbackLatencySubsteps = 3 };
        var positions = new List<int>();
        for (int k = 0; k < 20; k++)
        {
            double q = 0.01 * k;
            fresh.Update(q, 0.0005);
            late.Update(q, 0.0005);
            positions.Add(fresh.Feedback.PositionActual);
            if (k >= 3) Assert.Equal(positions[k - 3], late.Feedback.PositionActual);
        }
        Assert.NotEqual(fresh.Feedback.PositionActual, late.Feedback.PositionActual);
        Assert.Equal(fresh.Feedback.Statusword, late.Feedback.Statusword); // the state is not delayed
    }

    [Fact]
    public void An_imu_with_latency_reports_the_motion_of_that_many_substeps_ago()
    {
        // Two benches, one with a 2-substep IMU latency: its sample at tick k+1 is the undelayed bench's window shifted
        // back by 2 substeps, so with 2 substeps per tick it equals the undelayed sample of tick k.
        using var a = NewSession();
        using var b = NewSession();
        int substeps = a.Bench!.Bench.Substeps;
        Assert.Equal(2, substeps);
        for (int k = 0; k < a.Bench!.Bench.Imus.Count; k++)
        {
            a.Bench!.Bench.Imus[k].AccelNoiseMs2 = 0;
            a.Bench!.Bench.Imus[k].GyroNoiseRadS = 0;
            b.Bench!.Bench.Imus[k].AccelNoiseMs2 = 0;
            b.Bench!.Bench.Imus[k].GyroNoiseRadS = 0;
            b.Bench!.Bench.SetImuLatencySubsteps(k, substeps);
        }
        // Drive both plants with the same torques: advance the bench alone (no host), identical motion.
        var benchA = a.Bench!.Bench;
        var benchB = b.Bench!.Bench;
        ImuInputs previous = default;
        for (int t = 0; t < 50; t++)
        {
            benchA.Plant.ApplyExternalWrench(benchA.Plant.LinkIndex("l_foot"), new Rt.Core.Description.Vec3(0, 0, 20 * Math.Sin(t * 0.3)), default);
            benchB.Plant.ApplyExternalWrench(benchB.Plant.LinkIndex("l_foot"), new Rt.Core.Description.Vec3(0, 0, 20 * Math.Sin(t * 0.3)), default);
            benchA.Advance(benchA.TickPeriodNs);
            benchB.Advance(benchB.TickPeriodNs);
            int foot = 1;
            if (t > 2)
            {
                Assert.Equal(previous.SpecificForceZ, benchB.Imus[foot].Last.SpecificForceZ);
                Assert.Equal(previous.AngularRateY, benchB.Imus[foot].Last.AngularRateY);
            }
            previous = benchA.Imus[foot].Last;
        }
        Assert.NotEqual(benchA.Imus[1].Last.SpecificForceZ, benchB.Imus[1].Last.SpecificForceZ);
    }
}
