using System.Runtime.InteropServices;

namespace Rt.Telemetry.Native;

/// <summary>
/// Raw bindings to Eclipse Mosquitto's client library (libmosquitto.so.1, 2.0.x) through source-generated
/// [LibraryImport]. Pointers stay pointers (no marshalling on the publish path); strings are passed as
/// null-terminated UTF-8 byte spans. Not real-time safe: never called from the tick.
/// </summary>
internal static unsafe partial class Mosq
{
    public const string Library = "libmosquitto.so.1";

    public const int ErrSuccess = 0;
    public const int ErrNoConn = 4;
    public const int ErrConnRefused = 5;
    public const int ErrConnLost = 7;
    public const int ErrTls = 8;
    public const int ErrAuth = 11;
    public const int ErrKeepalive = 19;

    public const int LogErr = 1 << 3;
    public const int LogWarning = 1 << 2;

    public const int OptTlsUseOsCerts = 13;

    /// <summary>Mirrors <c>struct mosquitto_message</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Message
    {
        public int Mid;
        public byte* Topic;
        public byte* Payload;
        public int PayloadLen;
        public int Qos;
        public byte Retain;
    }

    [LibraryImport(Library, EntryPoint = "mosquitto_lib_init")]
    public static partial int LibInit();

    [LibraryImport(Library, EntryPoint = "mosquitto_lib_version")]
    public static partial int LibVersion(out int major, out int minor, out int revision);

    [LibraryImport(Library, EntryPoint = "mosquitto_new")]
    public static partial nint New(byte* id, byte cleanSession, nint obj);

    [LibraryImport(Library, EntryPoint = "mosquitto_destroy")]
    public static partial void Destroy(nint mosq);

    [LibraryImport(Library, EntryPoint = "mosquitto_will_set")]
    public static partial int WillSet(nint mosq, byte* topic, int payloadLen, byte* payload, int qos, byte retain);

    [LibraryImport(Library, EntryPoint = "mosquitto_username_pw_set")]
    public static partial int UsernamePwSet(nint mosq, byte* username, byte* password);

    [LibraryImport(Library, EntryPoint = "mosquitto_tls_set")]
    public static partial int TlsSet(nint mosq, byte* caFile, byte* caPath, byte* certFile, byte* keyFile, nint pwCallback);

    [LibraryImport(Library, EntryPoint = "mosquitto_int_option")]
    public static partial int IntOption(nint mosq, int option, int value);

    [LibraryImport(Library, EntryPoint = "mosquitto_max_inflight_messages_set")]
    public static partial int MaxInflightMessagesSet(nint mosq, uint maxInflight);

    [LibraryImport(Library, EntryPoint = "mosquitto_reconnect_delay_set")]
    public static partial int ReconnectDelaySet(nint mosq, uint delay, uint delayMax, byte exponential);

    [LibraryImport(Library, EntryPoint = "mosquitto_connect_async")]
    public static partial int ConnectAsync(nint mosq, byte* host, int port, int keepalive);

    [LibraryImport(Library, EntryPoint = "mosquitto_disconnect")]
    public static partial int Disconnect(nint mosq);

    [LibraryImport(Library, EntryPoint = "mosquitto_loop_start")]
    public static partial int LoopStart(nint mosq);

    [LibraryImport(Library, EntryPoint = "mosquitto_loop_stop")]
    public static partial int LoopStop(nint mosq, byte force);

    [LibraryImport(Library, EntryPoint = "mosquitto_publish")]
    public static partial int Publish(nint mosq, int* mid, byte* topic, int payloadLen, byte* payload, int qos, byte retain);

    [LibraryImport(Library, EntryPoint = "mosquitto_subscribe")]
    public static partial int Subscribe(nint mosq, int* mid, byte* sub, int qos);

    [LibraryImport(Library, EntryPoint = "mosquitto_strerror")]
    public static partial byte* StrError(int err);

    [LibraryImport(Library, EntryPoint = "mosquitto_connack_string")]
    public static partial byte* ConnackString(int code);

    [LibraryImport(Library, EntryPoint = "mosquitto_connect_callback_set")]
    public static partial void ConnectCallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, void> cb);

    [LibraryImport(Library, EntryPoint = "mosquitto_disconnect_callback_set")]
    public static partial void DisconnectCallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, void> cb);

    [LibraryImport(Library, EntryPoint = "mosquitto_publish_callback_set")]
    public static partial void PublishCallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, void> cb);

    [LibraryImport(Library, EntryPoint = "mosquitto_message_callback_set")]
    public static partial void MessageCallbackSet(nint mosq, delegate* unmanaged<nint, nint, Message*, void> cb);

    [LibraryImport(Library, EntryPoint = "mosquitto_subscribe_callback_set")]
    public static partial void SubscribeCallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, int, int*, void> cb);

    [LibraryImport(Library, EntryPoint = "mosquitto_log_callback_set")]
    public static partial void LogCallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, byte*, void> cb);

    public static string ErrorText(int err) => err == 14
        ? $"system error: {Marshal.GetLastPInvokeErrorMessage()}"
        : Marshal.PtrToStringUTF8((nint)StrError(err)) ?? $"error {err}";

    public static string ConnackText(int code) => Marshal.PtrToStringUTF8((nint)ConnackString(code)) ?? $"code {code}";

    private static readonly Lock InitLock = new();
    private static bool _initialised;

    /// <summary>
    /// Loads the library and calls mosquitto_lib_init once per process. Throws a clear
    /// <see cref="MosquittoUnavailableException"/> when the shared library is missing.
    /// </summary>
    public static void EnsureInitialised(string library = Library)
    {
        lock (InitLock)
        {
            if (_initialised) return;
            EnsureLoadable(library);
            int rc = LibInit();
            if (rc != ErrSuccess) throw new MosquittoUnavailableException($"mosquitto_lib_init failed: {ErrorText(rc)}");
            _initialised = true;
        }
    }

    /// <summary>Throws <see cref="MosquittoUnavailableException"/> if <paramref name="library"/> cannot be loaded.</summary>
    public static void EnsureLoadable(string library)
    {
        if (!NativeLibrary.TryLoad(library, out nint handle))
            throw new MosquittoUnavailableException($"{library} not found: install Debian libmosquitto1 (apt-get install libmosquitto1)");
        NativeLibrary.Free(handle);
    }
}

/// <summary>The MQTT client library cannot be used on this machine (missing or failed to initialise).</summary>
public sealed class MosquittoUnavailableException : Exception
{
    public MosquittoUnavailableException(string message) : base(message) { }
}
