using System.Diagnostics;
using Rt.TestSupport;
using Xunit;

namespace Rt.Host.Tests;

/// <summary>
/// <c>rt jog</c> as an operator meets it (child processes of the bench's rt): bad input is one line and exit 2; end to
/// end, a host started with the left knee outside its range refuses a jog away, is jogged back by hold-to-run over its
/// reset socket, then resets, and the safety log shows the jog.
/// </summary>
public sealed class JogCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-jog-cli-").FullName;

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "rt.dll");

    /// <summary>biped12 with a reset socket (relative: under --state-dir) and absolute paths to its files.</summary>
    private string Config()
    {
        string dir = Path.GetDirectoryName(RepoPaths.Biped12Config)!;
        string text = File.ReadAllText(RepoPaths.Biped12Config)
            .Replace("description: biped12.urdf", $"description: {Path.Combine(dir, "biped12.urdf")}", StringComparison.Ordinal)
            .Replace("parameters: biped12.twin.yaml", $"parameters: {Path.Combine(dir, "biped12.twin.yaml")}", StringComparison.Ordinal)
            .Replace("  esi: [esi]", $"  esi: [{Path.Combine(dir, "esi")}]", StringComparison.Ordinal)
            .Replace("reset_socket: \"\"", "reset_socket: rt-reset.sock", StringComparison.Ordinal);
        // The longest hold timeout the bounds allow (1 s, default 0.25 s): on a loaded CI machine the client's renewal can
        // be starved for longer than 0.25 s, and the jog then ends as "hold released" before it reaches the range.
        text += "\njog:\n  hold_timeout_s: 1.0\n";
        string path = Path.Combine(_dir, "biped12-jog.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    public static TheoryData<string, string> BadInput => new()
    {
        { "jog --config {config} --joint no_such_joint --direction +", "unknown joint 'no_such_joint'" },
        { "jog --config {config} --joint l_knee --direction + --speed 0.5", "at most 0.1 rad/s" },
        { "jog --config {config} --joint l_knee --direction up", "expected + or -" },
        { "jog --config {config} --joint l_knee --direction + --socket tcp://192.0.2.1:1883", "network address" },
        { "run --config {config} --bench --lockstep --duration 0.1 --initial-pose no_such_joint=1", "unknown joint 'no_such_joint'" },
    };

    [SkippableTheory]
    [MemberData(nameof(BadInput))]
    public void Bad_input_is_one_line_and_exit_2(string args, string expected)
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        var (exit, _, err) = Run(args.Replace("{config}", Config()).Split(' '), ssh: false);
        Assert.True(exit == 2, $"rt {args}: exit {exit}; stderr: {err}");
        ErrorContractTests.AssertNoTrace(err, args);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.All(lines.Skip(1), l => Assert.Equal("refusing to enable motion.", l)); // the error contract's one follow-up
    }

    [SkippableFact]
    public void A_jog_from_an_ssh_session_is_refused_as_from_the_network()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        var (exit, _, err) = Run(["jog", "--config", Config(), "--joint", "l_knee", "--direction", "+"], ssh: true);
        Assert.Equal(2, exit);
        Assert.StartsWith("error: ", err.Trim());
        Assert.Contains("SSH", err, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void End_to_end_a_robot_outside_its_range_is_refused_a_jog_away_jogged_back_by_hold_to_run_and_reset()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string config = Config();
        string state = Path.Combine(_dir, "state");
        var host = Start(["run", "--config", config, "--bench", "--start-disabled", "--until-stopped", "--no-ui", "--skip-preflight",
            "--initial-pose", "l_knee=-0.12", "--state-dir", state,
            "--warn-only", "loop_overrun"]); // a loaded CI machine overruns real-time ticks; this test is about the jog
        var hostOut = new System.Text.StringBuilder();
        host.OutputDataReceived += (_, e) => { lock (hostOut) hostOut.AppendLine(e.Data); };
        host.ErrorDataReceived += (_, e) => { lock (hostOut) hostOut.AppendLine(e.Data); };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        try
        {
            string socket = Path.Combine(state, "rt-reset.sock");
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (!File.Exists(socket) && !host.HasExited && DateTime.UtcNow < until) Thread.Sleep(100);
            Assert.True(File.Exists(socket), $"the host opened no reset socket; its output:\n{hostOut}");
            // The socket opens before the first tick: wait for the host's own word that its loop runs (no fixed sleep),
            // and retry a request that found it not ticking yet (exit 3; the host withdraws such a request).
            Assert.True(HostTicking(host, hostOut, until), $"the host never said its loop runs; its output:\n{hostOut}");

            string[] common = ["--config", config, "--state-dir", state];
            var reset = Run(["reset", .. common], ssh: false);
            while (reset.Exit == 3 && !host.HasExited && DateTime.UtcNow < until)
            {
                Thread.Sleep(200);
                reset = Run(["reset", .. common], ssh: false);
            }
            Assert.True(reset.Exit == 1, $"reset while outside: exit {reset.Exit}; {reset.Out} {reset.Err}");
            Assert.Contains("PositionLimit", reset.Out, StringComparison.Ordinal);

            var away = Run(["jog", .. common, "--joint", "l_knee", "--direction", "-"], ssh: false);
            Assert.True(away.Exit == 2, $"jog away: exit {away.Exit}; {away.Out} {away.Err}"); // refused, nothing moved: 2 (as rt home, rt brake)
            var line = Assert.Single(away.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: jog refused: l_knee is at ", line);
            Assert.Contains("outside its range", line, StringComparison.Ordinal);

            var toward = Run(["jog", .. common, "--joint", "l_knee", "--direction", "+", "--speed", "0.1"], ssh: false, TimeSpan.FromSeconds(60));
            // A loaded machine can starve the button's renewals past the hold timeout: the host then ends the jog as
            // released, which is its job. Press again, as an operator would (at most twice more); the jog goes on from
            // where the knee stopped and must still reach the range.
            for (int again = 0; again < 2 && toward.Exit == 0 && toward.Out.Contains("stopped: hold released", StringComparison.Ordinal); again++)
            {
                Thread.Sleep(200);
                toward = Run(["jog", .. common, "--joint", "l_knee", "--direction", "+", "--speed", "0.1"], ssh: false, TimeSpan.FromSeconds(60));
            }
            Assert.True(toward.Exit == 0, $"jog toward: exit {toward.Exit}; {toward.Out} {toward.Err}\nhost:\n{hostOut}");
            Assert.Contains("stopped: reached the range", toward.Out, StringComparison.Ordinal);

            // The settle (jog.settle_s, 1 s) ends in STO; then the reset is accepted. Retried, as `rt jog` returns when
            // the settle starts and a slow machine may take longer than the settle to get here.
            var settleDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            Thread.Sleep(1000);
            var after = Run(["reset", .. common], ssh: false);
            while (after.Exit != 0 && DateTime.UtcNow < settleDeadline)
            {
                Thread.Sleep(250);
                after = Run(["reset", .. common], ssh: false);
            }
            Assert.True(after.Exit == 0, $"reset after the jog: exit {after.Exit}; {after.Out} {after.Err}");
            Assert.Contains("accepted", after.Out, StringComparison.Ordinal);
        }
        finally
        {
            if (!host.HasExited)
            {
                // SIGTERM: the orderly stop (the safety log is flushed).
                using (var kill = Process.Start("kill", ["-TERM", host.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
                if (!host.WaitForExit(TimeSpan.FromSeconds(30))) host.Kill(entireProcessTree: true);
            }
            host.Dispose();
        }
        var log = Run(["safety-log", Path.Combine(state, "rt-safety.log")], ssh: false);
        Assert.Equal(0, log.Exit);
        Assert.Contains("jog RefusedDirection: joint 3 direction -, from the local reset socket", log.Out, StringComparison.Ordinal);
        Assert.Contains("jog Started: joint 3 direction +", log.Out, StringComparison.Ordinal);
        Assert.Contains("jog ReachedRange: joint 3", log.Out, StringComparison.Ordinal);
    }

    /// <summary>Waits (to <paramref name="until"/>) for the host's line that its loop runs and the enable awaits a reset.</summary>
    internal static bool HostTicking(Process host, System.Text.StringBuilder hostOut, DateTime until)
    {
        while (!host.HasExited && DateTime.UtcNow < until)
        {
            lock (hostOut)
                if (hostOut.ToString().Contains("operator enable: not raised (--start-disabled)", StringComparison.Ordinal)) return true;
            Thread.Sleep(50);
        }
        return false;
    }

    private Process Start(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("SSH_CONNECTION");
        return Process.Start(psi)!;
    }

    private (int Exit, string Out, string Err) Run(string[] args, bool ssh, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (ssh) psi.Environment["SSH_CONNECTION"] = "192.0.2.10 50000 192.0.2.20 22";
        else psi.Environment.Remove("SSH_CONNECTION");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"rt {string.Join(' ', args)} did not end");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
