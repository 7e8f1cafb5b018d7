using Rt.Core.Description;
using Rt.Core.Faults;
using Rt.Hil.Drives;
using Xunit.Abstractions;
using Rt.Drivers.Cia402;

namespace Rt.Hil.Tests;

public class BenchFaultTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("l_hip_pitch")]
    [InlineData("l_knee")]
    [InlineData("r_ankle_roll")]
    [InlineData("r_hip_yaw")]
    public void Csp_step_inside_the_following_window_settles_without_a_fault(string joint)
    {
        using var bench = Bench.Create(BenchFixtures.Config);
        var state = BenchFixtures.NewState(BenchFixtures.Config);
        BenchFixtures.EnableAll(bench, state);
        int j = BenchFixtures.JointIndex(joint);
        var scaling = bench.Drives[j].Scaling;
        double start = bench.Plant.JointPosition(j), step = 0.08, target = start + step;
        double peak = 0;
        int settledAt = -1;
        for (int tick = 0; tick < 1000; tick++)
        {
            for (int i = 0; i < 12; i++) state.Image.Outputs[i].Controlword = 0x0F;
            state.Image.Outputs[j].TargetPosition = scaling.PositionToCounts(target);
            bench.Exchange(state);
            bench.Advance(bench.TickPeriodNs);
            double q = bench.Plant.JointPosition(j);
            peak = Math.Max(peak, q - start);
            if (Math.Abs(q - target) > 0.002) settledAt = -1;
            else if (settledAt < 0) settledAt = tick;
        }
        output.WriteLine($"{joint}: 0.08 rad step, overshoot {(peak - step) / step * 100:F1} %, settled (±2 mrad) after {settledAt} ms");
        Assert.Equal(DriveState.OperationEnabled, bench.Drives[j].State);
        Assert.InRange(settledAt, 1, 500);
        Assert.True(peak - step < 0.5 * step, $"overshoot {peak - step} rad");
        Assert.Equal(target, bench.Plant.JointPosition(j), 0.002);
    }

    [Fact]
    public void Weakened_motor_lets_gravity_win_while_the_drive_reports_full_torque()
    {
        using var bench = Bench.Create(BenchFixtures.Config, new BenchOptions { InitialPose = new Dictionary<string, double> { ["l_knee"] = 1.0 } });
        var state = BenchFixtures.NewState(BenchFixtures.Config);
        BenchFixtures.EnableAll(bench, state);
        int knee = BenchFixtures.JointIndex("l_knee");
        var s = bench.Drives[knee].Scaling;
        void Run(int ticks)
        {
            for (int t = 0; t < ticks; t++)
            {
                for (int i = 0; i < 12; i++) state.Image.Outputs[i].Controlword = 0x0F;
                state.Image.Outputs[knee].TargetPosition = s.PositionToCounts(1.0);
                bench.Exchange(state);
                bench.Advance(bench.TickPeriodNs);
            }
        }
        Run(300);
        Assert.Equal(1.0, bench.Plant.JointPosition(knee), 0.003);
        bench.Drives[knee].TorqueScale = 0.0; // motor lost
        Run(50);
        Assert.True(bench.Plant.JointPosition(knee) < 1.0 - 0.02, $"knee {bench.Plant.JointPosition(knee)}");
        Assert.NotEqual(0, state.Image.Inputs[knee].TorqueActual); // the drive still believes it pushes
    }

    [Fact]
    public void A_diverging_plant_marks_the_bench_unhealthy_and_reports_a_fault()
    {
        using var bench = Bench.Create(BenchFixtures.Config);
        var state = BenchFixtures.NewState(BenchFixtures.Config);
        bench.Plant.ApplyExternalWrench(bench.Plant.LinkIndex("l_foot"), new Vec3(double.NaN, 0, 0), Vec3.Zero);
        bench.Advance(bench.TickPeriodNs);
        Assert.False(bench.PlantHealthy);
        bench.Exchange(state);
        Assert.True(state.Faults.Contains(FaultCode.BusLinkDown));
    }
}
