using Rt.Core.Tick;

namespace Rt.Telemetry.Tests;

/// <summary>Column.bits (schema 3) against Column.q: the same q values for noisy, smooth, constant and all-zero series.</summary>
public sealed class ColumnPackingTests
{
    [Fact]
    public void Packed_and_varint_columns_decode_to_the_same_values_for_noise_ramps_steps_and_zeros()
    {
        var layout = Fixtures.Layout();
        var sink = new TelemetrySink(layout, 256);
        var state = Fixtures.State(layout);
        var rng = new Random(7);
        const int count = 50;
        var ticks = new long[count];
        var records = new double[count * sink.Slot.Width];
        for (int t = 0; t < count; t++)
        {
            Fixtures.Fill(state, t);
            var d = state.Divergence;
            for (int c = 0; c < layout.Count; c++)
            {
                d.Innovation[c] = rng.NextDouble() * 2 - 1;         // noise: mode 0
                d.Score[c] = c % 3 == 0 ? 0 : Math.Sin(t * 0.02 + c); // smooth (mode 1) and all-zero series
                d.Detector[c] = c % 2 == 0 ? 4 : (t < 25 ? 0 : 9);   // constant (width 0) and a step
            }
            for (int j = 0; j < layout.JointCount; j++) d.ExternalTorque[j] = -0.3 * t + j;
            sink.Enqueue(state);
            Assert.True(sink.Ring.TryRead(out ticks[t], records.AsSpan(t * sink.Slot.Width, sink.Slot.Width)));
        }
        byte[] packed = new DivergenceProto(sink.Slot, count, packColumns: true).Write(1, 1, 1, ticks, records, count, 0, 0, 0, 0).ToArray();
        byte[] plain = new DivergenceProto(sink.Slot, count, packColumns: false).Write(1, 1, 1, ticks, records, count, 0, 0, 0, 0).ToArray();
        Assert.True(packed.Length < plain.Length, $"packed {packed.Length} B, varint {plain.Length} B");
        var a = DivergenceProto.Decode(packed).Records;
        var b = DivergenceProto.Decode(plain).Records;
        Assert.Equal(count, a.Count);
        for (int r = 0; r < count; r++)
        {
            Assert.Equal(b[r].Innovation, a[r].Innovation);
            Assert.Equal(b[r].Score, a[r].Score);
            Assert.Equal(b[r].Detector, a[r].Detector);
            Assert.Equal(b[r].ExternalTorque, a[r].ExternalTorque);
            Assert.Equal(4, a[r].Detector[0], 3); // a constant series (width 0) survives
        }
    }
}
