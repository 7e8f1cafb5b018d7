using System.Text.Json;
using Rt.Telemetry.Bench;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>Broker outages, host restarts and a late broker: safety events are never lost, drops are counted.</summary>
public sealed class OutageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("outage");

    private static HashSet<long> SafetyIds(IEnumerable<TestSubscriber.Received> msgs, string topic) =>
        msgs.Where(m => m.Topic == topic).Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("id").GetInt64()).ToHashSet();

    [Fact]
    public void Broker_stopped_mid_run_safety_events_arrive_after_restart_and_drops_are_published()
    {
        // The fleet tool's subscriber keeps a persistent session, so QoS 1 messages wait for it across the restart.
        using var broker = new LocalBroker(Path.Combine(_dir, "broker"), persistence: true).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/#", clientId: "fleet-tool", cleanSession: false);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 10), layout, "r1", log.Add, Fixtures.FastOptions);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)));
        var topics = svc.Topics;
        var state = Fixtures.State(layout);
        long tick = 0;
        for (; tick < 20; tick++) { Fixtures.Fill(state, tick); svc.Sink.Enqueue(state); }
        Assert.True(sub.WaitFor(m => m.Count(x => x.Topic == topics.Divergence) >= 2, TimeSpan.FromSeconds(5)));

        broker.Stop();
        Assert.True(PayloadTests.SpinUntil(() => !svc.Stats.Connected, TimeSpan.FromSeconds(10)), "service did not notice the broker going away");
        for (long id = 1; id <= 5; id++) svc.PublishSafetyEvent(Fixtures.Event(id));
        for (; tick < 220; tick++) { Fixtures.Fill(state, tick); svc.Sink.Enqueue(state); }
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.LinkDropped >= 200, TimeSpan.FromSeconds(5)), $"dropped {svc.Stats.LinkDropped}");
        Assert.Equal(5, svc.Stats.OutboxPending);
        Assert.Equal(5, Directory.GetFiles(Path.Combine(_dir, "outbox"), "*.json").Length);

        broker.Start();
        Assert.True(sub.WaitFor(m => SafetyIds(m, topics.Safety).SetEquals([1, 2, 3, 4, 5]) && m.Any(x => x.Topic == topics.Link),
            TimeSpan.FromSeconds(20)), "safety events or the link report did not arrive after the broker came back:\n" + string.Join("\n", log.Lines));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "outbox"), "*.json"));

        var link = JsonDocument.Parse(sub.On(topics.Link).Last().Payload).RootElement;
        Assert.Equal("reconnected", link.GetProperty("event").GetString());
        Assert.True(link.GetProperty("dropped").GetInt64() >= 200);

        // Each failure reported once, not a flood.
        var lines = log.Lines;
        Assert.Single(lines, l => l.Contains("lost", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("reconnected", StringComparison.Ordinal) && l.Contains("samples dropped", StringComparison.Ordinal));
        Assert.True(lines.Count <= 6, "too many log lines:\n" + string.Join("\n", lines));

        // The stream resumes with a sequence gap where the dropped batches were.
        for (; tick < 240; tick++) { Fixtures.Fill(state, tick); svc.Sink.Enqueue(state); }
        Assert.True(sub.WaitFor(m => m.Where(x => x.Topic == topics.Divergence).Any(x =>
            JsonDocument.Parse(x.Payload).RootElement.GetProperty("records")[0].GetProperty("tick").GetInt64() >= 220), TimeSpan.FromSeconds(10)));
        var seqs = sub.On(topics.Divergence).Select(x => JsonDocument.Parse(x.Payload).RootElement.GetProperty("seq").GetInt64()).ToList();
        Assert.Contains(seqs.Zip(seqs.Skip(1)), p => p.Second - p.First > 1);
    }

    [Fact]
    public void Host_restart_delivers_events_left_in_the_outbox_and_a_missing_broker_is_reported_once()
    {
        int port = LocalBroker.FreePort();
        string uri = $"mqtt://127.0.0.1:{port}";
        var layout = Fixtures.Layout();
        var logA = new Fixtures.Log(output);
        using (var a = new TelemetryService(Fixtures.Section(uri, _dir), layout, "r1", logA.Add, Fixtures.FastOptions))
        {
            a.Start();
            for (long id = 10; id < 13; id++) a.PublishSafetyEvent(Fixtures.Event(id));
            Assert.True(logA.WaitFor(l => l.Contains("no connection", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
            Assert.True(PayloadTests.SpinUntil(() => a.Stats.ClientRebuilds >= 2, TimeSpan.FromSeconds(10)));
        }
        Assert.Single(logA.Lines, l => l.Contains("no connection", StringComparison.Ordinal));
        Assert.Equal(3, Directory.GetFiles(Path.Combine(_dir, "outbox"), "*.json").Length);

        using var broker = new LocalBroker(Path.Combine(_dir, "broker"), port).Start();
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/safety");
        var logB = new Fixtures.Log(output);
        using var b = new TelemetryService(Fixtures.Section(uri, _dir), layout, "r1", logB.Add, Fixtures.FastOptions);
        b.Start();
        Assert.True(sub.WaitFor(m => SafetyIds(m, b.Topics.Safety).SetEquals([10, 11, 12]), TimeSpan.FromSeconds(10)));
        Assert.True(PayloadTests.SpinUntil(() => b.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
        Assert.Contains(logB.Lines, l => l.Contains("3 safety event(s) from an earlier run", StringComparison.Ordinal));
    }

    [Fact]
    public void Broker_absent_at_start_is_joined_when_it_appears()
    {
        int port = LocalBroker.FreePort();
        string uri = $"mqtt://127.0.0.1:{port}";
        var log = new Fixtures.Log(output);
        using var svc = new TelemetryService(Fixtures.Section(uri, _dir), Fixtures.Layout(), "r1", log.Add, Fixtures.FastOptions);
        svc.Start();
        svc.PublishSafetyEvent(Fixtures.Event(1));
        Assert.False(svc.WaitConnected(TimeSpan.FromMilliseconds(500)));
        using var broker = new LocalBroker(Path.Combine(_dir, "broker"), port).Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(15)), string.Join("\n", log.Lines));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/state");
        Assert.True(sub.WaitFor(m => m.Any(x => x.Retained && x.Payload.Contains("\"online\"", StringComparison.Ordinal)), TimeSpan.FromSeconds(5)));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
