using Rt.Drivers.EtherCat.Frame;

namespace Rt.Drivers.EtherCat.Transport;

/// <summary>One datagram of a batch: command, address, and where its data lies in the batch's data buffer.</summary>
public readonly record struct DatagramRequest(EtherCatCommand Command, uint Address, int DataOffset, int DataLength);

// Several datagrams in one frame (M bit chained), each with its own index, matched one by one in the reply.
public sealed partial class EtherCatTransport
{
    private readonly Datagram[] _sent = new Datagram[32];

    /// <summary>
    /// Sends <paramref name="requests"/> as the datagrams of one frame. Each datagram's data is taken from and written back
    /// to <paramref name="data"/> at its <see cref="DatagramRequest.DataOffset"/>; working counters go to
    /// <paramref name="workingCounters"/>. Returns false if the frame was lost (no reply within the poll budget, after
    /// retries) or the link is down. A reply whose datagrams do not all match (index, command, length) is dropped as stale.
    /// Not real-time safe.
    /// </summary>
    public bool ExecuteMany(ReadOnlySpan<DatagramRequest> requests, Span<byte> data, Span<ushort> workingCounters)
    {
        if (requests.Length == 0 || requests.Length > _sent.Length)
            throw new ArgumentException($"a batch holds 1..{_sent.Length} datagrams, not {requests.Length}", nameof(requests));
        for (int attempt = 0; attempt < Math.Max(1, Options.Retries); attempt++)
        {
            if (ExecuteManyOnce(requests, data, workingCounters)) return true;
            if (!Link.IsUp) return false;
        }
        return false;
    }

    private bool ExecuteManyOnce(ReadOnlySpan<DatagramRequest> requests, Span<byte> data, Span<ushort> workingCounters)
    {
        var writer = new FrameWriter(_tx, Link.MacAddress);
        var indices = new byte[requests.Length];
        for (int i = 0; i < requests.Length; i++)
        {
            var r = requests[i];
            indices[i] = _nextIndex++;
            if (!writer.TryAppend(r.Command, indices[i], r.Address, data.Slice(r.DataOffset, r.DataLength), out _))
                throw new ArgumentException($"datagram {i} of the batch does not fit one frame", nameof(requests));
        }
        int length = writer.Finish();
        DrainStale();
        if (!Link.TrySend(_tx.AsSpan(0, length))) return false;

        for (int poll = 0; poll < Options.MaxPolls; poll++)
        {
            int got = Link.TryReceive(_rx);
            if (got == 0)
            {
                Options.BetweenPolls?.Invoke(poll);
                continue;
            }
            var error = FrameReader.TryDecode(_rx.AsSpan(0, got), _sent, out int count);
            bool match = !error.IsError && count == requests.Length;
            for (int i = 0; match && i < count; i++)
                match = _sent[i].Index == indices[i] && _sent[i].Command == requests[i].Command && _sent[i].DataLength == requests[i].DataLength;
            if (!match)
            {
                StaleReplies++;
                LastDropReason = error;
                continue;
            }
            for (int i = 0; i < count; i++)
            {
                _rx.AsSpan(_sent[i].DataOffset, _sent[i].DataLength).CopyTo(data.Slice(requests[i].DataOffset, requests[i].DataLength));
                workingCounters[i] = _sent[i].WorkingCounter;
            }
            return true;
        }
        LostFrames++;
        return false;
    }
}
