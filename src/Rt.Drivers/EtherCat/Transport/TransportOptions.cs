namespace Rt.Drivers.EtherCat.Transport;

/// <summary>How long the non-real-time transport waits for a reply, counted in receive polls (no clock is read).</summary>
public sealed class TransportOptions
{
    /// <summary>Receive polls before a datagram is declared lost.</summary>
    public int MaxPolls { get; set; } = 20_000;

    /// <summary>
    /// Called between empty polls with the poll number (e.g. a short wait on a real interface). Default: when the link is a
    /// <see cref="Link.RawSocketLink"/>, poll(2) for up to 1 ms; otherwise nothing (a loopback answers at once).
    /// </summary>
    public Action<int>? BetweenPolls { get; set; }

    /// <summary>Attempts per datagram before giving up (a lost frame is resent with a new index).</summary>
    public int Retries { get; set; } = 3;
}
