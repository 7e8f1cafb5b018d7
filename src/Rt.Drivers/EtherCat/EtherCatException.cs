namespace Rt.Drivers.EtherCat;

/// <summary>
/// A bus-level failure during bring-up or a non-real-time request (a slave refused a state, a mailbox transfer was
/// aborted, a datagram timed out, an identity did not match). Never thrown inside the tick.
/// </summary>
public class EtherCatException : Exception
{
    public EtherCatException(string message) : base(message) { }
    public EtherCatException(string message, Exception inner) : base(message, inner) { }
    public EtherCatException() { }
}
