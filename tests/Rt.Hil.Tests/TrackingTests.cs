using Rt.ControlLoop.Pipeline;
using Rt.Core.Tick;
using Xunit.Abstractions;

namespace Rt.Hil.Tests;

/// <summary>The host's drive layer sending CSP targets with velocity feed-forward (0x60B1) to the emulated drives.</summary>
public class TrackingTests(ITestOutputHelper output)
{
    [Fact]
    public void Csp_with_velocity_feed_forward_tracks_a_march_like_motion_within_5_mrad()
    {
        var config = BenchFixtures.Config;
        using var bench = Bench.Create(config);
        var state = BenchFixtures.NewState(config);
        var io = new JointIo(config);
        int hip = BenchFixtures.JointIndex("l_hip_pitch"), knee = BenchFixtures.JointIndex("l_knee");
        double maxHip = 0, maxKnee = 0;
        for (int t = 0; t < 4000; t++)
        {
            double time = t / 1000.0, w = 2 * Math.PI / 1.2;
            double ramp = Math.Min(1, time / 1.0);
            state.TargetPosition[hip] = ramp * 0.5 * Math.Sin(w * time);
            state.TargetVelocity[hip] = ramp * 0.5 * w * Math.Cos(w * time);
            state.TargetPosition[knee] = ramp * 0.45 * (1 - Math.Cos(w * time));
            state.TargetVelocity[knee] = ramp * 0.45 * w * Math.Sin(w * time);
            bench.Exchange(state);
            io.ReadInputs(state);
            state.PowerRequest = DrivePowerRequest.Operate;
            io.WriteOutputs(state);
            bench.Advance(bench.TickPeriodNs);
            if (t > 2000)
            {
                maxHip = Math.Max(maxHip, Math.Abs(bench.Plant.JointPosition(hip) - state.TargetPosition[hip]));
                maxKnee = Math.Max(maxKnee, Math.Abs(bench.Plant.JointPosition(knee) - state.TargetPosition[knee]));
            }
        }
        output.WriteLine($"max tracking error after the ramp: hip pitch {maxHip:F4} rad, knee {maxKnee:F4} rad");
        Assert.True(state.AllDrivesOperational);
        Assert.True(maxHip < 0.005, $"hip pitch error {maxHip}");
        Assert.True(maxKnee < 0.005, $"knee error {maxKnee}");
    }
}
