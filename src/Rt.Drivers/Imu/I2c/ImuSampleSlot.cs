using Rt.Core.ProcessData;

namespace Rt.Drivers.Imu.I2c;

/// <summary>One IMU sample in the body frame, SI units, stamped on the injected clock. Unmanaged, copied by value.</summary>
public struct I2cImuSample
{
    /// <summary>Specific force, m/s².</summary>
    public float AccelX, AccelY, AccelZ;

    /// <summary>Angular rate, rad/s.</summary>
    public float GyroX, GyroY, GyroZ;

    public float TemperatureC;

    /// <summary>When the sample was read (injected clock, ns).</summary>
    public long StampNs;

    /// <summary>1, 2, 3, … per published sample; 0 = nothing published yet.</summary>
    public uint Sequence;

    /// <summary><see cref="ImuStatus"/> bits: saturation per sensor.</summary>
    public ushort Status;
}

/// <summary>
/// Single-writer, single-reader seqlock holding the latest sample. The sampler thread publishes; the tick reads with
/// <see cref="TryRead"/>, which never waits: it retries a bounded number of times if it raced a write and otherwise
/// reports false (the caller keeps its previous copy). Both sides: no allocation, no lock. Real-time safe.
/// </summary>
public sealed class ImuSampleSlot
{
    private const int ReadAttempts = 4;
    private int _seq;
    private I2cImuSample _sample;

    /// <summary>Writer side (one thread only). Real-time safe.</summary>
    public void Publish(in I2cImuSample sample)
    {
        int q = _seq;
        Volatile.Write(ref _seq, q + 1); // odd: write in progress
        Interlocked.MemoryBarrier();     // the data stores stay after the odd sequence
        _sample = sample;
        Volatile.Write(ref _seq, q + 2); // release: the data is visible before the even sequence
    }

    /// <summary>Reader side (the tick). Real-time safe: at most <c>4</c> copies of 40 bytes, never waits.</summary>
    public bool TryRead(out I2cImuSample sample)
    {
        for (int i = 0; i < ReadAttempts; i++)
        {
            int a = Volatile.Read(ref _seq);
            if ((a & 1) != 0) continue;
            sample = _sample;
            Interlocked.MemoryBarrier(); // the data loads complete before the sequence is re-read
            if (Volatile.Read(ref _seq) == a) return true;
        }
        sample = default;
        return false;
    }
}
