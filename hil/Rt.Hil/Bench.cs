using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Hil.Drives;
using Rt.Hil.Plant;

namespace Rt.Hil;

/// <summary>
/// The in-process HIL bench: the MuJoCo plant, one emulated CiA 402 drive per configured joint and one emulated IMU
/// per configured IMU, exchanging the process image directly with the host (bus kind <c>in_process</c>).
/// <para>
/// Image slots follow the config: drive slot i is <c>config.Joints[i]</c>, IMU slot j is <c>config.Imus[j]</c>.
/// <see cref="Exchange"/> (the <see cref="IFieldbus"/> side) hands the outputs to the drives and copies their feedback
/// and the IMU samples into the image. <see cref="Advance"/> moves simulated time by one tick: per substep, every drive
/// samples its encoder and runs its loops, the torques go to the plant, and MuJoCo integrates one step; then the IMUs
/// sample. Both are real-time safe (no allocation, no clock: time is the plant's own simulated time).
/// </para>
/// Deterministic: the same config, options (seed) and sequence of outputs give a bit-identical trajectory.
/// Construction and disposal are not real-time safe.
/// </summary>
public sealed class Bench : IFieldbus, IDisposable
{
    private readonly EmulatedServoDrive[] _drives;
    private readonly EmulatedImu[] _imus;
    private readonly long _substepNs;
    private readonly double _substepS;
    private readonly double[] _imuSum; // per IMU: specific force xyz, angular rate xyz, summed over the tick's substeps
    // Sensor latency (domain randomisation): per substep, per IMU, the 6 ideal values; a ring of _historyLength substeps.
    private readonly double[] _imuHistory;
    private readonly int[] _imuLatency;
    private readonly int _historyLength;
    private int _historyHead;
    private bool _anyImuLatency;
    private bool _plantFailed;
    private long _warningsSeen;

    private Bench(RtConfig config, MujocoPlant plant, EmulatedServoDrive[] drives, EmulatedImu[] imus, long tickNs, int substeps)
    {
        Config = config;
        Plant = plant;
        _drives = drives;
        _imus = imus;
        TickPeriodNs = tickNs;
        Substeps = substeps;
        _substepNs = tickNs / substeps;
        _substepS = plant.TimestepS;
        _imuSum = new double[6 * imus.Length];
        _historyLength = MaxImuLatencySubsteps + substeps;
        _imuHistory = new double[6 * imus.Length * _historyLength];
        _imuLatency = new int[imus.Length];
    }

    /// <summary>Longest IMU sensor latency, plant substeps.</summary>
    public const int MaxImuLatencySubsteps = 8;

    /// <summary>IMU <paramref name="imu"/>'s sensor latency, plant substeps (0 = today's sampling).</summary>
    public int ImuLatencySubsteps(int imu) => _imuLatency[imu];

    /// <summary>
    /// Not real-time safe (call before the run). Domain randomisation: IMU <paramref name="imu"/>'s samples describe the
    /// motion <paramref name="substeps"/> plant substeps earlier (the same window, shifted back). 0 restores today's
    /// behaviour bit for bit. The delay line starts filled with the current reading.
    /// </summary>
    public void SetImuLatencySubsteps(int imu, int substeps)
    {
        if (substeps is < 0 or > MaxImuLatencySubsteps)
            throw new ArgumentOutOfRangeException(nameof(substeps), substeps, $"IMU latency must be 0..{MaxImuLatencySubsteps} substeps");
        _imuLatency[imu] = substeps;
        Plant.ReadImu(imu, out Vec3 f, out Vec3 w);
        for (int k = 0; k < _historyLength; k++) WriteHistory(imu, k, f, w);
        _anyImuLatency = false;
        foreach (int l in _imuLatency) _anyImuLatency |= l > 0;
    }

    private void WriteHistory(int imu, int slot, Vec3 f, Vec3 w)
    {
        int o = 6 * (slot * _imus.Length + imu);
        _imuHistory[o] = f.X;
        _imuHistory[o + 1] = f.Y;
        _imuHistory[o + 2] = f.Z;
        _imuHistory[o + 3] = w.X;
        _imuHistory[o + 4] = w.Y;
        _imuHistory[o + 5] = w.Z;
    }

