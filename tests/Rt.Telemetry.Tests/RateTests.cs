using Rt.Core.Time;
using Rt.Telemetry.Link;
using Rt.Telemetry.Native;

namespace Rt.Telemetry.Tests;

/// <summary>
/// The ROS topics and the summary come out at their configured rates: deadlines on the injected clock, not "elapsed
/// since the last send ≥ period" on the publisher's ~5 ms polls (which gave 63–70 Hz for 100 Hz). Simulated time, so
/// the counts do not depend on the machine's speed.
/// </summary>
public sealed class RateTests
{
    [Fact]
    public void A_100_hz_cadence_polled_every_5_to_6_ms_is_due_100_times_per_simulated_second()
    {
        var cadence = new Cadence(100, 0);
        long now = 0, due = 0;
        var jitter = new Random(7);
        while (now < 10_000_000_000)
        {
            now += 5_000_000 + jitter.Next(1_000_000); // a poll every 5.0–6.0 ms
            if (cadence.Due(now)) due++;
        }
        Assert.InRange(due, 999, 1000);
    }

    [Fact]
    public void A_late_poll_skips_the_missed_deadlines_and_stays_on_the_grid()
    {
        var cadence = new Cadence(100, 0);
        Assert.False(cadence.Due(9_999_999));
        Assert.True(cadence.Due(10_000_000));
        Assert.False(cadence.Due(10_000_001));
        Assert.True(cadence.Due(45_000_000)); // 35 ms late: once, not three times
        Assert.False(cadence.Due(49_999_999));
        Assert.Equal(5_000_000, cadence.NsUntilDue(45_000_000)); // next deadline 50 ms: still on the 10 ms grid
        Assert.True(cadence.Due(50_000_000));
        Assert.False(new Cadence(0, 0).Due(long.MaxValue)); // 0 Hz: off
    }

    [Fact]
    public void The_stream_publishes_joint_states_imu_and_summary_at_their_rates_per_simulated_second()
    {
        var layout = Fixtures.Layout();
        var sink = new TelemetrySink(layout, 512);
        var state = Fixtures.State(layout);
        var clock = new ManualClock(1_000_000_000);
        var options = Fixtures.FastOptions with { Clock = clock, RosHz = 100, SummaryHz = 10, Encoding = PayloadEncoding.Protobuf };
        var connection = new CountingConnection();
        using var link = new TelemetryLink(new CountingFactory(connection), new MqttConnectOptions(BrokerUri.Parse("mqtt://127.0.0.1:1"), "rate"),
            options, sink, _ => { }, () => { });
        link.Open();
        var observer = new NoObserver();
        link.Poll(observer);
        Assert.True(link.Connected);
        var topics = new TelemetryTopics("rt", "r1");
        using var summary = new SummaryTopic(sink.Slot, layout, new MqttTopic(topics.Summary, "application/json"));
        using var stream = new DivergenceStream(sink, link, new MqttTopic(topics.Divergence, DivergenceProto.ContentType), 1, 50,
            options, new RobotStatus(), 1, summary, new RosTopics(sink.Slot, layout, topics));

        // 5 simulated seconds of a 1 kHz tick, the publisher polling every 5.0–6.0 ms.
        var jitter = new Random(11);
        long tick = 0, end = clock.Peek + 5_000_000_000;
        while (clock.Peek < end)
        {
            long poll = 5_000_000 + jitter.Next(1_000_000);
            for (long t = 0; t < poll; t += 1_000_000)
            {
                Fixtures.Fill(state, tick++);
                sink.Enqueue(state);
            }
            clock.Advance(poll);
            link.Poll(observer);
            stream.Pump();
        }
        Assert.InRange(connection.On("rt/r1/joint_states"), 499, 500);
        Assert.InRange(connection.On("rt/r1/imu/pelvis_imu"), 499, 500);
        Assert.InRange(connection.On(topics.Summary), 49, 50);
        Assert.Equal(0, sink.Dropped);
    }

    private sealed class CountingConnection : IMqttConnection
    {
        private readonly Dictionary<string, int> _counts = new();
        private int _id;
        public Action<MqttLinkEvent>? Report { get; set; }
        public int On(string topic) => _counts.GetValueOrDefault(topic);
        public void Start() => Report!(new MqttLinkEvent(MqttLinkEventKind.Connected));

        public bool TryPublish(MqttTopic topic, ReadOnlySpan<byte> payload, int qos, bool retain, out int messageId)
        {
            _counts[topic.Name] = On(topic.Name) + 1;
            messageId = ++_id;
            return true;
        }

        public void Dispose() { }
    }

    private sealed class CountingFactory(CountingConnection connection) : IMqttConnectionFactory
    {
        public void EnsureAvailable() { }

        public IMqttConnection Create(MqttConnectOptions options, Action<MqttLinkEvent> report)
        {
            connection.Report = report;
            return connection;
        }
    }

    private sealed class NoObserver : ILinkObserver
    {
        public void OnConnected(bool first, bool afterOutage, double outageS) { }
        public void OnDisconnected() { }
        public void OnAcked(int messageId) { }
    }
}
