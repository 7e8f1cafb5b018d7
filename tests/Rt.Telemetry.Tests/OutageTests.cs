using System.Text.Json;
using Rt.Perf;
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
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 10), layout, "r1", log.Add, Fixtures.FastOptions, journal: safetyLog.Journal);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)));
        var topics = svc.Topics;
        var state = Fixtures.State(layout);
        long tick = 0;
        for (; tick < 20; tick++) { Fixtures.Fill(state, tick); svc.Sink.Enqueue(state); }
        Assert.True(sub.WaitFor(m => m.Count(x => x.Topic == topics.Divergence) >= 2, TimeSpan.FromSeconds(5)));

        broker.Stop();
        Assert.True(PayloadTests.SpinUntil(() => !svc.Stats.Connected, TimeSpan.FromSeconds(10)), "service did not notice the broker going away");
        for (long id = 1; id <= 5; id++) safetyLog.Log(svc, Fixtures.Event(id));
        for (; tick < 220; tick++) { Fixtures.Fill(state, tick); svc.Sink.Enqueue(state); }
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.LinkDropped >= 200, TimeSpan.FromSeconds(5)), $"dropped {svc.Stats.LinkDropped}");
        Assert.Equal(5, svc.Stats.OutboxPending); // in the safety log after the cursor
        Assert.False(File.Exists(svc.SafetyCursorPath)); // nothing acknowledged yet

        broker.Start();
        Assert.True(sub.WaitFor(m => SafetyIds(m, topics.Safety).SetEquals([1, 2, 3, 4, 5]) && m.Any(x => x.Topic == topics.Link),
            TimeSpan.FromSeconds(20)), "safety events or the link report did not arrive after the broker came back:\n" + string.Join("\n", log.Lines));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
        Assert.Equal(0, safetyLog.Journal.ReadFrom(ReadCursorPosition(svc.SafetyCursorPath!), int.MaxValue, [])); // the durable cursor is past all 5

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
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using (var a = new TelemetryService(Fixtures.Section(uri, _dir), layout, "r1", logA.Add, Fixtures.FastOptions, journal: safetyLog.Journal))
        {
            a.Start();
            for (long id = 10; id < 13; id++) safetyLog.Log(a, Fixtures.Event(id));
            Assert.True(logA.WaitFor(l => l.Contains("no connection", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
            Assert.True(PayloadTests.SpinUntil(() => a.Stats.ClientRebuilds >= 2, TimeSpan.FromSeconds(10)));
        }
        Assert.Single(logA.Lines, l => l.Contains("no connection", StringComparison.Ordinal));
        Assert.Equal(3, safetyLog.Journal.ReadFrom(0, int.MaxValue, []));

        using var broker = new LocalBroker(Path.Combine(_dir, "broker"), port).Start();
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/safety");
        var logB = new Fixtures.Log(output);
        using var b = new TelemetryService(Fixtures.Section(uri, _dir), layout, "r1", logB.Add, Fixtures.FastOptions, journal: safetyLog.Journal);
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
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using var svc = new TelemetryService(Fixtures.Section(uri, _dir), Fixtures.Layout(), "r1", log.Add, Fixtures.FastOptions, journal: safetyLog.Journal);
        svc.Start();
        safetyLog.Log(svc, Fixtures.Event(1));
        Assert.False(svc.WaitConnected(TimeSpan.FromMilliseconds(500)));
        using var broker = new LocalBroker(Path.Combine(_dir, "broker"), port).Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(15)), string.Join("\n", log.Lines));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/state");
        Assert.True(sub.WaitFor(m => m.Any(x => x.Retained && x.Payload.Contains("\"online\"", StringComparison.Ordinal)), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Frozen_broker_never_blocks_the_publisher_queue_is_capped_and_events_arrive_after_thaw()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/safety");
        var options = Fixtures.FastOptions with { MaxQueuedMessages = 8, ConnectWatchdogS = 30 };
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 50), layout, "r1", log.Add, options, journal: safetyLog.Journal);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)));
        var state = Fixtures.State(layout);

        broker.Freeze(); // SIGSTOP: sockets stay open, nothing is read or answered
        try
        {
            safetyLog.Log(svc, Fixtures.Event(21));
            // ~100 kB per message: the socket buffers fill, then the cap (8 unsent messages) drops and counts.
            long tick = 0;
            Assert.True(PayloadTests.SpinUntil(() =>
            {
                // Up to 50 records per 10 ms poll, but never past half the ring: a slow CI machine encodes slower than
                // 5 kHz, and what this test proves is that the publisher keeps draining (if it blocked on the frozen
                // socket the ring would stay half full and the link would never drop anything).
                for (int i = 0; i < 50 && svc.Sink.Ring.Count < svc.Sink.Ring.Capacity / 2; i++, tick++) { Fixtures.Fill(state, tick); svc.Sink.Enqueue(state); }
                return svc.Stats.LinkDropped > 0;
            }, TimeSpan.FromSeconds(20)), "nothing was dropped while the broker was frozen");
            Assert.Equal(0, svc.Stats.RingDropped); // the publisher kept draining the tick's ring
            safetyLog.Log(svc, Fixtures.Event(22));
            Assert.Equal(2, svc.Stats.OutboxPending);
        }
        finally
        {
            broker.Thaw();
        }
        Assert.True(sub.WaitFor(m => SafetyIds(m, "rt/r1/safety").IsSupersetOf([21, 22]), TimeSpan.FromSeconds(20)),
            "events sent during the freeze did not arrive:\n" + string.Join("\n", log.Lines));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Stop_does_not_hang_on_a_frozen_broker()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 50), layout, "r1", log.Add, Fixtures.FastOptions);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)));
        broker.Freeze();
        try
        {
            var state = Fixtures.State(layout);
            long tick = 0;
            Assert.True(PayloadTests.SpinUntil(() =>
            {
                for (int i = 0; i < 50; i++, tick++) { Fixtures.Fill(state, tick); svc.Sink.Enqueue(state); }
                return svc.Stats.LinkDropped > 0; // socket buffers full
            }, TimeSpan.FromSeconds(20)));
            // Bounded: 2 s waiting for the offline state's PUBACK, then disconnect and join.
            var stop = Task.Run(svc.Dispose);
            Assert.Same(stop, await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(8))));
        }
        finally
        {
            broker.Thaw();
        }
    }

    [Fact]
    public void Event_ids_that_restart_with_a_new_run_do_not_overwrite_undelivered_events()
    {
        int port = LocalBroker.FreePort();
        string uri = $"mqtt://127.0.0.1:{port}";
        var layout = Fixtures.Layout();
        for (int run = 0; run < 2; run++)
        {
            using var safetyLog = new Fixtures.SafetyLogFile(_dir); // each run appends to the same log
            using var offline = new TelemetryService(Fixtures.Section(uri, _dir), layout, "r1", null, Fixtures.FastOptions, journal: safetyLog.Journal);
            offline.Start();
            safetyLog.Log(offline, Fixtures.Event(1)); // the supervisor numbers from 1 again in each run
        }
        var journal = new Rt.Safety.SafetyLogJournal(Path.Combine(_dir, "safety.log"));
        Assert.Equal(2, journal.ReadFrom(0, int.MaxValue, []));

        using var broker = new LocalBroker(Path.Combine(_dir, "broker"), port).Start();
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/safety");
        using var svc = new TelemetryService(Fixtures.Section(uri, _dir), layout, "r1", new Fixtures.Log(output).Add, Fixtures.FastOptions, journal: journal);
        svc.Start();
        Assert.True(sub.WaitFor(m => m.Select(x => JsonDocument.Parse(x.Payload).RootElement)
            .Select(r => (r.GetProperty("run").GetInt64(), r.GetProperty("id").GetInt64())).Distinct().Count() == 2, TimeSpan.FromSeconds(10)));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
    }

    /// <summary>The position field of the cursor file, read independently of the service's parser.</summary>
    internal static long ReadCursorPosition(string path)
    {
        string text = File.ReadAllText(path);
        int i = text.IndexOf("position=", StringComparison.Ordinal);
        Assert.True(i >= 0, $"no position in cursor file: {text}");
        return long.Parse(text.AsSpan(i + 9).TrimEnd().ToString().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
