using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Fuzz.Targets;

/// <summary>
/// The durable safety-log reader (src/Rt.Safety/SafetyLogReader.cs). It documents no exception at all: damaged ranges
/// are reported as values and skipped. Input: a log file. Oracle: damage and records lie inside the file, in order.
/// </summary>
internal static class SafetyLogTarget
{
    public static FuzzTarget Create() => new("safetylog", "safety logs (SafetyLogReader.Parse)", Run, [], Seeds);

    private static void Run(ReadOnlySpan<byte> input)
    {
        var c = SafetyLogReader.Parse(input);
        if (c.Length != input.Length) throw new FuzzInvariantException($"contents length {c.Length}, file {input.Length}");
        long last = -1;
        foreach (var r in c.Records)
        {
            if (r.Offset <= last || r.Offset + SafetyLogFormat.RecordLength > input.Length)
                throw new FuzzInvariantException($"record at offset {r.Offset} out of order or past the end");
            last = r.Offset;
        }
        foreach (var d in c.Damage)
            if (d.Offset < 0 || d.Length <= 0 || d.Offset + d.Length > input.Length)
                throw new FuzzInvariantException($"damage {d.Offset}+{d.Length} outside the {input.Length}-byte file");
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        var buffer = new byte[SafetyLogFormat.RecordLength];
        var log = new List<byte>();
        for (int i = 1; i <= 3; i++)
        {
            var e = new SafetyEvent(i, i * 10, i * 1000, SafetyState.Operational, SafetyState.Faulted, FaultCode.BusLinkDown, (short)i, StopCategory.Cat0, i * 1.5, 2);
            int n = SafetyLogFormat.Encode(e, 1234, buffer);
            log.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        yield return ("three-events", [.. log]);
        yield return ("torn-tail", [.. log.Take(log.Count - 7)]);
    }
}
