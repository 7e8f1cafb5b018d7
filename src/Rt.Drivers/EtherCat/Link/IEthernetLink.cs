using Rt.Core.Time;

namespace Rt.Drivers.EtherCat.Link;

/// <summary>
/// The hardware seam of the EtherCAT master: whole Ethernet frames in and out, spans only.
/// Implementations: a raw AF_PACKET socket bound to an interface, and an in-memory loopback to an emulated segment.
/// Real-time safe: <see cref="TrySend"/> and <see cref="TryReceive"/> never block and never allocate.
/// </summary>
public interface IEthernetLink : IDisposable
{
    /// <summary>Queues one Ethernet frame (destination MAC through payload, no FCS). False if the link refused it (down, queue full).</summary>
    bool TrySend(ReadOnlySpan<byte> frame);

    /// <summary>Copies the next received EtherCAT frame into <paramref name="buffer"/>; returns its length, or 0 if none is waiting.</summary>
    int TryReceive(Span<byte> buffer);

    /// <summary>Whether the link reports carrier (a raw socket: interface up and running).</summary>
    bool IsUp { get; }

    /// <summary>The interface's own MAC address (for reports; the master sends from <see cref="Frame.EthernetHeader.MasterMac"/>).</summary>
    ReadOnlySpan<byte> MacAddress { get; }

    /// <summary>
    /// The time line reply timeouts on this link run on: CLOCK_MONOTONIC for a real interface; an in-memory link
    /// supplies its own virtual clock so lockstep runs are repeatable. Real-time safe.
    /// </summary>
    IMonotonicClock Clock => MonotonicClock.Instance;
}

/// <summary>
/// A chain of EtherCAT slaves as a frame sees it: the frame enters port 0 of the first slave, every slave processes
/// each datagram on the fly, and the frame comes back. Implemented by the slave emulator (hil/Rt.Hil.Esc).
/// </summary>
public interface IEtherCatSegment
{
    /// <summary>
    /// Processes one Ethernet frame in place as the chain would and returns the length of the frame that comes back
    /// (0 if the frame is dropped, e.g. the link is down or the frame is not EtherCAT). Real-time safe.
    /// </summary>
    int Process(Span<byte> frame, int length);
}
