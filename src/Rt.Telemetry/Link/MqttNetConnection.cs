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
/// reused message (MQTTnet's <see cref="MqttApplicationMessage"/> and its buffer, from a pool that grows to the peak in
/// flight), back in the pool once the send completed. Not real-time safe (no allocation of ours per publish).
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
        _clientOptions = MqttNetClient.Build(options, new CorkedStreamProvider(noDelay: true, s => Volatile.Write(ref _stream, s)));
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

    private CorkedSocketStream? _stream, _corked; // the current connection's stream; the one corked by the owner
    private readonly Mqtt5PublishEncoder _encoder = new();

    /// <summary>Owner's thread. Collects this pump's packets into one send() (<see cref="CorkedSocketStream"/>).</summary>
    public void Cork()
    {
        _corked = Volatile.Read(ref _stream);
        _corked?.Cork();
    }

    /// <summary>Owner's thread. Sends what the pump collected (the stream corked, even if a reconnect replaced it meanwhile).</summary>
    public void Uncork()
    {
        _corked?.Uncork();
        _corked = null;
    }

    /// <summary>send() calls and packets written on the current connection (for the bench: packets per send).</summary>
    public (long Sends, long Writes) SocketCounts => Volatile.Read(ref _stream) is { } s ? (s.Sends, s.Writes) : (0, 0);

    public bool TryPublish(MqttTopic topic, ReadOnlySpan<byte> payload, int qos, bool retain, out int messageId)
    {
        messageId = 0;
        if (!_connected || !_client.IsConnected) return false;
        // QoS 0 on plain TCP: our own PUBLISH onto the connection's stream (Mqtt5PublishEncoder), reported written at once.
        if (qos == 0 && !_options.Broker.Tls && Volatile.Read(ref _stream) is { } stream)
        {
            lock (_encoder)
            {
                if (!stream.TryWrite(_encoder.Encode(topic, payload, retain))) return false; // no room or failed: dropped, counted
            }
            messageId = Interlocked.Increment(ref _nextId);
            _report(new MqttLinkEvent(MqttLinkEventKind.Acked, messageId));
            return true;
        }
        // A pooled message with its own payload buffer: no MqttApplicationMessage, payload copy, continuation task or
        // boxed state per publish on our side (what MQTTnet itself allocates per publish is in docs/TELEMETRY.md).
        if (!_pool.TryDequeue(out Outgoing? o)) o = new Outgoing(this);
        int id = messageId = Interlocked.Increment(ref _nextId);
        o.Fill(topic, payload, qos, retain, id);
        Task<MqttClientPublishResult> send;
        try { send = _client.PublishAsync(o.Message, _stop.Token); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _pool.Enqueue(o);
            return false;
        }
        o.Send = send;
        // QoS 0 usually completes here (written to the socket); otherwise the cached delegate runs on completion
        // (UnsafeOnCompleted: no execution context captured, no continuation object).
        if (send.IsCompleted) o.Complete();
        else send.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(o.OnCompleted);
        return true;
    }

    /// <summary>Publishes handed to MQTTnet and not completed, plus free ones for reuse (grows to the in-flight peak, then steady).</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<Outgoing> _pool = new();

    /// <summary>One reusable publish: the MQTTnet message, its payload buffer and the completion callback.</summary>
    private sealed class Outgoing
    {
        private readonly MqttNetConnection _owner;
        private byte[] _buffer = new byte[1024];
        private int _id;

        public Outgoing(MqttNetConnection owner)
        {
            _owner = owner;
            OnCompleted = Complete;
        }

        public MqttApplicationMessage Message { get; } = new();
        public Task<MqttClientPublishResult>? Send { get; set; }
        public Action OnCompleted { get; }

        public void Fill(MqttTopic topic, ReadOnlySpan<byte> payload, int qos, bool retain, int id)
        {
            if (payload.Length > _buffer.Length) _buffer = new byte[Math.Max(payload.Length, 2 * _buffer.Length)]; // grows, then steady
            payload.CopyTo(_buffer);
            _id = id;
            MqttApplicationMessage m = Message;
            m.Topic = topic.Name;
            m.Payload = new ReadOnlySequence<byte>(_buffer, 0, payload.Length);
            m.QualityOfServiceLevel = (MqttQualityOfServiceLevel)qos;
            m.Retain = retain;
            m.ContentType = topic.ContentType;
            m.PayloadFormatIndicator = topic.Utf8Text ? MqttPayloadFormatIndicator.CharacterData : MqttPayloadFormatIndicator.Unspecified;
        }

        public void Complete()
        {
            Task<MqttClientPublishResult> t = Send!;
            Send = null;
            int id = _id;
            MqttNetConnection owner = _owner;
            // QoS 0: written out; QoS 1: PUBACK (any reason code below 0x80 is an acknowledgement).
            MqttLinkEvent? e = null;
            if (t.IsCompletedSuccessfully)
            {
                MqttClientPublishResult r = t.Result;
                e = (int)r.ReasonCode < 0x80 ? new MqttLinkEvent(MqttLinkEventKind.Acked, id)
                    : new MqttLinkEvent(MqttLinkEventKind.Error, id, $"broker refused a publish: {r.ReasonCode} {r.ReasonString}");
            }
            else _ = t.Exception; // observed: a send that failed with the connection is reported by the disconnect
            owner._pool.Enqueue(this); // MQTTnet is done with the message and its payload
            if (e is { } ev) owner._report(ev);
        }
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
