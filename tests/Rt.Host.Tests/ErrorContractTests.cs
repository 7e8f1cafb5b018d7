using System.Diagnostics;
using Rt.TestSupport;

namespace Rt.Host.Tests;

/// <summary>
/// The error contract of every <c>rt</c> command of both binaries, as a user meets it (child processes): bad input
/// gives the documented exit code (2 bad input, 3 missing library/device) and stderr holds only the error line(s),
/// never a .NET stack trace.
/// </summary>
public class ErrorContractTests
{
    private static readonly string Scratch = CreateScratch();
    private static readonly string Malformed = WriteMalformed();

    /// <summary>
    /// The scratch folder: the working folder of every <see cref="Run"/> (other test classes' too, in parallel), so it
    /// lives as long as the test process and is deleted when that exits.
    /// </summary>
    private static string CreateScratch()
    {
        string dir = Directory.CreateTempSubdirectory("rt-contract-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TempFolders.Delete(dir);
        return dir;
    }

    private static string WriteMalformed()
    {
        var p = Path.Combine(Scratch, "malformed.yaml");
        File.WriteAllText(p, "robot: [unclosed\n  joints: {\n");
        return p;
    }

    /// <summary>Binary ("bench" or "robot"), arguments (with {dir}, {malformed}, {config} placeholders), expected exit code.</summary>
    public static TheoryData<string, string, int> Cases => new()
    {
        // The command line itself.
        { "bench", "frobnicate", 2 },
        { "bench", "run --bogus-flag", 2 },
        { "bench", "run --config {config} --bench --lockstep --duration abc", 2 },
        { "robot", "run --config {config} --bench", 2 }, // the robot's rt has no --bench
        { "robot", "frobnicate", 2 },
        // rt run.
        { "bench", "run --config /nonexistent/robot.yaml --bench --lockstep", 2 },
        { "robot", "run --config /nonexistent/robot.yaml", 2 },
        { "bench", "run --config {malformed} --bench --lockstep", 2 },
        { "bench", "run --config {config} --bench --lockstep --duration Infinity", 2 },
        { "bench", "run --config {config} --bench --lockstep --duration NaN", 2 },
        { "bench", "run --config {config} --bench --lockstep --duration -1", 2 },
        { "bench", "run --config {config} --bench --lockstep --duration 1e9", 2 },
        { "bench", "run --config {config} --bench --lockstep --duration 0.1 --record {dir}", 2 },
        { "bench", "run --config {config} --bench --lockstep --duration 0.1 --record /nonexistent/dir/run.rec", 2 },
        { "bench", "run --config {config} --bench --lockstep --duration 0.1 --capture {dir}", 2 },
        { "bench", "run --config {config} --bench --lockstep --duration 0.1 --iface nosuch0", 3 },
        { "bench", "run --config {config} --bench --lockstep --duration 0.1 --iface lo", 3 }, // no EtherCAT slave answers
        { "robot", "run --config {config} --iface nosuch0 --duration 0.1", 3 },
        // Commands beyond run.
        { "bench", "calibrate /nonexistent/run.rec --config {config} --out {dir}/p.yaml", 2 },
        { "bench", "calibrate /nonexistent/run.rec --config {config} --out {dir}", 2 },
        { "robot", "calibrate /nonexistent/run.rec --config {config} --out {dir}/p.yaml", 2 },
        { "bench", "validate /nonexistent/run.rec --config {config}", 2 },
        { "bench", "validate /nonexistent/run.rec --config {config} --json {dir}", 2 },
        { "bench", "monitor --broker bogus://host", 2 },
        { "bench", "monitor --seconds -1", 2 },
        { "bench", "safety-log /nonexistent/rt-safety.log", 2 },
        { "robot", "safety-log /nonexistent/rt-safety.log", 2 },
        { "bench", "doctor --config /nonexistent/robot.yaml", 2 },
        { "bench", "scan --iface nosuch0 --config {config}", 3 },
        { "bench", "scan --bench --config {config} --capture {dir}", 2 },
        { "robot", "scan --iface nosuch0 --config {config}", 3 },
        { "bench", "reset --socket /nonexistent/reset.sock", 3 },
        { "robot", "reset --socket {dir}/no-host.sock", 3 },
        { "robot", "reset --config {config} --timeout -1", 2 },
        // The bench's commands.
        { "bench", "hil serve --iface nosuch0 --config {config}", 3 },
        { "bench", "hil serve --iface lo --config {config} --control /nonexistent/dir/ctl.sock", 2 },
        { "bench", "hil run --config {config} --junit {dir}", 2 },
        { "bench", "hil run --config {config} --json {config}/reports/r.json", 2 },
        { "bench", "hil run --config {config} --html {dir}", 2 },
        { "bench", "hil sweep --config {config} --hours -1", 2 },
        { "bench", "bench lockstep --config {config} --duration -5", 2 },
        { "bench", "bench loop --config {config} --duration NaN", 2 },
        { "bench", "bench tick --config {config} --ticks many", 2 },
        { "bench", "bench telemetry --seconds -1", 2 },
        { "bench", "bench twin --config {malformed}", 2 },
    };

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Bad_input_is_one_line_and_the_documented_exit_code(string binary, string args, int expected)
    {
        string dll = binary == "bench" ? Path.Combine(AppContext.BaseDirectory, "rt.dll") : RobotDll();
        Skip.IfNot(File.Exists(dll), $"the robot's rt is not built ({dll}): dotnet build src/Rt.Robot -c Release");
        var argv = args.Replace("{dir}", Scratch).Replace("{malformed}", Malformed).Replace("{config}", RepoPaths.Biped12Config)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (exit, _, err) = Run(dll, argv);
        Assert.True(expected == exit, $"rt {args}: exit {exit}, expected {expected}; stderr:\n{err}");
        AssertNoTrace(err, args);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        Assert.StartsWith("error: ", lines[0]);
        // Only error lines and the two fixed follow-ups; no help text dumped, no trace.
        Assert.All(lines, l => Assert.True(l.StartsWith("error: ") || l == "refusing to enable motion." || l.StartsWith("(see: rt "), $"rt {args}: unexpected stderr line '{l}'"));
        Assert.True(lines.Length <= 4, $"rt {args}: {lines.Length} stderr lines:\n{err}");
    }

    [SkippableFact]
    public void An_output_that_cannot_be_written_is_one_line_and_exit_3_not_a_bug_report()
    {
        Skip.IfNot(File.Exists("/dev/full"), "no /dev/full on this machine");
        var psi = new ProcessStartInfo("sh") { RedirectStandardError = true, WorkingDirectory = Scratch };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec dotnet '{Path.Combine(AppContext.BaseDirectory, "rt.dll")}' preflight --config '{RepoPaths.Biped12Config}' --json > /dev/full");
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(120)), "rt preflight did not end");
        Assert.Equal(3, p.ExitCode);
        AssertNoTrace(err, "preflight --json > /dev/full");
        Assert.StartsWith("error: input/output failed: ", err.Trim());
        Assert.DoesNotContain("a bug", err, StringComparison.Ordinal);
    }

    internal static void AssertNoTrace(string err, string what)
    {
        foreach (var marker in new[] { "   at ", "Unhandled exception", "Exception:", "--- End of" })
            Assert.False(err.Contains(marker, StringComparison.Ordinal), $"rt {what}: stderr has trace text '{marker}':\n{err}");
    }

    internal static string RobotDll()
    {
        // Same configuration and framework as this test's output: .../tests/Rt.Host.Tests/bin/<cfg>/<tfm>/
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Name;
        var cfg = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;
        return Path.Combine(RepoPaths.Root, "src", "Rt.Robot", "bin", cfg, tfm, "rt.dll");
    }

    internal static (int Exit, string Out, string Err) Run(string dll, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Scratch };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
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
}
