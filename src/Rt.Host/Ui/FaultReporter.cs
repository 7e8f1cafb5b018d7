using Rt.Core.Concurrency;
using Rt.Core.Faults;

namespace Rt.Host.Ui;

/// <summary>
/// Drains the tick's fault ring off the real-time thread and reports each kind of fault once (first occurrence,
/// then a count in the final report), so a persistent fault is one clear line, not a flood. Not real-time safe.
/// </summary>
/// <param name="slaveName">Names a bus position by the robot's names (e.g. EtherCatFieldbus.SlaveName); null: by position only.</param>
public sealed class FaultReporter(SpscRing<Fault> ring, TextWriter output, Func<int, string>? slaveName = null)
{
    private readonly Dictionary<(FaultCode, short), (Fault First, long Count)> _seen = [];

    public IReadOnlyDictionary<(FaultCode Code, short Source), (Fault First, long Count)> Seen => _seen;

    public long Total { get; private set; }

    /// <summary>How this reporter names a bus position (null: by position only); the final report names it the same way.</summary>
    public Func<int, string>? SlaveName => slaveName;

    public void Drain()
    {
        while (ring.TryPop(out var f))
        {
            Total++;
            var key = (f.Code, f.Source);
            if (_seen.TryGetValue(key, out var entry))
            {
                _seen[key] = (entry.First, entry.Count + 1);
            }
            else
            {
                _seen[key] = (f, 1);
                output.WriteLine($"fault: {Describe(f, slaveName)}");
            }
        }
    }

    public static string Describe(in Fault f, Func<int, string>? slaveName = null) => f.Code switch
    {
        FaultCode.LoopOverrun => $"loop overrun: {f.Received} consecutive ticks ended after their next deadline (limit {f.Expected}) at tick {f.Tick}",
        FaultCode.BusWorkingCounter => $"bus working counter mismatch at tick {f.Tick}: expected {f.Expected}, received {f.Received}",
        FaultCode.BusFrameLost => $"bus frame lost at tick {f.Tick}",
        FaultCode.BusSlaveLeftOp => slaveName is null
            ? $"slave at position {f.Source} left OP at tick {f.Tick} (AL status 0x{f.Received:X2})"
            : $"{slaveName(f.Source)} left OP at tick {f.Tick} (AL status 0x{f.Received:X2})",
        FaultCode.BusLinkDown => $"bus link down at tick {f.Tick}",
        FaultCode.DriveFault => $"drive {f.Source} reports fault, error code 0x{f.Received:X4}, at tick {f.Tick}",
        _ => f.ToString(),
    };
}
