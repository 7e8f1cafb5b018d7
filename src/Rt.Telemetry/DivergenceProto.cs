using Google.Protobuf;
using Rt.Core.Divergence;

namespace Rt.Telemetry;

/// <summary>
/// The v2 divergence message: <c>rt.telemetry.v2.DivergenceBatch</c> of Schema/divergence_v2.proto, written by hand
/// with <see cref="CodedOutputStream"/> (no generated code, no reflection: NativeAOT-clean). Columns are quantised per
/// channel and batch to one varint byte (see the .proto). Sized at construction for the largest batch; one instance
/// per publisher thread. Not real-time safe (publisher thread), allocation-free apart from the stream object.
/// </summary>
internal sealed class DivergenceProto
{
    public const string ContentType = "application/x-protobuf; proto=rt.telemetry.v2.DivergenceBatch";
    public const int QMax = 63; // |q| ≤ 63: zigzag ≤ 126, one varint byte

    /// <summary>
    /// The <c>schema</c> field: 3 since thresholds and gates are sent only when they change (and every
    /// telemetry.threshold_repeat_s); the message stays rt.telemetry.v2.DivergenceBatch, wire-compatible with 2.
    /// </summary>
    public const uint SchemaRevision = 3;

    private readonly DivergenceSlot _slot;
    private readonly byte[] _buffer;
    private readonly int[] _q;
    private readonly float[] _scale;
    private readonly long[] _tmp;
    private readonly float[] _sentThreshold, _sentGate;
    private bool _haveSent;

    private readonly bool _packColumns;
    private readonly byte[] _bits;

    public DivergenceProto(DivergenceSlot slot, int batchSize, bool packColumns = true)
    {
        _packColumns = packColumns;
        _slot = slot;
        int c = slot.Channels;
        // Worst case per record: every varint at full width, every channel over threshold; plus the per-batch parts.
        _buffer = new byte[64 + batchSize * (10 + 10 + 6 + 2 + 10 + 4 + 6 + 6 * c + 5 * (3 * c + slot.Joints)) + 4 * (2 + 4 * c + 16) * 4];
        _q = new int[Math.Max(c, slot.Joints) * batchSize];
        _scale = new float[Math.Max(c, slot.Joints)];
        _tmp = new long[batchSize];
        _bits = new byte[Math.Max(c, slot.Joints) * (2 + batchSize)]; // per series: header, first value, ≤ 8 bits per record
        _sentThreshold = new float[c];
        _sentGate = new float[c];
    }

    /// <summary>True if the last message written carried the thresholds and gates.</summary>
    public bool WroteThresholds { get; private set; }

