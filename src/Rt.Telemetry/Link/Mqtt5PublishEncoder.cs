using System.Buffers.Binary;
using System.Text;

namespace Rt.Telemetry.Link;

/// <summary>
/// Encodes one MQTT 5 PUBLISH packet at QoS 0 (OASIS MQTT 5.0, 3.3): fixed header, topic name, properties (payload
/// format indicator, content type), payload. Used for the bulk QoS 0 topics on a plain TCP connection, written onto the
/// connection's stream in one piece between MQTTnet's own packets (<see cref="CorkedSocketStream.TryWrite"/>), so a
/// publish costs a copy instead of MQTTnet's per-publish path (packet object, async lock and state machine, result:
/// ~0.7 kB and ~20 % of the bulk thread, docs/TELEMETRY.md). QoS 1, TLS, connect, keepalive and the will stay
/// MQTTnet's. Not real-time safe (grows its buffer to the largest message, then steady; no allocation per publish).
/// </summary>
internal sealed class Mqtt5PublishEncoder
{
    private byte[] _buffer = new byte[4096];

    /// <summary>Encodes the packet into a buffer owned by this encoder, valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(MqttTopic topic, ReadOnlySpan<byte> payload, bool retain)
    {
        byte[] name = topic.NameUtf8;
        byte[]? contentType = topic.ContentTypeUtf8;
        int properties = (topic.Utf8Text ? 2 : 0) + (contentType is null ? 0 : 3 + contentType.Length);
        int remaining = 2 + name.Length + VarIntLength(properties) + properties + payload.Length;
        int total = 1 + VarIntLength(remaining) + remaining;
        if (total > _buffer.Length) _buffer = new byte[Math.Max(total, 2 * _buffer.Length)];
        Span<byte> b = _buffer;
        int i = 0;
        b[i++] = (byte)(0x30 | (retain ? 1 : 0)); // PUBLISH, DUP 0, QoS 0
        i += WriteVarInt(b[i..], remaining);
        BinaryPrimitives.WriteUInt16BigEndian(b[i..], (ushort)name.Length);
        i += 2;
        name.CopyTo(b[i..]);
        i += name.Length;
        // QoS 0: no packet identifier.
        i += WriteVarInt(b[i..], properties);
        if (topic.Utf8Text)
        {
            b[i++] = 0x01; // payload format indicator
            b[i++] = 0x01; // UTF-8
        }
        if (contentType is not null)
        {
            b[i++] = 0x03; // content type (UTF-8 string)
            BinaryPrimitives.WriteUInt16BigEndian(b[i..], (ushort)contentType.Length);
            i += 2;
            contentType.CopyTo(b[i..]);
            i += contentType.Length;
        }
        payload.CopyTo(b[i..]);
        i += payload.Length;
        return b[..i];
    }

    /// <summary>MQTT's variable byte integer (1–4 bytes, at most 268 435 455).</summary>
    internal static int VarIntLength(int x) => x < 128 ? 1 : x < 16_384 ? 2 : x < 2_097_152 ? 3 : 4;

    private static int WriteVarInt(Span<byte> b, int x)
    {
        int i = 0;
        do
        {
            byte d = (byte)(x & 0x7F);
            x >>= 7;
            b[i++] = x > 0 ? (byte)(d | 0x80) : d;
        } while (x > 0);
        return i;
    }

    /// <summary>UTF-8 of a topic name or content type, checked against MQTT's 65 535-byte string limit.</summary>
    internal static byte[] Utf8(string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        if (b.Length > ushort.MaxValue) throw new ArgumentException($"'{s[..32]}…' is longer than an MQTT string (65 535 bytes)", nameof(s));
        return b;
    }
}
