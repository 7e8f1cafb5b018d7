using Microsoft.Data.Sqlite;
using Rt.Core.Config;
using Rt.Host.Commands;
using Rt.TestSupport;
using Rt.Twin.Health;

namespace Rt.Host.Tests;

/// <summary>
/// Items of the error contract found in review (child processes of the bench's rt, as an operator meets them): a
/// socket path that cannot be one, the health database (checked before anything runs, created only with its entry, a
/// write it refuses is one line naming the file; after the run one <c>error: health:</c> line that keeps the run's exit
/// code), the temporary recording of <c>--health-db</c> bounded, and <c>rt hil age</c>'s folder. Stderr never holds a
/// trace or "a bug".
/// </summary>
public sealed class BadInputCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-badinput-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "rt.dll");

    private static readonly string LongSocket = "/tmp/" + new string('s', 110) + "/reset.sock";

    public static TheoryData<string[], string> SocketCases => new()
    {
        { ["jog", "--config", "{config}", "--joint", "l_knee", "--direction", "+", "--socket", ""], "--socket: expected a socket path" },
        { ["jog", "--config", "{config}", "--joint", "l_knee", "--direction", "+", "--socket", LongSocket], "at most 107 bytes (sun_path)" },
        { ["home", "--config", "{config}", "--joint", "l_knee", "--socket", ""], "--socket: expected a socket path" },
        { ["home", "--config", "{config}", "--joint", "l_knee", "--socket", LongSocket], "at most 107 bytes (sun_path)" },
        { ["brake", "release", "--config", "{config}", "--joint", "l_knee", "--socket", LongSocket], "at most 107 bytes (sun_path)" },
        { ["brake", "engage", "--config", "{config}", "--all", "--socket", ""], "--socket: expected a socket path" },
        { ["reset", "--socket", ""], "--socket: expected a socket path" },
        { ["reset", "--socket", LongSocket], "at most 107 bytes (sun_path)" },
        { ["hil", "serve", "--iface", "lo", "--config", "{config}", "--control", LongSocket], "at most 107 bytes (sun_path)" },
        // The config's reset socket under a --state-dir too deep for it.
        { ["jog", "--config", "{jogconfig}", "--state-dir", "{deepdir}", "--joint", "l_knee", "--direction", "+"], "safety.reset_socket (under --state-dir)" },
        { ["reset", "--config", "{jogconfig}", "--state-dir", "{deepdir}"], "safety.reset_socket (under --state-dir)" },
        { ["run", "--config", "{jogconfig}", "--bench", "--lockstep", "--duration", "0.1", "--state-dir", "{deepdir}"], "safety.reset_socket (under --state-dir)" },
    };

    [SkippableTheory]
    [MemberData(nameof(SocketCases))]
    public void A_socket_path_that_cannot_be_one_is_exit_2_naming_the_option_and_the_limit(string[] args, string expected)
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        var (exit, err) = Rt(Expand(args));
        Assert.True(exit == 2, $"rt {string.Join(' ', args)}: exit {exit}; stderr:\n{err}");
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.True(l.StartsWith("error: ", StringComparison.Ordinal) || l == "refusing to enable motion." || l.StartsWith("(see: rt ", StringComparison.Ordinal), l));
        Assert.Contains(lines, l => l.StartsWith("error: ", StringComparison.Ordinal) && l.Contains(expected, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void A_refused_command_leaves_no_health_database_on_disk()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string malformed = Path.Combine(_dir, "malformed.yaml");
        File.WriteAllText(malformed, "robot: [unclosed\n");
        string[][] refused =
        [
            ["run", "--config", malformed, "--bench", "--lockstep", "--duration", "0.1", "--health-db", Path.Combine(_dir, "run.db")],
            ["run", "--config", RepoPaths.Biped12Config, "--bench", "--lockstep", "--duration", "0.1", "--warn-only", "estop", "--health-db", Path.Combine(_dir, "run2.db")],
            ["health", "add", Path.Combine(_dir, "missing.mcap"), "--config", RepoPaths.Biped12Config, "--db", Path.Combine(_dir, "add.db")],
            ["calibrate", Path.Combine(_dir, "missing.rec"), "--config", RepoPaths.Biped12Config, "--out", Path.Combine(_dir, "p.yaml"), "--health-db", Path.Combine(_dir, "cal.db")],
        ];
        foreach (var args in refused)
        {
            var (exit, err) = Rt(args);
            Assert.True(exit == 2, $"rt {string.Join(' ', args)}: exit {exit}; stderr:\n{err}");
        }
        Assert.Empty(Directory.GetFiles(_dir, "*.db*"));
    }

    [SkippableTheory]
    [InlineData("--until-stopped")]
    [InlineData("--duration", "601")]
    public void Health_db_without_record_is_refused_for_an_unbounded_run(params string[] length)
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string db = Path.Combine(_dir, "long.db");
        var (exit, err) = Rt(["run", "--config", RepoPaths.Biped12Config, "--bench", "--lockstep", .. length, "--health-db", db]);
        Assert.True(exit == 2, $"exit {exit}; stderr:\n{err}");
        Assert.StartsWith("error: command line: --health-db: without --record the run is recorded to a temporary file, so it may last at most 600 s", err, StringComparison.Ordinal);
        Assert.False(File.Exists(db));
    }

    [SkippableFact]
    public void A_locked_health_database_is_refused_before_the_run_in_one_line_naming_the_file()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string db = Path.Combine(_dir, "locked.db");
        HealthDatabase.OpenWrite(db).Dispose();
        using var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        holder.Open();
        using var tx = holder.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: another writer holds the lock
        var (exit, err, stdout) = RtWithOut(["run", "--config", RepoPaths.Biped12Config, "--bench", "--lockstep", "--duration", "0.1", "--health-db", db]);
        Assert.True(exit == 2, $"exit {exit}; stderr:\n{err}");
        Assert.StartsWith($"error: {db}: cannot write the health database: SQLite Error 5: 'database is locked'", err, StringComparison.Ordinal);
        Assert.DoesNotContain("robot biped12", stdout, StringComparison.Ordinal); // refused before the session
    }

    [SkippableFact]
    public void A_health_entry_refused_on_write_after_the_run_is_one_line_and_keeps_the_runs_exit_code()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string db = RefusingDatabase("run.db");
        var (exit, err, stdout) = RtWithOut(["run", "--config", RepoPaths.Biped12Config, "--bench", "--lockstep", "--duration", "0.5", "--no-ui", "--health-db", db]);
        Assert.True(exit == 0, $"exit {exit}; stderr:\n{err}");
        Assert.Contains("stop: end of --duration", stdout, StringComparison.Ordinal);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: health: the entry for ", line, StringComparison.Ordinal);
        Assert.Contains($"{db}: cannot write the health database: SQLite Error 19: 'refused by the test'", line, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Calibrates_health_entry_takes_rt_runs_path_with_the_parameters_it_wrote_and_a_failure_is_one_line()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string rec = Path.Combine(_dir, "run.mcap");
        var (exit, err, _) = RtWithOut(["run", "--config", RepoPaths.Biped12Config, "--bench", "--lockstep", "--duration", "0.5", "--no-ui", "--record", rec]);
        Assert.True(exit == 0, $"exit {exit}; stderr:\n{err}");
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        string parameters = Path.Combine(RepoPaths.Biped12Dir, "biped12.twin.yaml");

        // rt calibrate --health-db: HealthAfterRun.TryAdd with the parameter file it has just written.
        string db = Path.Combine(_dir, "cal.db");
        var (ok, output, error) = TryAdd(db, rec, config, parameters);
        Assert.True(ok, error);
        Assert.StartsWith($"health: entry 1 in {db}: {config.Joints.Count} joints from ", output, StringComparison.Ordinal);
        Assert.Empty(error);

        // Parameters that cannot be read: one line naming them, nothing added (calibrate's own exit code stands).
        string bad = Path.Combine(_dir, "bad-params.yaml");
        File.WriteAllText(bad, "not: [a parameter file");
        (ok, output, error) = TryAdd(Path.Combine(_dir, "cal2.db"), rec, config, bad);
        Assert.False(ok);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: health: the entry for {rec} was not added to ", line, StringComparison.Ordinal);
        Assert.Contains("bad-params.yaml", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "cal2.db")));

        // A write the database refuses: the same one line as rt run's and rt hil run's.
        string refusing = RefusingDatabase("cal-refusing.db");
        (ok, _, error) = TryAdd(refusing, rec, config, parameters);
        Assert.False(ok);
        line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("SQLite Error 19: 'refused by the test'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("a bug", line, StringComparison.Ordinal);

        static (bool Ok, string Output, string Error) TryAdd(string db, string rec, RtConfig config, string parameters)
        {
            using var o = new StringWriter();
            using var e = new StringWriter();
            bool ok = HealthAfterRun.TryAdd(db, rec, () => config, "calibrate", tripped: null, o, e, parametersPath: parameters);
            return (ok, o.ToString(), e.ToString());
        }
    }

    [SkippableFact]
    public void Hil_run_health_entry_refused_on_write_is_one_line_and_the_campaigns_exit_code_stands()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string db = RefusingDatabase("hil.db");
        string scenario = Path.Combine(_dir, "short.yaml");
        File.WriteAllText(scenario, $"""
            name: short-nominal
            robot: {RepoPaths.Biped12Config}
            motion: hold
            duration_s: 0.5
            seed: 7
            expect: {"{"} outcome: no_trip {"}"}
            """);
        var (exit, err, stdout) = RtWithOut(["hil", "run", scenario, "--jobs", "1", "--health-db", db]);
        Assert.True(exit == 0, $"exit {exit}; stdout:\n{stdout}\nstderr:\n{err}");
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: health: the entry for ", line, StringComparison.Ordinal);
        Assert.Contains("SQLite Error 19: 'refused by the test'", line, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("--rates", "50000", "error: command line: --rates: 50000 Hz; expected 1 … 20000 Hz each")] // out of range in any culture
    [InlineData("--rates", "0", "error: command line: --rates: 0 Hz; expected 1 … 20000 Hz each")]
    [InlineData("--duration", "-1", "error: --duration: expected a positive")]
    [InlineData("--spin-tail-us", "5000", "error: command line: --spin-tail-us: 5000 µs; expected 0 … 999")]
    public void Bench_loop_numbers_out_of_range_are_exit_2_before_anything_runs(string option, string value, string expected)
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        var (exit, err) = Rt(["bench", "loop", "--robot-shaped", option, value]);
        Assert.True(exit == 2, $"exit {exit}; stderr:\n{err}");
        Assert.StartsWith(expected, err, StringComparison.Ordinal);
    }

    public static TheoryData<string[], string> BenchNumberCases => new()
    {
        { ["bench", "tick", "--ticks", "-1"], "error: command line: --ticks: -1 ticks; expected 1 … 10000000 ticks" }, // ran nothing and exited 0
        { ["bench", "tick", "--ticks", "0"], "error: command line: --ticks: 0 ticks; expected 1 … 10000000 ticks" },
        { ["bench", "tick", "--ticks", "2000000000"], "error: command line: --ticks: 2000000000 ticks; expected 1 … 10000000 ticks" },
        { ["bench", "bus", "--cycles", "0"], "error: command line: --cycles: 0 cycles; expected 1 … 10000000 cycles" },
        { ["bench", "loop", "--tick-cpu", "100000"], "error: command line: --tick-cpu: CPU 100000; expected 0 … " },
        { ["bench", "loop", "--tick-cpu", "-1"], "error: command line: --tick-cpu: CPU -1; expected 0 … " },
        { ["bench", "loop", "--serve-cpu", "-2"], "error: command line: --serve-cpu: CPU -2; expected -1 (any) or 0 … " },
        { ["bench", "telemetry", "--outage", "-1"], "error: command line: --outage: -1 s; expected 0 (none) … less than --seconds" },
        { ["bench", "telemetry", "--seconds", "1", "--outage", "5"], "error: command line: --outage: 5 s; expected 0 (none) … less than --seconds (1 s)" },
        { ["bench", "telemetry", "--seconds", "-3"], "error: --seconds: expected 0 (until stopped) or a positive number" },
        { ["bench", "lockstep", "--duration", "-1"], "error: --duration: expected a positive number" },
        { ["bench", "detect", "--glr-window", "5000"], "error: --glr-window 5000: expected 0 … 1000 ticks" },
    };

    [SkippableTheory]
    [MemberData(nameof(BenchNumberCases))]
    public void Bench_numbers_out_of_range_are_exit_2_in_one_line_before_anything_runs(string[] args, string expected)
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        var (exit, err, stdout) = RtWithOut(args);
        Assert.True(exit == 2, $"rt {string.Join(' ', args)}: exit {exit}; stderr:\n{err}");
        Assert.StartsWith(expected, err, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^[a-z0-9_.]+: -?[0-9.]+ ", stdout); // no figure was measured
    }

    [SkippableFact]
    public void Hil_age_with_a_file_as_its_work_folder_is_exit_2_not_a_bug()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        var (exit, err) = Rt(["hil", "age", Path.Combine(RepoPaths.Root, "hil", "scenarios", "nominal-march-short.yaml"), "--days", "1",
            "--work", Path.Combine(file, "sub"), "--db", Path.Combine(_dir, "age.db")]);
        Assert.True(exit == 2, $"exit {exit}; stderr:\n{err}");
        Assert.StartsWith("error: command line: --work: ", err, StringComparison.Ordinal);
        Assert.Contains("is a file; expected a folder", err, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("", "the file is empty; expected a safety log")]
    [InlineData("not a log, just text", "not a safety log: no intact record in 20 bytes")]
    public void A_safety_log_with_nothing_intact_is_exit_2_in_one_line(string content, string expected)
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string file = Path.Combine(_dir, "rt-safety.log");
        File.WriteAllText(file, content);
        var (exit, err) = Rt(["safety-log", file]);
        Assert.True(exit == 2, $"exit {exit}; stderr:\n{err}");
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {file}: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Monitor_with_a_ca_file_that_is_no_certificate_is_exit_2_not_a_bug()
    {
        Skip.IfNot(File.Exists(Dll), "the bench's rt is not built");
        string ca = Path.Combine(_dir, "ca.pem");
        File.WriteAllText(ca, "not a certificate");
        var (exit, err) = Rt(["monitor", "--broker", "mqtts://127.0.0.1:1", "--robot", "r", "--ca", ca, "--seconds", "1"]);
        Assert.True(exit == 2, $"exit {exit}; stderr:\n{err}");
        Assert.StartsWith($"error: CA file {ca} is not a PEM or DER certificate", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_health_database_on_a_full_or_failing_disk_is_exit_3_and_a_refused_file_exit_2()
    {
        var err = new StringWriter();
        Assert.Equal(3, CommandRunner.Guard(() => throw new Microsoft.Data.Sqlite.SqliteException("SQLite Error 13: 'database or disk is full'.", 13), err));
        Assert.StartsWith("error: health database: input/output failed: SQLite Error 13", err.ToString(), StringComparison.Ordinal);
        err = new StringWriter();
        Assert.Equal(2, CommandRunner.Guard(() => throw new Microsoft.Data.Sqlite.SqliteException("SQLite Error 5: 'database is locked'.", 5), err));
        Assert.StartsWith("error: health database: SQLite Error 5", err.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Guard_unwraps_an_aggregate_exception_and_keeps_each_kinds_exit_code()
    {
        var err = new StringWriter();
        Assert.Equal(3, CommandRunner.Guard(() => throw new AggregateException(new IOException("disk gone")), err));
        Assert.Equal("error: input/output failed: disk gone", err.ToString().Trim());
        err = new StringWriter();
        Assert.Equal(2, CommandRunner.Guard(() => throw new AggregateException(new InvalidOperationException("x"), new Rt.Core.Errors.InputError("f.yaml", "k", "bad")), err));
        Assert.StartsWith("error: f.yaml: k: bad", err.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("a bug", err.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_write_refused_by_sqlite_is_an_input_error_naming_the_file_and_the_reason()
    {
        string db = Path.Combine(_dir, "locked-on-write.db");
        using var writer = HealthDatabase.OpenWrite(db);
        using var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        holder.Open();
        using var tx = holder.BeginTransaction(deferred: false);
        var e = Assert.Throws<Rt.Core.Errors.InputError>(() => writer.Append(
            new HealthSession(1, DateTimeOffset.UnixEpoch, "run", "biped12", "r.mcap", 1, false), []));
        Assert.StartsWith($"{db}: cannot write the health database: SQLite Error 5: 'database is locked'", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A valid, empty health database whose inserts SQLite refuses (a trigger): passes every check, fails on write.</summary>
    private string RefusingDatabase(string name)
    {
        string db = Path.Combine(_dir, name);
        HealthDatabase.OpenWrite(db).Dispose();
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "CREATE TRIGGER refuse BEFORE INSERT ON sessions BEGIN SELECT RAISE(ABORT, 'refused by the test'); END";
        cmd.ExecuteNonQuery();
        return db;
    }

    private string[] Expand(string[] args)
    {
        string? jog = null, deep = null;
        return [.. args.Select(a => a switch
        {
            "{config}" => RepoPaths.Biped12Config,
            "{jogconfig}" => jog ??= JogConfig(),
            "{deepdir}" => deep ??= Directory.CreateDirectory(Path.Combine(_dir, new string('d', 100))).FullName,
            _ => a,
        })];
    }

    /// <summary>biped12 with a relative reset socket (under --state-dir) and absolute paths to its files.</summary>
    private string JogConfig()
    {
        string dir = Path.GetDirectoryName(RepoPaths.Biped12Config)!;
        string text = File.ReadAllText(RepoPaths.Biped12Config)
            .Replace("description: biped12.urdf", $"description: {Path.Combine(dir, "biped12.urdf")}", StringComparison.Ordinal)
            .Replace("parameters: biped12.twin.yaml", $"parameters: {Path.Combine(dir, "biped12.twin.yaml")}", StringComparison.Ordinal)
            .Replace("  esi: [esi]", $"  esi: [{Path.Combine(dir, "esi")}]", StringComparison.Ordinal)
            .Replace("reset_socket: \"\"", "reset_socket: rt-reset.sock", StringComparison.Ordinal);
        string path = Path.Combine(_dir, "biped12-socket.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    private (int Exit, string Err) Rt(string[] args)
    {
        var (exit, err, _) = RtWithOut(args);
        return (exit, err);
    }

    private (int Exit, string Err, string Out) RtWithOut(string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("SSH_CONNECTION"); // jog, home and brake refuse an SSH session before anything else
        using var p = System.Diagnostics.Process.Start(psi)!;
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(300)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"rt {string.Join(' ', args)} did not end");
        }
        p.WaitForExit();
        int exit = p.ExitCode;
        string stdout = outTask.Result, err = errTask.Result;
        ErrorContractTests.AssertNoTrace(err, string.Join(' ', args));
        Assert.DoesNotContain("a bug", err, StringComparison.Ordinal);
        return (exit, err, stdout);
    }
}
