using BenchmarkDotNet.Attributes;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Telemetry;

namespace Rt.Benchmarks;

/// <summary>
/// The tick's telemetry cost: one <see cref="TelemetrySink.Enqueue"/> of a 12-joint + 1-IMU divergence record
/// (50 channels). Target: median ≤ 0.2 µs, 0 bytes allocated. The sustained-stream figures come from
/// <c>rt bench telemetry</c> (<see cref="Rt.Perf.TelemetryPerf.Run"/>).
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private TelemetrySink _sink = null!;
    private TickState _state = null!;
    private double[] _scratch = null!;

    [GlobalSetup]
    public void Setup()
    {
        string[] joints =
        [
            "l_hip_yaw", "l_hip_roll", "l_hip_pitch", "l_knee", "l_ankle_pitch", "l_ankle_roll",
            "r_hip_yaw", "r_hip_roll", "r_hip_pitch", "r_knee", "r_ankle_pitch", "r_ankle_roll",
        ];
        var layout = new ChannelLayout(joints, ["pelvis_imu"]);
        _sink = new TelemetrySink(layout, new TelemetryOptions().RingCapacity); // the service's default
        _state = new TickState(joints.Length, 1, layout);
        _scratch = new double[_sink.Slot.Width];
    }

    /// <summary>
    /// Per record: one push plus its share of the consumer's pop (the ring must be emptied to stay off the drop
    /// path), so this is an upper bound on the tick's cost; the push alone is <c>telemetry.push.median</c>.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 256)]
    public void EnqueueThenDrain()
    {
        for (int i = 0; i < 256; i++) _sink.Enqueue(_state);
        while (_sink.Ring.TryRead(out _, _scratch)) { }
    }
}
