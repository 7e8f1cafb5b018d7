namespace Rt.Telemetry.Native;

// The namespace is kept from the libmosquitto binding so the host's references stay as they are.

/// <summary>How to reach and authenticate to a broker.</summary>
public sealed record MqttConnectOptions(BrokerUri Broker, string ClientId)
{
    public int KeepAliveS { get; init; } = 10;
    public bool CleanSession { get; init; } = true;
    public string CaFile { get; init; } = "";
    public string CertFile { get; init; } = "";
    public string KeyFile { get; init; } = "";
    public MqttCredentials? Credentials { get; init; }

    /// <summary>Last will: topic, payload, retained, QoS 1. Null = no will.</summary>
    public string? WillTopic { get; init; }
    public byte[]? WillPayload { get; init; }

    /// <summary>Content type (MQTT 5 property) of the will.</summary>
    public string? WillContentType { get; init; }

    /// <summary>Cap on QoS 1 messages awaiting PUBACK; the publisher enforces it (never 0 = unlimited).</summary>
    public uint MaxInflight { get; init; } = 20;
}

/// <summary>The MQTT client cannot be set up: a TLS or certificate file it refuses, say (exit code 3 in the host).</summary>
public sealed class MosquittoUnavailableException : Exception
{
    public MosquittoUnavailableException(string message) : base(message) { }
    public MosquittoUnavailableException(string message, Exception inner) : base(message, inner) { }
}
