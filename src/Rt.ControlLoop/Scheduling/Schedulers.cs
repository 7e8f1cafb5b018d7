using System.Runtime;
using Rt.ControlLoop.Timing;

namespace Rt.ControlLoop.Scheduling;

/// <summary>The work of one tick, driven by either clock. <see cref="Tick"/> must be real-time safe.</summary>
public interface ITickBody
{
    /// <summary>
    /// Runs tick number <paramref name="tick"/> scheduled at <paramref name="timeNs"/> (the injected clock's time),
    /// which started <paramref name="wakeLatencyNs"/> late. Real-time safe.
    /// </summary>
    void Tick(long tick, long timeNs, long wakeLatencyNs);
}

/// <summary>Something that advances simulated time between ticks (the bench plant in lockstep).</summary>
public interface ISimulatedWorld
{
    /// <summary>Advances the world by one tick period. Real-time safe (it runs on the tick thread in real-time bench mode).</summary>
    void Advance(long periodNs);
}

/// <summary>What the real-time scheduler asked the OS for, and what it got.</summary>
public sealed record RealtimeReport(
    bool FifoGranted,
    int Priority,
    string? FifoError,
    bool AffinityGranted,
    int Cpu,
    string? AffinityError,
    bool MemoryLocked,
    string? MemoryLockError,
    GCLatencyMode GcMode)
{
    public IEnumerable<string> Warnings()
    {
        // Each names the capability and the unit option that grants it (deploy/rt.service).
        if (Priority > 0 && !FifoGranted) yield return $"SCHED_FIFO priority {Priority} not granted ({FifoError}); running SCHED_OTHER (needs CAP_SYS_NICE: AmbientCapabilities=CAP_SYS_NICE, LimitRTPRIO={Priority} or more)";
        if (Cpu >= 0 && !AffinityGranted) yield return $"CPU affinity {Cpu} not set ({AffinityError})";
        if (!MemoryLocked) yield return $"mlockall refused ({MemoryLockError}); pages may fault in the tick (needs CAP_IPC_LOCK: AmbientCapabilities=CAP_IPC_LOCK, or LimitMEMLOCK=infinity)";
    }

    public override string ToString() =>
        $"SCHED_FIFO: {(FifoGranted ? $"yes, priority {Priority}" : "no")}; affinity: {(AffinityGranted ? $"CPU {Cpu}" : "no")}; " +
        $"mlockall: {(MemoryLocked ? "yes" : "no")}; GC latency mode: {GcMode}";
}

public sealed class RealtimeOptions
{
    public long PeriodNs { get; init; } = 1_000_000;
    public int Priority { get; init; } = 80;
    public int Cpu { get; init; } = -1;
    public long SpinTailNs { get; init; }
    public bool LockMemory { get; init; } = true;

    /// <summary>When set, any privilege not granted is an error instead of a warning.</summary>
    public bool RequireRealtime { get; init; }

    public int OverrunFaultAfter { get; init; } = 3;

    /// <summary>
    /// Ask the GC for a no-GC region of this many bytes for the whole run (0: don't; use a latency mode). The process
    /// runs without a single collection as long as everything it allocates (all threads: telemetry's MQTT client above
    /// all) fits: size it as allocation rate × run length (docs/TELEMETRY.md). Memory cost: reserved and committed at
    /// once, resident only as used — except under mlockall, where the whole region is resident from the start.
    /// </summary>
    public long NoGcRegionBytes { get; init; } = DefaultNoGcRegionBytes;

    /// <summary>The no-GC region without telemetry: 256 MiB.</summary>
    public const long DefaultNoGcRegionBytes = 256L << 20;

    /// <summary>
    /// Not real-time safe. The region for <c>loop.no_gc_region_mb</c>: as configured (≥ 0 MiB), or for -1 the default
    /// plus <paramref name="perHourBytes"/> (what an hour of telemetry allocates), capped at a quarter of the memory
    /// the GC sees (under mlockall the whole region is resident) and at <paramref name="maxMb"/>.
    /// </summary>
    public static long NoGcRegionFor(int configuredMb, long perHourBytes, int maxMb)
    {
        if (configuredMb >= 0) return (long)configuredMb << 20;
        long cap = Math.Min((long)maxMb << 20, Math.Max(DefaultNoGcRegionBytes, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4));
        return Math.Min(cap, DefaultNoGcRegionBytes + Math.Max(0, perHourBytes));
    }

