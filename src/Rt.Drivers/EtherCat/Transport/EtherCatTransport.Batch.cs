using Rt.Drivers.EtherCat.Frame;

namespace Rt.Drivers.EtherCat.Transport;

/// <summary>One datagram of a batch: command, address, and where its data lies in the batch's data buffer.</summary>
public readonly record struct DatagramRequest(EtherCatCommand Command, uint Address, int DataOffset, int DataLength);

// Several datagrams in one frame (M bit chained), each with its own index, matched one by one in the reply.
public sealed partial class EtherCatTransport
{
    /// <summary>
    /// Sends <paramref name="requests"/> as the datagrams of one frame. Each datagram's data is taken from and written back
    /// to <paramref name="data"/> at its <see cref="DatagramRequest.DataOffset"/>; working counters go to
    /// <paramref name="workingCounters"/>. Returns false if the frame was lost (no reply within the reply timeout, after
    /// retries) or the link is down. A reply whose datagrams do not all match (position, command, address, length, index) is dropped.
    /// Not real-time safe.
    /// </summary>
    public bool ExecuteMany(ReadOnlySpan<DatagramRequest> requests, Span<byte> data, Span<ushort> workingCounters)
    {
        if (requests.Length == 0 || requests.Length > _request.Length)
            throw new ArgumentException($"a batch holds 1..{_request.Length} datagrams, not {requests.Length}", nameof(requests));
        for (int attempt = 0; attempt < Math.Max(1, Options.Retries); attempt++)
        {
            if (ExecuteManyOnce(requests, data, workingCounters)) return true;
            if (!Link.IsUp) return false;
        }
        return false;
    }

    private bool ExecuteManyOnce(ReadOnlySpan<DatagramRequest> requests, Span<byte> data, Span<ushort> workingCounters)
    {
        var writer = new FrameWriter(_tx, EthernetHeader.MasterMac);
        for (int i = 0; i < requests.Length; i++)
        {
            var r = requests[i];
            if (!writer.TryAppend(r.Command, _nextIndex++, r.Address, data.Slice(r.DataOffset, r.DataLength), out _))
                throw new ArgumentException($"datagram {i} of the batch does not fit one frame", nameof(requests));
        }
        int length = writer.Finish();
        if (!SendAndAwait(length, requests.Length)) return false;
        for (int i = 0; i < requests.Length; i++)
        {
            _rx.AsSpan(_decoded[i].DataOffset, _decoded[i].DataLength).CopyTo(data.Slice(requests[i].DataOffset, requests[i].DataLength));
            workingCounters[i] = _decoded[i].WorkingCounter;
        }
        return true;
    }
}
