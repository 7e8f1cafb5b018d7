namespace Rt.Hil.Esc.Esc;

/// <summary>
/// What the ESC asks of the firmware behind its PDI when the master requests a state change.
/// Implementations must be real-time safe: the ESC calls them while processing a frame.
/// </summary>
public interface IEscApplication
{
    /// <summary>Bytes of the current RxPDO mapping (what SM2 must be sized to); 0 if the device has no outputs.</summary>
    int OutputBytes { get; }

    /// <summary>Bytes of the current TxPDO mapping (what SM3 must be sized to).</summary>
    int InputBytes { get; }

    /// <summary>Whether the configured sync mode (0x1C32/0x1C33 sync type 2) needs DC SYNC0 activated.</summary>
    bool RequiresSync0 { get; }

    /// <summary>Called after an AL state change took effect (both up and down, including forced ones).</summary>
    void OnAlStateChanged(AlState from, AlState to);
}

/// <summary>Where one SyncManager must sit, as the SII advertises it. Not real-time safe to construct (plain record).</summary>
public readonly record struct SyncManagerLayout(ushort Start, ushort Length, byte Control);