    /// <summary>
    /// The part of <see cref="NoGcRegionBytes"/> set aside for large objects (≥ 85 kB). The one-argument
    /// TryStartNoGCRegion gives the large-object heap a budget as big as the whole region, which mlockall then makes
    /// resident too (measured on .NET 10: 1 GiB asked → 2.3 GB resident); the host allocates no large objects while it runs.
    /// </summary>
    public long NoGcLargeObjectBytes { get; init; } = 32L << 20;

    /// <summary>
    /// Master DC-sync: read once per tick after the tick's work, the ns to add to the next period so the cycle stays
    /// phase-locked to the DC reference clock (the fieldbus's <c>DcPeriodCorrectionNs</c>, from its PI loop on the
    /// reference's system time); null: the plain period grid. Must be real-time safe (no allocation). The scheduler
    /// bounds each correction to <see cref="RealtimeScheduler.MaxCorrectionShare"/> of the period.
    /// </summary>
    public Func<long>? PeriodCorrectionNs { get; init; }
}

/// <summary>
/// Runs a tick body on a dedicated thread on absolute CLOCK_MONOTONIC deadlines (clock_nanosleep TIMER_ABSTIME),
/// with an optional busy-wait tail before each deadline, SCHED_FIFO, CPU affinity and mlockall where permitted.
/// Missed periods are skipped, never made up: the deadline stays on the grid.
/// Not real-time safe itself (it starts a thread); the loop it runs is.
/// </summary>
public sealed class RealtimeScheduler
{
    private readonly RealtimeOptions _options;
    private readonly ITickBody _body;
    private readonly ISimulatedWorld? _world;
    private volatile bool _stop;

    public RealtimeScheduler(RealtimeOptions options, ITickBody body, ISimulatedWorld? world = null)
    {
        _options = options;
        _body = body;
        _world = world;
        Timing = new TickTiming(options.PeriodNs, options.OverrunFaultAfter);
    }

    public TickTiming Timing { get; }

    /// <summary>Set once the thread has applied its privileges.</summary>
    public RealtimeReport? Report { get; private set; }

    public void Stop() => _stop = true;

