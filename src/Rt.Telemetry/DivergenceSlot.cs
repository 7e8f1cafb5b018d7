using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Rt.Core.Divergence;

namespace Rt.Telemetry;

/// <summary>
/// Where each value of one tick's divergence record sits in a <see cref="Rt.Core.Concurrency.SpscSlotRing"/> slot.
/// Header doubles (time as long bits, safety state, valid, worst channel, worst ratio, over count), then the
/// over-threshold flags as a bitmask (64 channels per double, stored as raw bits), then 32-bit floats packed two
/// per double: per channel innovation, score, detector, threshold, then per joint external torque. Floats carry
/// everything that is published (payloads are float precision) in half the bytes, so the tick writes fewer
/// cache lines. Fixed at start from the layout.
/// </summary>
public sealed class DivergenceSlot
{
    public const int TimeNs = 0;        // long bits stored in a double (copied, never computed on)
    public const int Safety = 1;
    public const int Valid = 2;
    public const int WorstChannel = 3;
    public const int WorstRatio = 4;
    public const int OverCount = 5;
    public const int HeaderWidth = 6;

    public DivergenceSlot(ChannelLayout layout)
    {
        Channels = layout.Count;
        Joints = layout.JointCount;
        MaskWords = (Channels + 63) / 64;
        int floatStart = 2 * (HeaderWidth + MaskWords);
        Innovation = floatStart;
        Score = Innovation + Channels;
        Detector = Score + Channels;
        Threshold = Detector + Channels;
        ExternalTorque = Threshold + Channels;
        Width = (ExternalTorque + Joints + 1) / 2;
    }

    public int Channels { get; }
    public int Joints { get; }

    /// <summary>Doubles (from <see cref="HeaderWidth"/>) holding the over-threshold bitmask.</summary>
    public int MaskWords { get; }

    /// <summary>Offsets in floats (index into <see cref="Floats"/>).</summary>
    public int Innovation { get; }
    public int Score { get; }
    public int Detector { get; }
    public int Threshold { get; }
    public int ExternalTorque { get; }

    /// <summary>Slot width in doubles.</summary>
    public int Width { get; }

    /// <summary>Real-time safe. The float view of a slot.</summary>
    public static Span<float> Floats(Span<double> slot) => MemoryMarshal.Cast<double, float>(slot);

    /// <summary>Real-time safe. The float view of a slot.</summary>
    public static ReadOnlySpan<float> Floats(ReadOnlySpan<double> slot) => MemoryMarshal.Cast<double, float>(slot);

    /// <summary>Whether channel <paramref name="c"/> was over threshold.</summary>
    public static bool IsOver(ReadOnlySpan<double> slot, int c) =>
        (BitConverter.DoubleToUInt64Bits(slot[HeaderWidth + c / 64]) & (1UL << (c % 64))) != 0;

    /// <summary>Real-time safe. Writes the over-threshold flags as a bitmask.</summary>
    public void WriteMask(Span<double> slot, bool[] over)
    {
        for (int w = 0; w < MaskWords; w++)
        {
            ulong bits = 0;
            int end = Math.Min(Channels, (w + 1) * 64);
            for (int c = w * 64; c < end && c < over.Length; c++) if (over[c]) bits |= 1UL << (c % 64);
            slot[HeaderWidth + w] = BitConverter.UInt64BitsToDouble(bits);
        }
    }

    /// <summary>Real-time safe. Converts doubles to floats (vectorised where the CPU allows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Narrow(ReadOnlySpan<double> src, Span<float> dst)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && src.Length >= 8)
        {
            ref double s = ref MemoryMarshal.GetReference(src);
            ref float d = ref MemoryMarshal.GetReference(dst);
            if (dst.Length < src.Length) throw new ArgumentException("destination too short", nameof(dst));
            for (; i <= src.Length - 8; i += 8)
            {
                Vector256<double> a = Vector256.LoadUnsafe(ref s, (nuint)i);
                Vector256<double> b = Vector256.LoadUnsafe(ref s, (nuint)(i + 4));
                Vector256.Narrow(a, b).StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < src.Length; i++) dst[i] = (float)src[i];
    }
}
