using System.Text.Json;
using Rt.Perf;
using Rt.Telemetry.Link;
using Rt.Telemetry.Native;
using Rt.Telemetry.SafetyEvents;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>The durable safety cursor (file mode, format, recovery) and the connection seam.</summary>
public sealed class CursorTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("cursor");

    [Fact]
    public void Cursor_file_is_created_0640_in_a_0750_folder_and_holds_the_acknowledged_position()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var log = new Fixtures.Log(output);
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir), Fixtures.Layout(), "r1", log.Add, Fixtures.FastOptions,
            journal: safetyLog.Journal);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)));
        for (long id = 1; id <= 3; id++) safetyLog.Log(svc, Fixtures.Event(id));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
        string cursor = svc.SafetyCursorPath!;
        Assert.Equal(SafetyCursor.FileMode, File.GetUnixFileMode(cursor));
        Assert.Equal((UnixFileMode)0b110_100_000, File.GetUnixFileMode(cursor)); // 0640, spelled out
        Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(Path.GetDirectoryName(cursor)!)); // 0750
        Assert.Equal(new FileInfo(safetyLog.Path).Length, OutageTests.ReadCursorPosition(cursor));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(cursor)!, "*.tmp"));
    }

    [Theory]
    [InlineData("rt-safety-cursor v1 position=66 record=0 id=1 run=5", true)]
    [InlineData("rt-safety-cursor v1 position=0 record=-1 id=0 run=0", true)]
    [InlineData("rt-safety-cursor v1 position=66 record=66 id=1 run=5", false)] // record must end before position
    [InlineData("rt-safety-cursor v1 position=x record=0 id=1 run=5", false)]
    [InlineData("rt-safety-cursor v2 position=66 record=0 id=1 run=5", false)]
    [InlineData("rt-safety-cursor v1 position=66 record=0 id=1 run=5 extra=1", false)]
    [InlineData("", false)]
    public void Cursor_text_parses_only_when_whole_and_consistent(string text, bool ok)
    {
        Assert.Equal(ok, SafetyCursor.TryParse(text, out _));
    }

    [Fact]
    public void A_damaged_cursor_is_reported_once_and_the_whole_log_goes_again()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/safety");
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        for (long id = 1; id <= 3; id++) safetyLog.Append(Fixtures.Event(id));
        Directory.CreateDirectory(Path.Combine(_dir, "outbox"));
        File.WriteAllText(Path.Combine(_dir, "outbox", SafetyCursor.FileName), "garbage\n");
        var log = new Fixtures.Log(output);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir), Fixtures.Layout(), "r1", log.Add, Fixtures.FastOptions,
            journal: safetyLog.Journal);
        svc.Start();
        Assert.True(sub.WaitFor(m => m.Select(x => JsonDocument.Parse(x.Payload).RootElement.GetProperty("id").GetInt64()).ToHashSet()
            .SetEquals([1, 2, 3]), TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        Assert.Single(log.Lines, l => l.Contains("safety cursor unreadable", StringComparison.Ordinal) && l.Contains("garbage", StringComparison.Ordinal));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void A_cursor_beyond_a_replaced_shorter_log_starts_the_log_over()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/safety");
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        safetyLog.Append(Fixtures.Event(1));
        Directory.CreateDirectory(Path.Combine(_dir, "outbox"));
        File.WriteAllText(Path.Combine(_dir, "outbox", SafetyCursor.FileName), "rt-safety-cursor v1 position=6600 record=6534 id=100 run=7\n");
        var log = new Fixtures.Log(output);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir), Fixtures.Layout(), "r1", log.Add, Fixtures.FastOptions,
            journal: safetyLog.Journal);
        svc.Start();
        Assert.True(sub.WaitFor(m => m.Any(), TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        Assert.Single(log.Lines, l => l.Contains("does not fit the safety log", StringComparison.Ordinal));
    }

    /// <summary>
    /// The service reaches the MQTT library only through <see cref="IMqttConnectionFactory"/>/<see cref="IMqttConnection"/>
    /// (the seam issue 14 swaps): a recording wrapper around the MQTTnet factory sees every connection the watchdog
    /// builds and every publish the broker delivers.
    /// </summary>
    [Fact]
    public void Every_connection_and_publish_goes_through_the_connection_seam()
    {
        int port = LocalBroker.FreePort();
        var recording = new RecordingFactory(MqttNetConnectionFactory.Instance);
        var log = new Fixtures.Log(output);
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using var svc = new TelemetryService(Fixtures.Section($"mqtt://127.0.0.1:{port}", _dir), Fixtures.Layout(), "r1", log.Add,
            Fixtures.FastOptions, journal: safetyLog.Journal, connections: recording);
        svc.Start();
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.ClientRebuilds >= 1, TimeSpan.FromSeconds(10)));
        Assert.True(recording.Created >= 2, $"watchdog rebuilt without the factory: {recording.Created} created");

        using var broker = new LocalBroker(Path.Combine(_dir, "broker"), port).Start();
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/#");
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(15)), string.Join("\n", log.Lines));
        safetyLog.Log(svc, Fixtures.Event(5));
        var state = Fixtures.State(Fixtures.Layout());
        for (long t = 0; t < 10; t++) { Fixtures.Fill(state, t); svc.Sink.Enqueue(state); }
        Assert.True(sub.WaitFor(m => m.Any(x => x.Topic == svc.Topics.Safety) && m.Any(x => x.Topic == svc.Topics.Divergence), TimeSpan.FromSeconds(10)));
        long counted = svc.Stats.MessagesPublished;
        foreach (var m in sub.Snapshot().Where(x => !x.Retained))
            Assert.Contains(m.Topic, recording.Topics);
        Assert.True(recording.Published >= counted && counted > 0, $"{recording.Published} publishes seen by the seam, {counted} counted");
    }

    private sealed class RecordingFactory(IMqttConnectionFactory inner) : IMqttConnectionFactory
    {
        private int _created;
        private long _published;
        private readonly HashSet<string> _topics = new();
        public int Created => Volatile.Read(ref _created);
        public long Published => Interlocked.Read(ref _published);
        public HashSet<string> Topics { get { lock (_topics) return [.. _topics]; } }
        public void EnsureAvailable() => inner.EnsureAvailable();

        public IMqttConnection Create(MqttConnectOptions options, Action<MqttLinkEvent> report)
        {
            Interlocked.Increment(ref _created);
            return new Recording(inner.Create(options, report), this);
        }

        private sealed class Recording(IMqttConnection c, RecordingFactory f) : IMqttConnection
        {
            public void Start() => c.Start();
            public bool TryPublish(MqttTopic topic, ReadOnlySpan<byte> payload, int qos, bool retain, out int messageId)
            {
                // The topic is recorded before the call: a QoS 0 publish is on the wire when the call returns, so a
                // subscriber can see it before a record made afterwards (a preempted publisher thread lost that race).
                lock (f._topics) f._topics.Add(topic.Name);
                bool ok = c.TryPublish(topic, payload, qos, retain, out messageId);
                if (ok) Interlocked.Increment(ref f._published);
                return ok;
            }
            public void Dispose() => c.Dispose();
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
