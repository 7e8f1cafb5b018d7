namespace Rt.Twin.Recording.Mcap;

/// <summary>
/// CRC-32 as MCAP uses it (the zlib/IEEE polynomial 0xEDB88320, reflected, initial and final XOR 0xFFFFFFFF), here
/// so the recorder needs no package. Incremental: start from <see cref="Initial"/>, <see cref="Update"/> over the bytes,
/// <see cref="Final"/>. Real-time safe (table built once, no allocation), though only the writer thread uses it.
/// </summary>
public static class McapCrc32
{
    public const uint Initial = 0xFFFFFFFFu;

    // Slicing-by-4 tables: four bytes per step keeps the writer thread's CRC cost a small part of its budget.
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[4 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        for (int i = 0; i < 256; i++)
        {
            t[256 + i] = (t[i] >> 8) ^ t[t[i] & 0xFF];
            t[512 + i] = (t[256 + i] >> 8) ^ t[t[256 + i] & 0xFF];
            t[768 + i] = (t[512 + i] >> 8) ^ t[t[512 + i] & 0xFF];
        }
        return t;
    }

    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        var t = Table;
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            crc ^= (uint)(data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
            crc = t[768 + (crc & 0xFF)] ^ t[512 + ((crc >> 8) & 0xFF)] ^ t[256 + ((crc >> 16) & 0xFF)] ^ t[crc >> 24];
        }
        for (; i < data.Length; i++) crc = t[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    public static uint Final(uint crc) => crc ^ 0xFFFFFFFFu;

    /// <summary>The CRC of <paramref name="data"/> alone.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Final(Update(Initial, data));
}
