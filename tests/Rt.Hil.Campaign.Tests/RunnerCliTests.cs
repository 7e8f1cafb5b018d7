using System.Diagnostics;
using Rt.TestSupport;
using Xunit.Abstractions;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary><c>rt hil run</c> as CI calls it: exit codes, the summary, the report files.</summary>
public sealed class RunnerCliTests(TwinlessRobot robot, ITestOutputHelper output) : IClassFixture<TwinlessRobot>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-runner-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { } // best effort
    }

    private (int Exit, string Out, string Err) Rt(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        psi.Environment["TMPDIR"] = _dir; // failed runs keep their state under $TMPDIR/rt-hil: inside this test's folder
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rt.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        output.WriteLine($"$ rt {string.Join(' ', args)}  → exit {p.ExitCode}\n{stdout.Result}{err}");
        return (p.ExitCode, stdout.Result, err);
    }

    private string Write(string name, string body)
    {
        var scenarios = Path.Combine(_dir, "scenarios");
        Directory.CreateDirectory(scenarios);
        var path = Path.Combine(scenarios, name + ".yaml");
        File.WriteAllText(path, $"name: {name}\nrobot: {robot.ConfigPath}\n{body}\n");
        return path;
    }

    [Fact]
    public void Sweep_seed_base_chooses_the_seeds_of_every_run()
    {
        Write("hold-nominal", "motion: hold\nduration_s: 0.5\nseed: 2\ntags: [nominal]\nexpect: { outcome: no_trip }");
        Write("frames-lost", "motion: hold\nduration_s: 0.5\nseed: 3\ninjections:\n  - { at_s: 0.3, kind: frame_loss, frames: 5 }\nexpect: { outcome: stop, within_ms: 10 }");
        var (exit, stdout, err) = Rt("hil", "sweep", Path.Combine(_dir, "scenarios"), "--hours", "0.0002", "--seeds", "2", "--seed-base", "41", "--jobs", "2");
        Assert.Equal("", err);
        Assert.Equal(0, exit);
        Assert.Contains("from seed 41", stdout);
        foreach (var run in new[] { "hold-nominal#41 (seed 41", "hold-nominal#42 (seed 42", "frames-lost#41 (seed 41", "frames-lost#42 (seed 42" })
            Assert.Contains(run, stdout);
        Assert.DoesNotContain("#1 (seed 1", stdout);
        Assert.DoesNotContain("frames-lost#43", stdout);

        var (bad, _, badErr) = Rt("hil", "sweep", Path.Combine(_dir, "scenarios"), "--seed-base", "0");
        Assert.Equal(2, bad);
        Assert.Contains("--seed-base", badErr);
    }

    [Fact]
    public void A_campaign_with_a_failing_scenario_exits_1_prints_the_table_and_writes_every_report()
    {
        Write("hold-ok", "motion: hold\nduration_s: 1\nseed: 2\ntags: [ci]\nexpect: { outcome: no_trip }");
        Write("frames-wrong", "duration_s: 2\nseed: 3\ninjections:\n  - { at_s: 1.5, kind: frame_loss, frames: 5 }\nexpect: { outcome: stop, category: cat1, within_ms: 10 }");
        string junit = Path.Combine(_dir, "out", "ci.xml"), html = Path.Combine(_dir, "out", "r.html"), json = Path.Combine(_dir, "out", "r.json");
        var (exit, stdout, err) = Rt("hil", "run", Path.Combine(_dir, "scenarios"), "--jobs", "2", "--junit", junit, "--html", html, "--json", json);
        Assert.Equal(1, exit);
        Assert.Equal("", err);
        // Not a terminal: one line per finished scenario, then the table and the totals.
        Assert.Contains("PASS hold-ok (seed 2", stdout);
        Assert.Contains("FAIL frames-wrong (seed 3", stdout);
        Assert.Contains("expected a Cat 1 stop by any trigger within 10 ms, but bus_frame_loss tripped Cat 0", stdout);
        Assert.Contains("1 passed, 1 failed, 0 skipped of 2", stdout);
        foreach (var f in new[] { junit, html, json })
        {
            Assert.True(File.Exists(f), f);
            Assert.Contains(f, stdout);
        }
        Assert.Contains("frames-wrong", File.ReadAllText(junit));

        // The tag selects the passing one only; the seed override is in the line.
        var (exit2, stdout2, _) = Rt("hil", "run", Path.Combine(_dir, "scenarios"), "--tag", "ci", "--seed", "77");
        Assert.Equal(0, exit2);
        Assert.Contains("PASS hold-ok (seed 77", stdout2);
        Assert.DoesNotContain("frames-wrong", stdout2);
    }

    [Fact]
    public void A_missing_path_or_an_unknown_tag_is_bad_input_exit_2_named_without_a_stack_trace()
    {
        string missing = Path.Combine(_dir, "nope.yaml");
        var (exit, _, err) = Rt("hil", "run", missing);
        Assert.Equal(2, exit);
        Assert.Contains(missing, err);
        Assert.DoesNotContain("   at ", err);

        var ok = Write("hold-ok", "motion: hold\nduration_s: 1\nseed: 2\nexpect: { outcome: no_trip }");
        var (exit2, _, err2) = Rt("hil", "run", ok, "--tag", "nightly");
        Assert.Equal(2, exit2);
        Assert.Contains("--tag", err2);
        Assert.Contains("nightly", err2);
    }
}
