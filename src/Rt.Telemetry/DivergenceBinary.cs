using System.Buffers;
using System.Buffers.Binary;

namespace Rt.Telemetry;

/// <summary>How divergence messages are encoded (the birth message says which).</summary>
public enum PayloadEncoding
{
    /// <summary>Compact JSON (schema v1 layout): readable with any MQTT tool, ~1.9 MB/s at 1 kHz.</summary>
    Json,

    /// <summary>Little-endian binary, about 5× smaller: see docs/TELEMETRY.md, "Binary divergence encoding".</summary>
    Binary,

    /// <summary>Protocol Buffers, Schema/divergence_v2.proto (default): quantised columns, about 20× smaller than JSON.</summary>
    Protobuf,
}

/// <summary>One decoded divergence record (either encoding). Not real-time safe.</summary>
public sealed record DecodedRecord(long Tick, long TimeNs, int Safety, bool Valid, int Worst, double Ratio,
    int[] Over, double[] Innovation, double[] Score, double[] Detector, double[] ExternalTorque);

/// <summary>One decoded divergence message.</summary>
public sealed record DecodedBatch(long Seq, long RingDropped, long LinkDropped, long Decimated, double[] Threshold, List<DecodedRecord> Records);

/// <summary>
/// The binary divergence encoding: header "RTD1", u16 version, u16 channels C, u16 joints J, u16 records N,
/// i64 seq, ring dropped, link dropped, decimated; C × f32 thresholds; then per record i64 tick, i64 t_ns,
/// u8 safety, u8 valid, i16 worst, f32 ratio, ⌈C/8⌉ bytes over-threshold bitmask (bit c of byte c/8),
/// C × f32 innovation, C × f32 score, C × f32 detector, J × f32 external torque. Not real-time safe.
/// </summary>
public static class DivergenceBinary
{
    public static ReadOnlySpan<byte> Magic => "RTD1"u8;
    private const int HeaderBytes = 4 + 2 * 4 + 8 * 4;

    public static int RecordBytes(int channels, int joints) => 8 + 8 + 1 + 1 + 2 + 4 + (channels + 7) / 8 + 4 * (3 * channels + joints);

