using System.Buffers;
using MQTTnet;
using MQTTnet.Protocol;
using Rt.Telemetry.Native;

namespace Rt.Telemetry.Link;

/// <summary>MQTTnet (MQTT 5) behind <see cref="IMqttConnection"/>. Not real-time safe.</summary>
public sealed class MqttNetConnectionFactory : IMqttConnectionFactory
{
    public static readonly MqttNetConnectionFactory Instance = new();

    /// <summary>MQTTnet is managed code linked into the host: nothing to load.</summary>
    public void EnsureAvailable() { }

    public IMqttConnection Create(MqttConnectOptions options, Action<MqttLinkEvent> report) => new MqttNetConnection(options, report);
}

/// <summary>
/// One MQTTnet client with its own reconnect loop (1, 2, 4, 5, 5 … s between attempts). Publishing hands the message
/// to MQTTnet without waiting: the send and, for QoS 1, the PUBACK complete on the thread pool and are reported as
/// <see cref="MqttLinkEventKind.Acked"/> with the id <see cref="TryPublish"/> returned. The payload is copied into a
/// pooled buffer returned once the send completed. Not real-time safe.
/// </summary>
internal sealed class MqttNetConnection : IMqttConnection
{
    private readonly MqttConnectOptions _options;
    private readonly Action<MqttLinkEvent> _report;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _clientOptions;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextId;
    private volatile bool _connected;

    public MqttNetConnection(MqttConnectOptions options, Action<MqttLinkEvent> report)
    {
        _options = options;
        _report = report;
        _clientOptions = MqttNetClient.Build(options);
        _client = new MqttClientFactory().CreateMqttClient();
        _client.DisconnectedAsync += a =>
        {
            bool was = _connected;
            _connected = false;
            if (was) _report(new MqttLinkEvent(MqttLinkEventKind.Disconnected, Text: a.Exception is null ? a.Reason.ToString() : MqttNetClient.Innermost(a.Exception),
                Unexpected: !_stop.IsCancellationRequested));
            _lost.TrySetResult();
            return Task.CompletedTask;
        };
    }

    public void Start() => _loop ??= Task.Run(ConnectLoop);

    public bool TryPublish(MqttTopic topic, ReadOnlySpan<byte> payload, int qos, bool retain, out int messageId)
    {
        messageId = 0;
        if (!_connected || !_client.IsConnected) return false;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(buffer);
        var m = new MqttApplicationMessage
        {
            Topic = topic.Name,
            Payload = new ReadOnlySequence<byte>(buffer, 0, payload.Length),
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)qos,
            Retain = retain,
            ContentType = topic.ContentType,
            PayloadFormatIndicator = topic.Utf8Text ? MqttPayloadFormatIndicator.CharacterData : MqttPayloadFormatIndicator.Unspecified,
        };
        int id = messageId = Interlocked.Increment(ref _nextId);
        Task<MqttClientPublishResult> send;
        try { send = _client.PublishAsync(m, _stop.Token); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return false;
        }
        send.ContinueWith((t, state) =>
        {
            var (self, buf, mid) = ((MqttNetConnection, byte[], int))state!;
            ArrayPool<byte>.Shared.Return(buf);
            // QoS 0: written out; QoS 1: PUBACK (any reason code below 0x80 is an acknowledgement).
            if (t.IsCompletedSuccessfully && (int)t.Result.ReasonCode < 0x80) self._report(new MqttLinkEvent(MqttLinkEventKind.Acked, mid));
            else if (t.IsCompletedSuccessfully) self._report(new MqttLinkEvent(MqttLinkEventKind.Error, mid, $"broker refused a publish: {t.Result.ReasonCode} {t.Result.ReasonString}"));
        }, (this, buffer, id), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return true;
    }

    private async Task ConnectLoop()
    {
        CancellationToken stop = _stop.Token;
        double delayS = 1;
        while (!stop.IsCancellationRequested)
        {
            _lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                MqttClientConnectResult r = await _client.ConnectAsync(_clientOptions, stop).ConfigureAwait(false);
                if (r.ResultCode != MqttClientConnectResultCode.Success) throw new RefusedException(r);
                _connected = true;
                delayS = 1;
                _report(new MqttLinkEvent(MqttLinkEventKind.Connected));
                if (!_client.IsConnected) _lost.TrySetResult();
                await _lost.Task.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (RefusedException e)
            {
                _report(MqttNetClient.Refused(e.Result));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _report(MqttNetClient.Explain(e));
            }
            try { await Task.Delay(TimeSpan.FromSeconds(delayS), stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            delayS = Math.Min(5, delayS * 2);
        }
    }

    /// <summary>Sends DISCONNECT (normal: the broker drops the will), bounded to 2 s, and stops the reconnect loop.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            if (_client.IsConnected)
                _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build())
                    .Wait(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is AggregateException or MQTTnet.Exceptions.MqttCommunicationException or ObjectDisposedException or InvalidOperationException)
        {
            // The link is going anyway.
        }
        try { _loop?.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _client.Dispose();
        _stop.Dispose();
    }

    private sealed class RefusedException(MqttClientConnectResult result) : Exception(result.ResultCode.ToString())
    {
        public MqttClientConnectResult Result { get; } = result;
    }
}
