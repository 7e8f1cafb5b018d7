using Rt.Drivers.EtherCat.Link;

namespace Rt.Hil.Esc.Server;

/// <summary>Called around each frame the server processes, on the server's thread; <paramref name="frameNumber"/> counts from 1.
/// Runs inside the serving loop: keep it allocation-free and short (it delays the frame's return).</summary>
public delegate void EscFrameHook(ReadOnlySpan<byte> frame, long frameNumber);

/// <summary>
/// Serves an emulated segment on a real network interface: receive an EtherCAT frame (AF_PACKET, EtherType 0x88A4),
/// let the segment process it, send it back. Hooks run per frame so the bench can step its plant in lockstep with
/// the master (per LRW) or set the segment's time from its own clock. Wired to <c>rt hil serve --iface NAME</c>.
/// Construction opens the socket (not real-time safe); the loop itself does not allocate.
/// </summary>
public sealed class EscRawServer : IDisposable
{
    private readonly RawPacketSocket _socket;
    private readonly IEtherCatSegment _segment;
    private readonly byte[] _buffer = GC.AllocateArray<byte>(2048, pinned: true);

    public EscRawServer(string interfaceName, IEtherCatSegment segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        _segment = segment;
        _socket = new RawPacketSocket(interfaceName, 0x88A4);
        InterfaceName = interfaceName;
    }

    public string InterfaceName { get; }

    /// <summary>Runs before the segment processes a received frame (e.g. set the segment's time).</summary>
    public EscFrameHook? BeforeFrame { get; set; }

    /// <summary>Runs after the processed frame was sent back (e.g. step the plant one cycle).</summary>
    public EscFrameHook? AfterFrame { get; set; }

    public long FramesReceived { get; private set; }
    public long FramesReturned { get; private set; }
    public long FramesDropped { get; private set; }
    public long SendErrors { get; private set; }

    /// <summary>Serves until <paramref name="cancellation"/> is cancelled (checked at least every <paramref name="pollMs"/> ms).</summary>
    public void Run(CancellationToken cancellation, int pollMs = 50)
    {
        while (!cancellation.IsCancellationRequested)
        {
            int n = _socket.TryReceive(_buffer, pollMs);
            if (n < 0) throw new IOException($"receive on '{InterfaceName}' failed");
            if (n == 0) continue;
            FramesReceived++;
            BeforeFrame?.Invoke(_buffer.AsSpan(0, n), FramesReceived);
            int back = _segment.Process(_buffer, n);
            if (back <= 0)
            {
                FramesDropped++;
                continue;
            }

            if (_socket.Send(_buffer.AsSpan(0, back))) FramesReturned++;
            else SendErrors++;
            AfterFrame?.Invoke(_buffer.AsSpan(0, back), FramesReceived);
        }
    }

    public void Dispose() => _socket.Dispose();
}
