using System.Runtime.InteropServices;
using System.Text;

namespace Rt.Telemetry.Native;

/// <summary>Called on libmosquitto's network thread for every received message; the payload span is valid only during the call.</summary>
public delegate void MqttMessageHandler(string topic, ReadOnlySpan<byte> payload, bool retained);

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

    /// <summary>Flow control for QoS 1 messages; libmosquitto treats 0 as "unlimited", which we never allow.</summary>
    public uint MaxInflight { get; init; } = 20;
}

/// <summary>
/// One libmosquitto client using the threaded interface (its own network thread). Callbacks arrive on that
/// thread as [UnmanagedCallersOnly] function pointers; each forwards to a managed handler inside a try/catch so
/// no exception ever unwinds into C. Not real-time safe; create and start it from a non-real-time thread, since
/// the network thread inherits the creator's CPU affinity and scheduling priority.
/// </summary>
public sealed unsafe class MosquittoClient : IDisposable
{
    private nint _mosq;
    private GCHandle _self;
    private readonly MqttConnectOptions _options;
    private long _callbackFaults;
    private bool _loopStarted;

    /// <summary>Not real-time safe. Creates and configures the client; does not connect.</summary>
    public MosquittoClient(MqttConnectOptions options)
    {
        _options = options;
        Mosq.EnsureInitialised();
        _self = GCHandle.Alloc(this);
        byte[] id = Utf8Z.Encode(options.ClientId);
        fixed (byte* pid = id) _mosq = Mosq.New(pid, options.CleanSession ? (byte)1 : (byte)0, GCHandle.ToIntPtr(_self));
        if (_mosq == 0)
        {
            _self.Free();
            throw new MosquittoUnavailableException("mosquitto_new failed (out of memory or invalid client id)");
        }

        try
        {
            Mosq.ConnectCallbackSet(_mosq, &OnConnectNative);
            Mosq.DisconnectCallbackSet(_mosq, &OnDisconnectNative);
            Mosq.PublishCallbackSet(_mosq, &OnPublishNative);
            Mosq.MessageCallbackSet(_mosq, &OnMessageNative);
            Mosq.SubscribeCallbackSet(_mosq, &OnSubscribeNative);
            Mosq.LogCallbackSet(_mosq, &OnLogNative);

            Check(Mosq.MaxInflightMessagesSet(_mosq, Math.Max(1u, options.MaxInflight)), "max_inflight_messages_set");
            Check(Mosq.ReconnectDelaySet(_mosq, 1, 5, 1), "reconnect_delay_set");

            if (options.WillTopic is not null)
            {
                byte[] topic = Utf8Z.Encode(options.WillTopic);
                byte[] payload = options.WillPayload ?? [];
                fixed (byte* pt = topic)
                fixed (byte* pp = payload)
                    Check(Mosq.WillSet(_mosq, pt, payload.Length, pp, 1, 1), "will_set");
            }

            if (options.Credentials is { } cred)
            {
                byte[] user = Utf8Z.Encode(cred.Username);
                byte[] pw = cred.PasswordUtf8Z();
                try
                {
                    fixed (byte* pu = user)
                    fixed (byte* pp = pw)
                        Check(Mosq.UsernamePwSet(_mosq, pu, pp), "username_pw_set");
                }
                finally
                {
                    Array.Clear(pw); // the library keeps its own copy
                }
            }

            if (options.Broker.Tls)
            {
                if (string.IsNullOrEmpty(options.CaFile))
                {
                    Check(Mosq.IntOption(_mosq, Mosq.OptTlsUseOsCerts, 1), "tls_use_os_certs");
                }
                else
                {
                    byte[] ca = Utf8Z.Encode(options.CaFile);
                    byte[]? cert = Utf8Z.EncodeOrNull(options.CertFile);
                    byte[]? key = Utf8Z.EncodeOrNull(options.KeyFile);
                    fixed (byte* pca = ca)
                    fixed (byte* pcert = cert)
                    fixed (byte* pkey = key)
                        Check(Mosq.TlsSet(_mosq, pca, null, pcert, pkey, 0), "tls_set");
                }
            }
        }
        catch
        {
            // Leave nothing behind when the configuration is refused.
            Mosq.Destroy(_mosq);
            _mosq = 0;
            _self.Free();
            throw;
        }
    }

    /// <summary>CONNACK received: 0 = accepted, otherwise the MQTT return code (4 bad credentials, 5 not authorised).</summary>
    public Action<int>? Connected { get; set; }

    /// <summary>Connection closed: 0 = we asked for it, otherwise a libmosquitto error code.</summary>
    public Action<int>? Disconnected { get; set; }

    /// <summary>A message left (QoS 0) or was acknowledged by the broker (QoS 1): its message id.</summary>
    public Action<int>? Published { get; set; }

    public MqttMessageHandler? MessageReceived { get; set; }

    /// <summary>SUBACK received for the given message id.</summary>
    public Action<int>? Subscribed { get; set; }

    /// <summary>Library log lines (level is a MOSQ_LOG_* bit).</summary>
    public Action<int, string>? Log { get; set; }

    /// <summary>Exceptions thrown by handlers and contained in the callback trampolines.</summary>
    public long CallbackFaults => Interlocked.Read(ref _callbackFaults);

    public MqttConnectOptions Options => _options;