    /// <summary>Writes one message into <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, long seq, DivergenceSlot l, ReadOnlySpan<long> ticks, ReadOnlySpan<double> records,
        int count, long ringDropped, long linkDropped, long decimated)
    {
        int c = l.Channels, j = l.Joints;
        int size = HeaderBytes + 4 * c + count * RecordBytes(c, j);
        Span<byte> b = output.GetSpan(size)[..size];
        Magic.CopyTo(b);
        int p = 4;
        BinaryPrimitives.WriteUInt16LittleEndian(b[p..], TelemetryTopics.LegacyDivergenceVersion); p += 2;
        BinaryPrimitives.WriteUInt16LittleEndian(b[p..], (ushort)c); p += 2;
        BinaryPrimitives.WriteUInt16LittleEndian(b[p..], (ushort)j); p += 2;
        BinaryPrimitives.WriteUInt16LittleEndian(b[p..], (ushort)count); p += 2;
        BinaryPrimitives.WriteInt64LittleEndian(b[p..], seq); p += 8;
        BinaryPrimitives.WriteInt64LittleEndian(b[p..], ringDropped); p += 8;
        BinaryPrimitives.WriteInt64LittleEndian(b[p..], linkDropped); p += 8;
        BinaryPrimitives.WriteInt64LittleEndian(b[p..], decimated); p += 8;
        ReadOnlySpan<float> last = l.Floats(count > 0 ? records.Slice((count - 1) * l.Width, l.Width) : new double[l.Width]);
        p = Floats(b, p, last.Slice(l.Threshold, c));
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<double> s = records.Slice(r * l.Width, l.Width);
            BinaryPrimitives.WriteInt64LittleEndian(b[p..], ticks[r]); p += 8;
            ref readonly DivergenceSlotHeader h = ref DivergenceSlot.ReadHeader(s);
            BinaryPrimitives.WriteInt64LittleEndian(b[p..], h.TimeNs); p += 8;
            b[p++] = h.Safety;
            b[p++] = h.Valid != 0 ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteInt16LittleEndian(b[p..], (short)h.WorstChannel); p += 2;
            BinaryPrimitives.WriteSingleLittleEndian(b[p..], (float)h.WorstRatio); p += 4;
            int maskBytes = (c + 7) / 8;
            b.Slice(p, maskBytes).Clear();
            for (int k = 0; k < c; k++) if (DivergenceSlot.IsOver(s, k)) b[p + k / 8] |= (byte)(1 << (k % 8));
            p += maskBytes;
            ReadOnlySpan<float> f = l.Floats(s);
            p = Floats(b, p, f.Slice(l.Innovation, c));
            p = Floats(b, p, f.Slice(l.Score, c));
            p = Floats(b, p, f.Slice(l.Detector, c));
            p = Floats(b, p, f.Slice(l.ExternalTorque, j));
        }
        output.Advance(size);
    }

    private static int Floats(Span<byte> b, int p, ReadOnlySpan<float> values)
    {
        foreach (float v in values) { BinaryPrimitives.WriteSingleLittleEndian(b[p..], v); p += 4; }
        return p;
    }

    /// <summary>Decodes one binary message; throws <see cref="FormatException"/> on a malformed one.</summary>
    public static DecodedBatch Decode(ReadOnlySpan<byte> b)
    {
        if (b.Length < HeaderBytes || !b[..4].SequenceEqual(Magic)) throw new FormatException("not an RTD1 divergence message");
        int p = 4;
        int version = BinaryPrimitives.ReadUInt16LittleEndian(b[p..]); p += 2;
        if (version != TelemetryTopics.LegacyDivergenceVersion) throw new FormatException($"RTD1 version {version} is not supported");
        int c = BinaryPrimitives.ReadUInt16LittleEndian(b[p..]); p += 2;
        int j = BinaryPrimitives.ReadUInt16LittleEndian(b[p..]); p += 2;
        int n = BinaryPrimitives.ReadUInt16LittleEndian(b[p..]); p += 2;
        if (b.Length != HeaderBytes + 4 * c + n * RecordBytes(c, j)) throw new FormatException("RTD1 message length does not match its header");
        long seq = BinaryPrimitives.ReadInt64LittleEndian(b[p..]); p += 8;
        long ring = BinaryPrimitives.ReadInt64LittleEndian(b[p..]); p += 8;
        long link = BinaryPrimitives.ReadInt64LittleEndian(b[p..]); p += 8;
        long dec = BinaryPrimitives.ReadInt64LittleEndian(b[p..]); p += 8;
        double[] thr = ReadFloats(b, ref p, c);
        var list = new List<DecodedRecord>(n);
        for (int r = 0; r < n; r++)
        {
            long tick = BinaryPrimitives.ReadInt64LittleEndian(b[p..]); p += 8;
            long t = BinaryPrimitives.ReadInt64LittleEndian(b[p..]); p += 8;
            int safety = b[p++];
            bool valid = b[p++] != 0;
            int worst = BinaryPrimitives.ReadInt16LittleEndian(b[p..]); p += 2;
            double ratio = BinaryPrimitives.ReadSingleLittleEndian(b[p..]); p += 4;
            var over = new List<int>();
            for (int k = 0; k < c; k++) if ((b[p + k / 8] & (1 << (k % 8))) != 0) over.Add(k);
            p += (c + 7) / 8;
            double[] innov = ReadFloats(b, ref p, c), score = ReadFloats(b, ref p, c), det = ReadFloats(b, ref p, c), ext = ReadFloats(b, ref p, j);
            list.Add(new DecodedRecord(tick, t, safety, valid, worst, ratio, [.. over], innov, score, det, ext));
        }
        return new DecodedBatch(seq, ring, link, dec, thr, list);
    }

    private static double[] ReadFloats(ReadOnlySpan<byte> b, ref int p, int n)
    {
        var a = new double[n];
        for (int i = 0; i < n; i++) { a[i] = BinaryPrimitives.ReadSingleLittleEndian(b[p..]); p += 4; }
        return a;
    }
}
