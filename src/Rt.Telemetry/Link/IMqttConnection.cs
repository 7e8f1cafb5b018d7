using Rt.Telemetry.Native;

namespace Rt.Telemetry.Link;

/// <summary>What an MQTT connection reports; all of it is handled on the publisher thread.</summary>
public enum MqttLinkEventKind : byte
{
    /// <summary>CONNACK accepted.</summary>
    Connected,

    /// <summary>CONNACK refused; <see cref="MqttLinkEvent.Text"/> says why, <see cref="MqttLinkEvent.AuthFailure"/> if it was the credentials.</summary>
    Refused,

    /// <summary>Link lost (<see cref="MqttLinkEvent.Unexpected"/>) or closed on request.</summary>
    Disconnected,

    /// <summary>The broker acknowledged message <see cref="MqttLinkEvent.MessageId"/> (PUBACK for QoS 1; written out for QoS 0).</summary>
    Acked,

    /// <summary>A connect attempt failed (TLS, network) or the broker refused a publish.</summary>
    Error,

    /// <summary>A library log line for debugging (only when RT_MQTT_DEBUG=1).</summary>
    Debug,
}

/// <summary>One report from an <see cref="IMqttConnection"/>.</summary>
public readonly record struct MqttLinkEvent(MqttLinkEventKind Kind, int MessageId = 0, string? Text = null,
    bool Unexpected = false, bool AuthFailure = false);

/// <summary>A topic with the MQTT 5 properties of everything published on it (content type, payload format).</summary>
public sealed class MqttTopic(string name, string? contentType = null)
{
    public string Name { get; } = name;

    /// <summary>MQTT 5 content type of the payloads (e.g. "application/json"), or null.</summary>
    public string? ContentType { get; } = contentType;

    /// <summary>The payloads are UTF-8 text (MQTT 5 payload format indicator 1).</summary>
    public bool Utf8Text => ContentType is not null && ContentType.StartsWith("application/json", StringComparison.Ordinal);

    private byte[]? _nameUtf8, _contentTypeUtf8;

    /// <summary>The name's UTF-8 bytes (for <see cref="Mqtt5PublishEncoder"/>; computed once).</summary>
    internal byte[] NameUtf8 => _nameUtf8 ??= Mqtt5PublishEncoder.Utf8(Name);

    /// <summary>The content type's UTF-8 bytes, or null (computed once).</summary>
    internal byte[]? ContentTypeUtf8 => ContentType is null ? null : _contentTypeUtf8 ??= Mqtt5PublishEncoder.Utf8(ContentType);

    private long _messages, _bytes;

    /// <summary>Messages handed to the client on this topic (any thread reads; the publisher thread counts).</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Payload bytes of <see cref="Messages"/>.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Real-time safe. One message of <paramref name="payloadBytes"/> handed to the client.</summary>
    internal void Count(int payloadBytes)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _bytes, payloadBytes);
    }

    public override string ToString() => Name;
}

/// <summary>
/// The seam to the MQTT client library (MQTTnet: <see cref="MqttNetConnectionFactory"/>). One connection
/// attempt-and-session with a fixed configuration (broker, credentials, TLS, last will): it connects in the background,
/// reconnects on its own while it can, and reports through the callback given at creation, on any thread. When it has
/// given up (the caller's watchdog decides), the caller disposes it and creates a new one. Not real-time safe.
/// </summary>
public interface IMqttConnection : IDisposable
{
    /// <summary>Starts connecting in the background; never blocks on the network.</summary>
    void Start();

    /// <summary>Queues a publish; false if the client refused it (not connected, queue error). Never blocks on the network.</summary>
    bool TryPublish(MqttTopic topic, ReadOnlySpan<byte> payload, int qos, bool retain, out int messageId);

    /// <summary>Publishes from now on are collected and written together by <see cref="Uncork"/> (one send()); optional.</summary>
    void Cork() { }

    /// <summary>Writes what was collected since <see cref="Cork"/>; never blocks on the network.</summary>
    void Uncork() { }
}

/// <summary>Creates connections; one per watchdog rebuild.</summary>
public interface IMqttConnectionFactory
{
    /// <summary>Not real-time safe. Throws <see cref="MosquittoUnavailableException"/> if the client library is missing.</summary>
    void EnsureAvailable();

    /// <summary>
    /// Not real-time safe. A configured, not yet started connection; <paramref name="report"/> receives its events.
    /// Throws <see cref="MosquittoUnavailableException"/> if the configuration is refused (TLS files, say).
    /// </summary>
    IMqttConnection Create(MqttConnectOptions options, Action<MqttLinkEvent> report);
}