    /// <summary>
    /// Runs until <paramref name="maxTicks"/> periods have elapsed or <see cref="Stop"/> is called; blocks the caller.
    /// Throws <see cref="RealtimeUnavailableException"/> (before the first tick) if RequireRealtime and a privilege is missing.
    /// </summary>
    public void Run(long maxTicks)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Loop(maxTicks);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, maxStackSize: 1 << 20)
        {
            Name = "rt-tick",
            IsBackground = true,
        };
        thread.Start();
        thread.Join();
        if (failure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
    }

    private void Loop(long maxTicks)
    {
        ApplyPrivileges();
        long period = _options.PeriodNs;
        long spin = _options.SpinTailNs;
        long start = (LinuxRealtime.NowNs() / period + 2) * period; // start on the grid, a little ahead
        long deadline = start;
        long shift = 0; // sum of the DC corrections applied: deadlines lie on start + shift + k·period
        long maxCorrection = (long)(period * MaxCorrectionShare);
        var correction = _options.PeriodCorrectionNs;
        var timing = Timing;
        long allocated0 = GC.GetAllocatedBytesForCurrentThread();
        long allocatedWarm = -1;
        int collections0 = GC.CollectionCount(0);
        long ticksRun = 0;
        long previousEnd = -1; // allocated-bytes counter after the last tick: a change before the next one is the sleep or the timing's
        while (!_stop)
        {
            long tick = (deadline - start - shift) / period;
            if (tick >= maxTicks) break;
            if (spin > 0)
            {
                LinuxRealtime.SleepUntil(deadline - spin);
                while (LinuxRealtime.NowNs() < deadline) Thread.SpinWait(20);
            }
            else
            {
                LinuxRealtime.SleepUntil(deadline);
            }
            long woke = LinuxRealtime.NowNs();
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            if (allocatedWarm >= 0 && FirstAllocatingTick < 0 && previousEnd >= 0 && a0 != previousEnd)
            {
                FirstAllocatingTick = tick;
                FirstAllocationBetweenTicks = a0 - previousEnd;
            }
            // Warm-up counts ticks run, not tick numbers: a slow first tick (JIT, first calls) skips numbers.
            if (++ticksRun > WarmupTicks && allocatedWarm < 0) allocatedWarm = a0;
            _body.Tick(tick, tick * period, woke - deadline);
            long a1 = GC.GetAllocatedBytesForCurrentThread();
            _world?.Advance(period);
            long a2 = GC.GetAllocatedBytesForCurrentThread();
            if (allocatedWarm >= 0 && FirstAllocatingTick < 0 && a2 != a0)
            {
                // Where the first allocation after warm-up happened: the tick number and whether the body or the world did it.
                FirstAllocatingTick = tick;
                FirstAllocationInBody = a1 - a0;
                FirstAllocationInWorld = a2 - a1;
            }
            long end = LinuxRealtime.NowNs();
            deadline = timing.Complete(deadline, woke, end);
            previousEnd = allocatedWarm >= 0 ? GC.GetAllocatedBytesForCurrentThread() : -1;
            if (correction != null)
            {
                long c = Math.Clamp(correction(), -maxCorrection, maxCorrection);
                deadline += c;
                shift += c;
                LastCorrectionNs = c;
            }
        }
        CorrectionTotalNs = shift;
        long allocatedEnd = GC.GetAllocatedBytesForCurrentThread();
        AllocatedBytesOnTickThread = allocatedEnd - allocated0;
        AllocatedBytesAfterWarmup = allocatedWarm < 0 ? 0 : allocatedEnd - allocatedWarm;
        CollectionsDuringLoop = GC.CollectionCount(0) - collections0; // gen-0 count includes every gen-1/gen-2 collection
        NoGcRegionHeld = GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
        if (NoGcRegionHeld) GC.EndNoGCRegion();
    }

    /// <summary>The most one DC correction moves a deadline, as a share of the period.</summary>
    public const double MaxCorrectionShare = 0.1;

    /// <summary>The last DC period correction applied, ns (0 without <see cref="RealtimeOptions.PeriodCorrectionNs"/>).</summary>
    public long LastCorrectionNs { get; private set; }

    /// <summary>Sum of the DC period corrections applied over the run, ns: how far the cycle moved off the host's plain grid.</summary>
    public long CorrectionTotalNs { get; private set; }

    /// <summary>Garbage collections (any generation) between the first and the last tick.</summary>
    public int CollectionsDuringLoop { get; private set; }

    /// <summary>The no-GC region asked for at start, bytes (0: none).</summary>
    public long NoGcRegionBytes => _options.NoGcRegionBytes;

    /// <summary>Whether the no-GC region asked for at start was still in force at the end (no collection happened).</summary>
    public bool NoGcRegionHeld { get; private set; }

    /// <summary>Ticks run (not tick numbers) after which <see cref="AllocatedBytesAfterWarmup"/> starts counting (first calls into libraries and the JIT may allocate once).</summary>
    public const long WarmupTicks = 100;

    /// <summary>Bytes allocated by the tick thread from tick <see cref="WarmupTicks"/> to the last tick: must be 0.</summary>
    public long AllocatedBytesAfterWarmup { get; private set; }

    /// <summary>Bytes allocated between the previous tick and <see cref="FirstAllocatingTick"/> (the wait, the timing record), when that is where it was.</summary>
    public long FirstAllocationBetweenTicks { get; private set; }

    /// <summary>The first tick after warm-up that allocated on the tick thread (−1: none); with the bytes the body and the world allocated in it.</summary>
    public long FirstAllocatingTick { get; private set; } = -1;

    /// <summary>Bytes the tick body allocated in <see cref="FirstAllocatingTick"/>.</summary>
    public long FirstAllocationInBody { get; private set; }

    /// <summary>Bytes the simulated world's advance allocated in <see cref="FirstAllocatingTick"/>.</summary>
    public long FirstAllocationInWorld { get; private set; }

    /// <summary>Bytes allocated by the tick thread between the first and the last tick, first calls included.</summary>
    public long AllocatedBytesOnTickThread { get; private set; }

    private void ApplyPrivileges()
    {
        string? fifoError = null, affinityError = null, lockError = null;
        bool fifo = false, affinity = false, locked = false;
        if (_options.Priority > 0)
        {
            fifoError = LinuxRealtime.TrySetFifo(_options.Priority);
            fifo = fifoError == null;
        }
        if (_options.Cpu >= 0)
        {
            affinityError = LinuxRealtime.TrySetAffinity(_options.Cpu);
            affinity = affinityError == null;
        }
        if (_options.LockMemory)
        {
            lockError = LinuxRealtime.TryLockMemory();
            locked = lockError == null;
        }
        // The tick allocates nothing, but other threads (UI, telemetry) do, and any collection suspends the tick too.
        // First choice: a no-GC region big enough for the whole run. Otherwise no blocking gen-2 collections:
        // SustainedLowLatency needs the concurrent GC; with it off (Directory.Build.props) LowLatency is the mode that holds.
        bool noGc = false;
        if (_options.NoGcRegionBytes > 0)
        {
            try
            {
                long total = _options.NoGcRegionBytes, large = _options.NoGcLargeObjectBytes;
                noGc = large > 0 && large < total ? GC.TryStartNoGCRegion(total, large) : GC.TryStartNoGCRegion(total);
            }
            catch (ArgumentOutOfRangeException)
            {
                // Larger than this GC can promise; fall back to a latency mode.
            }
        }
        // Another scheduler in this process may hold a no-GC region (tests, a bench beside the host): the latency mode
        // cannot be changed under it, and the region already keeps collections away.
        if (!noGc && GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
        {
            GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
            if (GCSettings.LatencyMode != GCLatencyMode.SustainedLowLatency) GCSettings.LatencyMode = GCLatencyMode.LowLatency;
        }
        // Bind and run the clock calls once before the first deadline, so their first-call work is not in the loop.
        LinuxRealtime.SleepUntil(LinuxRealtime.NowNs());
        Report = new RealtimeReport(fifo, _options.Priority, fifoError, affinity, _options.Cpu, affinityError, locked, lockError, GCSettings.LatencyMode);
        if (_options.RequireRealtime)
        {
            var missing = Report.Warnings().ToList();
            if (missing.Count > 0) throw new RealtimeUnavailableException(string.Join("; ", missing));
        }
    }
}