    /// <summary>Encodes <paramref name="count"/> slots of <paramref name="records"/>; the message is the returned span of the internal buffer.</summary>
    public ReadOnlySpan<byte> Write(long seq, long run, long utcNs, ReadOnlySpan<long> ticks, ReadOnlySpan<double> records, int count,
        long ringDropped, long linkDropped, long decimated, long missedTicks, bool repeatThresholds = true)
    {
        DivergenceSlot l = _slot;
        int w = l.Width, c = l.Channels;
        var o = new CodedOutputStream(_buffer);
        Tag(o, 1); o.WriteUInt32(SchemaRevision);
        Tag(o, 2); o.WriteUInt64((ulong)run);
        Tag(o, 3); o.WriteUInt64((ulong)seq);
        Tag(o, 4); o.WriteInt64(utcNs);
        Tag(o, 5); o.WriteUInt32((uint)count);
        Tag(o, 6); o.WriteUInt32((uint)c);
        Tag(o, 7); o.WriteUInt32((uint)l.Joints);

        Span<long> tmp = _tmp.AsSpan(0, count);
        for (int r = 0; r < count; r++) tmp[r] = r == 0 ? ticks[0] : ticks[r] - ticks[r - 1];
        PackedSInt64(o, 8, tmp);
        // Loop time: residuals against the period (0 for a steady loop: one byte per record instead of three).
        long period = count > 1 && ticks[1] > ticks[0] ? (Header(records, 1).TimeNs - Header(records, 0).TimeNs) / (ticks[1] - ticks[0]) : 0;
        if (period < 0) period = 0;
        for (int r = 0; r < count; r++)
        {
            long t = Header(records, r).TimeNs;
            tmp[r] = r == 0 ? t : t - Header(records, r - 1).TimeNs - (ticks[r] - ticks[r - 1]) * period;
        }
        PackedSInt64(o, 9, tmp);
        Tag(o, 26); o.WriteUInt64((ulong)period);

        int size = 0;
        for (int r = 0; r < count; r++) size += CodedOutputStream.ComputeUInt32Size(Header(records, r).Safety);
        LengthDelimited(o, 10, size);
        for (int r = 0; r < count; r++) o.WriteUInt32(Header(records, r).Safety);
        LengthDelimited(o, 11, count);
        for (int r = 0; r < count; r++) o.WriteBool(Header(records, r).Valid != 0);
        size = 0;
        for (int r = 0; r < count; r++) size += CodedOutputStream.ComputeSInt32Size(Header(records, r).WorstChannel);
        LengthDelimited(o, 12, size);
        for (int r = 0; r < count; r++) o.WriteSInt32(Header(records, r).WorstChannel);
        LengthDelimited(o, 13, 4 * count);
        for (int r = 0; r < count; r++) o.WriteFloat((float)Header(records, r).WorstRatio);

        // Over-threshold flags: per record the count, then the indices.
        size = 0;
        int indicesSize = 0;
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<double> slot = records.Slice(r * w, w);
            int n = 0;
            for (int ch = 0; ch < c; ch++)
                if (DivergenceSlot.IsOver(slot, ch)) { n++; indicesSize += CodedOutputStream.ComputeUInt32Size((uint)ch); }
            size += CodedOutputStream.ComputeUInt32Size((uint)n);
        }
        LengthDelimited(o, 14, size);
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<double> slot = records.Slice(r * w, w);
            uint n = 0;
            for (int ch = 0; ch < c; ch++) if (DivergenceSlot.IsOver(slot, ch)) n++;
            o.WriteUInt32(n);
        }
        if (indicesSize > 0)
        {
            LengthDelimited(o, 15, indicesSize);
            for (int r = 0; r < count; r++)
            {
                ReadOnlySpan<double> slot = records.Slice(r * w, w);
                for (int ch = 0; ch < c; ch++) if (DivergenceSlot.IsOver(slot, ch)) o.WriteUInt32((uint)ch);
            }
        }

        // Thresholds and gates (8 B per channel) only when they changed since the last message that carried them, or
        // when the caller asks (first message, after a reconnect or a drop, every threshold_repeat_s).
        ReadOnlySpan<float> last = l.Floats(records.Slice((count - 1) * w, w));
        ReadOnlySpan<float> thr = last.Slice(l.Threshold, c), gate = last.Slice(l.Gate, c);
        WroteThresholds = repeatThresholds || !_haveSent || !thr.SequenceEqual(_sentThreshold) || !gate.SequenceEqual(_sentGate);
        if (WroteThresholds)
        {
            LengthDelimited(o, 16, 4 * c);
            foreach (float x in thr) o.WriteFloat(x);
            LengthDelimited(o, 17, 4 * c);
            foreach (float x in gate) o.WriteFloat(x);
            thr.CopyTo(_sentThreshold);
            gate.CopyTo(_sentGate);
            _haveSent = true;
        }

        Column(o, 18, records, count, l.Innovation, c);
        Column(o, 19, records, count, l.Score, c);
        Column(o, 20, records, count, l.Detector, c);
        Column(o, 21, records, count, l.ExternalTorque, l.Joints);

        Tag(o, 22); o.WriteUInt64((ulong)ringDropped);
        Tag(o, 23); o.WriteUInt64((ulong)linkDropped);
        Tag(o, 24); o.WriteUInt64((ulong)decimated);
        Tag(o, 25); o.WriteUInt64((ulong)missedTicks);
        o.Flush();
        return _buffer.AsSpan(0, _buffer.Length - o.SpaceLeft);
    }

    private ref readonly DivergenceSlotHeader Header(ReadOnlySpan<double> records, int r) =>
        ref DivergenceSlot.ReadHeader(records.Slice(r * _slot.Width, _slot.Width));

    /// <summary>One quantised column (message Column): per series a scale, then the q values of the non-zero series.</summary>
    private void Column(CodedOutputStream o, int field, ReadOnlySpan<double> records, int count, int section, int series)
    {
        int w = _slot.Width;
        Span<float> scale = _scale.AsSpan(0, series);
        Span<int> q = _q.AsSpan(0, series * count);
        int qSize = 0, nq = 0;
        for (int s = 0; s < series; s++)
        {
            float max = 0;
            for (int r = 0; r < count; r++)
            {
                float x = Math.Abs(_slot.Floats(records.Slice(r * w, w))[section + s]);
                if (float.IsFinite(x) && x > max) max = x;
            }
            scale[s] = max / QMax;
            if (max == 0) continue;
            for (int r = 0; r < count; r++)
            {
                float x = _slot.Floats(records.Slice(r * w, w))[section + s];
                int v = float.IsFinite(x) ? (int)Math.Clamp(MathF.Round(x / scale[s]), -QMax, QMax) : 0;
                q[nq++] = v;
                qSize += CodedOutputStream.ComputeSInt32Size(v);
            }
        }
        int scaleBlock = 1 + CodedOutputStream.ComputeLengthSize(4 * series) + 4 * series;
        if (_packColumns && nq > 0)
        {
            int bits = Pack(q.Slice(0, nq), count);
            LengthDelimited(o, field, scaleBlock + 1 + CodedOutputStream.ComputeLengthSize(bits) + bits);
            LengthDelimited(o, 1, 4 * series);
            foreach (float x in scale) o.WriteFloat(x);
            LengthDelimited(o, 3, bits);
            for (int i = 0; i < bits; i++) o.WriteRawTag(_bits[i]); // raw bytes without a ByteString (no allocation)
            return;
        }
        int qBlock = nq == 0 ? 0 : 1 + CodedOutputStream.ComputeLengthSize(qSize) + qSize;
        LengthDelimited(o, field, scaleBlock + qBlock);
        LengthDelimited(o, 1, 4 * series);
        foreach (float x in scale) o.WriteFloat(x);
        if (nq == 0) return;
        LengthDelimited(o, 2, qSize);
        for (int i = 0; i < nq; i++) o.WriteSInt32(q[i]);
    }

    /// <summary>
    /// Column.bits (schema 3): per series (non-zero scale, in order) one header byte, mode &lt;&lt; 4 | width b (0..7);
    /// mode 0: the <paramref name="count"/> values zigzag(q) in b bits each; mode 1 (smooth series): zigzag(q[0]) in
    /// one byte, then the count − 1 differences zigzag(q[r] − q[r−1]) in b bits each. Bits LSB first, each series padded
    /// to a whole byte. Whichever mode is smaller is used. Returns the bytes written to _bits.
    /// </summary>
    private int Pack(ReadOnlySpan<int> q, int count)
    {
        int at = 0;
        for (int k = 0; k + count <= q.Length; k += count)
        {
            ReadOnlySpan<int> v = q.Slice(k, count);
            uint maxPlain = 0, maxDelta = 0;
            for (int r = 0; r < count; r++)
            {
                maxPlain = Math.Max(maxPlain, ZigZag(v[r]));
                if (r > 0) maxDelta = Math.Max(maxDelta, ZigZag(v[r] - v[r - 1]));
            }
            int bPlain = Width(maxPlain), bDelta = Width(maxDelta);
            bool delta = 1 + (bDelta * (count - 1) + 7) / 8 < (bPlain * count + 7) / 8;
            int b = delta ? bDelta : bPlain;
            _bits[at++] = (byte)((delta ? 1 << 4 : 0) | b);
            if (delta) _bits[at++] = (byte)ZigZag(v[0]);
            ulong acc = 0;
            int n = 0;
            for (int r = delta ? 1 : 0; r < count; r++)
            {
                acc |= (ulong)(delta ? ZigZag(v[r] - v[r - 1]) : ZigZag(v[r])) << n;
                n += b;
                while (n >= 8) { _bits[at++] = (byte)acc; acc >>= 8; n -= 8; }
            }
            if (n > 0) _bits[at++] = (byte)acc;
        }
        return at;
    }

    private static uint ZigZag(int v) => (uint)((v << 1) ^ (v >> 31));

    private static int Width(uint max) => max == 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount(max);

    private static void PackedSInt64(CodedOutputStream o, int field, ReadOnlySpan<long> values)
    {
        int size = 0;
        foreach (long v in values) size += CodedOutputStream.ComputeSInt64Size(v);
        LengthDelimited(o, field, size);
        foreach (long v in values) o.WriteSInt64(v);
    }

    private static void Tag(CodedOutputStream o, int field) => o.WriteTag(field, WireFormat.WireType.Varint);

    private static void LengthDelimited(CodedOutputStream o, int field, int length)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteLength(length);
    }

    /// <summary>
    /// Not real-time safe. Decodes a DivergenceBatch (for <c>rt monitor</c> and the bench; the tests check the bytes
    /// with protobufjs instead). Unknown fields are skipped, so newer writers stay readable.
    /// </summary>
    public static DecodedBatch Decode(ReadOnlySpan<byte> payload)
    {
        var input = new CodedInputStream(payload.ToArray());
        long seq = 0, ring = 0, link = 0, decimated = 0, period = 0;
        int count = 0, channels = 0, joints = 0;
        var tick = new List<long>(); var tns = new List<long>(); var safety = new List<long>(); var valid = new List<long>();
        var worst = new List<long>(); var overCount = new List<long>(); var over = new List<long>();
        var ratio = new List<float>(); var thr = new List<float>();
        (List<float> Scale, List<long> Q, List<byte> Bits) innov = ([], [], []), score = ([], [], []), det = ([], [], []), ext = ([], [], []);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 3: seq = (long)input.ReadUInt64(); break;
                case 5: count = (int)input.ReadUInt32(); break;
                case 6: channels = (int)input.ReadUInt32(); break;
                case 7: joints = (int)input.ReadUInt32(); break;
                case 8: Varints(input, tick, zigzag: true); break;
                case 9: Varints(input, tns, zigzag: true); break;
                case 10: Varints(input, safety, zigzag: false); break;
                case 11: Varints(input, valid, zigzag: false); break;
                case 12: Varints(input, worst, zigzag: true); break;
                case 13: Floats(input, ratio); break;
                case 14: Varints(input, overCount, zigzag: false); break;
                case 15: Varints(input, over, zigzag: false); break;
                case 16: Floats(input, thr); break;
                case 18: ColumnOf(input, innov); break;
                case 19: ColumnOf(input, score); break;
                case 20: ColumnOf(input, det); break;
                case 21: ColumnOf(input, ext); break;
                case 22: ring = (long)input.ReadUInt64(); break;
                case 23: link = (long)input.ReadUInt64(); break;
                case 24: decimated = (long)input.ReadUInt64(); break;
                case 26: period = (long)input.ReadUInt64(); break;
                default: input.SkipLastField(); break;
            }
        }
        if (tick.Count != count || tns.Count != count) throw new FormatException($"divergence message: {count} records but {tick.Count} ticks");
        double[][] i = Expand(innov, channels, count), s = Expand(score, channels, count), d = Expand(det, channels, count), e = Expand(ext, joints, count);
        var records = new List<DecodedRecord>(count);
        long t = 0, tn = 0;
        int at = 0;
        for (int r = 0; r < count; r++)
        {
            long dt = r == 0 ? 0 : tick[r];
            t = r == 0 ? tick[0] : t + dt;
            tn = r == 0 ? tns[0] : tn + tns[r] + dt * period;
            int n = r < overCount.Count ? (int)overCount[r] : 0;
            int[] o = [.. over.Skip(at).Take(n).Select(x => (int)x)];
            at += n;
            records.Add(new DecodedRecord(t, tn, r < safety.Count ? (int)safety[r] : 0, r < valid.Count && valid[r] != 0,
                r < worst.Count ? (int)worst[r] : -1, r < ratio.Count ? ratio[r] : double.NaN, o,
                [.. i.Select(x => x[r])], [.. s.Select(x => x[r])], [.. d.Select(x => x[r])], [.. e.Select(x => x[r])]));
        }
        return new DecodedBatch(seq, ring, link, decimated, [.. thr.Select(x => (double)x)], records);
    }

    /// <summary>Column.bits back to q values (see <see cref="Pack"/>).</summary>
    private static void Unpack(List<byte> bits, List<float> scale, int series, int count, List<long> into)
    {
        int at = 0;
        static long Un(ulong z) => (long)(z >> 1) ^ -(long)(z & 1);
        for (int s = 0; s < series && s < scale.Count; s++)
        {
            if (scale[s] == 0) continue;
            if (at >= bits.Count) throw new FormatException("divergence message: column bits end early");
            int h = bits[at++], b = h & 0xF;
            bool delta = (h >> 4) == 1;
            long prev = 0;
            int r = 0;
            if (delta) { prev = Un(bits[at++]); into.Add(prev); r = 1; }
            ulong acc = 0;
            int n = 0;
            for (; r < count; r++)
            {
                while (n < b) { acc |= (ulong)bits[at++] << n; n += 8; }
                ulong z = acc & ((1UL << b) - 1);
                acc >>= b;
                n -= b;
                long v = Un(z);
                prev = delta ? prev + v : v;
                into.Add(prev);
            }
        }
    }

    private static void Varints(CodedInputStream input, List<long> into, bool zigzag)
    {
        var inner = new CodedInputStream(input.ReadBytes().ToByteArray());
        while (!inner.IsAtEnd) into.Add(zigzag ? inner.ReadSInt64() : (long)inner.ReadUInt64());
    }

    private static void Floats(CodedInputStream input, List<float> into)
    {
        var inner = new CodedInputStream(input.ReadBytes().ToByteArray());
        while (!inner.IsAtEnd) into.Add(inner.ReadFloat());
    }

    private static void ColumnOf(CodedInputStream input, (List<float> Scale, List<long> Q, List<byte> Bits) col)
    {
        var inner = new CodedInputStream(input.ReadBytes().ToByteArray());
        uint tag;
        while ((tag = inner.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1) Floats(inner, col.Scale);
            else if (WireFormat.GetTagFieldNumber(tag) == 2) Varints(inner, col.Q, zigzag: true);
            else if (WireFormat.GetTagFieldNumber(tag) == 3) col.Bits.AddRange(inner.ReadBytes().ToByteArray());
            else inner.SkipLastField();
        }
    }

    private static double[][] Expand((List<float> Scale, List<long> Q, List<byte> Bits) col, int series, int count)
    {
        if (col.Bits.Count > 0) Unpack(col.Bits, col.Scale, series, count, col.Q);
        var v = new double[series][];
        int k = 0;
        for (int s = 0; s < series; s++)
        {
            v[s] = new double[count];
            float scale = s < col.Scale.Count ? col.Scale[s] : 0;
            if (scale == 0) continue;
            for (int r = 0; r < count && k < col.Q.Count; r++) v[s][r] = col.Q[k++] * (double)scale;
        }
        return v;
    }
}
