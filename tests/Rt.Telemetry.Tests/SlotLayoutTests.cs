using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Telemetry.Tests;

/// <summary>The ring slot's explicit layout (issue 11): sized from the layout, no field overlaps, wire output unchanged.</summary>
public sealed class SlotLayoutTests
{
    [Fact]
    public void Header_is_an_explicit_32_byte_struct_and_the_sections_follow_it_without_overlap()
    {
        Assert.Equal(DivergenceSlotHeader.Size, Unsafe.SizeOf<DivergenceSlotHeader>());
        var layout = Fixtures.Layout(); // 12 joints + 1 IMU: channels > 64 need a second mask word
        var slot = new DivergenceSlot(layout);
        Assert.Equal((layout.Count + 63) / 64, slot.MaskWords);
        Assert.Equal(DivergenceSlotHeader.Size + 8 * slot.MaskWords, slot.FloatByteOffset);
        Assert.Equal(slot.FloatByteOffset + 4 * (5 * layout.Count + 4 * layout.JointCount + 6 * layout.ImuCount), slot.Bytes); // innov, score, det, thr, gate; ext, q, qd, tau; imu
        Assert.True(slot.Width * 8 >= slot.Bytes && slot.Width * 8 - slot.Bytes < 8);

        // Write every section to its extreme and read each back: a section that overlapped another would clobber it.
        var s = new double[slot.Width];
        ref DivergenceSlotHeader h = ref DivergenceSlot.Header(s);
        h.TimeNs = long.MaxValue - 1; // not representable as a double value: must survive as a long
        h.WorstRatio = 1.0 / 3;
        h.WorstChannel = int.MinValue;
        h.OverCount = int.MaxValue;
        h.Safety = 0xAB;
        h.Valid = 1;
        slot.Mask(s).Fill(ulong.MaxValue);
        slot.Floats(s.AsSpan()).Fill(-0f);
        ref readonly DivergenceSlotHeader r = ref DivergenceSlot.ReadHeader(s);
        Assert.Equal(long.MaxValue - 1, r.TimeNs);
        Assert.Equal(1.0 / 3, r.WorstRatio);
        Assert.Equal(int.MinValue, r.WorstChannel);
        Assert.Equal(int.MaxValue, r.OverCount);
        Assert.Equal(0xAB, r.Safety);
        Assert.Equal(1, r.Valid);
        for (int c = 0; c < layout.Count; c++) Assert.True(DivergenceSlot.IsOver(s, c));
        Assert.All(slot.Mask(s).ToArray(), w => Assert.Equal(ulong.MaxValue, w));
    }

    /// <summary>
    /// SHA-256 of one JSON and one binary divergence message built from the same seven records, measured with the
    /// previous slot layout (doubles holding long bits and mask words) before it was replaced: the wire is unchanged.
    /// </summary>
    [Fact]
    public void Divergence_messages_are_byte_for_byte_what_the_previous_slot_layout_produced()
    {
        string[] joints = ["l_hip_yaw", "l_hip_roll", "l_hip_pitch", "l_knee", "l_ankle_pitch", "l_ankle_roll",
            "r_hip_yaw", "r_hip_roll", "r_hip_pitch", "r_knee", "r_ankle_pitch", "r_ankle_roll"];
        var layout = new ChannelLayout(joints, ["pelvis_imu"]);
        var sink = new TelemetrySink(layout, 64);
        var state = new TickState(layout.JointCount, layout.ImuCount, layout);
        const int n = 7;
        var ticks = new long[n];
        var records = new double[n * sink.Slot.Width];
        for (int r = 0; r < n; r++)
        {
            long tick = 1000 + r * 37;
            state.Tick = tick;
            state.TimeNs = (1L << 60) + tick * 1_000_001 + 1; // above 2^53
            state.SafetyState = (SafetyState)(r % 5);
            DivergenceRecord d = state.Divergence;
            d.Valid = r % 3 != 0;
            for (int c = 0; c < d.Score.Length; c++)
            {
                d.Innovation[c] = -0.1234567 * (c + 1) + r;
                d.Score[c] = 3.3 * c - r;
                d.Detector[c] = 1e-3 * c * r;
                d.Threshold[c] = 10 + c;
                d.OverThreshold[c] = (tick + c) % 3 == 0;
            }
            for (int j = 0; j < d.ExternalTorque.Length; j++) d.ExternalTorque[j] = 0.5 * j - r;
            d.WorstChannel = (int)(tick % d.Score.Length);
            d.WorstRatio = 1.0 / 3 + r;
            d.OverCount = r + 2;
            sink.Enqueue(state);
        }
        for (int r = 0; r < n; r++) Assert.True(sink.Ring.TryRead(out ticks[r], records.AsSpan(r * sink.Slot.Width, sink.Slot.Width)));
        var json = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json)) TelemetryPayloads.WriteDivergenceBatch(w, 42, sink.Slot, ticks, records, n, 3, 4, 5);
        var bin = new ArrayBufferWriter<byte>();
        DivergenceBinary.Write(bin, 42, sink.Slot, ticks, records, n, 3, 4, 5);
        Assert.Equal("609E179F696D8EDDEE50D57295806C0989F687F567FEB98CB3BF61D3B61365E6", Convert.ToHexString(SHA256.HashData(json.WrittenSpan)));
        Assert.Equal("AFDC77A7C407EF396F7A0C90B12BFAADC9E26DBFC1B71F266602012537F41906", Convert.ToHexString(SHA256.HashData(bin.WrittenSpan)));
    }
}
