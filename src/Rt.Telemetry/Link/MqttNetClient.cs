using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Rt.Telemetry.Native;

namespace Rt.Telemetry.Link;

/// <summary>
/// Turns <see cref="MqttConnectOptions"/> into MQTTnet client options (MQTT 5, TLS with a CA file or the OS store,
/// client certificate, username/password, last will) and explains connection failures in the robot's terms. Not
/// real-time safe.
/// </summary>
internal static class MqttNetClient
{
    /// <summary><paramref name="streams"/>: opens the TCP connection (our <see cref="CorkedStreamProvider"/>), or MQTTnet's own when null.</summary>
    public static MqttClientOptions Build(MqttConnectOptions o, MQTTnet.Channel.IMqttClientStreamProvider? streams = null)
    {
        var b = new MqttClientOptionsBuilder()
            .WithTcpServer(o.Broker.Host, o.Broker.Port)
            .WithClientId(o.ClientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(o.CleanSession)
            .WithSessionExpiryInterval(o.CleanSession ? 0u : 3600u) // MQTT 5: a kept session needs an expiry
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(Math.Max(1, o.KeepAliveS)))
            // Bounds a CONNECT, a PUBACK wait and a ping: a frozen broker is noticed within this, not MQTTnet's 100 s.
            .WithTimeout(TimeSpan.FromSeconds(Math.Max(2, o.KeepAliveS)));
        if (o.Credentials is { } c) b = b.WithCredentials(c.Username, c.Password());
        if (o.WillTopic is not null)
        {
            b = b.WithWillTopic(o.WillTopic).WithWillPayload(o.WillPayload ?? [])
                .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithWillRetain(true);
            if (o.WillContentType is not null) b = b.WithWillContentType(o.WillContentType);
        }
        if (o.Broker.Tls) b = b.WithTlsOptions(Tls(o));
        MqttClientOptions built = b.Build();
        // Small messages (a safety event is ~400 B) go out at once rather than waiting for the ACK of the previous
        // segment (Nagle). MQTTnet 5.2's default is already true; set here so it stays so.
        if (built.ChannelOptions is MqttClientTcpOptions tcp)
        {
            tcp.NoDelay = true;
            if (streams is not null) tcp.StreamProvider = streams;
        }
        // One write (one send() and one TCP segment) per packet: MQTTnet's default writes the header and the payload
        // separately, two send() calls per message (counted with strace, 2 per publish): half the publisher's
        // syscalls, and no broker ever receives a packet split in two segments.
        built.AllowPacketFragmentation = false;
        return built;
    }

    private static MqttClientTlsOptions Tls(MqttConnectOptions o)
    {
        var t = new MqttClientTlsOptionsBuilder().UseTls(true).WithSslProtocols(SslProtocols.None); // the OS's best
        X509Certificate2? ca = null;
        if (!string.IsNullOrEmpty(o.CaFile))
        {
            try { ca = X509CertificateLoader.LoadCertificateFromFile(o.CaFile); }
            catch (CryptographicException e) { throw new MosquittoUnavailableException($"CA file {o.CaFile} is not a PEM or DER certificate: {e.Message}", e); }
            X509Certificate2 trusted = ca;
            t = t.WithCertificateValidationHandler(a => Validate(a.Certificate, a.SslPolicyErrors, trusted));
        }
        if (!string.IsNullOrEmpty(o.CertFile))
        {
            try
            {
                var cert = X509Certificate2.CreateFromPemFile(o.CertFile, o.KeyFile);
                t = t.WithClientCertificates([cert]);
            }
            catch (CryptographicException e) { throw new MosquittoUnavailableException($"client certificate {o.CertFile} / key {o.KeyFile} refused: {e.Message}", e); }
        }
        return t.Build();
    }

    /// <summary>The broker's certificate must chain to the configured CA (only that one) and name the host.</summary>
    private static bool Validate(X509Certificate? presented, SslPolicyErrors errors, X509Certificate2 ca)
    {
        if (presented is null) return false;
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        return chain.Build(leaf);
    }

    /// <summary>One line for a failed connect, and whether it was the credentials or TLS.</summary>
    public static MqttLinkEvent Explain(Exception e)
    {
        if (e is MQTTnet.Adapter.MqttConnectingFailedException f)
        {
            // MQTTnet 5 names the CONNACK reason only in the message.
            string text = Innermost(f);
            bool auth = text.Contains(nameof(MqttClientConnectResultCode.BadUserNameOrPassword), StringComparison.Ordinal) ||
                        text.Contains(nameof(MqttClientConnectResultCode.NotAuthorized), StringComparison.Ordinal);
            return new MqttLinkEvent(MqttLinkEventKind.Refused, Text: f.Message, AuthFailure: auth);
        }
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is AuthenticationException) return new MqttLinkEvent(MqttLinkEventKind.Error, Text: $"TLS handshake failed: {x.Message}");
        return new MqttLinkEvent(MqttLinkEventKind.Error, Text: Innermost(e));
    }

    /// <summary>A CONNACK that was not a success, as a refusal.</summary>
    public static MqttLinkEvent Refused(MqttClientConnectResult r) =>
        new(MqttLinkEventKind.Refused, Text: $"{r.ResultCode}" + (string.IsNullOrEmpty(r.ReasonString) ? "" : $" ({r.ReasonString})"),
            AuthFailure: r.ResultCode is MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized);

    public static string Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message;
    }
}
