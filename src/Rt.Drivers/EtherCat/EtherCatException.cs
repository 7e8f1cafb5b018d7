namespace Rt.Drivers.EtherCat;

/// <summary>What kind of bus failure an <see cref="EtherCatException"/> is: decides who must act (fix the config, or the hardware).</summary>
public enum BusErrorKind
{
    /// <summary>The bus answered in a way the protocol does not allow (mailbox error, SDO abort, bad SII data).</summary>
    Protocol,
    /// <summary>No slave answered at all (no reply to the BRD, or working counter 0).</summary>
    NoSlaves,
    /// <summary>The link is down (no carrier, interface gone).</summary>
    LinkDown,
    /// <summary>A slave stopped answering, or did not finish something within its timeout.</summary>
    Timeout,
    /// <summary>A slave refused a request (an AL state change, with its AL status code).</summary>
    DeviceRefused,
    /// <summary>The bus is not what the configuration says (identity, count, mapping): fix the config or the wiring.</summary>
    ConfigMismatch,
}

/// <summary>
/// A bus-level failure during bring-up or a non-real-time request (a slave refused a state, a mailbox transfer was
/// aborted, a datagram timed out, an identity did not match). Structured: <see cref="Kind"/> and the slave
/// <see cref="Position"/> (−1 when no single slave is concerned); the message is one line a user can act on. The CLI turns
/// <see cref="BusErrorKind.ConfigMismatch"/> into exit 2 and every other kind into exit 3. Never thrown inside the tick.
/// </summary>
public class EtherCatException : Exception
{
    public EtherCatException(string message) : this(BusErrorKind.Protocol, message) { }
    public EtherCatException(string message, Exception inner) : base(message, inner) { }
    public EtherCatException() { }

    public EtherCatException(BusErrorKind kind, string message, int position = -1, Exception? inner = null) : base(message, inner)
    {
        Kind = kind;
        Position = position;
    }

    public BusErrorKind Kind { get; }

    /// <summary>Bus position of the slave concerned, −1 if none.</summary>
    public int Position { get; } = -1;

    /// <summary>Whether the bus contradicts the configuration (bad input) rather than failing as a device.</summary>
    public bool IsConfigMismatch => Kind == BusErrorKind.ConfigMismatch;
}
