using Rt.Core.Faults;
using Rt.Core.ProcessData;
using Rt.Drivers.Gpio;

namespace Rt.Drivers.Imu.I2c;

/// <summary>
/// Samples one I²C IMU on its own thread at the configured rate: reads the chip, maps the axes to the body frame,
/// stamps the sample on the injected clock and publishes it to the <see cref="ImuSampleSlot"/>. A bus error skips the
/// sample (counted); the tick sees the slot age and raises <see cref="FaultCode.ImuStale"/>. Not real-time safe
/// (bus I/O), and not on the tick's thread.
/// </summary>
public sealed class I2cImuSampler : IDisposable
{
    private readonly II2cImuChip _chip;
    private readonly AxisMap _axes;
    private readonly TimeProvider _clock;
    private readonly long _periodNs;
    private readonly Thread? _thread;
    private volatile bool _stop;
    private uint _sequence;
    private long _errors;

    public I2cImuSampler(string name, II2cImuChip chip, AxisMap axes, TimeProvider clock, double rateHz, ImuSampleSlot slot, bool startThread)
    {
        ArgumentNullException.ThrowIfNull(chip);
        _chip = chip;
        _axes = axes;
        _clock = clock;
        _periodNs = (long)(1e9 / rateHz);
        Slot = slot;
        Name = name;
        if (startThread)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "rt-imu-" + name, Priority = ThreadPriority.AboveNormal };
            _thread.Start();
        }
    }

    public string Name { get; }
    public ImuSampleSlot Slot { get; }
    public II2cImuChip Chip => _chip;
    public AxisMap Axes => _axes;

    /// <summary>Sampling period, ns.</summary>
    public long PeriodNs => _periodNs;
    public long Errors => Interlocked.Read(ref _errors);
    public uint Published => Volatile.Read(ref _sequence);

    /// <summary>One sample (the thread's body; called directly by lockstep tests). Returns false on a bus error.</summary>
    public bool SampleOnce()
    {
        var raw = default(I2cImuSample);
        try
        {
            _chip.Read(ref raw);
        }
        catch (IOException)
        {
            Interlocked.Increment(ref _errors);
            return false;
        }
        var s = raw;
        _axes.Apply(raw.AccelX, raw.AccelY, raw.AccelZ, out s.AccelX, out s.AccelY, out s.AccelZ);
        _axes.Apply(raw.GyroX, raw.GyroY, raw.GyroZ, out s.GyroX, out s.GyroY, out s.GyroZ);
        s.StampNs = ClockNs.Now(_clock);
        s.Sequence = ++_sequence;
        Slot.Publish(s);
        return true;
    }

    private void Run()
    {
        long next = ClockNs.Now(_clock);
        while (!_stop)
        {
            SampleOnce();
            next += _periodNs;
            long wait = next - ClockNs.Now(_clock);
            if (wait > 0) Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, wait / 100)));
            else next = ClockNs.Now(_clock); // overran a period: do not try to catch up with a burst
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread?.Join(1000);
        _chip.Dispose();
    }
}

/// <summary>
/// The tick's side of one I²C IMU: copies the latest sample into the process image's <see cref="ImuInputs"/> slot and
/// raises <see cref="FaultCode.ImuStale"/> when the sample is older than the configured bound (or none arrived yet) and
/// <see cref="FaultCode.ImuSaturated"/> when a sensor sat at full scale — the same codes and status bits the EtherCAT
/// IMU path feeds the supervisor. Real-time safe: no allocation, no lock, never waits.
/// </summary>
public sealed class I2cImuReader
{
    private readonly ImuSampleSlot _slot;
    private I2cImuSample _last;

    public I2cImuReader(string name, int source, ImuSampleSlot slot, TimeSpan staleAfter)
    {
        Name = name;
        Source = source;
        _slot = slot;
        StaleAfterNs = (long)staleAfter.TotalNanoseconds;
    }

    public string Name { get; }

    /// <summary>Fault source number (the IMU's index in the process image).</summary>
    public int Source { get; }

    public long StaleAfterNs { get; }

    /// <summary>The sample the last <see cref="Read"/> used.</summary>
    public ref readonly I2cImuSample Last => ref _last;

    /// <summary>
    /// Real-time safe. Fills <paramref name="dst"/> and adds a fault per problem to <paramref name="faults"/>:
    /// ImuStale (Expected = bound µs, Received = age µs), ImuSaturated (Received = status bits).
    /// </summary>
    public void Read(ref ImuInputs dst, long nowNs, long tick, FaultList faults)
    {
        if (_slot.TryRead(out var s)) _last = s; // a raced read keeps the previous copy; the age check still holds
        dst.SpecificForceX = _last.AccelX;
        dst.SpecificForceY = _last.AccelY;
        dst.SpecificForceZ = _last.AccelZ;
        dst.AngularRateX = _last.GyroX;
        dst.AngularRateY = _last.GyroY;
        dst.AngularRateZ = _last.GyroZ;
        dst.TemperatureC = _last.TemperatureC;
        dst.SampleCounter = (ushort)_last.Sequence;
        dst.Status = _last.Status;
        long age = nowNs - _last.StampNs;
        if (_last.Sequence == 0 || age > StaleAfterNs)
        {
            faults.Add(Fault.Of(FaultCode.ImuStale, Source, tick, Micro(StaleAfterNs), _last.Sequence == 0 ? -1 : Micro(age), age * 1e-9));
        }
        if ((_last.Status & (ushort)(ImuStatus.AccelSaturated | ImuStatus.GyroSaturated)) != 0)
        {
            faults.Add(Fault.Of(FaultCode.ImuSaturated, Source, tick, 0, _last.Status, _last.Status));
        }
    }

    private static int Micro(long ns) => (int)Math.Clamp(ns / 1000, int.MinValue, int.MaxValue);
}
