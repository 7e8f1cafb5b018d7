using Rt.ControlLoop.Scheduling;
using Rt.Core.Config;
using Rt.Core.Tick;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.Gpio;
using Rt.Drivers.Imu.I2c;
using Rt.Hil.I2c;
using Rt.Hil;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Plant;
using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign;

/// <summary>
/// The emulated robot behind the host: the MuJoCo plant with its emulated CiA 402 drives and IMUs, seen by the
/// pipeline as a fieldbus (in-process process image) or, through <see cref="CreateLink"/>, as EtherCAT slaves on an
/// in-process segment, and by the scheduler as the simulated world to advance.
/// Construction is not real-time safe; <see cref="Exchange"/> and <see cref="Advance"/> are.
/// </summary>
public sealed class BenchRig : ISessionRig, IFieldbus, ISimulatedWorld
{
    private readonly RtConfig _config;

    private BenchRig(Bench bench, RtConfig config, string description)
    {
        Bench = bench;
        _config = config;
        Description = description;
    }

    public Bench Bench { get; }
    public string Description { get; }

    /// <summary>The emulated slave chain of the last <see cref="CreateLink"/> (its fault hooks: link down, dropped frames, AL errors).</summary>
    public BenchBridge? Bridge { get; private set; }

    IFieldbus ISessionRig.Fieldbus => this;
    ISimulatedWorld ISessionRig.World => this;

    public static BenchRig Create(RtConfig config, SessionOptions options)
    {
        try
        {
            var bench = Hil.Bench.Create(config, new BenchOptions { Seed = (ulong)options.Seed, InitialPose = options.InitialPose });
            return new BenchRig(bench, config, $"bench: MuJoCo plant, {bench.Drives.Count} emulated CiA 402 drives, {bench.Imus.Count} IMUs, {bench.Substeps} substeps per tick");
        }
        catch (BenchUnavailableException e)
        {
            throw new HostUnavailableException(e.Message, e);
        }
    }

    /// <summary>Not real-time safe. A new emulated slave chain in front of the plant, on an in-process link.</summary>
    public IEthernetLink CreateLink()
    {
        Bridge = new BenchBridge(Bench, _config);
        return new LoopbackLink(Bridge);
    }

    public void Exchange(TickState state) => Bench.Exchange(state);

    public void Advance(long periodNs)
    {
        Bench.Advance(periodNs);
        _timeNs += periodNs;
        if (_i2cImus != null) SampleI2cImus();
    }

    private long _timeNs;
    private I2cImuSet? _i2cImus;
    private BenchI2cBuses? _i2cBuses;
    private BenchI2cDevice?[] _i2cChips = [];
    private long[] _i2cNextNs = [];

    /// <summary>The bench's I²C bus with a model of every configured <c>i2c_imus</c> chip (bus 1), when the config has any.</summary>
    public BenchI2cBuses? I2cBuses => _i2cBuses ??= _config.I2cImus.Count > 0 ? new BenchI2cBuses(_config) : null;

    I2cDeviceSource? ISessionRig.I2cBuses => I2cBuses;

    /// <summary>The plant's simulated time since the session's tick 0: the clock the I²C samples are stamped on.</summary>
    public TimeProvider Clock => _clock ??= new RigClock(this);
    private RigClock? _clock;

    TimeProvider? ISessionRig.Clock => Clock;

    /// <summary>The brake release lines (<c>brakes[].release_output</c>) on the bench: each releases its emulated brake.</summary>
    GpioDriverFactory? ISessionRig.BrakeGpioDrivers => (spec, _, _, _) => new BenchBrakeGpioDriver(Bench.Drives, _config, spec);

    /// <summary>Not real-time safe. Samples each I²C IMU once now (time 0) and then at its rate in <see cref="Advance"/>.</summary>
    public void AttachI2cImus(I2cImuSet imus)
    {
        _i2cImus = imus;
        _i2cChips = new BenchI2cDevice?[imus.Count];
        _i2cNextNs = new long[imus.Count];
        for (int k = 0; k < imus.Count; k++) _i2cChips[k] = I2cBuses?.Chip(_config.I2cImus[k].Address);
        SampleI2cImus();
    }

    /// <summary>Real-time safe: the plant's sensor at each I²C IMU's mount, into its chip's registers, read through the driver when due.</summary>
    private void SampleI2cImus()
    {
        var samplers = _i2cImus!.Samplers;
        int first = _config.Imus.Count;
        for (int k = 0; k < samplers.Count; k++)
        {
            if (_timeNs < _i2cNextNs[k]) continue;
            _i2cNextNs[k] += samplers[k].PeriodNs;
            if (_i2cChips[k] is { } chip)
            {
                Bench.Plant.ReadImu(first + k, out var f, out var w);
                var axes = samplers[k].Axes;
                axes.ApplyInverse(f.X, f.Y, f.Z, out double fx, out double fy, out double fz);
                axes.ApplyInverse(w.X, w.Y, w.Z, out double wx, out double wy, out double wz);
                chip.SetMotion(fx, fy, fz, wx, wy, wz);
            }
            samplers[k].SampleOnce();
        }
    }

    private sealed class RigClock(BenchRig rig) : TimeProvider
    {
        public override long TimestampFrequency => 1_000_000_000;

        public override long GetTimestamp() => Volatile.Read(ref rig._timeNs);
    }

    public void Dispose() => Bench.Dispose();
}
