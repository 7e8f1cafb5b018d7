using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Rt.Core.Divergence;

namespace Rt.Telemetry;

/// <summary>
/// The fixed part of one tick's divergence record in a ring slot: explicit layout, <see cref="Size"/> bytes, at the
/// start of the slot. Everything else of the record follows it (see <see cref="DivergenceSlot"/>).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct DivergenceSlotHeader
{
    public const int Size = 32;

    /// <summary>Injected clock, ns.</summary>
    [FieldOffset(0)] public long TimeNs;

    /// <summary>Worst score / threshold of the tick (kept in double: the JSON payload prints it at double precision).</summary>
    [FieldOffset(8)] public double WorstRatio;

    [FieldOffset(16)] public int WorstChannel;
    [FieldOffset(20)] public int OverCount;

    /// <summary>The supervisor's <see cref="Rt.Core.Tick.SafetyState"/>.</summary>
    [FieldOffset(24)] public byte Safety;

    /// <summary>1 if the twin's record was valid this tick.</summary>
    [FieldOffset(25)] public byte Valid;
}

/// <summary>
/// Byte layout of one tick's divergence record in a <see cref="Rt.Core.Concurrency.SpscSlotRing"/> slot (the ring
/// stores slots as doubles; this class reinterprets them, never converts): a <see cref="DivergenceSlotHeader"/>, then
/// the over-threshold flags as <see cref="MaskWords"/> 64-bit words, then 32-bit floats: per channel innovation,
/// score, detector, threshold, χ² gate, then per joint external torque, then the measured joint state and IMU readings. Floats carry everything that is published (payloads
/// are float precision) in half the bytes, so the tick writes fewer cache lines. Sized at start from the layout;
/// every accessor is real-time safe (no allocation).
/// </summary>
public sealed class DivergenceSlot
{
    private const int MaskByteOffset = DivergenceSlotHeader.Size;

    public DivergenceSlot(ChannelLayout layout)
    {
        Channels = layout.Count;
        Joints = layout.JointCount;
        MaskWords = (Channels + 63) / 64;
        FloatByteOffset = MaskByteOffset + 8 * MaskWords;
        Innovation = 0;
        Score = Innovation + Channels;
        Detector = Score + Channels;
        Threshold = Detector + Channels;
        Gate = Threshold + Channels;
        ExternalTorque = Gate + Channels;
        Imus = layout.ImuCount;
        JointPosition = ExternalTorque + Joints;
        JointVelocity = JointPosition + Joints;
        JointEffort = JointVelocity + Joints;
        Imu = JointEffort + Joints;
        FloatCount = Imu + ImuFloats * Imus;
        Bytes = FloatByteOffset + 4 * FloatCount;
        Width = (Bytes + 7) / 8;
    }

    public int Channels { get; }
    public int Joints { get; }

    /// <summary>64-bit words of the over-threshold mask.</summary>
    public int MaskWords { get; }

    /// <summary>Where the floats start, bytes from the slot's start.</summary>
    public int FloatByteOffset { get; }

    /// <summary>Offsets of each section in floats (index into <see cref="Floats(ReadOnlySpan{double})"/>), and their total.</summary>
    public int Innovation { get; }
    public int Score { get; }
    public int Detector { get; }
    public int Threshold { get; }
    public int Gate { get; }

    /// <summary>Measured joint state (rad, rad/s, N·m) per joint, and per IMU <see cref="ImuFloats"/> floats (rate xyz rad/s, specific force xyz m/s²): the ROS 2 topics.</summary>
    public int JointPosition { get; }
    public int JointVelocity { get; }
    public int JointEffort { get; }
    public int Imu { get; }
    public int Imus { get; }
    public const int ImuFloats = 6;
    public int ExternalTorque { get; }
    public int FloatCount { get; }

    /// <summary>Bytes the record uses.</summary>
    public int Bytes { get; }

    /// <summary>Slot width in the ring's units (doubles): <see cref="Bytes"/> rounded up.</summary>
    public int Width { get; }

    /// <summary>Real-time safe. The header of a slot, to write.</summary>
    public static ref DivergenceSlotHeader Header(Span<double> slot) =>
        ref MemoryMarshal.AsRef<DivergenceSlotHeader>(MemoryMarshal.AsBytes(slot)[..DivergenceSlotHeader.Size]);

    /// <summary>Real-time safe. The header of a slot, to read.</summary>
    public static ref readonly DivergenceSlotHeader ReadHeader(ReadOnlySpan<double> slot) =>
        ref MemoryMarshal.AsRef<DivergenceSlotHeader>(MemoryMarshal.AsBytes(slot)[..DivergenceSlotHeader.Size]);

    /// <summary>Real-time safe. The over-threshold mask of a slot (bit c%64 of word c/64 is channel c).</summary>
    public Span<ulong> Mask(Span<double> slot) => MemoryMarshal.Cast<byte, ulong>(MemoryMarshal.AsBytes(slot).Slice(MaskByteOffset, 8 * MaskWords));

    /// <summary>Real-time safe. The floats of a slot (sections at <see cref="Innovation"/> … <see cref="ExternalTorque"/>).</summary>
    public Span<float> Floats(Span<double> slot) => MemoryMarshal.Cast<byte, float>(MemoryMarshal.AsBytes(slot).Slice(FloatByteOffset, 4 * FloatCount));

    /// <summary>Real-time safe. The floats of a slot, to read.</summary>
    public ReadOnlySpan<float> Floats(ReadOnlySpan<double> slot) =>
        MemoryMarshal.Cast<byte, float>(MemoryMarshal.AsBytes(slot).Slice(FloatByteOffset, 4 * FloatCount));

    /// <summary>Real-time safe. Whether channel <paramref name="c"/> was over threshold.</summary>
    public static bool IsOver(ReadOnlySpan<double> slot, int c) =>
        (MemoryMarshal.Read<ulong>(MemoryMarshal.AsBytes(slot)[(MaskByteOffset + 8 * (c / 64))..]) & (1UL << (c % 64))) != 0;

    /// <summary>Real-time safe. Writes the over-threshold flags as a bitmask.</summary>
    public void WriteMask(Span<double> slot, bool[] over)
    {
        Span<ulong> mask = Mask(slot);
        for (int w = 0; w < MaskWords; w++)
        {
            ulong bits = 0;
            int end = Math.Min(Channels, (w + 1) * 64);
            for (int c = w * 64; c < end && c < over.Length; c++) if (over[c]) bits |= 1UL << (c % 64);
            mask[w] = bits;
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
