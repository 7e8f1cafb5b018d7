using Rt.Core.Time;

namespace Rt.Drivers.EtherCat.Link;

/// <summary>
/// An in-memory link to an emulated segment: <see cref="TrySend"/> copies the frame into a preallocated slot and lets the
/// segment process it synchronously, so the reply is waiting for the next <see cref="TryReceive"/>.
/// A few fault-injection knobs (link down, refused sends, dropped or late replies) let tests exercise the master's error
/// paths. Time on this link is virtual (<see cref="Clock"/>): each frame sent costs <see cref="FrameNs"/> and each empty
/// receive poll <see cref="PollNs"/>, so every timeout expires after the same number of polls in every run.
/// Real-time safe: TrySend/TryReceive never allocate.
/// </summary>
public sealed class LoopbackLink : IEthernetLink
{
    private const int Slots = 8;
    private readonly IEtherCatSegment _segment;
    private readonly byte[][] _replies;
    private readonly int[] _lengths = new int[Slots];
    private readonly byte[] _mac;
    private int _head;
    private int _count;
    private int _heldBack;

    /// <summary>Not real-time safe (allocates the reply slots).</summary>
    public LoopbackLink(IEtherCatSegment segment, ReadOnlySpan<byte> mac = default)
    {
        _segment = segment;
        _replies = new byte[Slots][];
        for (int i = 0; i < Slots; i++) _replies[i] = new byte[Frame.FrameLayout.MaximumFrameLength];
        _mac = mac.Length == 6 ? mac.ToArray() : [0x02, 0x52, 0x74, 0x00, 0x00, 0x01];
    }

    /// <summary>The link's virtual time; tests may also advance it directly.</summary>
    public ManualClock Clock { get; } = new();

    IMonotonicClock IEthernetLink.Clock => Clock;

    /// <summary>Virtual time a frame's round trip takes (default 20 µs: a short line of slaves).</summary>
    public long FrameNs { get; set; } = 20_000;

    /// <summary>Virtual time an empty receive poll takes (default 1 µs).</summary>
    public long PollNs { get; set; } = 1_000;

    /// <summary>Fault injection: the next N sends are refused (TrySend returns false) while the link stays up.</summary>
    public int RefuseNextSends { get; set; }

    /// <summary>Fault injection: a frame queued here is received before the reply to the next frame sent (another host on the segment).</summary>
    public void InjectReceived(ReadOnlySpan<byte> frame)
    {
        if (_count == Slots) return;
        int slot = (_head + _count) % Slots;
        frame.CopyTo(_replies[slot]);
        _lengths[slot] = frame.Length;
        _count++;
    }

    /// <summary>Link carrier; when false, sends are refused (as a raw socket on a downed interface).</summary>
    public bool IsUp { get; set; } = true;

    /// <summary>Fault injection: the next N replies are lost.</summary>
    public int DropNextReplies { get; set; }

    /// <summary>Fault injection: replies are delivered one send late (a frame that "arrives after its tick").</summary>
    public bool LateDelivery { get; set; }

    /// <summary>Frames sent so far.</summary>
    public long FramesSent { get; private set; }

    public ReadOnlySpan<byte> MacAddress => _mac;

    /// <inheritdoc />
    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        if (!IsUp || frame.Length > Frame.FrameLayout.MaximumFrameLength) return false;
        if (RefuseNextSends > 0)
        {
            RefuseNextSends--;
            return false;
        }
        FramesSent++;
        Clock.Advance(FrameNs);
        if (LateDelivery) _heldBack = _count; // everything queued so far becomes visible; the new reply waits.
        if (_count == Slots) return true; // receive queue full: the frame is lost, as on a real NIC.
        int slot = (_head + _count) % Slots;
        var buffer = _replies[slot];
        frame.CopyTo(buffer);
        int length = _segment.Process(buffer, frame.Length);
        if (length <= 0) return true;
        if (DropNextReplies > 0)
        {
            DropNextReplies--;
            return true;
        }
        _lengths[slot] = length;
        _count++;
        return true;
    }

    /// <inheritdoc />
    public int TryReceive(Span<byte> buffer)
    {
        if (_count == 0 || (LateDelivery && _heldBack == 0))
        {
            Clock.Advance(PollNs);
            return 0;
        }
        int length = Math.Min(_lengths[_head], buffer.Length);
        _replies[_head].AsSpan(0, length).CopyTo(buffer);
        _head = (_head + 1) % Slots;
        _count--;
        if (_heldBack > 0) _heldBack--;
        return length;
    }

    public void Dispose() { }
}
