using System.Diagnostics;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Drivers.Cia402;
using Rt.Session;
using Rt.TestSupport;
using Xunit;
using EscAlState = Rt.Hil.Esc.Esc.AlState;

namespace Rt.Host.Tests;

/// <summary>
/// The orderly end of a run (issue 12 item 6): an operator stop through the supervisor's configured ramp, the drives
/// walked down their CiA 402 machine until the statusword confirms, every slave to SAFE-OP then INIT.
/// </summary>
public class OrderlyStopTests
{
    [Fact]
    public void An_operator_stop_mid_march_disables_every_drive_and_takes_every_slave_to_init()
    {
        using var b = new LockstepBench();
        b.RunUntilOperational(settleTicks: 1500); // mid-march: the legs are moving
        Assert.Contains(b.State.Velocity, v => Math.Abs(v) > 0.05);
        var (stop, events) = StopAndCheckBus(b);
        Assert.Contains(events, e => e.From == SafetyState.Operational && e.To == SafetyState.Stopping && e.Trigger == FaultCode.None && e.Reaction == StopCategory.None);
        // The march's clock slows to rest along the path, then the enable drops (OperatorHold holds the joints): no trip.
        Assert.Contains(events, e => e.From == SafetyState.Stopping && e.To == SafetyState.Disabled);
        Assert.DoesNotContain(events, e => e.Reaction is StopCategory.Cat0 or StopCategory.Cat1 or StopCategory.Cat2);
        Assert.True(stop.BudgetTicks > 0);
    }

    [Fact]
    public void With_the_calibrated_twin_watching_the_motion_slows_to_rest_along_its_path_without_a_divergence()
    {
        // The stop used to leave the path (targets frozen, the supervisor's ramp alone): the twin then diverged on the
        // IMUs and the end of every run mid-march was a Cat 1 trip. Now the march's own clock slows to rest first.
        using var b = new LockstepBench(twin: null); // the shipped config: calibrated twin, every trigger live
        b.RunUntilOperational(settleTicks: 1500);
        Assert.Contains(b.State.Velocity, v => Math.Abs(v) > 0.05);
        var (_, events) = StopAndCheckBus(b);
        Assert.DoesNotContain(events, e => e.Reaction is StopCategory.Cat0 or StopCategory.Cat1 or StopCategory.Cat2);
        Assert.DoesNotContain(events, e => e.Trigger != FaultCode.None);
        Assert.Contains(events, e => e.From == SafetyState.Stopping && e.To == SafetyState.Disabled);
    }

    [Fact]
    public void An_operator_stop_while_holding_ends_disabled_without_a_trip()
    {
        using var b = new LockstepBench(tweak: c => c.Motion.Kind = Rt.Core.Config.MotionKind.Hold);
        b.RunUntilOperational(settleTicks: 500);
        var (_, events) = StopAndCheckBus(b);
        Assert.Contains(events, e => e.From == SafetyState.Operational && e.To == SafetyState.Stopping && e.Trigger == FaultCode.None && e.Reaction == StopCategory.None);
        Assert.Contains(events, e => e.From == SafetyState.Stopping && e.To == SafetyState.Disabled);
        Assert.DoesNotContain(events, e => e.Reaction is StopCategory.Cat0 or StopCategory.Cat1 or StopCategory.Cat2);
    }

    /// <summary>Runs the orderly stop, then checks every drive's statusword and every emulated slave's AL state.</summary>
    private static (OrderlyStop Stop, List<SafetyEvent> Events) StopAndCheckBus(LockstepBench b)
    {
        var stop = new OrderlyStop(b.Session);
        long first = b.NextTick;
        var (outcome, next) = stop.RunLockstep(b.Session.CreateLockstep(), first);
        Assert.Equal(StopOutcome.Settled, outcome);
        Assert.True(next - first <= stop.BudgetTicks, $"{next - first} ticks, budget {stop.BudgetTicks}");
        foreach (var input in b.State.Image.Inputs)
            Assert.Equal(DriveState.SwitchOnDisabled, Statusword.Decode(input.Statusword));
        Assert.Null(stop.StopBus());
        foreach (var slave in b.Segment.Slaves)
            Assert.Equal(EscAlState.Init, slave.Esc.State); // read from the emulator itself
        return (stop, b.CloseAndTakeEvents());
    }

