using System.Diagnostics;
using Rt.Core.Config;
using Rt.Drivers.Cia402;
using Rt.Session.Preflight;
using Rt.TestSupport;
using Xunit;

namespace Rt.Host.Tests;

/// <summary>Trajectory pre-flight (issue 16, item 5): `rt preflight` and the check `rt run` makes before enabling any drive.</summary>
public sealed class PreflightTests : IDisposable
{
    private readonly TempFolders _temp = new(); // deleted after the test

    public void Dispose() => _temp.Dispose();

    // A march whose knee lift is too large: the knee's lift-off accelerates it past its limit, and the ankle that keeps the sole level runs past its limit.
    private const string TooHighMarch = "motion:\n  kind: march\n  knee_rad: 1.6\n";

    private static (int Exit, string Out, string Err) Rt(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rt.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, err);
    }

    private string TempFile(string name, string text)
    {
        var dir = new DirectoryInfo(_temp.New("rt-preflight-"));
        RepoPaths.CopyBiped12To(dir.FullName); // the URDF, twin parameters and ESI files it names
        var path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string InfeasibleConfig() =>
        TempFile("too-high.yaml", File.ReadAllText(RepoPaths.Biped12Config).Replace("  knee_rad: 0.9", "  knee_rad: 1.6"));

    [Fact]
    public void The_shipped_motions_are_feasible_from_the_neutral_pose()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        foreach (var kind in new[] { MotionKind.Hold, MotionKind.March, MotionKind.Sine })
        {
            config.Motion.Kind = kind;
            var preflight = new MotionPreflight(config);
            Assert.True(preflight.ChecksTorque);
            var result = preflight.Run(preflight.Neutral(), preflight.Horizon(double.PositiveInfinity));
            Assert.True(result.Feasible, $"{kind}: {string.Join("; ", result.Violations)}");
            Assert.Contains(result.PeakTorqueNm, t => t > 0); // the model did compute torques
        }
    }

    [Fact]
    public void The_march_with_a_20_rad_s2_stop_is_refused_where_a_stop_would_carry_the_knee_past_its_limit()
    {
        // The finding behind biped12's 25 rad/s²: at 20 the knee, coming down at 4.84 rad/s from 0.51 rad 0.46 s into a
        // step, would be ramped to 0.51 − 4.84²/40 = −0.075 rad, 25 mrad past its −0.05 rad limit.
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Safety.StopDecelerationRadS2 = 20;
        var preflight = new MotionPreflight(config);
        var result = preflight.Run(preflight.Neutral(), preflight.Horizon(double.PositiveInfinity));
        Assert.False(result.Feasible);
        var knee = Assert.Single(result.Violations, v => v.JointName == "l_knee");
        Assert.Equal(PreflightReason.StopDistance, knee.Reason);
        Assert.Equal(-0.05, knee.Limit);
        Assert.InRange(knee.Value, -0.080, -0.070); // the worst sample, not the first one short
        Assert.InRange(knee.TimeS - config.Motion.SettleS, 0.455, 0.475);
        Assert.Contains(result.Violations, v => v.JointName == "r_knee" && v.Reason == PreflightReason.StopDistance);
        Assert.All(result.Violations, v => Assert.EndsWith("knee", v.JointName, StringComparison.Ordinal));

        // The estimate is the ramp the supervisor commands: v0²/(2a) from where the stop begins (no extra period), so
        // a deceleration just above the worst sample's need passes and one just below is refused.
        config.Safety.StopDecelerationRadS2 = 21.0;
        Assert.True(new MotionPreflight(config).Run(preflight.Neutral(), preflight.Horizon(double.PositiveInfinity)).Feasible);
        config.Safety.StopDecelerationRadS2 = 20.8;
        Assert.False(new MotionPreflight(config).Run(preflight.Neutral(), preflight.Horizon(double.PositiveInfinity)).Feasible);
    }

    [Fact]
    public void A_too_high_knee_lift_is_refused_with_joint_time_and_reason()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Motion.KneeRad = 1.6;
        var preflight = new MotionPreflight(config);
        var result = preflight.Run(preflight.Neutral(), preflight.Horizon(double.PositiveInfinity));
        Assert.False(result.Feasible);
        var knee = Assert.Single(result.Violations, v => v.JointName == "l_knee");
        Assert.Equal(PreflightReason.Acceleration, knee.Reason); // 1.6/0.9 × the 60 rad/s² the shipped lift reaches
        Assert.True(knee.Value > knee.Limit);
        Assert.Equal("motion", knee.Phase);
        Assert.Contains(result.Violations, v => v.JointName == "l_ankle_pitch");
        Assert.DoesNotContain(result.Violations, v => v.JointName.EndsWith("hip_yaw", StringComparison.Ordinal)); // untouched joints pass
    }

    [Fact]
    public void A_slow_stop_ramp_is_refused_as_a_stop_distance_shortfall_on_the_joint()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Motion.Kind = MotionKind.Hold;
        config.Safety.StopDecelerationRadS2 = 0.5;
        var preflight = new MotionPreflight(config);
        Assert.True(preflight.Run(preflight.Neutral(), 0.5).Feasible); // the settle from the neutral pose does not move

        var start = preflight.Neutral();
        int yaw = config.Joints.FindIndex(j => j.Name == "l_hip_yaw");
        start[yaw] = -0.45; // the settle swings it back to 0 at up to ~0.8 rad/s
        var result = new MotionPreflight(config).Run(start, 0.5);
        Assert.False(result.Feasible);
        var w = Assert.Single(result.Violations);
        Assert.Equal("l_hip_yaw", w.JointName);
        Assert.Equal(PreflightReason.StopDistance, w.Reason);
        Assert.Equal("settle", w.Phase);
        Assert.True(w.Value > w.Limit);
    }

    [Fact]
    public void A_heavy_torque_limit_and_a_start_near_a_limit_are_refused()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        int knee = config.Joints.FindIndex(j => j.Name == "l_knee");
        config.Joints[knee].Limits.TorqueNm = 0.01;
        var preflight = new MotionPreflight(config);
        var result = preflight.Run(preflight.Neutral(), 2.0);
        Assert.Contains(result.Violations, v => v.JointName == "l_knee" && v.Reason == PreflightReason.Torque);

        config = ConfigLoader.Load(RepoPaths.Biped12Config);
        preflight = new MotionPreflight(config);
        var start = preflight.Neutral();
        start[knee] = 2.5; // past position_max_rad 2.3
        result = preflight.Run(start, 1.0);
        var v0 = Assert.Single(result.Violations, v => v.JointName == "l_knee");
        Assert.Equal(PreflightReason.Position, v0.Reason);
        Assert.Equal(0, v0.TimeS);
    }

    [Fact]
    public void Rt_preflight_exits_0_on_a_feasible_motion_and_2_with_one_line_per_joint_on_an_infeasible_one()
    {
        var (exit, output, err) = Rt("preflight", "--config", RepoPaths.Biped12Config);
        Assert.True(exit == 0, err);
        Assert.Contains("feasible", output);

        var motion = TempFile("motion.yaml", TooHighMarch);
        (exit, output, err) = Rt("preflight", "--config", RepoPaths.Biped12Config, "--motion", motion, "--json");
        Assert.Equal(2, exit);
        Assert.Contains("\"feasible\": false", output);
        Assert.Contains("l_knee", output);
        Assert.DoesNotContain("   at ", err);

        (exit, _, err) = Rt("preflight", "--config", RepoPaths.Biped12Config, "--motion", motion);
        Assert.Equal(2, exit);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.Contains("joint l_knee ", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.StartsWith("error: pre-flight: joint ", l));

        (exit, _, err) = Rt("preflight", "--config", RepoPaths.Biped12Config, "--from", "0,0");
        Assert.Equal(2, exit);
        Assert.Contains("--from", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Rt_run_refuses_an_infeasible_motion_before_enabling_and_runs_a_feasible_one()
    {
        var (exit, output, err) = Rt("run", "--config", InfeasibleConfig(), "--bench", "--lockstep", "--duration", "0.5", "--no-ui");
        Assert.Equal(2, exit);
        Assert.Contains("error: pre-flight: joint l_knee", err);
        Assert.Contains("refusing to enable motion.", err);
        Assert.DoesNotContain("   at ", err);

        (exit, output, err) = Rt("run", "--config", RepoPaths.Biped12Config, "--bench", "--lockstep", "--duration", "0.5", "--no-ui");
        Assert.True(exit == 0, err);
        Assert.Contains("pre-flight: motion March feasible", output);
        Assert.DoesNotContain("warning: pre-flight", output);

        // A stop-distance shortfall refuses like any other limit: joint, time, reason, exit 2, no drive enabled.
        var slowStop = TempFile("slow-stop.yaml", File.ReadAllText(RepoPaths.Biped12Config).Replace("  stop_deceleration_rad_s2: 25", "  stop_deceleration_rad_s2: 20"));
        (exit, output, err) = Rt("run", "--config", slowStop, "--bench", "--lockstep", "--duration", "0.5", "--no-ui");
        Assert.Equal(2, exit);
        Assert.Contains("error: pre-flight: joint l_knee at t = ", err);
        Assert.Contains("(motion): a stop begun here would end at -0.07", err);
        Assert.Contains("refusing to enable motion.", err);
    }

    [Fact]
    public void On_the_bench_no_drive_reaches_operation_enabled_when_the_pre_flight_refuses()
    {
        // The run path's gate, stepped: the enable is held low, tick 0 measures the pose, the pre-flight decides.
        using (var b = new LockstepBench(tweak: c => c.Motion.KneeRad = 1.6))
        {
            b.Session.Pipeline.Operator.Enable = false;
            b.Step();
            var result = PreflightGate.Check(b.Session, 10);
            Assert.False(result.Feasible);
            Assert.Contains(result.Violations, v => v.JointName == "l_knee");
            b.Run(300); // well past the time the drives need to enable (they do below)
            for (int j = 0; j < b.Joints; j++) Assert.NotEqual(DriveState.OperationEnabled, b.Bench.Drives[j].State);
        }
        using (var b = new LockstepBench())
        {
            b.Session.Pipeline.Operator.Enable = false;
            b.Step();
            var result = PreflightGate.Check(b.Session, 10);
            Assert.True(result.Feasible, string.Join("; ", result.Violations));
            b.Session.Pipeline.Operator.Enable = true;
            b.RunUntilOperational(settleTicks: 20, maxTicks: 300);
            for (int j = 0; j < b.Joints; j++) Assert.Equal(DriveState.OperationEnabled, b.Bench.Drives[j].State);
        }
    }
}
