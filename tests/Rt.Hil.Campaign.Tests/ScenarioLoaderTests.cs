using Rt.Core.Errors;
using Rt.Core.Tick;
using Rt.Hil.Campaign;
using Rt.TestSupport;
using Xunit.Abstractions;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>Scenario files: every shipped one loads; every rule refuses bad input with the file, line and key path named.</summary>
public sealed class ScenarioLoaderTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-scenario-tests-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { } // best effort
    }

    private static string ScenarioDir => RepoPaths.Combine("hil", "scenarios");

    // Line numbers matter: the rules below point at them.
    private static string Valid => $$"""
        name: t-scenario
        robot: {{RepoPaths.Biped12Config}}
        duration_s: 5
        seed: 1
        injections:
          - { at_s: 3.0, kind: torque_loss, target: l_knee, scale: 0.0, duration_s: 1.0 }
        expect: { outcome: stop, category: cat2, triggers: [collision], within_ms: 10 }
        """;

    private string Write(string yaml, string name = "s.yaml")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Every_shipped_scenario_loads_and_the_set_covers_every_injection_kind()
    {
        var all = ScenarioLoader.LoadAll([ScenarioDir]);
        foreach (var s in all) output.WriteLine($"{s.Name}: {s.DurationS} s, {s.Injections.Count} injection(s), expect {s.Expect.Outcome}, tags {string.Join(",", s.Tags)}");
        var kinds = all.SelectMany(s => s.Injections).Select(i => i.Kind).ToHashSet();
        foreach (var k in Enum.GetValues<InjectionKind>()) Assert.Contains(k, kinds);
        Assert.Contains(all, s => s.Name == "nominal-march" && s.Expect.Outcome == ExpectedOutcome.NoTrip && s.DurationS >= 60 && s.Randomisation.MassFraction > 0);
        Assert.Contains(all, s => s.Name == "nominal-sine" && s.Motion == "sine");
        // The CI subset: fault scenarios ≤ 5 s simulated, nominal ≤ 30 s, every lockstep-capable fault kind once.
        var ci = all.Where(s => s.Tags.Contains("ci")).ToList();
        foreach (var s in ci)
        {
            Assert.False(s.RealtimeOnly, $"{s.Name}: a CI scenario must run in lockstep");
            Assert.True(s.DurationS <= (s.Tags.Contains("nominal") ? 30 : 5), $"{s.Name}: {s.DurationS} s is too long for the CI subset");
        }
        foreach (var k in Enum.GetValues<InjectionKind>().Where(k => k != InjectionKind.CpuHog))
            Assert.Contains(ci, s => s.Injections.Any(i => i.Kind == k));
        Assert.All(all.Where(s => s.Injections.Any(i => i.Kind == InjectionKind.CpuHog)), s => Assert.True(s.RealtimeOnly));
    }

    [Fact]
    public void A_valid_file_binds_every_field()
    {
        var s = ScenarioLoader.Load(Write(Valid + "\nmotion: hold\ntags: [ci, drive]\nrandomisation: { mass_fraction: 0.1, encoder_noise_counts: [0, 2], sensor_latency_substeps: [0, 2] }\n"));
        Assert.Equal("t-scenario", s.Name);
        Assert.Equal(Path.GetFullPath(RepoPaths.Biped12Config), s.ConfigPath);
        Assert.Equal("hold", s.Motion);
        Assert.Equal(5, s.DurationS);
        Assert.Equal(1UL, s.Seed);
        Assert.Equal(["ci", "drive"], s.Tags);
        var i = Assert.Single(s.Injections);
        Assert.Equal(InjectionKind.TorqueLoss, i.Kind);
        Assert.Equal(3.0, i.AtS);
        Assert.Equal(1.0, i.DurationS);
        Assert.Equal("l_knee", i.Target);
        Assert.Equal(0.0, i.Scale);
        Assert.Equal(6, i.Line);
        Assert.Equal(ExpectedOutcome.Stop, s.Expect.Outcome);
        Assert.Equal(StopCategory.Cat2, s.Expect.Category);
        Assert.Equal(["collision"], s.Expect.Triggers);
        Assert.Equal(10, s.Expect.WithinMs);
        Assert.Equal(0.1, s.Randomisation.MassFraction);
        Assert.Equal([0, 2], s.Randomisation.SensorLatencySubsteps);
    }

    [Fact]
    public void The_robot_path_is_relative_to_the_scenario_file()
    {
        var s = ScenarioLoader.Load(Path.Combine(ScenarioDir, "torque-loss-left-knee.yaml"));
        Assert.Equal(Path.GetFullPath(RepoPaths.Biped12Config), s.ConfigPath);
    }

    public static TheoryData<string, string, string, string> BadInputs => new()
    {
        // rule, replace this, with this, expected location and text (key path | fragment of the problem)
        { "unknown key", "seed: 1", "seed: 1\ncolour: red", "line 5, key colour|unknown key 'colour'" },
        { "wrong type", "duration_s: 5", "duration_s: five", "line 3, key duration_s|a number, got 'five'" },
        { "missing required key", "seed: 1\n", "", "key seed|missing key 'seed'" },
        { "non-finite number", "duration_s: 5", "duration_s: .nan", "key duration_s|finite" },
        { "non-positive duration", "duration_s: 5", "duration_s: 0", "key duration_s|positive" },
        { "at_s outside the run", "at_s: 3.0", "at_s: 5.0", "line 6, key injections[0].at_s|[0, 5)" },
        { "negative at_s", "at_s: 3.0", "at_s: -1", "key injections[0].at_s|[0, 5)" },
        { "injection ends after the run", "duration_s: 1.0 }", "duration_s: 2.5 }", "key injections[0].duration_s|after the run ends" },
        { "unknown joint target", "target: l_knee", "target: l_elbow", "line 6, key injections[0].target|'l_elbow' is not a configured joint" },
        { "joint kind aimed at a link", "target: l_knee", "target: l_shin", "key injections[0].target|l_knee" },
        { "link kind aimed at a joint", "kind: torque_loss, target: l_knee, scale: 0.0", "kind: payload, target: l_knee, mass_kg: 1.0", "key injections[0].target|not a link" },
        { "IMU kind aimed at a joint", "kind: torque_loss, target: l_knee, scale: 0.0", "kind: imu_freeze, target: l_knee", "key injections[0].target|pelvis_imu" },
        { "unknown kind", "kind: torque_loss", "kind: gremlins", "key injections[0].kind|unknown injection kind 'gremlins'" },
        { "scale out of range", "scale: 0.0", "scale: 1.0", "line 6, key injections[0].scale|[0, 1)" },
        { "parameter missing", ", scale: 0.0", "", "key injections[0].scale|torque_loss needs scale" },
        { "parameter of another kind", "scale: 0.0", "scale: 0.0, mass_kg: 2", "key injections[0].mass_kg|not a parameter of torque_loss" },
        { "unknown injection key", "scale: 0.0", "scale: 0.0, colour: red", "key injections[0].colour|unknown key 'colour'" },
        { "vector of the wrong length", "kind: torque_loss, target: l_knee, scale: 0.0", "kind: collision_wrench, target: l_foot, force_n: [1, 2]", "key injections[0].force_n|3 numbers" },
        { "target on a bus-wide kind", "kind: torque_loss, target: l_knee, scale: 0.0, duration_s: 1.0", "kind: link_down, target: l_knee", "key injections[0].target|takes no target" },
        { "duration on an instantaneous kind", "kind: torque_loss, target: l_knee, scale: 0.0", "kind: frame_loss, frames: 5", "key injections[0].duration_s|instantaneous" },
        { "frames below one", "kind: torque_loss, target: l_knee, scale: 0.0, duration_s: 1.0", "kind: frame_loss, frames: 0", "key injections[0].frames|at least 1" },
        { "broker outage without a duration", "kind: torque_loss, target: l_knee, scale: 0.0, duration_s: 1.0", "kind: broker_outage", "key injections[0].duration_s|needs duration_s" },
        { "cpu hog in a lockstep scenario", "kind: torque_loss, target: l_knee, scale: 0.0", "kind: cpu_hog", "key injections[0].kind|realtime_only: true" },
        { "stop without within_ms", ", within_ms: 10", "", "key expect.within_ms|needs within_ms" },
        { "category on no_trip", "outcome: stop, category: cat2, triggers: [collision], within_ms: 10", "outcome: no_trip, category: cat0", "key expect.category|only with outcome stop" },
        { "triggers on no_trip", "outcome: stop, category: cat2, triggers: [collision], within_ms: 10", "outcome: no_trip, triggers: [collision]", "key expect.triggers|no trigger at all" },
        { "unknown trigger", "triggers: [collision]", "triggers: [collision, gremlin_alarm]", "line 7, key expect.triggers[1]|unknown trigger 'gremlin_alarm'" },
        { "unknown category", "category: cat2", "category: cat3", "key expect.category|cat0, cat1 or cat2" },
        { "unknown outcome", "outcome: stop", "outcome: explode", "key expect.outcome|no_trip, warning or stop" },
        { "missing expect", "expect: { outcome: stop, category: cat2, triggers: [collision], within_ms: 10 }", "", "key expect|missing key 'expect'" },
        { "fraction out of range", "seed: 1", "seed: 1\nrandomisation: { mass_fraction: 0.9 }", "line 5, key randomisation.mass_fraction|[0, 0.5]" },
        { "range upside down", "seed: 1", "seed: 1\nrandomisation: { encoder_noise_counts: [3, 1] }", "key randomisation.encoder_noise_counts|0 ≤ min ≤ max" },
        { "latency too long", "seed: 1", "seed: 1\nrandomisation: { sensor_latency_substeps: [0, 20] }", "key randomisation.sensor_latency_substeps|≤ 8" },
        { "unknown motion", "seed: 1", "seed: 1\nmotion: cartwheel", "key motion|hold, sine, march" },
        { "robot config missing", "robot: ", "robot: ./nowhere.yaml #", "key robot|cannot use the robot config" },
        { "robot path is a folder", "robot: ", "robot: .. #", "key robot|is a folder" },
        { "robot path with a NUL", "robot: ", "robot: \"bi\\0ped.yaml\" #", "key robot|contains a NUL character" },
        { "robot path too long", "robot: ", "robot: " + new string('r', 5000) + " #", "key robot|characters long" },
        { "quoted number", "duration_s: 5", "duration_s: \"5\"", "line 3, key duration_s|is quoted text \"5\"; expected a number" },
        { "quoted seed", "seed: 1", "seed: '1'", "line 4, key seed|is quoted text \"1\"; expected a whole number" },
        { "duration beyond the bound", "duration_s: 5", "duration_s: 1e300", "key duration_s|at most 3600 s" },
        { "force beyond the bound", "kind: torque_loss, target: l_knee, scale: 0.0", "kind: collision_wrench, target: l_foot, force_n: [1e300, 0, 0]", "key injections[0].force_n|[-100000, 100000] N" },
        { "second document", "seed: 1", "seed: 1\n---\nname: other", "line 5|more than one YAML document" },
        { "deep nesting", "seed: 1", "seed: " + new string('[', 100_000), "|nest more than 64 deep" },
        { "alias", "seed: 1", "seed: &s 1\ntags: [*s]", "line 5|alias '*s'" },
        { "bad name", "name: t-scenario", "name: My Scenario", "key name|not a plain name" },
        { "malformed YAML", "seed: 1", "seed: [1", "|malformed YAML" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void A_bad_scenario_is_refused_naming_the_file_the_line_and_the_key(string rule, string replace, string with, string expected)
    {
        string yaml = Valid.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.True(yaml.Contains(replace, StringComparison.Ordinal), $"test setup: '{replace}' is not in the base scenario");
        yaml = yaml.Replace(replace, with, StringComparison.Ordinal);
        string path = Write(yaml);
        var e = Assert.Throws<InputError>(() => ScenarioLoader.Load(path));
        output.WriteLine($"{rule}: {e.Message}");
        var parts = expected.Split('|');
        Assert.Equal(path, e.Source_);
        // "line N, key K" in the table: the location is "line N:C, key K" (every location has a column).
        var lineAndKey = System.Text.RegularExpressions.Regex.Match(parts[0], @"^line (\d+), (key .*)$");
        if (lineAndKey.Success) Assert.Matches($@"^line {lineAndKey.Groups[1].Value}:\d+, {System.Text.RegularExpressions.Regex.Escape(lineAndKey.Groups[2].Value)}$", e.Location);
        else Assert.Contains(parts[0], e.Location, StringComparison.Ordinal);
        if (parts[0].Length > 0) Assert.Matches(@"line \d+:\d+", e.Location);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains(parts[1], e.Problem, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_rule_violations_are_reported_together_one_line_each()
    {
        string yaml = Valid.Replace("scale: 0.0", "scale: 7", StringComparison.Ordinal).Replace("triggers: [collision]", "triggers: [nope]", StringComparison.Ordinal);
        var e = Assert.Throws<InputError>(() => ScenarioLoader.Load(Write(yaml)));
        Assert.Contains("2 problems", e.Problem, StringComparison.Ordinal);
        Assert.Matches(@"line 6:\d+, key injections\[0\]\.scale", e.Problem);
        Assert.Matches(@"line 7:\d+, key expect\.triggers\[0\]", e.Problem);
    }

    [Fact]
    public void LoadAll_takes_directories_sorted_by_name_and_refuses_duplicate_names()
    {
        Write(Valid.Replace("t-scenario", "b-second", StringComparison.Ordinal), "b.yaml");
        Write(Valid.Replace("t-scenario", "a-first", StringComparison.Ordinal), "a.yaml");
        var all = ScenarioLoader.LoadAll([_dir]);
        Assert.Equal(["a-first", "b-second"], all.Select(s => s.Name));
        Write(Valid.Replace("t-scenario", "a-first", StringComparison.Ordinal), "c.yaml");
        var e = Assert.Throws<InputError>(() => ScenarioLoader.LoadAll([_dir]));
        Assert.Contains("also used by", e.Problem, StringComparison.Ordinal);
        Assert.Throws<InputError>(() => ScenarioLoader.LoadAll([Path.Combine(_dir, "missing.yaml")]));
    }
}
