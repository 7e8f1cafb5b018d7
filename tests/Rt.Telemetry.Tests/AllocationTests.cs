using Rt.Perf;
using Rt.Telemetry.Link;
using Rt.Telemetry.Native;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>Allocation counts need a process where nothing else runs: this collection runs alone.</summary>
[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>
/// Issue 14: 0 GCs per hour. Bytes allocated per published message, per topic kind: the encoders on the publisher
/// thread (exactly 0, whatever the machine's speed) and the whole process through MQTTnet to a real mosquitto (a
/// bound measured on this machine; allocation per message does not depend on how fast the machine is).
/// </summary>
[Collection(nameof(AllocationCollection))]
public sealed class AllocationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("alloc");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Encoding_ros_summary_and_divergence_allocates_nothing_per_message_on_the_publisher_thread()
    {
        var layout = Fixtures.Layout();
        var sink = new TelemetrySink(layout, 64);
        var state = Fixtures.State(layout);
        var record = new double[sink.Slot.Width];
        const int batch = 50;
        var records = new double[batch * sink.Slot.Width];
        var ticks = new long[batch];
        for (int r = 0; r < batch; r++)
        {
            Fixtures.Fill(state, r);
            sink.Enqueue(state);
            Assert.True(sink.Ring.TryRead(out ticks[r], records.AsSpan(r * sink.Slot.Width, sink.Slot.Width)));
        }
        records.AsSpan(0, sink.Slot.Width).CopyTo(record);

        var connection = new CountingConnection();
        using var link = new TelemetryLink(new CountingFactory(connection), new MqttConnectOptions(BrokerUri.Parse("mqtt://127.0.0.1:1"), "alloc"),
            new TelemetryOptions(), sink, _ => { }, () => { });
        link.Open();
        link.Poll(new NoObserver());
        Assert.True(link.Connected);
        var topics = new TelemetryTopics("rt", "r1");
        var ros = new RosTopics(sink.Slot, layout, topics);
        using var summary = new SummaryTopic(sink.Slot, layout, new MqttTopic(topics.Summary, "application/json"));
        var proto = new DivergenceProto(sink.Slot, batch);
        var status = new RobotStatus();
        var counters = new SummaryCounters(1, 1, 0, 0, 0, 0);

        // Warm up (first calls JIT, size buffers), then count.
        const int n = 200;
        for (int i = 0; i < 3; i++) { ros.Publish(link, record, i); summary.Observe(i, record); summary.Publish(link, 1, status, counters, 0.1); proto.Write(i, 1, i, ticks, records, batch, 0, 0, 0, 0); }

        long m0 = connection.Messages;
        long a0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++) ros.Publish(link, record, 1_765_000_000_000_000_000 + i);
        long rosBytes = GC.GetAllocatedBytesForCurrentThread() - a0;
        long rosMessages = connection.Messages - m0;

        a0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
        {
            for (int r = 0; r < batch; r++) summary.Observe(r, records.AsSpan(r * sink.Slot.Width, sink.Slot.Width));
            summary.Publish(link, 1, status, counters, 0.1);
        }
        long summaryBytes = GC.GetAllocatedBytesForCurrentThread() - a0;

        var divergence = new MqttTopic(topics.Divergence, "application/x-protobuf");
        a0 = GC.GetAllocatedBytesForCurrentThread();
        int divergenceBytes = 0;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<byte> m = proto.Write(i, 1, i, ticks, records, batch, 0, 0, 0, 0, repeatThresholds: i % 20 == 0);
            link.TryPublish(divergence, m, 0, false, out _);
            divergenceBytes += m.Length;
        }
        long protoBytes = GC.GetAllocatedBytesForCurrentThread() - a0;

        output.WriteLine($"ros (joint_states + imu): {rosBytes / (double)n:F1} B per call ({rosMessages / n} messages)");
        output.WriteLine($"summary: {summaryBytes / (double)n:F1} B per message");
        output.WriteLine($"divergence protobuf: {protoBytes / (double)n:F1} B per message (of {divergenceBytes / n} B payload)");
        Assert.Equal(0, rosBytes);
        Assert.Equal(0, summaryBytes);
        // Google.Protobuf's CodedOutputStream is one small object per message (it has no reset).
        Assert.True(protoBytes / n <= 256, $"divergence encode allocates {protoBytes / n} B per message");
    }

    [SkippableFact]
    public void Publishing_through_mqttnet_allocates_a_bounded_number_of_bytes_per_message()
    {
        Skip.IfNot(File.Exists(LocalBroker.Executable), "Debian mosquitto is not installed");
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var acked = new System.Collections.Concurrent.ConcurrentQueue<int>();
        using var connected = new ManualResetEventSlim();
        using var wake = new AutoResetEvent(false);
        using IMqttConnection c = MqttNetConnectionFactory.Instance.Create(new MqttConnectOptions(BrokerUri.Parse(broker.Uri), "rt-alloc-test"), e =>
        {
            if (e.Kind == MqttLinkEventKind.Connected) connected.Set();
            if (e.Kind == MqttLinkEventKind.Acked) { acked.Enqueue(e.MessageId); wake.Set(); }
        });
        c.Start();
        Assert.True(connected.Wait(TimeSpan.FromSeconds(10)), "no connection to the local mosquitto");
        var topic = new MqttTopic("rt/r1/joint_states", RosTopics.JointStateType);
        var json = new MqttTopic("rt/r1/safety", "application/json");
        byte[] payload = new byte[700];

        double qos0 = BytesPerMessage(c, topic, payload, 0, acked, wake, 3000);
        double qos1 = BytesPerMessage(c, json, payload.AsSpan(0, 400).ToArray(), 1, acked, wake, 1000);
        output.WriteLine($"mqttnet.publish.qos0: {qos0:F0} B/message (whole process, 700 B payload)");
        output.WriteLine($"mqttnet.publish.qos1: {qos1:F0} B/message (whole process, 400 B payload, PUBACK)");
        // Bounds: QoS 0 is our own PUBLISH encoder on plain TCP (5 B/message measured here: the runtime's background work
        // spread over the messages; MQTTnet's path was 694 B), QoS 1 about twice what this machine measured (1755 B), so a
        // regression (a copy of the payload, a new message object per publish, QoS 0 back through MQTTnet) fails, and a
        // slow machine (an await that completes asynchronously) does not.
        Assert.True(qos0 <= QoS0Bound, $"QoS 0 publish allocates {qos0:F0} B/message (bound {QoS0Bound})");
        Assert.True(qos1 <= QoS1Bound, $"QoS 1 publish allocates {qos1:F0} B/message (bound {QoS1Bound})");
    }

    private const int QoS0Bound = 256, QoS1Bound = 4096;

    private static double BytesPerMessage(IMqttConnection c, MqttTopic topic, byte[] payload, int qos,
        System.Collections.Concurrent.ConcurrentQueue<int> acked, AutoResetEvent wake, int n)
    {
        // Warm up: JIT, the pool of messages, the socket's buffers.
        Send(c, topic, payload, qos, acked, wake, 200);
        long a0 = GC.GetTotalAllocatedBytes(precise: true);
        Send(c, topic, payload, qos, acked, wake, n);
        return (GC.GetTotalAllocatedBytes(precise: true) - a0) / (double)n;
    }

    /// <summary>Publishes <paramref name="n"/> messages, at most 16 unacknowledged, and waits for every ack.</summary>
    private static void Send(IMqttConnection c, MqttTopic topic, byte[] payload, int qos,
        System.Collections.Concurrent.ConcurrentQueue<int> acked, AutoResetEvent wake, int n)
    {
        int sent = 0, done = 0;
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (done < n)
        {
            while (sent < n && sent - done < 16)
            {
                Assert.True(c.TryPublish(topic, payload, qos, retain: false, out _), "publish refused");
                sent++;
            }
            wake.WaitOne(100);
            while (acked.TryDequeue(out _)) done++;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(120), $"{done} of {n} acknowledged");
        }
    }

    internal sealed class CountingConnection : IMqttConnection
    {
        public Action<MqttLinkEvent>? Report { get; set; }
        public long Messages { get; private set; }
        public void Start() => Report!(new MqttLinkEvent(MqttLinkEventKind.Connected));

        public bool TryPublish(MqttTopic topic, ReadOnlySpan<byte> payload, int qos, bool retain, out int messageId)
        {
            messageId = (int)++Messages;
            return true;
        }

        public void Dispose() { }
    }

    internal sealed class CountingFactory(CountingConnection connection) : IMqttConnectionFactory
    {
        public void EnsureAvailable() { }

        public IMqttConnection Create(MqttConnectOptions options, Action<MqttLinkEvent> report)
        {
            connection.Report = report;
            return connection;
        }
    }

    internal sealed class NoObserver : ILinkObserver
    {
        public void OnConnected(bool first, bool afterOutage, double outageS) { }
        public void OnDisconnected() { }
        public void OnAcked(int messageId) { }
    }
}
