using System.Diagnostics;
using Rt.Hil.Campaign.Scenarios;
using Rt.TestSupport;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// tools/random-faults.py (the random fault search, docs/HIL.md): every file it writes is a scenario the loader accepts,
/// with its own seed, one injection, and the issue's bound for that kind; the same seed writes the same files.
/// </summary>
public sealed class RandomFaultsToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-random-faults-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { } // best effort
    }

    private static (int Exit, string Err) Generate(string outDir, params string[] args)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(RepoPaths.Combine("tools", "random-faults.py"));
        psi.ArgumentList.Add(outDir);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "random-faults.py did not finish within 60 s");
        return (p.ExitCode, err.Result);
    }

    private static bool HavePython()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("python3", "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.WaitForExit(10_000);
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    [SkippableFact]
    public void Every_generated_scenario_loads_with_its_own_seed_and_the_issues_bound_for_its_kind()
    {
        Skip.IfNot(HavePython(), "python3 is not installed (the tool is a Python script)");
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        Assert.Equal(0, Generate(a, "--count", "120", "--seed", "500").Exit);
        Assert.Equal(0, Generate(b, "--count", "120", "--seed", "500").Exit);

        var scenarios = ScenarioLoader.LoadAll([a]);
        Assert.Equal(120, scenarios.Count);
        Assert.Equal(120, scenarios.Select(s => s.Seed).Distinct().Count());
        Assert.All(scenarios, s => Assert.Single(s.Injections));
        Assert.True(scenarios.Select(s => s.Injections[0].Kind).Distinct().Count() >= 10, "the draws cover most kinds");
        foreach (var s in scenarios)
        {
            var kind = s.Injections[0].Kind;
            double? bound = s.Expect.WithinMs;
            if (kind is InjectionKind.CollisionObstacle or InjectionKind.CollisionWrench) Assert.Equal(10, bound);
            if (kind is InjectionKind.EncoderFreeze or InjectionKind.EncoderJump) Assert.Equal(5, bound);
            if (kind is InjectionKind.TorqueLoss) Assert.Equal(20, bound);
        }
        // The same seed writes the same files.
        foreach (var f in Directory.GetFiles(a, "*.yaml"))
            Assert.Equal(File.ReadAllText(f), File.ReadAllText(Path.Combine(b, Path.GetFileName(f))));
    }

    [SkippableFact]
    public void Bad_input_is_one_line_and_exit_2()
    {
        Skip.IfNot(HavePython(), "python3 is not installed (the tool is a Python script)");
        var (exit, err) = Generate(Path.Combine(_dir, "c"), "--count", "0");
        Assert.Equal(2, exit);
        Assert.Equal("error: --count 0: expected 1 … 10000", err.Trim());
        (exit, err) = Generate(Path.Combine(_dir, "c"), "--kinds", "teleport");
        Assert.Equal(2, exit);
        Assert.StartsWith("error: --kinds teleport: expected some of collision_obstacle", err.Trim());
    }
}
