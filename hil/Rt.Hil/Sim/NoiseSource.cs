using System.Numerics;

namespace Rt.Hil.Sim;

/// <summary>
/// Seeded pseudo-random source for sensor noise: xoshiro256** (uniform) and Box–Muller (Gaussian).
/// Own implementation rather than System.Random so the sequence for a seed is fixed by this code, not by the
/// runtime version: same seed, same bench trajectory, bit for bit. Real-time safe (no allocation).
/// </summary>
public sealed class NoiseSource
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    public NoiseSource(ulong seed) => Reseed(seed);

    /// <summary>Real-time safe. Restarts the stream as if constructed with <paramref name="seed"/>.</summary>
    public void Reseed(ulong seed)
    {
        // SplitMix64 expands the seed so nearby seeds give unrelated streams and the state is never all zero.
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
        _hasSpare = false;
        _spare = 0;
    }

    /// <summary>Real-time safe. Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Real-time safe. Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Real-time safe. Standard normal sample.</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        double a = 2.0 * Math.PI * u2;
        _spare = r * Math.Sin(a);
        _hasSpare = true;
        return r * Math.Cos(a);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
