using Rt.Core.ProcessData;
using Rt.Hil.Drives;
using Rt.Hil.Sim;
using Rt.Drivers.Cia402;

namespace Rt.Hil.Tests;

public class DriveModeTests
{
    [Fact]
    public void Csv_tracks_a_target_velocity_on_the_plant()
    {
        using var bench = Bench.Create(BenchFixtures.Config);
        var state = BenchFixtures.NewState(BenchFixtures.Config);
        BenchFixtures.EnableAll(bench, state, Cia402Modes.CyclicSyncVelocity);
        int hip = BenchFixtures.JointIndex("r_hip_pitch");
        var s = bench.Drives[hip].Scaling;
        for (int tick = 0; tick < 200; tick++)
        {
            for (int i = 0; i < 12; i++) state.Image.Outputs[i] = new DriveOutputs { Controlword = 0x0F, ModeOfOperation = Cia402Modes.CyclicSyncVelocity };
            state.Image.Outputs[hip].TargetVelocity = s.VelocityToCounts(0.5);
            bench.Exchange(state);
            bench.Advance(bench.TickPeriodNs);
        }
        Assert.Equal(0.5, bench.Plant.JointVelocity(hip), 0.05);
        Assert.Equal(0.5, s.CountsToVelocity(bench.Drives[hip].Feedback.VelocityActual), 0.05);
        Assert.Equal(Cia402Modes.CyclicSyncVelocity, bench.Drives[hip].Feedback.ModeDisplay);
    }

    [Fact]
    public void Quick_stop_ramps_a_moving_joint_down_and_holds_it()
    {
        using var bench = Bench.Create(BenchFixtures.Config, new BenchOptions
        {
            Drive = new DriveModelOptions { QuickStopDecelerationRadS2 = 10 },
        });
        var state = BenchFixtures.NewState(BenchFixtures.Config);
        BenchFixtures.EnableAll(bench, state, Cia402Modes.CyclicSyncVelocity);
        int hip = BenchFixtures.JointIndex("l_hip_pitch");
        var s = bench.Drives[hip].Scaling;
        void Run(int ticks, ushort controlword)
        {
            for (int tick = 0; tick < ticks; tick++)
            {
                for (int i = 0; i < 12; i++) state.Image.Outputs[i] = new DriveOutputs { Controlword = controlword, ModeOfOperation = Cia402Modes.CyclicSyncVelocity };
                state.Image.Outputs[hip].TargetVelocity = s.VelocityToCounts(1.0);
                bench.Exchange(state);
                bench.Advance(bench.TickPeriodNs);
            }
        }
        Run(200, 0x0F);
        Assert.Equal(1.0, bench.Plant.JointVelocity(hip), 0.1);
        Run(50, 0x0B); // quick stop: after 50 ms at 10 rad/s², still slowing down
        Assert.Equal(DriveState.QuickStopActive, bench.Drives[hip].State);
        Assert.Equal(0x07, state.Image.Inputs[hip].Statusword & 0x6F);
        Assert.InRange(bench.Plant.JointVelocity(hip), 0.2, 0.8);
        Run(400, 0x0B);
        double held = bench.Plant.JointPosition(hip);
        Assert.Equal(0, bench.Plant.JointVelocity(hip), 0.01);
        Run(200, 0x0B);
        Assert.Equal(held, bench.Plant.JointPosition(hip), 0.002);
        Assert.NotEqual(0, state.Image.Inputs[hip].Statusword & 0x0400); // standstill reached
    }

    [Fact]
    public void Noise_source_is_seeded_and_standard_normal()
    {
        var a = new NoiseSource(42);
        var b = new NoiseSource(42);
        var c = new NoiseSource(43);
        double sum = 0, sumSq = 0;
        bool differs = false;
        const int n = 200_000;
        for (int k = 0; k < n; k++)
        {
            double x = a.NextGaussian();
            Assert.Equal(x, b.NextGaussian());
            differs |= x != c.NextGaussian();
            sum += x;
            sumSq += x * x;
        }
        double mean = sum / n, std = Math.Sqrt(sumSq / n - mean * mean);
        Assert.True(differs);
        Assert.InRange(mean, -0.01, 0.01);   // 4.5 σ of the sample mean
        Assert.InRange(std, 0.99, 1.01);
    }
}
