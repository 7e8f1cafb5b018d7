using System.Buffers;
using MQTTnet;
using MQTTnet.Protocol;
using Rt.Telemetry.Native;

namespace Rt.Telemetry.Link;

/// <summary>Called for every received message (on a thread-pool thread); the payload span is valid only during the call.</summary>
public delegate void MqttMessageHandler(string topic, ReadOnlySpan<byte> payload, bool retained);

/// <summary>
/// A read-only MQTT client (MQTTnet, MQTT 5) for <c>rt monitor</c>, the bench and tests: connects in the background,
/// reconnects every second while it cannot, subscribes to <see cref="Pattern"/> at QoS 1 on every connect and hands
/// each message to <see cref="MessageReceived"/>. It never publishes. Not real-time safe.
/// </summary>
public sealed class MqttSubscriber : IDisposable
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Not real-time safe. Throws <see cref="MosquittoUnavailableException"/> if a TLS file is refused.</summary>
    public MqttSubscriber(MqttConnectOptions options, string pattern)
    {
        Pattern = pattern;
        _options = MqttNetClient.Build(options);
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += a =>
        {
            MqttApplicationMessage m = a.ApplicationMessage;
            ReadOnlySequence<byte> p = m.Payload;
            ContentType?.Invoke(m.Topic, m.ContentType);
            MessageReceived?.Invoke(m.Topic, p.IsSingleSegment ? p.FirstSpan : p.ToArray(), m.Retain);
            return Task.CompletedTask;
        };
    }

    public string Pattern { get; }

    public MqttMessageHandler? MessageReceived { get; set; }

    /// <summary>Called before <see cref="MessageReceived"/> with the message's MQTT 5 content type (or null).</summary>
    public Action<string, string?>? ContentType { get; set; }

    /// <summary>One line per connection change: "connected", or why not.</summary>
    public Action<string>? Status { get; set; }

    /// <summary>Set once the broker acknowledged the subscription (SUBACK) after a connect.</summary>
    public ManualResetEventSlim Subscribed { get; } = new(false);

    public bool IsConnected => _client.IsConnected;

    /// <summary>Not real-time safe. Starts connecting in the background.</summary>
    public MqttSubscriber Start()
    {
        _loop ??= Task.Run(Loop);
        return this;
    }

    private async Task Loop()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    Subscribed.Reset();
                    await _client.ConnectAsync(_options, stop).ConfigureAwait(false);
                    await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                        .WithTopicFilter(f => f.WithTopic(Pattern).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)).Build(), stop).ConfigureAwait(false);
                    Subscribed.Set();
                    Status?.Invoke("connected");
                }
                await Task.Delay(200, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Status?.Invoke(MqttNetClient.Explain(e).Text ?? e.Message);
                try { await Task.Delay(1000, stop).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            if (_client.IsConnected) _client.DisconnectAsync().Wait(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is AggregateException or ObjectDisposedException or InvalidOperationException) { }
        try { _loop?.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _client.Dispose();
        _stop.Dispose();
        Subscribed.Dispose();
    }
}
