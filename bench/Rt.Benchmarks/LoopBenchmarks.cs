using BenchmarkDotNet.Attributes;
using Rt.ControlLoop.Timing;
using Rt.Core.Concurrency;
using Rt.Core.Faults;

namespace Rt.Benchmarks;

/// <summary>The loop's per-tick bookkeeping: timing histogram, overrun policy, fault ring.</summary>
[MemoryDiagnoser]
public class LoopBenchmarks
{
    private readonly TickTiming _timing = new(1_000_000, 3);
    private readonly SpscRing<Fault> _ring = new(1024);
    private long _deadline;

    [Benchmark]
    public long TimingComplete()
    {
        _deadline = _timing.Complete(_deadline, _deadline + 12_345, _deadline + 50_000);
        return _deadline;
    }

    [Benchmark]
    public bool FaultRingPushPop()
    {
        _ring.TryPush(Fault.Of(FaultCode.BusFrameLost, 3, 42));
        return _ring.TryPop(out _);
    }
}
