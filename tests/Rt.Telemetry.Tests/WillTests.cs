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
        int port = LocalBroker.FreePort(); // no broker yet: the events can only go to the outbox
        string uri = $"mqtt://127.0.0.1:{port}";
        string outbox = Path.Combine(_dir, "outbox");
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Rt.Telemetry.Child.dll"), uri, "r9", outbox, "events", "4"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var p = Process.Start(psi)!)
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
        Assert.Equal(4, Directory.GetFiles(outbox, "*.json").Length);

        using var broker = new LocalBroker(Path.Combine(_dir, "broker"), port).Start();
        using var sub = new TestSubscriber(broker.Uri, "rt/r9/safety");
        var log = new Fixtures.Log(output);
        var section = Fixtures.Section(uri, _dir);
        section.OutboxPath = outbox;
        using var svc = new TelemetryService(section, Fixtures.Layout(), "r9", log.Add, Fixtures.FastOptions);
        svc.Start();
        Assert.True(sub.WaitFor(m => m.Select(x => JsonDocument.Parse(x.Payload).RootElement.GetProperty("id").GetInt64()).ToHashSet()
            .SetEquals([1, 2, 3, 4]), TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
