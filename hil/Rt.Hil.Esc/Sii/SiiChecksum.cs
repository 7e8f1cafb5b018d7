namespace Rt.Hil.Esc.Sii;

/// <summary>The SII header checksum: CRC-8, polynomial 0x07, initial 0xFF, over bytes 0–13, stored in the low byte of word 7. Real-time safe.</summary>
public static class SiiChecksum
{
    public static byte Compute(ReadOnlySpan<ushort> words)
    {
        byte crc = 0xFF;
        for (int i = 0; i < 14; i++)
        {
            byte b = (byte)(words[i >> 1] >> ((i & 1) * 8));
            crc ^= b;
            for (int bit = 0; bit < 8; bit++) crc = (byte)((crc & 0x80) != 0 ? (crc << 1) ^ 0x07 : crc << 1);
        }

        return crc;
    }

    public static bool IsValid(ReadOnlySpan<ushort> words) => words.Length >= 8 && (words[7] & 0xFF) == Compute(words);
}