    /// <summary>
    /// Not real-time safe. Starts the network thread and then asks it to connect. The order matters: with
    /// loop_start first, a failed first connect (broker down) is retried by the loop; the other way round it is not.
    /// </summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_mosq == 0, this);
        if (_options.KeepAliveS < 5) throw new ArgumentOutOfRangeException(nameof(MqttConnectOptions.KeepAliveS), "libmosquitto needs a keepalive of at least 5 s");
        Check(Mosq.LoopStart(_mosq), "loop_start");
        _loopStarted = true;
        byte[] host = Utf8Z.Encode(_options.Broker.Host);
        fixed (byte* ph = host)
        {
            int rc = Mosq.ConnectAsync(_mosq, ph, _options.Broker.Port, _options.KeepAliveS);
            if (rc == 3 /* MOSQ_ERR_INVAL */) Check(rc, "connect_async (host, port, keepalive ≥ 5 s)");
            // A failed first attempt (broker down) is not fatal: the network thread keeps retrying.
            if (rc != Mosq.ErrSuccess) SafeLog(Mosq.LogWarning, $"first connect attempt failed: {Mosq.ErrorText(rc)}");
        }
    }

    /// <summary>Not real-time safe. Queues a publish; returns the libmosquitto error code (0 = queued) and the message id.</summary>
    public int Publish(ReadOnlySpan<byte> topicZ, ReadOnlySpan<byte> payload, int qos, bool retain, out int mid)
    {
        int m = 0;
        int rc;
        fixed (byte* pt = topicZ)
        fixed (byte* pp = payload)
            rc = Mosq.Publish(_mosq, &m, pt, payload.Length, pp, qos, retain ? (byte)1 : (byte)0);
        mid = m;
        return rc;
    }

    /// <summary>Not real-time safe.</summary>
    public int Subscribe(string pattern, int qos, out int mid)
    {
        byte[] p = Utf8Z.Encode(pattern);
        int m = 0;
        int rc;
        fixed (byte* pp = p) rc = Mosq.Subscribe(_mosq, &m, pp, qos);
        mid = m;
        return rc;
    }

    /// <summary>Not real-time safe. Sends DISCONNECT (the broker then does not publish the will).</summary>
    public int Disconnect() => _mosq == 0 ? Mosq.ErrNoConn : Mosq.Disconnect(_mosq);

    /// <summary>Not real-time safe. Disconnects, joins the network thread and frees the client.</summary>
    public void Dispose()
    {
        if (_mosq == 0) return;
        if (_loopStarted)
        {
            Mosq.Disconnect(_mosq);
            Mosq.LoopStop(_mosq, 0);
        }
        Mosq.Destroy(_mosq);
        _mosq = 0;
        _self.Free();
    }

    private static void Check(int rc, string call)
    {
        if (rc != Mosq.ErrSuccess) throw new MosquittoUnavailableException($"mosquitto_{call} failed: {Mosq.ErrorText(rc)}");
    }

    private void SafeLog(int level, string text)
    {
        try { Log?.Invoke(level, text); }
        catch (Exception) { Interlocked.Increment(ref _callbackFaults); }
    }

    private static MosquittoClient? From(nint obj) =>
        obj == 0 ? null : GCHandle.FromIntPtr(obj).Target as MosquittoClient;

    // The trampolines: never let an exception cross into C (that would tear the process down).
    [UnmanagedCallersOnly]
    private static void OnConnectNative(nint mosq, nint obj, int rc)
    {
        MosquittoClient? c = null;
        try { c = From(obj); c?.Connected?.Invoke(rc); }
        catch (Exception) { if (c is not null) Interlocked.Increment(ref c._callbackFaults); }
    }

    [UnmanagedCallersOnly]
    private static void OnDisconnectNative(nint mosq, nint obj, int rc)
    {
        MosquittoClient? c = null;
        try { c = From(obj); c?.Disconnected?.Invoke(rc); }
        catch (Exception) { if (c is not null) Interlocked.Increment(ref c._callbackFaults); }
    }

    [UnmanagedCallersOnly]
    private static void OnPublishNative(nint mosq, nint obj, int mid)
    {
        MosquittoClient? c = null;
        try { c = From(obj); c?.Published?.Invoke(mid); }
        catch (Exception) { if (c is not null) Interlocked.Increment(ref c._callbackFaults); }
    }

    [UnmanagedCallersOnly]
    private static void OnSubscribeNative(nint mosq, nint obj, int mid, int qosCount, int* grantedQos)
    {
        MosquittoClient? c = null;
        try { c = From(obj); c?.Subscribed?.Invoke(mid); }
        catch (Exception) { if (c is not null) Interlocked.Increment(ref c._callbackFaults); }
    }

    [UnmanagedCallersOnly]
    private static void OnMessageNative(nint mosq, nint obj, Mosq.Message* msg)
    {
        MosquittoClient? c = null;
        try
        {
            c = From(obj);
            if (c?.MessageReceived is { } handler && msg is not null)
            {
                string topic = Marshal.PtrToStringUTF8((nint)msg->Topic) ?? "";
                var payload = new ReadOnlySpan<byte>(msg->Payload, Math.Max(0, msg->PayloadLen));
                handler(topic, payload, msg->Retain != 0);
            }
        }
        catch (Exception) { if (c is not null) Interlocked.Increment(ref c._callbackFaults); }
    }

    [UnmanagedCallersOnly]
    private static void OnLogNative(nint mosq, nint obj, int level, byte* text)
    {
        MosquittoClient? c = null;
        try
        {
            c = From(obj);
            if (c?.Log is { } log) log(level, Marshal.PtrToStringUTF8((nint)text) ?? "");
        }
        catch (Exception) { if (c is not null) Interlocked.Increment(ref c._callbackFaults); }
    }

    internal static string Utf8(ReadOnlySpan<byte> s) => Encoding.UTF8.GetString(s);
}
