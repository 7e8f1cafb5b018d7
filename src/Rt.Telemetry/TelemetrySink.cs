using Rt.Core.Faults;
using Rt.Core.Concurrency;
using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Telemetry;

/// <summary>
/// The tick's side of telemetry: copies the tick's divergence record (plus tick, time and safety state) into one
/// slot of a preallocated SPSC ring. One push per tick, no allocation, never waits: when the publisher falls behind
/// the record is dropped and counted (<see cref="Dropped"/>). Construct at prepare time (not real-time safe);
/// <see cref="Enqueue"/> is real-time safe.
/// </summary>
public sealed class TelemetrySink : ITickSink
{
    private readonly SpscSlotRing _ring;
    private readonly DivergenceSlot _slot;

    /// <summary>Not real-time safe. <paramref name="capacity"/> records (rounded up to a power of two).</summary>
    public TelemetrySink(ChannelLayout layout, int capacity = 2048)
    {
        _slot = new DivergenceSlot(layout);
        _ring = new SpscSlotRing(capacity, _slot.Width);
    }

    public DivergenceSlot Slot => _slot;

    /// <summary>Set by the telemetry service while the broker is unreachable (samples are being dropped on the link).</summary>
    public bool LinkDown
    {
        get => Volatile.Read(ref _linkDown);
        internal set => Volatile.Write(ref _linkDown, value);
    }

    private bool _linkDown = true;

    /// <summary>The ring the publisher drains (consumer side).</summary>
    public SpscSlotRing Ring => _ring;

    /// <summary>Records refused because the ring was full.</summary>
    public long Dropped => _ring.Dropped;

    /// <summary>Real-time safe: one ring push, 0 bytes allocated.</summary>
    public void Enqueue(TickState state)
    {
        Span<double> s = _ring.TryBeginWrite(state.Tick);
        if (s.IsEmpty || LinkDown)
        {
            // Telemetry loss is a warning for the supervisor (trigger telemetry_loss), never a motion trigger.
            state.Faults.Add(Fault.Of(FaultCode.TelemetryDropped, -1, state.Tick, received: (int)Math.Min(_ring.Dropped, int.MaxValue)));
            if (s.IsEmpty) return; // counted by the ring
        }
        DivergenceRecord d = state.Divergence;
        DivergenceSlot l = _slot;
        ref DivergenceSlotHeader h = ref DivergenceSlot.Header(s);
        h.TimeNs = state.TimeNs;
        h.Safety = (byte)state.SafetyState;
        h.Valid = d.Valid ? (byte)1 : (byte)0;
        h.WorstChannel = d.WorstChannel;
        h.WorstRatio = d.WorstRatio;
        h.OverCount = d.OverCount;
        int n = l.Channels;
        l.WriteMask(s, d.OverThreshold);
        Span<float> f = l.Floats(s);
        DivergenceSlot.Narrow(d.Innovation.AsSpan(0, n), f.Slice(l.Innovation, n));
        DivergenceSlot.Narrow(d.Score.AsSpan(0, n), f.Slice(l.Score, n));
        DivergenceSlot.Narrow(d.Detector.AsSpan(0, n), f.Slice(l.Detector, n));
        DivergenceSlot.Narrow(d.Threshold.AsSpan(0, n), f.Slice(l.Threshold, n));
        DivergenceSlot.Narrow(d.Gate.AsSpan(0, n), f.Slice(l.Gate, n));
        DivergenceSlot.Narrow(d.ExternalTorque.AsSpan(0, l.Joints), f.Slice(l.ExternalTorque, l.Joints));
        int nj = Math.Min(l.Joints, state.JointCount);
        DivergenceSlot.Narrow(state.Position.AsSpan(0, nj), f.Slice(l.JointPosition, nj));
        DivergenceSlot.Narrow(state.Velocity.AsSpan(0, nj), f.Slice(l.JointVelocity, nj));
        DivergenceSlot.Narrow(state.Torque.AsSpan(0, nj), f.Slice(l.JointEffort, nj));
        Rt.Core.ProcessData.ImuInputs[] imus = state.Image.Imus;
        for (int i = 0; i < l.Imus && i < imus.Length; i++)
        {
            ref readonly Rt.Core.ProcessData.ImuInputs m = ref imus[i];
            Span<float> g = f.Slice(l.Imu + DivergenceSlot.ImuFloats * i, DivergenceSlot.ImuFloats);
            g[0] = m.AngularRateX; g[1] = m.AngularRateY; g[2] = m.AngularRateZ;
            g[3] = m.SpecificForceX; g[4] = m.SpecificForceY; g[5] = m.SpecificForceZ;
        }
        _ring.CommitWrite();
    }
}
