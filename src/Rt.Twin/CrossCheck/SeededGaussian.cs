namespace Rt.Twin.CrossCheck;

/// <summary>
/// Seeded standard normal (Marsaglia polar): the same sequence for the same seed on every run, so the step-detection
/// harness and the statistical tests are repeatable. Not real-time safe (prepare/benchmark code only).
/// </summary>
internal sealed class SeededGaussian(int seed)
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
}
