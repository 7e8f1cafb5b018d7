using System.Diagnostics;
using System.Globalization;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Twin;
using Rt.Twin.Dynamics;

namespace Rt.Perf;

/// <summary>Figures of one <see cref="TwinPerf.Run"/>.</summary>
public sealed record TwinBenchResult(
    double StepMedianUs, double StepP99Us, long StepAllocatedBytes, double RneaMedianNs, double CrbaMedianNs,
    double? MujocoRneMedianNs)
{
    public double? RneaRatioToMujoco => MujocoRneMedianNs is { } m && m > 0 ? RneaMedianNs / m : null;
}

/// <summary>
/// The twin's timing figures for <c>rt bench twin</c>: median (and p99) of a whole twin step on the configured robot
/// (dynamics + servo + IMUs + momentum observer + cross-check scores), bytes allocated per step, RNEA and CRBA medians,
/// and MuJoCo's mj_rne on the same model measured in the same run (passed in as a delegate so src/ does not depend on
/// the bench). Prints <c>name: value unit</c> lines. Not real-time safe (a benchmark: reads the clock, allocates setup).
/// <para>Method: each sample times a batch of calls with <see cref="Stopwatch.GetTimestamp"/> and divides (batches
/// hide the timer's own cost); the median over samples is robust to the scheduler's outliers on a shared machine.</para>
/// </summary>
public static class TwinPerf
{
    /// <param name="config">A loaded config with its robot description.</param>
    /// <param name="output">Where the <c>name: value unit</c> lines go.</param>
    /// <param name="mujocoRne">One MuJoCo inverse-dynamics call (same model, state prepared by the caller), or null.</param>
    /// <param name="samples">Samples per figure.</param>
    public static TwinBenchResult Run(RtConfig config, TextWriter output, Action? mujocoRne = null, int samples = 2000)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(output);
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var state = new TickState(config.Joints.Count, config.Imus.Count, layout);
        var twin = new DigitalTwin(config, layout);
        int n = state.JointCount;
        for (int j = 0; j < n; j++)
        {
            state.DriveOperational[j] = true;
            state.Position[j] = 0.2 * Math.Sin(j);
            state.Velocity[j] = 0.5 * Math.Cos(j);
            state.Torque[j] = 3 * Math.Sin(2 * j);
            state.TargetPosition[j] = state.Position[j] + 0.001;
            state.TargetVelocity[j] = state.Velocity[j];
        }
        for (int i = 0; i < state.ImuCount; i++) state.Image.Imus[i].SpecificForceZ = 9.81f;
        state.AllDrivesOperational = true;

        // Twin step: warm up (JIT tiers), then time single steps in batches of 10.
        for (int k = 0; k < 20_000; k++) Step(twin, state, k);
        const int stepBatch = 10;
        var stepNs = new double[samples];
        long tick = 20_000;
        long allocBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 0; s < samples; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int b = 0; b < stepBatch; b++) Step(twin, state, tick++);
            stepNs[s] = Elapsed(t0) / stepBatch;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocBefore;
        long perStep = allocated / Math.Max(1, samples * stepBatch);

        // RNEA and CRBA alone on the twin's model at a generic state.
        var model = RigidBodyModel.FromDescription(config.Description ?? throw new ArgumentException("config has no robot description", nameof(config)));
        int dof = model.DegreesOfFreedom;
        double[] q = new double[dof], qd = new double[dof], qdd = new double[dof], tau = new double[dof], m = new double[dof * dof];
        for (int j = 0; j < dof; j++)
        {
            q[j] = 0.3 * Math.Sin(j + 1);
            qd[j] = Math.Cos(j);
            qdd[j] = 2 * Math.Sin(3 * j);
        }
        const int batch = 100;
        double rnea = Median(Time(() => model.InverseDynamics(q, qd, qdd, tau), samples, batch));
        double crba = Median(Time(() => model.MassMatrix(q, m), samples, batch));
        double? mj = mujocoRne is null ? null : Median(Time(mujocoRne, samples, batch));

        Array.Sort(stepNs);
        var result = new TwinBenchResult(
            stepNs[stepNs.Length / 2] / 1000, stepNs[(int)(stepNs.Length * 0.99)] / 1000, perStep, rnea, crba, mj);
        var ci = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(ci, $"twin.step.median: {result.StepMedianUs:F3} us"));
        output.WriteLine(string.Create(ci, $"twin.step.p99: {result.StepP99Us:F3} us"));
        output.WriteLine(string.Create(ci, $"twin.step.alloc: {result.StepAllocatedBytes} bytes"));
        output.WriteLine(string.Create(ci, $"rnea.median: {result.RneaMedianNs:F1} ns"));
        output.WriteLine(string.Create(ci, $"crba.median: {result.CrbaMedianNs:F1} ns"));
        if (result.MujocoRneMedianNs is { } mjNs)
        {
            output.WriteLine(string.Create(ci, $"mujoco.rne.median: {mjNs:F1} ns"));
            output.WriteLine(string.Create(ci, $"rnea.ratio_to_mujoco: {result.RneaRatioToMujoco:F3}"));
        }
        return result;
    }

    private static void Step(DigitalTwin twin, TickState state, long tick)
    {
        state.Tick = tick;
        state.TimeNs = tick * 1_000_000;
        state.Faults.Clear();
        twin.Step(state);
    }

    private static double[] Time(Action action, int samples, int batch)
    {
        for (int i = 0; i < 20_000; i++) action();
        var ns = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int b = 0; b < batch; b++) action();
            ns[s] = Elapsed(t0) / batch;
        }
        return ns;
    }

    private static double Elapsed(long t0) => (Stopwatch.GetTimestamp() - t0) * 1e9 / Stopwatch.Frequency;

    private static double Median(double[] v)
    {
        Array.Sort(v);
        return v[v.Length / 2];
    }
}