    /// <summary>
    /// Not real-time safe. Builds the bench from a loaded config (<see cref="RtConfig.Description"/> is used, or the
    /// URDF it names is parsed). Throws <see cref="BenchUnavailableException"/> without MuJoCo 2.2.2, and
    /// <see cref="Rt.Core.Errors.InputError"/> when the description cannot be turned into a plant.
    /// </summary>
    public static Bench Create(RtConfig config, BenchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= new BenchOptions();
        var robot = config.Description ?? UrdfParser.Load(config.Resolve(config.Robot.Description));
        if (!(config.Loop.RateHz > 0)) throw new ArgumentException($"loop.rate_hz is {config.Loop.RateHz}; expected a positive rate", nameof(config));
        int substeps = Math.Max(1, config.Loop.PlantSubsteps);
        long tickNs = (long)Math.Round(1e9 / config.Loop.RateHz);
        long substepNs = tickNs / substeps;

        var plant = MujocoPlant.Load(robot, new PlantOptions
        {
            TimestepS = substepNs / 1e9,
            JointOrder = config.Joints.Select(j => j.Name).ToArray(),
            Imus = [.. config.Imus, .. config.I2cImus.Select(i => i.AsImu())], // the I²C IMUs' plant sensors follow (BenchRig reads them)
            ShimPath = options.ShimPath,
            ObstacleCount = options.ObstacleCount,
            FootClearanceM = options.FootClearanceM,
            MjcfPath = options.MjcfPath,
        });
        try
        {
            int n = config.Joints.Count;
            var q0 = new double[n];
            if (options.InitialPose is { } pose)
            {
                foreach (var (name, angle) in pose)
                {
                    int i = config.Joints.FindIndex(j => j.Name == name);
                    if (i < 0) throw new ArgumentException($"initial pose names joint '{name}', which is not configured", nameof(options));
                    q0[i] = angle;
                }
            }
            plant.SetJointState(q0, new double[n]);

            // Tune each drive like an auto-tuner would: for the inertia its joint sees at the start pose.
            var mass = new double[n * n];
            plant.MassMatrix(q0, mass);
            var drives = new EmulatedServoDrive[n];
            for (int i = 0; i < n; i++)
            {
                var o = options.Drive.Clone();
                o.EffectiveInertiaKgM2 = Math.Max(mass[i * n + i], 1e-3);
                drives[i] = new EmulatedServoDrive(config.Joints[i], o, options.Seed * 1000 + (ulong)i)
                {
                    EncoderNoiseCounts = options.EncoderNoiseCounts,
                    TorqueAverageSubsteps = Math.Min(substeps, EmulatedServoDrive.MaxTorqueAverageSubsteps), // 0x6077 = tick mean
                };
                var brake = config.Brakes.Find(b => b.Joint == config.Joints[i].Name);
                if (brake is not null) drives[i].Brake = new HoldingBrake(brake, o.EffectiveInertiaKgM2);
                drives[i].Update(q0[i], substepNs / 1e9); // power-up: encoder initialised at the start pose
            }
            var imus = new EmulatedImu[config.Imus.Count];
            for (int j = 0; j < imus.Length; j++)
            {
                imus[j] = new EmulatedImu(config.Imus[j], options.Seed * 1000 + 500 + (ulong)j);
                if (options.ImuAccelNoiseMs2 is { } an) imus[j].AccelNoiseMs2 = an;
                if (options.ImuGyroNoiseRadS is { } gn) imus[j].GyroNoiseRadS = gn;
            }
            var bench = new Bench(config, plant, drives, imus, tickNs, substeps);
            bench.SampleImus();
            return bench;
        }
        catch
        {
            plant.Dispose();
            throw;
        }
    }

    public RtConfig Config { get; }

    /// <summary>The physical robot (fault injection: wrenches, obstacles, parameters).</summary>
    public MujocoPlant Plant { get; }

    /// <summary>Drives in config joint order (fault injection: torque scale, encoder faults, drive faults).</summary>
    public IReadOnlyList<EmulatedServoDrive> Drives => _drives;

    /// <summary>IMUs in config order (fault injection: freeze, bias steps).</summary>
    public IReadOnlyList<EmulatedImu> Imus => _imus;

    public long TickPeriodNs { get; }
    public int Substeps { get; }

    /// <summary>Real-time safe. Simulated time, ns.</summary>
    public long SimTimeNs => Plant.SimTimeNs;

    /// <summary>Real-time safe. False once MuJoCo raised an error or a warning (e.g. a diverging acceleration): the run is no longer trustworthy.</summary>
    public bool PlantHealthy => !_plantFailed;

    /// <summary>
    /// Real-time safe. One cycle of process data: outputs → drives, drive feedback and IMU samples → inputs.
    /// A broken plant is reported as <see cref="FaultCode.BusLinkDown"/> (the "hardware" is gone).
    /// </summary>
    public void Exchange(TickState state)
    {
        var image = state.Image;
        var outputs = image.Outputs;
        var inputs = image.Inputs;
        int nd = Math.Min(_drives.Length, outputs.Length);
        for (int i = 0; i < nd; i++)
        {
            _drives[i].ApplyCommand(outputs[i]);
            inputs[i] = _drives[i].Feedback;
        }
        var imuSlots = image.Imus;
        int ni = Math.Min(_imus.Length, imuSlots.Length);
        for (int j = 0; j < ni; j++) imuSlots[j] = _imus[j].Last;
        if (_plantFailed) state.Faults.Add(Fault.Of(FaultCode.BusLinkDown, -1, state.Tick));
    }