    [SkippableTheory]
    [InlineData("SIGTERM")]
    [InlineData("SIGINT")]
    public void A_signal_stops_rt_run_in_order_prints_the_report_and_exits_0(string signal)
    {
        // A signal this test process ignores (SIG_IGN inherited, e.g. SIGINT under `nohup … &`) stays ignored in the
        // child: the runtime keeps signals ignored at start ignored, so the host could never see it.
        Skip.If(SignalIgnoredHere(signal == "SIGTERM" ? 15 : 2), $"{signal} is ignored by this test's own process (inherited SIG_IGN), so rt run would inherit that too");
        var dll = Path.Combine(AppContext.BaseDirectory, "rt.dll");
        // A loaded machine can overrun the real-time loop while the host starts: the supervisor then latches a
        // loop_overrun fault (rightly) and never reaches Operational, so there is no orderly stop from motion to judge.
        // That is the machine, not the host: try up to three times, then report the test skipped with the reason.
        for (int attempt = 1; ; attempt++)
        {
            var state = Directory.CreateTempSubdirectory("rt-signal-").FullName;
            try
            {
                var (started, _) = StartUntilOperational(dll, state);
                if (started is { } run && StopAndCheck(dll, state, signal, run.P, run.Stdout, run.Stderr)) return;
            }
            finally
            {
                TempFolders.Delete(state);
            }
            // Here the loop overran, while rt run started or in motion before the signal's stop (any other failure
            // already failed the test): retry, or skip.
            Skip.If(attempt == 3, "the real-time loop overran while rt run ran, three times: this machine is too loaded to judge an orderly stop from motion");
        }
    }

    private static ((Process P, System.Text.StringBuilder Stdout, Task<string> Stderr)? Run, bool Overran) StartUntilOperational(string dll, string state)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = state };
        foreach (var a in new[] { dll, "run", "--config", RepoPaths.Biped12Config, "--bench", "--until-stopped", "--no-ui", "--motion", "hold", "--state-dir", state })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var stdout = new System.Text.StringBuilder();
        var operational = new ManualResetEventSlim();
        var overrun = new ManualResetEventSlim();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (e.Data.Contains("safety Operational", StringComparison.Ordinal)) operational.Set();
            if (e.Data.StartsWith("fault: loop overrun", StringComparison.Ordinal)) overrun.Set();
        };
        p.BeginOutputReadLine();
        var stderr = p.StandardError.ReadToEndAsync();
        int which = WaitHandle.WaitAny([operational.WaitHandle, overrun.WaitHandle], TimeSpan.FromSeconds(90));
        if (which == 0) return ((p, stdout, stderr), false);
        p.Kill(entireProcessTree: true);
        p.WaitForExit();
        p.Dispose();
        if (which == 1) return (null, true);
        Assert.Fail($"rt run never reported Operational; stdout:\n{stdout}\nstderr:\n{stderr.Result}");
        return (null, false);
    }

    /// <summary>Signals the run and checks its orderly stop; false when the loop latched an overrun first (exit 1, the
    /// machine's load, not the host: the supervisor rightly trips on it), for the caller to retry.</summary>
    private static bool StopAndCheck(string dll, string state, string signal, Process p, System.Text.StringBuilder stdout, Task<string> stderr)
    {
        using var _ = p;
        Assert.Equal(0, Kill(p.Id, signal == "SIGTERM" ? 15 : 2));
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "rt run did not end after the signal");
        p.WaitForExit();
        string output;
        lock (stdout) output = stdout.ToString();
        if (p.ExitCode == 1 && output.Contains("fault: loop overrun", StringComparison.Ordinal)) return false;
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}; stdout:\n{output}\nstderr:\n{stderr.Result}");
        Assert.Contains("== final report ==", output);
        Assert.Contains($"stop: {signal} received: motion stopped (safety Disabled), every drive disabled, every slave in INIT", output);
        ErrorContractTests.AssertNoTrace(stderr.Result, $"run + {signal}");
        var log = ErrorContractTests.Run(dll, ["safety-log", Path.Combine(state, "rt-safety.log")]);
        Assert.Equal(0, log.Exit);
        Assert.Contains("Operational → Stopping; trigger None", log.Out);
        Assert.Contains("Stopping → Disabled", log.Out);
        return true;
    }

    private static bool SignalIgnoredHere(int signal)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("SigIgn:", StringComparison.Ordinal)) continue;
            ulong mask = ulong.Parse(line.AsSpan(7).Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            return (mask & (1UL << (signal - 1))) != 0;
        }
        return false;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int sig);
}
