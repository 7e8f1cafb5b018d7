using System.Text.Json;
using Rt.Perf;
using Rt.Telemetry.Link;
using Rt.Telemetry.Native;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>
/// Safety events and the retained last trip travel on their own MQTT connection (client id "…-safety", own thread),
/// so bulk data can never hold them up: with the bulk connection wedged (it accepts nothing), every safety event and
/// the last trip still reach a real mosquitto, and the divergence records are dropped and counted.
/// </summary>
public sealed class SafetyChannelTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("safety-channel");

    [SkippableFact]
    public void Safety_events_arrive_on_their_own_connection_while_the_bulk_connection_accepts_nothing()
    {
        Skip.IfNot(File.Exists(LocalBroker.Executable), "mosquitto not installed");
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        var factory = new WedgedBulkFactory(MqttNetConnectionFactory.Instance);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/#");
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 10), layout, "r1", log.Add, Fixtures.FastOptions,
            journal: safetyLog.Journal, connections: factory);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.SafetyConnected, TimeSpan.FromSeconds(10)), "the safety connection did not come up");

        var state = Fixtures.State(layout);
        for (long tick = 0; tick < 100; tick++) { Fixtures.Fill(state, tick); svc.Sink.Enqueue(state); }
        for (long id = 1; id <= 5; id++) safetyLog.Log(svc, Fixtures.Event(id));

        Assert.True(sub.WaitFor(m => m.Where(x => x.Topic == svc.Topics.Safety)
                .Select(x => JsonDocument.Parse(x.Payload).RootElement.GetProperty("id").GetInt64()).ToHashSet().SetEquals([1, 2, 3, 4, 5]),
            TimeSpan.FromSeconds(10)), "safety events did not arrive while the bulk connection was wedged:\n" + string.Join("\n", log.Lines));
        Assert.True(sub.WaitFor(m => m.Any(x => x.Topic == svc.Topics.LastTrip), TimeSpan.FromSeconds(5)), "no last trip");
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)), "the safety cursor did not move past the events");

        // Nothing of the bulk data went out, and all of it is counted as dropped on the link.
        Assert.DoesNotContain(sub.Snapshot(), x => x.Topic == svc.Topics.Divergence);
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.LinkDropped >= 100, TimeSpan.FromSeconds(5)), $"dropped {svc.Stats.LinkDropped}");
        Assert.All(factory.SafetyTopics, t => Assert.True(t == svc.Topics.Safety || t == svc.Topics.LastTrip, t));
        Assert.Contains(svc.ClientId + "-safety", File.ReadAllText(broker.LogPath));
    }

    /// <summary>The bulk connection (any client id not ending in "-safety") connects but refuses every publish.</summary>
    private sealed class WedgedBulkFactory(IMqttConnectionFactory inner) : IMqttConnectionFactory
    {
        private readonly HashSet<string> _safetyTopics = new();
        public HashSet<string> SafetyTopics { get { lock (_safetyTopics) return [.. _safetyTopics]; } }
        public void EnsureAvailable() => inner.EnsureAvailable();

        public IMqttConnection Create(MqttConnectOptions options, Action<MqttLinkEvent> report) =>
            new Wrapped(inner.Create(options, report), options.ClientId.EndsWith("-safety", StringComparison.Ordinal), this);

        private sealed class Wrapped(IMqttConnection c, bool safety, WedgedBulkFactory f) : IMqttConnection
        {
            public void Start() => c.Start();

            public bool TryPublish(MqttTopic topic, ReadOnlySpan<byte> payload, int qos, bool retain, out int messageId)
            {
                messageId = 0;
                if (!safety) return false; // wedged: nothing of the bulk data leaves
                lock (f._safetyTopics) f._safetyTopics.Add(topic.Name);
                return c.TryPublish(topic, payload, qos, retain, out messageId);
            }

            public void Dispose() => c.Dispose();
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
