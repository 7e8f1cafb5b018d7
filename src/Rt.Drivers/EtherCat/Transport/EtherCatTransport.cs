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
/// datagram, waits a bounded number of polls (no clock), matches the reply by datagram index and command, and drops
/// stale replies (counted). Not real-time safe (the cyclic exchange builds its own preallocated frame instead).
/// </summary>
public sealed partial class EtherCatTransport
{
    private readonly byte[] _tx = new byte[FrameLayout.MaximumFrameLength];
    private readonly byte[] _rx = new byte[FrameLayout.MaximumFrameLength + 64];
    private readonly Datagram[] _decoded = new Datagram[32];
    private byte _nextIndex;

    public EtherCatTransport(IEthernetLink link, TransportOptions? options = null)
    {
        Link = link;
        Options = options ?? new TransportOptions();
        if (Options.BetweenPolls is null && link is RawSocketLink raw) Options.BetweenPolls = _ => raw.WaitForFrame(1);
    }

    public IEthernetLink Link { get; }
    public TransportOptions Options { get; }

    /// <summary>Replies that arrived for an earlier request (late) or did not decode, and were dropped.</summary>
    public long StaleReplies { get; private set; }

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
        var writer = new FrameWriter(_tx, Link.MacAddress);
        if (!writer.TryAppend(command, index, address, data, out _))
            throw new ArgumentException($"datagram of {data.Length} bytes does not fit one frame", nameof(data));
        int length = writer.Finish();
        DrainStale();
        if (!Link.TrySend(_tx.AsSpan(0, length))) return DatagramResult.Lost;

        for (int poll = 0; poll < Options.MaxPolls; poll++)
        {
            int got = Link.TryReceive(_rx);
            if (got == 0)
            {
                Options.BetweenPolls?.Invoke(poll);
                continue;
            }
            var error = FrameReader.TryDecode(_rx.AsSpan(0, got), _decoded, out int count);
            if (error.IsError || count != 1)
            {
                StaleReplies++;
                LastDropReason = error;
                continue;
            }
            var reply = _decoded[0];
            if (reply.Index != index || reply.Command != command || reply.DataLength != data.Length)
            {
                StaleReplies++;
                LastDropReason = new FrameError(FrameErrorKind.ReplyMismatch, reply.HeaderOffset, reply.Index);
                continue;
            }
            _rx.AsSpan(reply.DataOffset, reply.DataLength).CopyTo(data);
            return new DatagramResult(true, reply.WorkingCounter, FrameError.None);
        }
        LostFrames++;
        return DatagramResult.Lost;
    }

    /// <summary>Discards replies already waiting (late answers to earlier requests).</summary>
    private void DrainStale()
    {
        while (Link.TryReceive(_rx) > 0) StaleReplies++;
    }

    /// <summary>Allocates the next datagram index (shared with frames built outside this class so indices never repeat back to back).</summary>
    public byte NextIndex() => _nextIndex++;
}
