using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Rt.Hil.Host.Commands;

/// <summary>
/// Which types the process allocates, sampled by the runtime's own GC AllocationTick event (one per ~100 kB allocated,
/// naming the type that crossed the mark): a bench aid to find what uses up the no-GC region
/// (<c>RT_ALLOC_SAMPLE=1 rt bench loop --robot-shaped …</c>). Not real-time safe (its events allocate).
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        int typeAt = e.PayloadNames!.IndexOf("TypeName"), amountAt = e.PayloadNames.IndexOf("AllocationAmount64");
        string type = typeAt >= 0 ? e.Payload[typeAt] as string ?? "?" : "?";
        long amount = amountAt >= 0 ? Convert.ToInt64(e.Payload[amountAt], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }

    /// <summary>The top types by sampled bytes, as <c># alloc.type: kB</c> comment lines.</summary>
    public void Print(double seconds, int top = 25)
    {
        foreach (var (type, bytes) in _bytes.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value)))
            Console.WriteLine($"# alloc {bytes / seconds / 1000:F1} kB/s {type}");
    }
}
