using System.Text;

namespace Rt.Telemetry.Native;

/// <summary>Null-terminated UTF-8 strings for the C API, encoded once at prepare time.</summary>
internal static class Utf8Z
{
    public static byte[] Encode(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    public static byte[]? EncodeOrNull(string? s) => string.IsNullOrEmpty(s) ? null : Encode(s);
}
