using Rt.Twin.CrossCheck;

namespace Rt.Twin.Tests;

/// <summary>Seeded standard-normal generator (polar Box–Muller) for the statistical tests; deterministic across runs.</summary>
internal sealed class CrossCheckGaussian(int seed)
{
    private readonly SeededGaussian _gaussian = new(seed);

    public double Next() => _gaussian.Next();

    public void Fill(Span<double> values, ReadOnlySpan<double> sigma)
    {
        for (int i = 0; i < values.Length; i++) values[i] = Next() * sigma[i];
    }
}
