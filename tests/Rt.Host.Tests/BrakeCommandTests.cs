using System.Diagnostics;
using System.Globalization;
using System.Text;
using Rt.TestSupport;
using Xunit;

namespace Rt.Host.Tests;

/// <summary>
/// <c>rt brake</c> as an operator meets it (child processes of the bench's rt): bad input is one line and exit 2 and
/// reaches no host; an SSH session is refused; no host listening is exit 3. (The release itself, hold-to-run on the
/// bench, is <see cref="BrakeOnBenchTests"/>: a host process here would need a GPIO chip for the release line.)
/// </summary>
public sealed class BrakeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-brake-cli-").FullName;

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "rt.dll");

    /// <summary>biped12 with a reset socket and the left knee's brake release output on gpiochip0 line 5.</summary>
    private string Config()
    {
        string dir = Path.GetDirectoryName(RepoPaths.Biped12Config)!;
        string text = File.ReadAllText(RepoPaths.Biped12Config)
            .Replace("description: biped12.urdf", $"description: {Path.Combine(dir, "biped12.urdf")}", StringComparison.Ordinal)
            .Replace("parameters: biped12.twin.yaml", $"parameters: {Path.Combine(dir, "biped12.twin.yaml")}", StringComparison.Ordinal)
            .Replace("  esi: [esi]", $"  esi: [{Path.Combine(dir, "esi")}]", StringComparison.Ordinal)
            .Replace("reset_socket: \"\"", "reset_socket: rt-reset.sock", StringComparison.Ordinal)
            .Replace("  - { joint: l_knee, holding_torque_nm: 140, engage_time_s: 0.02, release_time_s: 0, engage_bit: 16 }",
                "  - { joint: l_knee, holding_torque_nm: 140, engage_time_s: 0.02, release_time_s: 0, engage_bit: 16, release_output: { chip: gpiochip0, line: 5 } }", StringComparison.Ordinal);
        Assert.Contains("release_output", text, StringComparison.Ordinal);
        string path = Path.Combine(_dir, "biped12-brake.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    public static TheoryData<string, string> BadInput => new()
    {
        { "brake release --config {config} --joint no_such_joint", "unknown joint 'no_such_joint'" },
        { "brake release --config {config} --joint l_hip_yaw", "'l_hip_yaw' has no brake the host can release" },
        { "brake engage --config {config} --joint l_knee --all", "--joint and --all together" },
        { "brake engage --config {config}", "expected --joint <joint> or --all" },
        { "brake release --config {config} --joint l_knee --socket tcp://192.0.2.1:1883", "network address" },
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
        Assert.All(lines.Skip(1), l => Assert.Equal("refusing to enable motion.", l));
    }

    [SkippableFact]
    public void A_bad_release_output_in_the_config_is_one_line_naming_the_key()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string config = File.ReadAllText(Config()).Replace("line: 5 }", "line: 5000 }", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, "bad.yaml"), config);
        var (exit, _, err) = Run(["brake", "release", "--config", Path.Combine(_dir, "bad.yaml"), "--joint", "l_knee"], ssh: false);
        Assert.Equal(2, exit);
        ErrorContractTests.AssertNoTrace(err, "bad release_output");
        Assert.Contains("brakes[3].release_output.line", err, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void From_an_ssh_session_it_is_refused_as_from_the_network()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        var (exit, _, err) = Run(["brake", "release", "--config", Config(), "--joint", "l_knee"], ssh: true);
        Assert.Equal(2, exit);
        Assert.StartsWith("error: ", err.Trim());
        Assert.Contains("SSH", err, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Without_a_running_host_it_is_exit_3()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        foreach (var verb in new[] { "release", "engage" })
        {
            var (exit, _, err) = Run(["brake", verb, "--config", Config(), "--state-dir", Path.Combine(_dir, "none"), "--joint", "l_knee"], ssh: false);
            Assert.True(exit == 3, $"brake {verb}: exit {exit}; {err}");
            ErrorContractTests.AssertNoTrace(err, verb);
            Assert.Contains("cannot reach the reset socket", err, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void End_to_end_a_running_host_refuses_a_release_while_enabled_and_engages_on_request()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string config = Config();
        string state = Path.Combine(_dir, "state");
        var host = Start(["run", "--config", config, "--bench", "--until-stopped", "--no-ui", "--skip-preflight",
            "--state-dir", state, "--warn-only", "loop_overrun"]); // enabled: the program runs
        var hostOut = new StringBuilder();
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
            // Enabled: the safety log shows Operational (a slow start would otherwise make the release look allowed).
            string logPath = Path.Combine(state, "rt-safety.log");
            bool operational = false;
            while (!operational && !host.HasExited && DateTime.UtcNow < until)
            {
                operational = File.Exists(logPath) && Run(["safety-log", logPath], ssh: false).Out.Contains("→ Operational", StringComparison.Ordinal);
                if (!operational) Thread.Sleep(200);
            }
            Assert.True(operational, $"the host never reached Operational; its output:\n{hostOut}");
            lock (hostOut) Assert.Contains("brakes: release outputs l_knee on gpiochip0:5", hostOut.ToString(), StringComparison.Ordinal);

            var release = Run(["brake", "release", "--config", config, "--state-dir", state, "--joint", "l_knee"], ssh: false);
            Assert.True(release.Exit == 2, $"exit {release.Exit}: {release.Out} {release.Err}\nhost:\n{hostOut}");
            ErrorContractTests.AssertNoTrace(release.Err, "release while enabled");
            Assert.StartsWith("error: brake release refused: the robot is enabled", release.Err.Trim());

            var engage = Run(["brake", "engage", "--config", config, "--state-dir", state, "--all"], ssh: false);
            Assert.True(engage.Exit == 0, $"{engage}");
            Assert.StartsWith("engaged 1 brake(s)", engage.Out.Trim());
        }
        finally
        {
            if (!host.HasExited)
            {
                Signal("TERM", host.Id);
                if (!host.WaitForExit(TimeSpan.FromSeconds(30))) host.Kill(entireProcessTree: true);
            }
            host.Dispose();
        }
        var log = Run(["safety-log", Path.Combine(state, "rt-safety.log")], ssh: false);
        Assert.Equal(0, log.Exit);
        Assert.Contains("brake RefusedNotDisabled: joint 3, from the local reset socket", log.Out, StringComparison.Ordinal);
        Assert.Contains("brake Engaged: joint 3, from the local reset socket", log.Out, StringComparison.Ordinal);
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private Process Start(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("SSH_CONNECTION");
        return Process.Start(psi)!;
    }

    private (int Exit, string Out, string Err) Run(string[] args, bool ssh)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (ssh) psi.Environment["SSH_CONNECTION"] = "192.0.2.10 50000 192.0.2.20 22";
        else psi.Environment.Remove("SSH_CONNECTION");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
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
