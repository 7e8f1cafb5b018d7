namespace Rt.Core.Tick;

/// <summary>
/// One safety event read back from the durable safety journal. <paramref name="Position"/> is the record's byte offset
/// in the append-only log (it only grows, across host runs too); <paramref name="Next"/> is the offset just after it.
/// </summary>
public readonly record struct SafetyJournalEntry(SafetyEvent Event, long WallUnixNs, long Position, long Next);

/// <summary>
/// The durable, append-only safety log as a reader sees it. Consumers that must not lose an event (telemetry) keep
/// only a cursor into it and catch up from there, so there is one durable record and no second copy that can
/// diverge. Defined here so Rt.Telemetry need not depend on Rt.Safety, which implements it (SafetyLogJournal).
/// Implementations are thread-safe and stateless between calls. Not real-time safe (file I/O).
/// </summary>
public interface ISafetyJournal
{
    /// <summary>Where the journal lives (for messages).</summary>
    string Name { get; }

    /// <summary>Current length in bytes; 0 if the journal does not exist yet.</summary>
    long Length { get; }

    /// <summary>
    /// Appends to <paramref name="into"/>, in log order, at most <paramref name="max"/> intact entries that start at or
    /// after <paramref name="from"/>. Damaged ranges are skipped; a torn tail is not returned (it may still be being
    /// written). Returns the number of entries added.
    /// </summary>
    int ReadFrom(long from, int max, List<SafetyJournalEntry> into);
}
