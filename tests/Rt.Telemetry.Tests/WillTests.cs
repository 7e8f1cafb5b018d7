using System.Diagnostics;
using System.Text.Json;
using Rt.Perf;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>A host killed with SIGKILL: the broker publishes the retained "offline" will on the state topic.</summary>
public sealed class WillTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("will");

    [Fact]
    public async Task Retained_state_shows_offline_after_the_host_is_killed()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        string child = Path.Combine(AppContext.BaseDirectory, "Rt.Telemetry.Child.dll");
        Assert.True(File.Exists(child), $"child host not built at {child}");
        var psi = new ProcessStartInfo("dotnet", ["exec", child, broker.Uri, "killme", Path.Combine(_dir, "outbox")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var sub = new TestSubscriber(broker.Uri, "rt/killme/state");
        using var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.WriteLine("child: " + e.Data); };
        p.BeginErrorReadLine();
        try
        {
            string? ready = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(ready == "connected", "child did not connect");
            Assert.True(sub.WaitFor(m => m.Any(x => x.Payload.Contains("\"online\"", StringComparison.Ordinal)), TimeSpan.FromSeconds(5)));
        }
        finally
        {
            p.Kill(); // SIGKILL: no DISCONNECT is sent, so the broker must publish the will
            p.WaitForExit();
        }
        Assert.True(sub.WaitFor(m => m.Any(x => x.Payload.Contains("\"offline\"", StringComparison.Ordinal)), TimeSpan.FromSeconds(15)),
            "no offline will after kill -9");

        // A newcomer sees the retained offline state (checked with Debian's mosquitto_sub as an independent client).
        var check = new ProcessStartInfo("mosquitto_sub", ["-h", "127.0.0.1", "-p", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-t", "rt/killme/state", "-C", "1", "-W", "5", "--retained-only"]) { RedirectStandardOutput = true };
        using var s = Process.Start(check)!;
        string retained = s.StandardOutput.ReadToEnd().Trim();
        s.WaitForExit();
        var doc = JsonDocument.Parse(retained).RootElement;
        Assert.Equal("offline", doc.GetProperty("status").GetString());
        Assert.False(doc.GetProperty("clean").GetBoolean());
    }

    [Fact]
    public async Task Safety_events_of_a_host_killed_during_an_outage_are_delivered_by_the_next_run()
    {
        int port = LocalBroker.FreePort(); // no broker yet: the events can only wait in the safety log
        string uri = $"mqtt://127.0.0.1:{port}";
        string outbox = Path.Combine(_dir, "outbox");
        string safetyLog = Path.Combine(_dir, "safety.log");
        using (var p = StartChild(uri, "r9", outbox, "events", 4, safetyLog))
        {
            try
            {
                string? line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal("stored", line);
            }
            finally
            {
                p.Kill(); // SIGKILL right after the events were accepted
                p.WaitForExit();
            }
        }
        var journal = new Rt.Safety.SafetyLogJournal(safetyLog);
        Assert.Equal(4, journal.ReadFrom(0, int.MaxValue, []));

        using var broker = new LocalBroker(Path.Combine(_dir, "broker"), port).Start();
        using var sub = new TestSubscriber(broker.Uri, "rt/r9/safety");
        var log = new Fixtures.Log(output);
        var section = Fixtures.Section(uri, _dir);
        section.OutboxPath = outbox;
        using var svc = new TelemetryService(section, Fixtures.Layout(), "r9", log.Add, Fixtures.FastOptions, journal: journal);
        svc.Start();
        Assert.True(sub.WaitFor(m => m.Select(x => JsonDocument.Parse(x.Payload).RootElement.GetProperty("id").GetInt64()).ToHashSet()
            .SetEquals([1, 2, 3, 4]), TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
    }

    [SkippableFact]
    public async Task Kill_between_the_safety_logs_fsync_and_the_publish_loses_no_event()
    {
        Skip.If(FindOnPath("mosquitto_sub") is null, "mosquitto_sub (package mosquitto-clients) is not installed");
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        using var check = new MosquittoSub(broker.Port, "rt/r9/safety"); // independent subscriber, for the whole test
        string outbox = Path.Combine(_dir, "outbox");
        string safetyLog = Path.Combine(_dir, "safety.log");
        const int n = 10;
        using (var p = StartChild(broker.Uri, "r9", outbox, "gap", n, safetyLog))
        {
            try
            {
                string? line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal("fsynced", line);
                // The window is real: events 6..10 are durable in the safety log but were never published.
                Assert.True(check.WaitFor(m => Ids(m).Count == n / 2, TimeSpan.FromSeconds(5)));
                Thread.Sleep(300);
                Assert.Equal(Enumerable.Range(1, n / 2).Select(i => (long)i), Ids(check.Payloads).Order());
            }
            finally
            {
                p.Kill(); // SIGKILL between fsync and publish
                p.WaitForExit();
            }
        }
        var journal = new Rt.Safety.SafetyLogJournal(safetyLog);
        Assert.Equal(n, journal.ReadFrom(0, int.MaxValue, []));

        // The next run catches up from the durable cursor: every event arrives, the acknowledged ones are not re-sent.
        var section = Fixtures.Section(broker.Uri, _dir);
        section.OutboxPath = outbox;
        var log = new Fixtures.Log(output);
        using var svc = new TelemetryService(section, Fixtures.Layout(), "r9", log.Add, Fixtures.FastOptions, journal: journal);
        svc.Start();
        Assert.True(check.WaitFor(m => Ids(m).ToHashSet().SetEquals(Enumerable.Range(1, n).Select(i => (long)i)), TimeSpan.FromSeconds(15)),
            "lost after restart: " + string.Join(",", Enumerable.Range(1, n).Select(i => (long)i).Except(Ids(check.Payloads))) + "\n" + string.Join("\n", log.Lines));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
        Thread.Sleep(300);
        Assert.Equal(n, check.Payloads.Count); // each exactly once here: the cursor was durable past 1..5
        Assert.Contains(log.Lines, l => l.Contains("5 safety event(s) from an earlier run", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Random_SIGKILLs_while_events_stream_lose_no_event()
    {
        Skip.If(FindOnPath("mosquitto_sub") is null, "mosquitto_sub (package mosquitto-clients) is not installed");
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        using var check = new MosquittoSub(broker.Port, "rt/r9/safety");
        string outbox = Path.Combine(_dir, "outbox");
        string safetyLog = Path.Combine(_dir, "safety.log");
        var rng = new Random(11);
        const int kills = 6;
        for (int k = 0; k < kills; k++)
        {
            using var p = StartChild(broker.Uri, "r9", outbox, "stream", 100_000, safetyLog);
            try
            {
                string? line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal("running", line);
                Thread.Sleep(rng.Next(50, 400));
            }
            finally
            {
                p.Kill(); // SIGKILL wherever the child is: mid-fsync, between fsync and publish, awaiting PUBACK
                p.WaitForExit();
            }
        }
        var journal = new Rt.Safety.SafetyLogJournal(safetyLog);
        var logged = new List<Rt.Core.Tick.SafetyJournalEntry>();
        journal.ReadFrom(0, int.MaxValue, logged);
        Assert.True(logged.Count > kills, $"only {logged.Count} events logged");

        var section = Fixtures.Section(broker.Uri, _dir);
        section.OutboxPath = outbox;
        var log = new Fixtures.Log(output);
        using var svc = new TelemetryService(section, Fixtures.Layout(), "r9", log.Add, Fixtures.FastOptions, journal: journal);
        svc.Start();
        Assert.True(PayloadTests.SpinUntil(() => svc.WaitConnected(TimeSpan.Zero) && svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(30)),
            string.Join("\n", log.Lines));
        // Every logged event reached the independent subscriber: as many distinct (run, id) pairs as log records,
        // one run per child (ids restart at 1 in each).
        Assert.True(check.WaitFor(m => RunIds(m).Count == logged.Count, TimeSpan.FromSeconds(10)),
            $"{logged.Count} events in the safety log, {RunIds(check.Payloads).Count} distinct ones received");
        Assert.Equal(kills, RunIds(check.Payloads).Select(x => x.Run).Distinct().Count());
        output.WriteLine($"{logged.Count} events over {kills} SIGKILLs, {check.Payloads.Count} messages received (duplicates allowed)");
    }

    private static List<long> Ids(List<string> payloads) =>
        payloads.Select(x => JsonDocument.Parse(x).RootElement.GetProperty("id").GetInt64()).ToList();

    private static HashSet<(long Run, long Id)> RunIds(List<string> payloads) =>
        payloads.Select(x => JsonDocument.Parse(x).RootElement).Select(r => (r.GetProperty("run").GetInt64(), r.GetProperty("id").GetInt64())).ToHashSet();

    private Process StartChild(string uri, string robot, string outbox, string mode, int n, string safetyLog)
    {
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Rt.Telemetry.Child.dll"), uri, robot, outbox,
            mode, n.ToString(System.Globalization.CultureInfo.InvariantCulture), safetyLog])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) try { output.WriteLine("child: " + e.Data); } catch (InvalidOperationException) { } };
        p.BeginErrorReadLine();
        return p;
    }

    private static string? FindOnPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, exe)).FirstOrDefault(File.Exists);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
