using System.Diagnostics;

namespace Rt.ControlLoop.Timing;

/// <summary>The parts of one lockstep tick a <see cref="StageProbe"/> times, in the order they run.</summary>
public enum TickStage
{
    /// <summary>The bus exchange, with everything behind it on the bench (link, emulated slaves, emulated drives).</summary>
    Bus,
    /// <summary>Counts → SI (the drives' inputs into joint-space values).</summary>
    Convert,
    Twin,
    Controller,
    Safety,
    /// <summary>CiA 402 controlwords and targets into the process image.</summary>
    Write,
    Sinks,
    /// <summary>The simulated world's advance by one period (drive loops and MuJoCo substeps); lockstep only.</summary>
    Plant,
}

/// <summary>
/// Where a tick's time goes: per <see cref="TickStage"/> a histogram of its duration, and one of the whole tick
/// (pipeline and plant). Benchmarks only: it reads the machine's clock between stages, which changes nothing in the
/// trace but costs ~9 clock reads per tick, so a speed figure is measured without it. Real-time safe (preallocated).
/// </summary>
public sealed class StageProbe
{
    private static readonly double NsPerTimestamp = 1e9 / Stopwatch.Frequency;
    private readonly LatencyHistogram[] _stages;
    private long _tickStart;
    private long _lapStart;

    public StageProbe()
    {
        _stages = new LatencyHistogram[StageCount];
        for (int i = 0; i < _stages.Length; i++) _stages[i] = new LatencyHistogram();
    }

    public const int StageCount = (int)TickStage.Plant + 1;

    /// <summary>Duration of one stage, ns per tick.</summary>
    public LatencyHistogram this[TickStage stage] => _stages[(int)stage];

    /// <summary>The whole tick, ns: from <see cref="BeginTick"/> to <see cref="EndTick"/>.</summary>
    public LatencyHistogram Total { get; } = new();

    /// <summary>Real-time safe.</summary>
    public void BeginTick()
    {
        long now = Stopwatch.GetTimestamp();
        _tickStart = now;
        _lapStart = now;
    }

    /// <summary>Real-time safe. <paramref name="stage"/> ran from the previous lap (or the tick's start) until now.</summary>
    public void Lap(TickStage stage)
    {
        long now = Stopwatch.GetTimestamp();
        _stages[(int)stage].Record((long)((now - _lapStart) * NsPerTimestamp));
        _lapStart = now;
        if (_allocations != null) NoteAllocation(stage);
    }

    // Which stage allocated on the tick thread, and on which lap: a diagnosis of "n bytes after warm-up", off by default.
    private (long Lap, TickStage Stage, long Bytes)[]? _allocations;
    private int _allocationCount;
    private long _allocatedAtLap = -1;
    private long _laps;

    /// <summary>
    /// Not real-time safe (allocates the record, once, before start). From now on every lap also reads the tick thread's
    /// allocation counter and keeps the first <paramref name="capacity"/> laps whose stage allocated.
    /// </summary>
    public void TrackAllocations(int capacity = 16) => _allocations = new (long, TickStage, long)[capacity];

    /// <summary>The laps that allocated (lap number counts every <see cref="Lap"/> call, ~7 per tick), in order.</summary>
    public ReadOnlySpan<(long Lap, TickStage Stage, long Bytes)> Allocations => _allocations.AsSpan(0, _allocationCount);

    private void NoteAllocation(TickStage stage)
    {
        long a = GC.GetAllocatedBytesForCurrentThread();
        if (_allocatedAtLap >= 0 && a != _allocatedAtLap && _allocationCount < _allocations!.Length)
            _allocations[_allocationCount++] = (_laps, stage, a - _allocatedAtLap);
        _allocatedAtLap = a;
        _laps++;
    }

    /// <summary>Real-time safe.</summary>
    public void EndTick() => Total.Record((long)((Stopwatch.GetTimestamp() - _tickStart) * NsPerTimestamp));

    public void Clear()
    {
        foreach (var h in _stages) h.Clear();
        Total.Clear();
    }
}
