using BenchmarkDotNet.Attributes;
using Rt.Core.Concurrency;
using Rt.Core.Tick;
using Rt.Perf;
using Rt.Safety;

namespace Rt.Benchmarks;

/// <summary>SafetySupervisor.Evaluate for a 12-joint, 2-IMU robot in Operational (all triggers evaluated).</summary>
[MemoryDiagnoser]
public class SafetyBenchmarks
{
    private SafetySupervisor _sup = null!;
    private TickState _state = null!;
    private SpscRing<SafetyEvent> _events = null!;

    [Params(12)]
    public int Joints { get; set; }

    [GlobalSetup]
    public void Setup() => (_sup, _state, _events) = SafetyPerf.Build(Joints);

    [Benchmark]
    public void Evaluate() => SafetyPerf.Step(_sup, _state, _events);
}
