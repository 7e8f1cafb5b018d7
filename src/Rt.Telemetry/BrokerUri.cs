using System.Globalization;
using Rt.Core.Errors;

namespace Rt.Telemetry;

/// <summary>A broker address: <c>mqtt://host:port</c> (plain TCP) or <c>mqtts://host:port</c> (TLS).</summary>
public sealed record BrokerUri(string Host, int Port, bool Tls)
{
    public override string ToString() => $"{(Tls ? "mqtts" : "mqtt")}://{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Not real-time safe. Parses <paramref name="text"/>; the port defaults to 1883 (mqtt) or 8883 (mqtts).
    /// Throws <see cref="InputError"/> naming <paramref name="source"/> and <paramref name="location"/> on bad input.
    /// </summary>
    public static BrokerUri Parse(string text, string source = "command line", string location = "--broker")
    {
        if (TryParse(text, out var uri, out string problem)) return uri!;
        throw new InputError(source, location, problem);
    }

    public static bool TryParse(string text, out BrokerUri? uri, out string problem)
    {
        uri = null;
        text = text?.Trim() ?? "";
        bool tls;
        string rest;
        if (text.StartsWith("mqtt://", StringComparison.OrdinalIgnoreCase)) { tls = false; rest = text[7..]; }
        else if (text.StartsWith("mqtts://", StringComparison.OrdinalIgnoreCase)) { tls = true; rest = text[8..]; }
        else
        {
            problem = $"broker '{text}' must start with mqtt:// or mqtts:// (e.g. mqtt://127.0.0.1:1883)";
            return false;
        }
        rest = rest.TrimEnd('/');
        if (rest.Contains('/', StringComparison.Ordinal) || rest.Contains('@', StringComparison.Ordinal))
        {
            problem = $"broker '{text}' must be scheme://host:port with no path or user info (credentials go in credentials_file)";
            return false;
        }
        string host;
        string? portText = null;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) { problem = $"broker '{text}': unterminated IPv6 address"; return false; }
            host = rest[1..close];
            string after = rest[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':') { problem = $"broker '{text}': expected ':port' after the IPv6 address"; return false; }
                portText = after[1..];
            }
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            if (colon >= 0) portText = rest[(colon + 1)..];
        }
        if (host.Length == 0) { problem = $"broker '{text}' has no host"; return false; }
        int port = tls ? 8883 : 1883;
        if (portText is not null &&
            (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port < 1 || port > 65535))
        {
            problem = $"broker '{text}': port '{portText}' must be a number from 1 to 65535";
            return false;
        }
        uri = new BrokerUri(host, port, tls);
        problem = "";
        return true;
    }
}
