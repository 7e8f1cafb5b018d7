using BenchmarkDotNet.Attributes;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.ProcessData;
using Rt.Core.Tick;
using Rt.Hil;
using Rt.Hil.Drives;

namespace Rt.Benchmarks;

/// <summary>
/// The in-process HIL bench on the sample biped (12 drives, 3 IMUs, 4 substeps of 0.25 ms): one tick
/// (Exchange + Advance), one MuJoCo substep, one emulated drive substep, and the plant's inverse dynamics.
/// Run: <c>dotnet run -c Release --project bench/Rt.Benchmarks -- --filter '*HilBench*'</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class HilBenchBenchmarks
{
    private Bench _bench = null!;
    private TickState _state = null!;
    private EmulatedServoDrive _drive = null!;
    private double[] _q = null!, _qd = null!, _qdd = null!, _tau = null!;

    [GlobalSetup]
    public void Setup()
    {
        var config = ConfigLoader.Load(FindConfig());
        _bench = Bench.Create(config);
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        _state = new TickState(config.Joints.Count, config.Imus.Count, layout);
        // Enable every drive in CSP, holding its position, so the loops do real work.
        for (int k = 0; k < 5; k++)
        {
            _bench.Exchange(_state);
            for (int i = 0; i < _state.JointCount; i++)
            {
                ref var o = ref _state.Image.Outputs[i];
                o.ModeOfOperation = Cia402Modes.CyclicSyncPosition;
                o.TargetPosition = _state.Image.Inputs[i].PositionActual;
                o.Controlword = (ushort)((_state.Image.Inputs[i].Statusword & 0x4F) == 0x40 ? 0x06 : 0x0F);
            }
            _bench.Advance(_bench.TickPeriodNs);
        }
        _drive = new EmulatedServoDrive(config.Joints[3]);
        _drive.Update(0, 0.00025);
        _drive.ApplyCommand(new DriveOutputs { Controlword = 0x06, ModeOfOperation = Cia402Modes.CyclicSyncPosition });
        _drive.ApplyCommand(new DriveOutputs { Controlword = 0x0F, ModeOfOperation = Cia402Modes.CyclicSyncPosition, TargetPosition = 1000 });
        int n = config.Joints.Count;
        _q = new double[n]; _qd = new double[n]; _qdd = new double[n]; _tau = new double[n];
        for (int i = 0; i < n; i++) { _q[i] = 0.1 * i; _qd[i] = 0.2; _qdd[i] = 1; }
    }

    [GlobalCleanup]
    public void Cleanup() => _bench.Dispose();

    /// <summary>One 1 kHz tick: process-image exchange plus 4 × (12 drive loops + mj_step) plus 3 IMU samples.</summary>
    [Benchmark]
    public void Tick()
    {
        _bench.Exchange(_state);
        _bench.Advance(_bench.TickPeriodNs);
    }

    [Benchmark]
    public bool PlantSubstep() => _bench.Plant.Step(1);

    [Benchmark]
    public double DriveSubstep() => _drive.Update(0.0001, 0.00025);

    [Benchmark]
    public void InverseDynamics() => _bench.Plant.InverseDynamics(_q, _qd, _qdd, _tau);

    /// <summary>RT_BENCH_CONFIG if set, else hil/robots/biped12/biped12.yaml above the benchmark's folder or the working folder.</summary>
    private static string FindConfig()
    {
        string? env = Environment.GetEnvironmentVariable("RT_BENCH_CONFIG");
        if (!string.IsNullOrEmpty(env)) return env;
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "hil", "robots", "biped12", "biped12.yaml");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException("hil/robots/biped12/biped12.yaml not found above " + AppContext.BaseDirectory + "; set RT_BENCH_CONFIG");
    }
}
