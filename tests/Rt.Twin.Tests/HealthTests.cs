using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Rt.Core.Errors;
using Rt.Twin.Health;
using Rt.Twin.Parameters;
using Rt.Twin.Recording;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>The health history (docs/TWIN.md, "Health"): estimator, database, forecast, report.</summary>
public sealed class HealthTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-health-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // The synthetic run's true link parameters and friction smoothing: the estimator then sees the model it fits.
    private static TwinParameters TrueParameters(CalibrationSyntheticRun run)
    {
        var p = new TwinParameters { Robot = run.Description.Name };
        foreach (var name in CalibrationSyntheticRun.ConfigOrder)
            p.Joints.Add(new JointParameters { Name = name, Friction = new JointFrictionParameters { CoulombSmoothingRadS = Models.ServoParameters.CoulombSmoothingRadS } });
        for (int b = 0; b < run.Model.DegreesOfFreedom; b++)
            p.Links.Add(new LinkParameters { Name = $"b{b}", Pi = run.TrueX.AsSpan(10 * b, 10).ToArray() });
        return p;
    }

    // The same recording with joint 0's reported torque divided by scale: its motor now delivers scale × what it reports.
    private static void ScaleReportedTorque(string from, string to, int joint, double scale)
    {
        var rec = TickRecording.Open(from);
        using var w = new TickRecordingWriter(to, rec.Robot, rec.Layout, rec.PeriodNs);
        var row = new double[rec.Layout.Width];
        int o = rec.Layout.Joint(joint, JointField.Torque);
        for (int i = 0; i < rec.Count; i++)
        {
            rec.Record(i).CopyTo(row);
            row[o] /= scale;
            w.Append(rec.Tick(i), row);
        }
    }

    [Fact]
    public void Estimator_recovers_friction_and_motor_constant_of_a_known_run()
    {
        var run = new CalibrationSyntheticRun();
        var parameters = TrueParameters(run);
        string healthy = Path.Combine(_dir, "healthy.rttick"), worn = Path.Combine(_dir, "worn.rttick"), weak = Path.Combine(_dir, "weak.rttick");
        run.Write(healthy, seconds: 6, seed: 5);
        run.Coulomb[0] += 0.5;     // knee: +0.5 N·m Coulomb
        run.Viscous[0] += 0.1;
        run.Write(worn, seconds: 6, seed: 5);
        ScaleReportedTorque(worn, weak, 0, 0.8); // and its motor constant at 80 %

        var h = HealthEstimator.Estimate(TickRecording.Open(healthy), run.Config, parameters);
        var w = HealthEstimator.Estimate(TickRecording.Open(weak), run.Config, parameters);
        for (int j = 0; j < 3; j++)
            output.WriteLine(FormattableString.Invariant($"{h[j].Joint}: Fc {h[j].CoulombFrictionNm:F3}→{w[j].CoulombFrictionNm:F3} B {h[j].ViscousFrictionNmsPerRad:F3}→{w[j].ViscousFrictionNmsPerRad:F3} s {h[j].MotorConstantScale:F3}→{w[j].MotorConstantScale:F3} R² {h[j].FitR2:F4}"));
        var truthFc = new CalibrationSyntheticRun().Coulomb;
        var truthB = new CalibrationSyntheticRun().Viscous;
        for (int j = 0; j < 3; j++)
        {
            Assert.InRange(h[j].CoulombFrictionNm, truthFc[j] - 0.05, truthFc[j] + 0.05);
            Assert.InRange(h[j].ViscousFrictionNmsPerRad, truthB[j] - 0.05, truthB[j] + 0.05);
            Assert.InRange(h[j].MotorConstantScale, 0.98, 1.02);
            Assert.True(h[j].FitR2 > 0.99, $"{h[j].Joint}: R² {h[j].FitR2}");
            Assert.Null(h[j].TemperatureC); // the tick record carries no drive temperature
        }
        // The worn knee: friction up by what was injected, motor constant at 80 %; the other joints unchanged.
        Assert.InRange(w[0].CoulombFrictionNm, truthFc[0] + 0.45, truthFc[0] + 0.55);
        Assert.InRange(w[0].ViscousFrictionNmsPerRad, truthB[0] + 0.05, truthB[0] + 0.15);
        Assert.InRange(w[0].MotorConstantScale, 0.78, 0.82);
        for (int j = 1; j < 3; j++) Assert.InRange(w[j].MotorConstantScale, 0.98, 1.02);
    }

    [Fact]
    public void Forecast_finds_the_crossing_of_a_linear_drift_and_stays_quiet_on_a_flat_one()
    {
        var noise = new CrossCheckGaussian(7);
        var drifting = Enumerable.Range(0, 30).Select(d => ((double)d, 0.4 + 0.008 * d + 0.005 * noise.Next())).ToList();
        var f = HealthForecaster.Forecast("l_knee", HealthParameter.CoulombFriction, drifting, limit: 0.5, upper: true);
        output.WriteLine(FormattableString.Invariant($"slope {f.SlopePerDay:F5}/day, cross {f.CrossDay:F1} ({f.EarliestDay:F1}–{f.LatestDay:F1})"));
        // True crossing: 0.4 + 0.008 d = 0.5 at day 12.5 — but the history already reaches day 29: past the limit.
        Assert.Equal(ForecastStatus.OverLimit, f.Status);

        var early = drifting.Take(8).ToList(); // days 0..7: crossing at 12.5 is 5.5 days ahead
        f = HealthForecaster.Forecast("l_knee", HealthParameter.CoulombFriction, early, 0.5, true);
        output.WriteLine(FormattableString.Invariant($"early: slope {f.SlopePerDay:F5}/day, cross {f.CrossDay:F1} ({f.EarliestDay:F1}–{f.LatestDay:F1}) {f.Status}"));
        Assert.Equal(ForecastStatus.Warning, f.Status);
        Assert.InRange(f.CrossDay!.Value, 10, 16);
        Assert.True(f.EarliestDay <= f.CrossDay, "the band's edge crosses first");
        Assert.True(f.LatestDay is null || f.LatestDay >= f.CrossDay);

        // A falling parameter with a lower limit (the motor constant).
        var falling = Enumerable.Range(0, 10).Select(d => ((double)d, 1.0 - 0.01 * d + 0.002 * noise.Next())).ToList();
        f = HealthForecaster.Forecast("l_knee", HealthParameter.MotorConstantScale, falling, 0.85, upper: false);
        Assert.Equal(ForecastStatus.Warning, f.Status);
        Assert.InRange(f.CrossDay!.Value, 13, 17);

        var flat = Enumerable.Range(0, 40).Select(d => ((double)d, 0.4 + 0.005 * noise.Next())).ToList();
        f = HealthForecaster.Forecast("r_knee", HealthParameter.CoulombFriction, flat, 0.5, true);
        Assert.Equal(ForecastStatus.Ok, f.Status);
        Assert.True(f.EarliestDay is null || f.EarliestDay - f.Now > 14, $"earliest crossing {f.EarliestDay}");

        Assert.Equal(ForecastStatus.Insufficient, HealthForecaster.Forecast("x", HealthParameter.CoulombFriction, flat.Take(4).ToList(), 0.5, true).Status);
    }

    // One run's torque channel: white innovation of σ = 1 N·m and a reported-torque profile; thresholds as biped12's twin.
    private static TripReplay Replay(Func<int, double> torque, int seed, int ticks = 4000)
    {
        var noise = new CrossCheckGaussian(seed);
        var e = new double[ticks];
        var tau = new double[ticks];
        var qd = new double[ticks];
        var tanh = new double[ticks];
        for (int t = 0; t < ticks; t++)
        {
            e[t] = noise.Next();
            tau[t] = torque(t);
            qd[t] = Math.Sin(2 * Math.PI * t / 1000.0);
            tanh[t] = Math.Tanh(qd[t] / 0.1);
        }
        var thresholds = Rt.Twin.CrossCheck.ThresholdDerivation.ForChannel(1, Rt.Twin.CrossCheck.ThresholdDerivation.AverageRunLengthTicks(1000, 1000), 3);
        return new TripReplay(e, tau, tanh, qd, new JointNoise { TorqueNm = 1 }, thresholds);
    }

    [Fact]
    public void A_limit_is_where_a_replay_of_the_run_through_the_detector_trips_and_it_follows_the_torque_peaks()
    {
        // Same RMS (≈ 7.07 N·m), different peaks: a sine of 10 N·m, and 80 N·m bursts one tick in 128.
        var smooth = Replay(t => 10 * Math.Sin(2 * Math.PI * t / 1000.0), seed: 3);
        var peaky = Replay(t => t % 128 == 0 ? 80 : 0, seed: 3);
        double sSmooth = smooth.Limit(TripReplay.Change.MotorConstant, 1, 1), sPeaky = peaky.Limit(TripReplay.Change.MotorConstant, 1, 1);
        output.WriteLine(FormattableString.Invariant($"motor-constant limit: smooth {sSmooth:F4}, peaky {sPeaky:F4}"));
        // The limit is the trip: at it the replay reaches the threshold, 1 % of the loss short of it, it does not.
        Assert.True(smooth.PeakRatio(TripReplay.Change.MotorConstant, sSmooth, 1) >= 1);
        Assert.True(smooth.PeakRatio(TripReplay.Change.MotorConstant, 1 - 0.99 * (1 - sSmooth), 1) < 1);
        // An 80 N·m peak alone needs a loss of only a few %: the peaky run's limit is much closer to 1 than the smooth one's.
        Assert.InRange(sSmooth, 0.5, 0.95);
        Assert.True(sPeaky > sSmooth + 0.02, $"peaky {sPeaky} vs smooth {sSmooth}");

        double fc = smooth.Limit(TripReplay.Change.Coulomb, 1, 0.3);
        output.WriteLine(FormattableString.Invariant($"Coulomb limit {fc:F3} N·m (from 0.3)"));
        Assert.True(smooth.PeakRatio(TripReplay.Change.Coulomb, fc - 0.3, 1) >= 1);
        Assert.True(smooth.PeakRatio(TripReplay.Change.Coulomb, 0.99 * (fc - 0.3), 1) < 1);
        // On this 4 s run a half-wave shift of about one σ trips (below the drift k = 1.5 σ: with noise, the CUSUM still
        // climbs over h in time), and finite.
        Assert.InRange(fc - 0.3, 0.5, 3);
        // A run that already trips as it is has its limit at its own value.
        var tripped = new TripReplay([.. Enumerable.Repeat(5.0, 200)], new double[200], new double[200], new double[200], new JointNoise { TorqueNm = 1 },
            Rt.Twin.CrossCheck.ThresholdDerivation.ForChannel(1, 3.6e6, 3));
        Assert.Equal(0.3, tripped.Limit(TripReplay.Change.Coulomb, 1, 0.3));
    }

    [Fact]
    public void The_forecast_extrapolates_the_distance_to_each_runs_own_limit()
    {
        // Friction rises 0.01 N·m/day while its limit closes in by 0.02/day (another parameter wears too): they meet at day 20.
        var history = new List<HealthEntry>();
        for (int d = 0; d <= 8; d++)
            history.Add(new HealthEntry(d, new HealthSession(d, DateTimeOffset.UnixEpoch.AddDays(d), "hil", "biped12", "x.mcap", 2000, false),
                [new JointHealth("l_knee", 0.4 + 0.01 * d, double.NaN, double.NaN, 3, double.NaN, null, 0.99, new JointHealthLimits(1.0 - 0.02 * d, double.NaN, double.NaN, double.NaN))]));
        var f = Assert.Single(HealthForecaster.ForecastAll(history));
        output.WriteLine(FormattableString.Invariant($"cross {f.CrossDay:F1}, earliest {f.EarliestDay:F1}, {f.Status}"));
        Assert.Equal(ForecastStatus.Warning, f.Status);
        Assert.InRange(f.CrossDay!.Value, 19.5, 20.5);
        // Against the latest limit alone (0.84) the value's own trend would cross only at day 44: no warning.
        var fixedLimit = HealthForecaster.Forecast("l_knee", HealthParameter.CoulombFriction, history.Select(h => (h.Session.Day, h.Joints[0].CoulombFrictionNm)).ToList(), 0.84, true);
        Assert.Equal(ForecastStatus.Ok, fixedLimit.Status);
    }

    private static JointHealth Joint(string name, double fc, double kt, double variance) =>
        new(name, fc, 0.5, kt, 3.0, variance, null, 0.99, new JointHealthLimits(0.5, 0.9, 0.9, 0.02));

    private static void Fill(string db, int days)
    {
        using var d = HealthDatabase.OpenWrite(db);
        for (int day = 0; day < days; day++)
            d.Append(new HealthSession(day, DateTimeOffset.UnixEpoch.AddDays(20000 + day), "hil", "biped12", $"day{day}.mcap", 2000, day == days - 1),
                [Joint("l_knee", 0.4 + 0.01 * day, 1 - 0.005 * day, 0.004), Joint("r_knee", 0.4, 1, 0.004)]);
    }

    [Fact]
    public void Database_round_trips_and_the_report_warns_only_on_the_wearing_joint()
    {
        string db = Path.Combine(_dir, "h.db");
        Fill(db, 8);
        using var read = HealthDatabase.OpenRead(db);
        var history = read.ReadAll();
        Assert.Equal(8, history.Count);
        Assert.Equal(0.47, history[7].Joints[0].CoulombFrictionNm, 12);
        Assert.True(history[7].Session.Tripped);
        Assert.False(history[0].Session.Tripped);
        Assert.Null(history[0].Joints[0].TemperatureC);

        var report = new HealthReport(db, history);
        output.WriteLine(report.ToText());
        Assert.Contains(report.Warnings, f => f.Joint == "l_knee" && f.Parameter == HealthParameter.CoulombFriction);
        Assert.DoesNotContain(report.Warnings, f => f.Joint == "r_knee");
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(8, json.RootElement.GetProperty("history").GetArrayLength());
        Assert.Contains(json.RootElement.GetProperty("forecasts").EnumerateArray(), e => e.GetProperty("joint").GetString() == "l_knee" && e.GetProperty("status").GetString() == "warning");
        string html = report.ToHtml();
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    private static (int Exit, string Out) Sqlite3(string db, string sql)
    {
        var psi = new ProcessStartInfo("sqlite3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-readonly");
        psi.ArgumentList.Add(db);
        psi.ArgumentList.Add(sql);
        using var p = Process.Start(psi)!;
        string o = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, o.Trim());
    }

    private static bool HasSqlite3() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "sqlite3")));

    [SkippableFact]
    public void The_sqlite3_cli_reads_the_rows_we_wrote()
    {
        Skip.IfNot(HasSqlite3(), "the sqlite3 CLI is not installed (tools/setup.sh installs it)");
        string db = Path.Combine(_dir, "cli.db");
        Fill(db, 6);
        Assert.Equal((0, "1"), Sqlite3(db, "PRAGMA user_version"));
        Assert.Equal((0, "1"), Sqlite3(db, "SELECT value FROM meta WHERE key = 'schema_version'"));
        Assert.Equal((0, "6"), Sqlite3(db, "SELECT count(*) FROM sessions"));
        Assert.Equal((0, "12"), Sqlite3(db, "SELECT count(*) FROM joint_health"));
        var (exit, rows) = Sqlite3(db, "SELECT s.day, j.coulomb_friction_nm, j.motor_constant_scale, j.temperature_c IS NULL, s.tripped FROM joint_health j JOIN sessions s ON s.id = j.session_id WHERE j.joint = 'l_knee' ORDER BY s.day");
        Assert.Equal(0, exit);
        var lines = rows.Split('\n');
        Assert.Equal(6, lines.Length);
        for (int d = 0; d < 6; d++)
        {
            var f = lines[d].Split('|');
            Assert.Equal(d, double.Parse(f[0], CultureInfo.InvariantCulture));
            Assert.Equal(0.4 + 0.01 * d, double.Parse(f[1], CultureInfo.InvariantCulture), 12);
            Assert.Equal(1 - 0.005 * d, double.Parse(f[2], CultureInfo.InvariantCulture), 12);
            Assert.Equal("1", f[3]);
            Assert.Equal(d == 5 ? "1" : "0", f[4]);
        }
    }

    [SkippableFact]
    public void A_corrupt_or_foreign_database_is_refused_and_left_untouched()
    {
        // Not SQLite at all.
        string garbage = Path.Combine(_dir, "garbage.db");
        File.WriteAllText(garbage, "this is not a database, but someone's notes\n");
        byte[] before = File.ReadAllBytes(garbage);
        var e = Assert.Throws<InputError>(() => HealthDatabase.OpenWrite(garbage));
        Assert.Contains("not an SQLite database", e.Message, StringComparison.Ordinal);
        Assert.Throws<InputError>(() => HealthDatabase.OpenRead(garbage));
        Assert.Equal(before, File.ReadAllBytes(garbage));

        // A health database whose pages were damaged after the header.
        string damaged = Path.Combine(_dir, "damaged.db");
        Fill(damaged, 5);
        var bytes = File.ReadAllBytes(damaged);
        for (int i = 100; i < bytes.Length; i += 7) bytes[i] ^= 0x5A;
        File.WriteAllBytes(damaged, bytes);
        e = Assert.Throws<InputError>(() => HealthDatabase.OpenWrite(damaged));
        output.WriteLine(e.Message);
        Assert.Equal(bytes, File.ReadAllBytes(damaged));

        // Another schema version (written by the sqlite3 CLI: an SQLite file that is not ours).
        Skip.IfNot(HasSqlite3(), "the sqlite3 CLI is not installed (tools/setup.sh installs it)");
        string foreign = Path.Combine(_dir, "foreign.db");
        var psi = new ProcessStartInfo("sqlite3") { RedirectStandardOutput = true };
        psi.ArgumentList.Add(foreign);
        psi.ArgumentList.Add("CREATE TABLE t(x); PRAGMA user_version = 7;");
        using (var p = Process.Start(psi)!) p.WaitForExit();
        before = File.ReadAllBytes(foreign);
        e = Assert.Throws<InputError>(() => HealthDatabase.OpenWrite(foreign));
        Assert.Contains("schema version 7, expected 1", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(foreign));
    }
}
