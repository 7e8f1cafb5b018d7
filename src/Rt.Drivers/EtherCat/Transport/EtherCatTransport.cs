using Rt.Core.Time;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.Link;

namespace Rt.Drivers.EtherCat.Transport;

/// <summary>The answer to one datagram: its working counter, or why there is none.</summary>
public readonly record struct DatagramResult(bool Received, ushort WorkingCounter, FrameError Error)
{
    public static DatagramResult Lost => new(false, 0, FrameError.None);
}

/// <summary>
/// Non-real-time request/response over a link for bring-up, scanning and mailbox traffic: sends one frame with one
/// datagram from <see cref="EthernetHeader.MasterMac"/>, waits up to <see cref="TransportOptions.ReplyTimeoutNs"/> on the
/// injected clock, and takes only a reply that matches the whole frame (processed by a slave, same datagram position,
/// command, address, length and index); late replies to earlier requests and foreign frames are dropped and counted.
/// Not real-time safe (the cyclic exchange builds its own preallocated frame instead).
/// </summary>
public sealed partial class EtherCatTransport
{
    private readonly byte[] _tx = new byte[FrameLayout.MaximumFrameLength];
    private readonly byte[] _rx = new byte[FrameLayout.MaximumFrameLength + 64];
    private readonly Datagram[] _decoded = new Datagram[32];
    private readonly Datagram[] _request = new Datagram[32];
    private byte _nextIndex;

    public EtherCatTransport(IEthernetLink link, TransportOptions? options = null)
    {
        Link = link;
        Options = options ?? new TransportOptions();
        Clock = Options.Clock ?? link.Clock;
        if (Options.BetweenPolls is null && link is RawSocketLink raw) Options.BetweenPolls = left => raw.WaitForFrame(left >= 1_000_000 ? 1 : 0);
    }

    public IEthernetLink Link { get; }
    public TransportOptions Options { get; }

    /// <summary>The clock reply timeouts run on.</summary>
    public IMonotonicClock Clock { get; }

    /// <summary>Replies that arrived for an earlier request (late, recognised by index) or were already waiting, and were dropped.</summary>
    public long StaleReplies { get; private set; }

    /// <summary>Frames that are no answer to the request (foreign, forged, not processed by a slave, malformed), dropped.</summary>
    public long RejectedReplies { get; private set; }

    /// <summary>Frames that got no reply within the poll budget.</summary>
    public long LostFrames { get; private set; }

    /// <summary>Last decode error of a dropped reply (for diagnostics).</summary>
    public FrameError LastDropReason { get; private set; }

    /// <summary>Sends one datagram and waits for its reply; <paramref name="data"/> is sent and overwritten with the reply data.</summary>
    public DatagramResult Execute(EtherCatCommand command, uint address, Span<byte> data)
    {
        for (int attempt = 0; attempt < Math.Max(1, Options.Retries); attempt++)
        {
            var r = ExecuteOnce(command, address, data);
            if (r.Received) return r;
            if (!Link.IsUp) return r;
        }
        return DatagramResult.Lost;
    }

    private DatagramResult ExecuteOnce(EtherCatCommand command, uint address, Span<byte> data)
    {
        byte index = _nextIndex++;
        var writer = new FrameWriter(_tx, EthernetHeader.MasterMac);
        if (!writer.TryAppend(command, index, address, data, out _))
            throw new ArgumentException($"datagram of {data.Length} bytes does not fit one frame", nameof(data));
        int length = writer.Finish();
        if (!SendAndAwait(length, 1)) return DatagramResult.Lost;
        var reply = _decoded[0];
        _rx.AsSpan(reply.DataOffset, reply.DataLength).CopyTo(data);
        return new DatagramResult(true, reply.WorkingCounter, FrameError.None);
    }

    /// <summary>
    /// Sends the frame of <paramref name="length"/> bytes in the transmit buffer and waits up to the reply timeout for
    /// the frame that answers it; true with the reply decoded in <c>_decoded</c>, false if none came (counted lost).
    /// </summary>
    private bool SendAndAwait(int length, int datagrams)
    {
        var sentError = FrameReader.TryDecode(_tx.AsSpan(0, length), _request, out int sent);
        if (sentError.IsError || sent != datagrams) throw new InvalidOperationException($"frame built for sending does not decode: {sentError}");
        DrainStale();
        if (!Link.TrySend(_tx.AsSpan(0, length))) return false;

        var request = _request.AsSpan(0, sent);
        long deadline = Clock.NowNs + Options.ReplyTimeoutNs;
        while (true)
        {
            int got = Link.TryReceive(_rx);
            if (got > 0)
            {
                var verdict = FrameReader.CheckReply(_rx.AsSpan(0, got), EthernetHeader.MasterMac, request, _decoded, out var error);
                if (verdict == ReplyVerdict.Accepted) return true;
                if (verdict == ReplyVerdict.Stale) StaleReplies++;
                else RejectedReplies++;
                LastDropReason = error;
            }
            long left = deadline - Clock.NowNs;
            if (left <= 0) break;
            if (got == 0) Options.BetweenPolls?.Invoke(left);
        }
        LostFrames++;
        return false;
    }

    /// <summary>Discards replies already waiting (late answers to earlier requests).</summary>
    private void DrainStale()
    {
        while (Link.TryReceive(_rx) > 0) StaleReplies++;
    }

    /// <summary>Allocates the next datagram index (shared with frames built outside this class so indices never repeat back to back).</summary>
    public byte NextIndex() => _nextIndex++;
}
