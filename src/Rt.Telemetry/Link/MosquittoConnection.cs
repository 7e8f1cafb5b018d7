using Rt.Telemetry.Native;

namespace Rt.Telemetry.Link;

/// <summary>The libmosquitto binding behind <see cref="IMqttConnection"/>. Not real-time safe.</summary>
public sealed class MosquittoConnectionFactory : IMqttConnectionFactory
{
    public static readonly MosquittoConnectionFactory Instance = new();

    public void EnsureAvailable() => Mosq.EnsureInitialised();

    public IMqttConnection Create(MqttConnectOptions options, Action<MqttLinkEvent> report) => new MosquittoConnection(options, report);

    private static readonly bool Debug = Environment.GetEnvironmentVariable("RT_MQTT_DEBUG") == "1";

    private sealed class MosquittoConnection : IMqttConnection
    {
        private readonly MosquittoClient _client;

        public MosquittoConnection(MqttConnectOptions options, Action<MqttLinkEvent> report)
        {
            _client = new MosquittoClient(options)
            {
                Connected = rc => report(rc == 0
                    ? new MqttLinkEvent(MqttLinkEventKind.Connected)
                    : new MqttLinkEvent(MqttLinkEventKind.Refused, Text: Mosq.ConnackText(rc), AuthFailure: rc is 4 or 5)),
                Disconnected = rc => report(new MqttLinkEvent(MqttLinkEventKind.Disconnected, Text: Mosq.ErrorText(rc), Unexpected: rc != 0)),
                Published = mid => report(new MqttLinkEvent(MqttLinkEventKind.Acked, mid)),
                Log = (level, text) =>
                {
                    if (Debug) report(new MqttLinkEvent(MqttLinkEventKind.Debug, Text: $"libmosquitto[{level}]: {text}"));
                    if ((level & Mosq.LogErr) != 0) report(new MqttLinkEvent(MqttLinkEventKind.Error, Text: text));
                },
            };
        }

        public void Start() => _client.Start(); // loop_start, then connect_async

        public bool TryPublish(MqttTopic topic, ReadOnlySpan<byte> payload, int qos, bool retain, out int messageId) =>
            _client.Publish(topic.Utf8Z, payload, qos, retain, out messageId) == Mosq.ErrSuccess;

        public void Dispose() => _client.Dispose();
    }
}
