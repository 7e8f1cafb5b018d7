namespace Rt.Hil.Esc.Esc;

/// <summary>Bit-granular copies between byte spans (LSB-first, as EtherCAT numbers bits). Real-time safe.</summary>
public static class BitCopy
{
    /// <summary>Copies <paramref name="bitCount"/> bits from <paramref name="src"/> at bit <paramref name="srcBit"/> to <paramref name="dst"/> at bit <paramref name="dstBit"/>.</summary>
    public static void Copy(ReadOnlySpan<byte> src, int srcBit, Span<byte> dst, int dstBit, int bitCount)
    {
        if (((srcBit | dstBit | bitCount) & 7) == 0)
        {
            src.Slice(srcBit >> 3, bitCount >> 3).CopyTo(dst.Slice(dstBit >> 3));
            return;
        }

        for (int i = 0; i < bitCount; i++)
        {
            int s = srcBit + i, d = dstBit + i;
            int bit = (src[s >> 3] >> (s & 7)) & 1;
            int mask = 1 << (d & 7);
            dst[d >> 3] = (byte)(bit != 0 ? dst[d >> 3] | mask : dst[d >> 3] & ~mask);
        }
    }
}
