using BenchmarkDotNet.Attributes;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Hil.Plant;
using Rt.Twin;
using Rt.Twin.Dynamics;

namespace Rt.Benchmarks;

/// <summary>
/// The twin's kernels on biped12: RNEA, CRBA, MuJoCo's mj_rne on the same model (through the bench shim) and a whole
/// twin step. Run: <c>dotnet run -c Release --project bench/Rt.Benchmarks -- --filter '*TwinBenchmarks*'</c>.
/// The host's <c>rt bench twin</c> prints the same figures as <c>name: value unit</c> lines (Rt.Perf.TwinPerf).
/// </summary>
[MemoryDiagnoser]
public class TwinBenchmarks : IDisposable
{
    private RigidBodyModel _model = null!;
    private MujocoPlant _plant = null!;
    private DigitalTwin _twin = null!;
    private TickState _state = null!;
    private double[] _q = null!, _qd = null!, _qdd = null!, _tau = null!, _m = null!;
    private long _tick;

    [GlobalSetup]
    public void Setup()
    {
        var config = ConfigLoader.Load(FindConfig());
        _model = RigidBodyModel.FromDescription(config.Description!);
        _plant = MujocoPlant.Load(config.Description!, new PlantOptions { JointOrder = _model.JointNames });
        int n = _model.DegreesOfFreedom;
        _q = new double[n];
        _qd = new double[n];
        _qdd = new double[n];
        _tau = new double[n];
        _m = new double[n * n];
        for (int j = 0; j < n; j++)
        {
            _q[j] = 0.3 * Math.Sin(j + 1);
            _qd[j] = Math.Cos(j);
            _qdd[j] = 2 * Math.Sin(3 * j);
        }
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        _state = new TickState(config.Joints.Count, config.Imus.Count, layout);
        for (int j = 0; j < _state.JointCount; j++)
        {
            _state.DriveOperational[j] = true;
            _state.Position[j] = _q[j];
            _state.Velocity[j] = _qd[j];
        }
        _state.AllDrivesOperational = true;
        _twin = new DigitalTwin(config, layout);
    }

    [Benchmark]
    public void Rnea() => _model.InverseDynamics(_q, _qd, _qdd, _tau);

    [Benchmark]
    public void MujocoRne() => _plant.InverseDynamics(_q, _qd, _qdd, _tau);

    [Benchmark]
    public void Crba() => _model.MassMatrix(_q, _m);

    [Benchmark]
    public void TwinStep()
    {
        _state.Tick = _tick++;
        _state.Faults.Clear();
        _twin.Step(_state);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _plant?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static string FindConfig()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string p = Path.Combine(dir.FullName, "hil", "robots", "biped12", "biped12.yaml");
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException("hil/robots/biped12/biped12.yaml not found above " + AppContext.BaseDirectory);
    }
}
