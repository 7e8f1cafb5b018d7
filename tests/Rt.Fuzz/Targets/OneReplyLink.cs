using Rt.Core.Time;
using Rt.Drivers.EtherCat.Link;

namespace Rt.Fuzz.Targets;

/// <summary>
/// A link whose only received frame is the fuzz input: whatever the master sends, the input comes back, truncated to
/// the receive buffer as a raw socket would. Its clock moves 1 ms per read, so every reply wait ends after a few polls
/// (a fuzz execution never waits in real time). Not real-time safe (test double).
/// </summary>
internal sealed class OneReplyLink(byte[] reply, int length) : IEthernetLink
{
    private bool _delivered;

    public IMonotonicClock Clock { get; } = new ManualClock { AutoAdvanceNs = 1_000_000 };

    public bool IsUp => true;

    public ReadOnlySpan<byte> MacAddress => [0x02, 0x52, 0x74, 0x00, 0x00, 0x01];

    /// <summary>The last frame the master sent (the request the input answers).</summary>
    public byte[] Sent { get; private set; } = [];

    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        Sent = frame.ToArray();
        return true;
    }

    public int TryReceive(Span<byte> buffer)
    {
        if (_delivered) return 0;
        _delivered = true;
        int n = Math.Min(length, buffer.Length);
        reply.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public void Dispose() { }
}
