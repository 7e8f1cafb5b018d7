using Rt.ControlLoop.Scheduling;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Realtime;

/// <summary>
/// The CPU hog injection (real time only): <see cref="Threads"/> busy threads at SCHED_OTHER, pinned to the tick's CPU
/// (config <c>loop.cpu</c>) or free to run anywhere when the loop is not pinned (−1). What it proves depends on what
/// the loop was granted: a SCHED_FIFO tick thread preempts SCHED_OTHER hogs, so the expected verdict is no trip
/// (wake-up latency barely moves); without SCHED_FIFO the tick shares the CPU with the hogs under the fair scheduler,
/// periods are missed, and after <c>loop.overrun_fault_after</c> consecutive overruns the supervisor trips on
/// LoopOverrun — the loop's overrun policy, not a bug. Not real-time safe (starts and joins threads); never call it
/// from the tick.
/// </summary>
public sealed class CpuHog : IDisposable
{
    private readonly Thread[] _threads;
    private readonly long[] _spins; // per thread, padded 8 longs apart so the counters do not share a cache line
    private readonly List<string> _refused = [];
    private volatile bool _stop;
    private int _started;

    /// <param name="threads">Busy threads; ≤ 0: one per core.</param>
    /// <param name="cpu">CPU to pin them to; −1: any CPU.</param>
    public CpuHog(int threads = 0, int cpu = -1)
    {
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        Cpu = cpu;
        _spins = new long[Threads * 8];
        _threads = new Thread[Threads];
        for (int i = 0; i < Threads; i++)
        {
            int slot = i * 8;
            _threads[i] = new Thread(() => Spin(slot)) { IsBackground = true, Name = $"rt-cpu-hog-{i}", Priority = ThreadPriority.Normal };
        }
    }

    public int Threads { get; }
    public int Cpu { get; }

    /// <summary>Whether the threads were started and not yet stopped.</summary>
    public bool Running => Volatile.Read(ref _started) == 1 && !_stop;

    /// <summary>Threads that have started spinning.</summary>
    public int Spinning => Volatile.Read(ref _spinning);
    private int _spinning;

    /// <summary>Busy-loop rounds done by all threads so far (proof they ran).</summary>
    public long Spins
    {
        get
        {
            long s = 0;
            for (int i = 0; i < Threads; i++) s += Volatile.Read(ref _spins[i * 8]);
            return s;
        }
    }

    /// <summary>Affinity requests the kernel refused (one line per thread).</summary>
    public IReadOnlyList<string> Refused
    {
        get { lock (_refused) return [.. _refused]; }
    }

    public void Start()
    {
        if (Interlocked.CompareExchange(ref _started, 1, 0) != 0) throw new InvalidOperationException("the CPU hog was already started");
        foreach (var t in _threads) t.Start();
    }

    /// <summary>Stops and joins the threads (idempotent).</summary>
    public void Stop()
    {
        _stop = true;
        if (Volatile.Read(ref _started) != 1) return;
        foreach (var t in _threads) t.Join();
    }

    private void Spin(int slot)
    {
        if (Cpu >= 0)
        {
            foreach (var r in RealtimeThread.TryElevate(0, Cpu))
                lock (_refused) _refused.Add(r);
        }
        Interlocked.Increment(ref _spinning);
        while (!_stop)
        {
            Thread.SpinWait(200);
            Volatile.Write(ref _spins[slot], _spins[slot] + 1);
        }
    }

    public void Dispose() => Stop();
}