/// <summary>Raised before the first tick when --require-rt is given and a real-time privilege was refused.</summary>
public sealed class RealtimeUnavailableException(string message) : Exception(message);

/// <summary>
/// Drives the same tick body on simulated time: tick k runs at exactly k·period, then the world advances one period.
/// No clock is read, so runs are bit-for-bit repeatable and as fast as the machine allows.
/// </summary>
public sealed class LockstepScheduler
{
    private readonly ITickBody _body;
    private readonly ISimulatedWorld? _world;
    private volatile bool _stop;

    public LockstepScheduler(long periodNs, ITickBody body, ISimulatedWorld? world, int overrunFaultAfter = 3)
    {
        PeriodNs = periodNs;
        _body = body;
        _world = world;
        Timing = new TickTiming(periodNs, overrunFaultAfter);
    }

    public long PeriodNs { get; }

    /// <summary>In lockstep every tick is on time by construction; compute time is what the host measures separately.</summary>
    public TickTiming Timing { get; }

    public long TicksRun { get; private set; }

    /// <summary>
    /// Measure each tick's compute time (the body only, not the world) into <see cref="Timing"/>.Compute. This reads the
    /// machine's clock around the tick, outside the pipeline, and does not affect simulated time or the trace.
    /// </summary>
    public bool MeasureCompute { get; init; }

    /// <summary>
    /// Benchmarks only: times the whole tick and the world's advance (its <see cref="TickStage.Plant"/> lap); the
    /// pipeline's stages are timed when the same probe is set as the pipeline's.
    /// </summary>
    public StageProbe? Probe { get; set; }

    public void Stop() => _stop = true;

    /// <summary>Runs ticks <paramref name="firstTick"/>.. for <paramref name="count"/> ticks on the calling thread.</summary>
    public void Run(long count, long firstTick = 0)
    {
        var compute = Timing.Compute;
        if (Probe is { } probe)
        {
            RunProbed(probe, count, firstTick);
            return;
        }
        for (long k = firstTick; k < firstTick + count && !_stop; k++)
        {
            if (MeasureCompute)
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                _body.Tick(k, k * PeriodNs, 0);
                long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                compute.Record((long)((t1 - t0) * (1e9 / System.Diagnostics.Stopwatch.Frequency)));
            }
            else
            {
                _body.Tick(k, k * PeriodNs, 0);
            }
            _world?.Advance(PeriodNs);
            TicksRun++;
        }
    }

    private void RunProbed(StageProbe probe, long count, long firstTick)
    {
        for (long k = firstTick; k < firstTick + count && !_stop; k++)
        {
            probe.BeginTick();
            _body.Tick(k, k * PeriodNs, 0);
            _world?.Advance(PeriodNs);
            probe.Lap(TickStage.Plant);
            probe.EndTick();
            TicksRun++;
        }
    }
}