    /// <summary>
    /// Real-time safe. Advances the bench by <paramref name="periodNs"/> (normally one tick): per substep the drive loops
    /// run on the encoder readings and their torques drive one MuJoCo step; the IMUs then sample.
    /// </summary>
    public void Advance(long periodNs)
    {
        if (_plantFailed) return;
        long n = periodNs == TickPeriodNs ? Substeps : Math.Max(1, (periodNs + _substepNs / 2) / _substepNs);
        var plant = Plant;
        Array.Clear(_imuSum);
        bool average = AverageImuOverTick && _imus.Length > 0;
        bool delayed = _anyImuLatency;
        for (long s = 0; s < n; s++)
        {
            for (int i = 0; i < _drives.Length; i++)
                plant.SetJointTorque(i, _drives[i].Update(plant.JointPosition(i), _substepS));
            // Without averaging only the last substep's values are sampled; with a latency every substep is kept.
            plant.SetSensorsEnabled(average || delayed || s == n - 1);
            if (!plant.Step(1))
            {
                _plantFailed = true;
                return;
            }
            if (delayed) RecordImuHistory();
            else if (average) AccumulateImus();
        }
        long warnings = plant.WarningCount;
        if (warnings != _warningsSeen)
        {
            _warningsSeen = warnings;
            _plantFailed = true;
        }
        if (delayed) SampleDelayedImus((int)n, average);
        else if (average) SampleImuMeans((int)n);
        else SampleImus();
    }

    private void RecordImuHistory()
    {
        _historyHead = (_historyHead + 1) % _historyLength;
        for (int j = 0; j < _imus.Length; j++)
        {
            Plant.ReadImu(j, out Vec3 f, out Vec3 w);
            WriteHistory(j, _historyHead, f, w);
        }
    }

    /// <summary>Each IMU samples the window (mean over the tick's substeps, or the last one) ending its latency back.</summary>
    private void SampleDelayedImus(int substeps, bool average)
    {
        long t = Plant.SimTimeNs;
        int window = average ? Math.Min(substeps, _historyLength - MaxImuLatencySubsteps) : 1;
        double k = 1.0 / window;
        Span<double> sum = stackalloc double[6];
        for (int j = 0; j < _imus.Length; j++)
        {
            sum.Clear();
            for (int back = _imuLatency[j] + window - 1; back >= _imuLatency[j]; back--)
            {
                int o = 6 * (((_historyHead - back + _historyLength) % _historyLength) * _imus.Length + j);
                for (int c = 0; c < 6; c++) sum[c] += _imuHistory[o + c];
            }
            _imus[j].Sample(t, new Vec3(sum[0] * k, sum[1] * k, sum[2] * k), new Vec3(sum[3] * k, sum[4] * k, sum[5] * k));
        }
    }

    /// <summary>
    /// Whether each IMU sample is the mean over the tick's substeps (default true) rather than the last substep's
    /// instantaneous value. A MEMS IMU's output is low-pass filtered and decimated from a far higher internal rate; the
    /// mean over the output period is that filter's ideal. It matters here because the drives' torque is a sawtooth
    /// within each tick (a step when the new target lands): an instantaneous sample on a swinging foot catches one
    /// phase of it, tens of m/s² off the tick's mean motion, aliased to a steady offset. Not real-time safe to change
    /// while the bench runs.
    /// </summary>
    public bool AverageImuOverTick { get; set; } = true;

    private void AccumulateImus()
    {
        for (int j = 0; j < _imus.Length; j++)
        {
            Plant.ReadImu(j, out Vec3 f, out Vec3 w);
            int o = 6 * j;
            _imuSum[o] += f.X;
            _imuSum[o + 1] += f.Y;
            _imuSum[o + 2] += f.Z;
            _imuSum[o + 3] += w.X;
            _imuSum[o + 4] += w.Y;
            _imuSum[o + 5] += w.Z;
        }
    }

    private void SampleImuMeans(int substeps)
    {
        long t = Plant.SimTimeNs;
        double k = 1.0 / substeps;
        for (int j = 0; j < _imus.Length; j++)
        {
            int o = 6 * j;
            var f = new Vec3(_imuSum[o] * k, _imuSum[o + 1] * k, _imuSum[o + 2] * k);
            var w = new Vec3(_imuSum[o + 3] * k, _imuSum[o + 4] * k, _imuSum[o + 5] * k);
            _imus[j].Sample(t, f, w);
        }
    }

    /// <summary>Not real-time safe. Frees the plant.</summary>
    public void Dispose() => Plant.Dispose();

    private void SampleImus()
    {
        long t = Plant.SimTimeNs;
        for (int j = 0; j < _imus.Length; j++)
        {
            Plant.ReadImu(j, out Vec3 f, out Vec3 w);
            _imus[j].Sample(t, f, w);
        }
    }
}
