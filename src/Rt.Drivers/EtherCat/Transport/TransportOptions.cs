using Rt.Core.Time;

namespace Rt.Drivers.EtherCat.Transport;

/// <summary>How long the non-real-time transport waits for a reply: a duration on an injected clock, never a poll count.</summary>
public sealed class TransportOptions
{
    /// <summary>Time a datagram's reply may take before the attempt counts as lost (SOEM: 2 ms; a veth with the emulator in another process on a busy machine needs more).</summary>
    public long ReplyTimeoutNs { get; set; } = 50_000_000;

    /// <summary>The clock the timeout runs on; null = the link's own (<see cref="Link.IEthernetLink.Clock"/>: CLOCK_MONOTONIC, or a loopback's virtual time).</summary>
    public IMonotonicClock? Clock { get; set; }

    /// <summary>
    /// Called between empty polls with the time left (ns), e.g. a short wait on a real interface. Default: when the link
    /// is a <see cref="Link.RawSocketLink"/>, poll(2) for up to 1 ms; otherwise nothing (a loopback answers at once).
    /// </summary>
    public Action<long>? BetweenPolls { get; set; }

    /// <summary>Attempts per datagram before giving up (a lost frame is resent with a new index).</summary>
    public int Retries { get; set; } = 3;
}
