namespace Rt.Twin.Tests;

/// <summary>Seeded standard-normal generator (polar Box–Muller) for the statistical tests; deterministic across runs.</summary>
internal sealed class CrossCheckGaussian(int seed)
{
    private readonly Random _random = new(seed);
    private double _spare;
    private bool _hasSpare;

    public double Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u, v, s;
        do
        {
            u = 2 * _random.NextDouble() - 1;
            v = 2 * _random.NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

    public void Fill(Span<double> values, ReadOnlySpan<double> sigma)
    {
        for (int i = 0; i < values.Length; i++) values[i] = Next() * sigma[i];
    }
}
