using System.Diagnostics;
using System.Globalization;
using Rt.Core.Concurrency;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Perf;

/// <summary>
/// Micro-benchmark of <see cref="SafetySupervisor.Evaluate"/> for <c>rt bench safety</c>: a 12-joint, 2-IMU robot in
/// Operational with every trigger evaluated, timed in batches; prints <c>safety.step.median: X ns</c> (and p99, max,
/// allocated bytes). Not real-time safe (it is the harness).
/// </summary>
public static class SafetyPerf
{
    public sealed record Result(double MedianNs, double P99Ns, double MaxNs, long AllocatedBytes, int Joints, int Batches, int BatchSize);

    public static Result Run(TextWriter? output = null, int joints = 12, int batches = 400, int batchSize = 1000)
    {
        output ??= Console.Out;
        var (sup, state, events) = Build(joints);
        for (int i = 0; i < 200_000; i++) Step(sup, state, events); // warm up (tiered JIT)

        var perCall = new double[batches];
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        for (int b = 0; b < batches; b++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < batchSize; i++) Step(sup, state, events);
            long t1 = Stopwatch.GetTimestamp();
            perCall[b] = (t1 - t0) * 1e9 / Stopwatch.Frequency / batchSize;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        Array.Sort(perCall);
        var r = new Result(perCall[batches / 2], perCall[(int)(batches * 0.99)], perCall[^1], allocated, joints, batches, batchSize);
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine($"safety.step.median: {r.MedianNs.ToString("0.0", inv)} ns");
        output.WriteLine($"safety.step.p99_batch: {r.P99Ns.ToString("0.0", inv)} ns");
        output.WriteLine($"safety.step.max_batch: {r.MaxNs.ToString("0.0", inv)} ns");
        output.WriteLine($"safety.step.allocated: {r.AllocatedBytes.ToString(inv)} bytes");
        output.WriteLine($"safety.step.joints: {joints.ToString(inv)}");
        return r;
    }

    /// <summary>Builds an operational supervisor and its tick state (also used by the BenchmarkDotNet class).</summary>
    public static (SafetySupervisor Supervisor, TickState State, SpscRing<SafetyEvent> Events) Build(int joints)
    {
        var config = new RtConfig { SourcePath = "bench" };
        var names = new List<string>();
        for (int j = 0; j < joints; j++)
        {
            names.Add($"j{j}");
            config.Joints.Add(new JointDriveConfig
            {
                Name = $"j{j}",
                Limits = new JointLimitConfig { PositionMinRad = -3, PositionMaxRad = 3, VelocityRadS = 8, TorqueNm = 100, FollowingErrorRad = 0.1 },
            });
        }
        config.Imus.Add(new ImuConfig { Name = "pelvis" });
        config.Imus.Add(new ImuConfig { Name = "torso" });
        var layout = new ChannelLayout(names, ["pelvis", "torso"]);
        var events = new SpscRing<SafetyEvent>(64);
        var sup = new SafetySupervisor(config, joints, layout, 1_000_000, events);
        var state = new TickState(joints, 2, layout) { PeriodNs = 1_000_000, MotionRequested = true };
        state.Divergence.Valid = true;
        Array.Fill(state.Divergence.Threshold, 10.0);
        for (int i = 0; i < 3; i++)
        {
            state.AllDrivesOperational = i > 0;
            Array.Fill(state.DriveOperational, i > 0);
            Step(sup, state, events);
        }
        if (sup.State != SafetyState.Operational) throw new InvalidOperationException($"bench supervisor not operational: {sup.State}");
        return (sup, state, events);
    }

    /// <summary>One tick as the pipeline would present it (new IMU sample, small motion), then Evaluate.</summary>
    public static void Step(SafetySupervisor sup, TickState s, SpscRing<SafetyEvent> events)
    {
        s.Tick++;
        s.TimeNs += 1_000_000;
        s.Faults.Clear();
        var imus = s.Image.Imus;
        for (int i = 0; i < imus.Length; i++) imus[i].SampleCounter++;
        double phase = (s.Tick & 1023) * (1.0 / 1024);
        for (int j = 0; j < s.JointCount; j++)
        {
            s.Position[j] = 0.1 * phase;
            s.TargetPosition[j] = 0.1 * phase + 1e-4;
            s.Velocity[j] = 0.1;
        }
        sup.Evaluate(s);
        while (events.TryPop(out _)) { }
    }
}
