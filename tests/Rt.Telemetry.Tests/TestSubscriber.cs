using System.Text;
using Rt.Telemetry;
using Rt.Telemetry.Link;
using Rt.Telemetry.Native;

namespace Rt.Telemetry.Tests;

/// <summary>A second MQTT client (MQTTnet, a separate connection) that records what the broker delivers.</summary>
internal sealed class TestSubscriber : IDisposable
{
    private readonly MqttSubscriber _client;
    private readonly List<Received> _messages = new();

    public TestSubscriber(string broker, string pattern, string? clientId = null, bool cleanSession = true,
        string caFile = "", MqttCredentials? credentials = null)
    {
        _client = new MqttSubscriber(new MqttConnectOptions(BrokerUri.Parse(broker), clientId ?? $"test-sub-{Guid.NewGuid():N}")
        {
            CleanSession = cleanSession,
            KeepAliveS = 5,
            CaFile = caFile,
            Credentials = credentials,
        }, pattern)
        {
            ContentType = (topic, type) => { lock (_types) _types[topic] = type; },
            MessageReceived = (topic, payload, retained) =>
            {
                lock (_messages)
                {
                    _messages.Add(new Received(topic, Encoding.UTF8.GetString(payload), retained, payload.ToArray()));
                    Monitor.PulseAll(_messages);
                }
            },
        };
        _client.Start();
        if (!_client.Subscribed.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException($"test subscriber could not subscribe to {pattern} on {broker}");
    }

    private readonly Dictionary<string, string?> _types = new();

    /// <summary>The MQTT 5 content type last seen on <paramref name="topic"/>.</summary>
    public string? ContentTypeOf(string topic)
    {
        lock (_types) return _types.GetValueOrDefault(topic);
    }

    public sealed record Received(string Topic, string Payload, bool Retained, byte[] Raw);

    public List<Received> Snapshot()
    {
        lock (_messages) return [.. _messages];
    }

    public List<Received> On(string topic) => Snapshot().Where(m => m.Topic == topic).ToList();

    /// <summary>Waits until <paramref name="done"/> holds for the messages so far; false on timeout.</summary>
    public bool WaitFor(Func<List<Received>, bool> done, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        lock (_messages)
        {
            while (!done(_messages))
            {
                var left = end - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return false;
                Monitor.Wait(_messages, left);
            }
            return true;
        }
    }

    public void Dispose()
    {
        _client.Dispose();
    }
}
