using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// <c>rt hil run … --dataset</c> and <c>rt dataset export</c>: the LeRobot dataset read back by an independent Parquet
/// reader (hyparquet, run by Node: tools/node/check-dataset.mjs) and checked against the campaign's JSON report.
/// </summary>
public sealed class DatasetTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-dataset-tests-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { } // best effort
    }

    private static bool NodeReady() =>
        Directory.Exists(RepoPaths.Combine("tools", "node", "node_modules", "hyparquet"))
        && (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(p => p.Length > 0 && File.Exists(Path.Combine(p, "node")));

    private (int Exit, string Out) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        psi.Environment["TMPDIR"] = _dir;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        output.WriteLine($"$ {file} {string.Join(' ', args)} → exit {p.ExitCode}\n{(stdout.Result.Length > 4000 ? stdout.Result[..4000] : stdout.Result)}{err}");
        return (p.ExitCode, stdout.Result);
    }

    private (int Exit, string Out) Rt(params string[] args) => Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "rt.dll"), .. args]);

    private static JsonElement Node(string script, string arg, Func<string, string[], (int, string)> run)
    {
        var (exit, stdout) = run("node", [RepoPaths.Combine("tools", "node", script), arg]);
        Assert.Equal(0, exit);
        return JsonDocument.Parse(stdout).RootElement;
    }

    [SkippableFact]
    public void A_campaign_dataset_has_every_tick_as_a_frame_with_the_reports_labels()
    {
        Skip.IfNot(NodeReady(), "node or tools/node/node_modules missing (tools/setup.sh installs them)");
        string scenarios = Path.Combine(_dir, "scenarios");
        Directory.CreateDirectory(scenarios);
        string robot = RepoPaths.Biped12Config;
        File.WriteAllText(Path.Combine(scenarios, "a-hold.yaml"), $"name: a-hold\nrobot: {robot}\nmotion: hold\nduration_s: 1\nseed: 2\nexpect: {{ outcome: no_trip }}\n");
        File.WriteAllText(Path.Combine(scenarios, "b-freeze.yaml"),
            $"name: b-freeze\nrobot: {robot}\nmotion: march\nduration_s: 2\nseed: 3\ninjections:\n  - {{ at_s: 1.0, kind: torque_loss, target: l_knee, scale: 0.0 }}\nexpect: {{ outcome: stop, within_ms: 50 }}\n");
        string json = Path.Combine(_dir, "report.json"), dataset = Path.Combine(_dir, "ds"), recordings = Path.Combine(_dir, "rec");
        var (exit, _) = Rt("hil", "run", scenarios, "--jobs", "2", "--json", json, "--record", recordings, "--dataset", dataset);
        Assert.True(exit is 0 or 1, $"rt hil run exited {exit}");

        var report = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("campaign").GetProperty("scenarios").EnumerateArray().OrderBy(s => s.GetProperty("name").GetString()).ToList();
        var d = Node("check-dataset.mjs", dataset, Run);
        Assert.Equal(0, d.GetProperty("errors").GetArrayLength());
        var info = d.GetProperty("info");
        Assert.Equal("v2.1", info.GetProperty("codebase_version").GetString());
        Assert.Equal(1000, info.GetProperty("fps").GetInt32());
        Assert.Equal(2, info.GetProperty("total_episodes").GetInt32());
        long ticks = report.Sum(s => s.GetProperty("ticks").GetInt64());
        Assert.Equal(ticks, info.GetProperty("total_frames").GetInt64()); // 0 rows lost against the report
        int stateWidth = info.GetProperty("features").GetProperty("observation.state").GetProperty("shape")[0].GetInt32();
        Assert.Equal(3 * 12 + 6 * 3, stateWidth);
        Assert.Equal(["hold", "march"], d.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("task").GetString()));

        var episodes = d.GetProperty("episodes").EnumerateArray().ToList();
        var files = d.GetProperty("files").EnumerateArray().ToList();
        for (int e = 0; e < 2; e++)
        {
            var r = report.Single(s => s.GetProperty("name").GetString() == episodes[e].GetProperty("scenario").GetString());
            var f = files[e];
            long runTicks = r.GetProperty("ticks").GetInt64();
            Assert.Equal(runTicks, f.GetProperty("numRows").GetInt64());
            Assert.Equal(runTicks, f.GetProperty("rows").GetInt64());
            Assert.Equal(runTicks, episodes[e].GetProperty("length").GetInt64());
            Assert.Equal([stateWidth], f.GetProperty("stateLengths").EnumerateArray().Select(x => x.GetInt32()));
            Assert.Equal([12], f.GetProperty("actionLengths").EnumerateArray().Select(x => x.GetInt32()));
            Assert.Equal([e], f.GetProperty("episodeIndex").EnumerateArray().Select(x => x.GetInt32()));
            var types = f.GetProperty("types");
            Assert.Equal("FLOAT", types.GetProperty("observation.state.list.element").GetString());
            Assert.Equal("FLOAT", types.GetProperty("action.list.element").GetString());
            Assert.Equal("FLOAT", types.GetProperty("timestamp").GetString());
            foreach (var c in new[] { "frame_index", "episode_index", "index", "task_index" }) Assert.Equal("INT64", types.GetProperty(c).GetString());
            foreach (var c in new[] { "label.fault_active", "label.tripped" }) Assert.Equal("BOOLEAN", types.GetProperty(c).GetString());
            Assert.Equal(Path.GetFileName(r.GetProperty("recording").GetString()), episodes[e].GetProperty("recording").GetString());

            bool tripped = r.TryGetProperty("tripTick", out var trip);
            Assert.Equal(tripped, episodes[e].GetProperty("trip").GetBoolean());
            if (tripped)
            {
                Assert.Equal(trip.GetInt64(), episodes[e].GetProperty("trip_tick").GetInt64());
                Assert.Equal(trip.GetInt64(), f.GetProperty("firstTripped").GetInt64()); // recordings start at tick 0
                Assert.Equal(runTicks - trip.GetInt64(), f.GetProperty("tripped").GetInt64());
            }
            else Assert.Equal(0, f.GetProperty("tripped").GetInt64());
            var injections = r.GetProperty("injections");
            if (injections.GetArrayLength() > 0)
            {
                var inj = injections[0];
                Assert.Equal("torque_loss", episodes[e].GetProperty("fault").GetString());
                Assert.Equal("l_knee", episodes[e].GetProperty("fault_target").GetString());
                Assert.Equal("stop", episodes[e].GetProperty("fault_class").GetString());
                Assert.Equal(inj.GetProperty("tick").GetInt64(), episodes[e].GetProperty("injection_tick").GetInt64());
                Assert.Equal(inj.GetProperty("tick").GetInt64(), f.GetProperty("firstFaultActive").GetInt64());
                Assert.Equal(inj.GetProperty("timeS").GetDouble(), episodes[e].GetProperty("injection_time_s").GetDouble(), 9);
            }
            else
            {
                Assert.Equal("none", episodes[e].GetProperty("fault").GetString());
                Assert.Equal("no_trip", episodes[e].GetProperty("fault_class").GetString());
                Assert.Equal(0, f.GetProperty("faultActive").GetInt64());
            }
        }

        // The same recordings through `rt dataset export --report`: the same frames and labels.
        string again = Path.Combine(_dir, "ds2");
        var recs = Directory.GetFiles(recordings, "*.mcap").OrderBy(p => p, StringComparer.Ordinal).ToArray();
        Assert.Equal(0, Rt(["dataset", "export", .. recs, "--out", again, "--report", json]).Exit);
        var d2 = Node("check-dataset.mjs", again, Run);
        Assert.Equal(0, d2.GetProperty("errors").GetArrayLength());
        Assert.Equal(ticks, d2.GetProperty("info").GetProperty("total_frames").GetInt64());
        Assert.Equal(episodes.Select(e => e.GetProperty("fault").GetString()), d2.GetProperty("episodes").EnumerateArray().Select(e => e.GetProperty("fault").GetString()));
        Assert.Equal(episodes.Select(e => e.GetProperty("trip").GetBoolean()), d2.GetProperty("episodes").EnumerateArray().Select(e => e.GetProperty("trip").GetBoolean()));
    }
}
