using System.Numerics;

namespace Rt.ControlLoop.Timing;

/// <summary>
/// A fixed-size log-linear histogram of nanosecond durations (HDR-style: 32 linear sub-buckets per power of two,
/// so any recorded value is reproduced within ~3 %). Preallocated; <see cref="Record"/> is real-time safe
/// (no allocation, no locks). Percentile queries are not real-time safe in spirit (they walk all buckets) and are
/// meant for the UI thread or the final report; a concurrent reader may see a tick's update half-applied, which
/// only affects display.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int Octaves = 64 - SubBucketBits;

    private readonly long[] _counts = new long[(Octaves + 1) * SubBuckets];
    private long _count;
    private long _max;
    private long _min = long.MaxValue;
    private double _sum;

    public long Count => Volatile.Read(ref _count);
    public long Max => _max;
    public long Min => _count == 0 ? 0 : _min;
    public double Mean => _count == 0 ? 0 : _sum / _count;

    /// <summary>Real-time safe. Negative values are recorded as 0.</summary>
    public void Record(long ns)
    {
        if (ns < 0) ns = 0;
        _counts[IndexOf(ns)]++;
        if (ns > _max) _max = ns;
        if (ns < _min) _min = ns;
        _sum += ns;
        Volatile.Write(ref _count, _count + 1);
    }

    public void Clear()
    {
        Array.Clear(_counts);
        _count = 0;
        _max = 0;
        _min = long.MaxValue;
        _sum = 0;
    }

    /// <summary>Value at quantile <paramref name="q"/> (0..1), as the upper edge of its bucket (clamped to the max seen).</summary>
    public long Percentile(double q)
    {
        long n = Count;
        if (n == 0) return 0;
        long rank = (long)Math.Ceiling(Math.Clamp(q, 0, 1) * n);
        if (rank < 1) rank = 1;
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Min(UpperEdge(i), _max);
        }
        return _max;
    }

    internal static int IndexOf(long ns)
    {
        if (ns < SubBuckets) return (int)ns;
        int msb = 63 - BitOperations.LeadingZeroCount((ulong)ns);
        int shift = msb - SubBucketBits;
        int sub = (int)((ns >> shift) & (SubBuckets - 1));
        return ((shift + 1) << SubBucketBits) + sub;
    }

    internal static long UpperEdge(int index)
    {
        int octave = index >> SubBucketBits;
        int sub = index & (SubBuckets - 1);
        if (octave == 0) return sub;
        int shift = octave - 1;
        return (((long)(SubBuckets + sub) + 1) << shift) - 1;
    }
}
