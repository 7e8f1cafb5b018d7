namespace Rt.Twin.CrossCheck;

/// <summary>
/// Variances of linear combinations of a stationary AR(1) noise x_k = ρ·x_(k−1) + σ·e_k (e white, unit variance): the
/// calibrated noise model of every channel (<see cref="NoiseModel"/>). One formula for the detectors that average or
/// filter a channel (the contact test's step, its chain covariance, the slip test's window). Pure arithmetic, no
/// allocation; used at construction.
/// </summary>
public static class Ar1Noise
{
    /// <summary>Stationary variance σ²/(1 − ρ²).</summary>
    public static double StationaryVariance(double sigma, double rho) => sigma * sigma / (1 - rho * rho);

    /// <summary>
    /// Var(Σ_i w_i·x_(k−i)) = wᵀΣw with Σ_ik = σ²/(1 − ρ²)·ρ^|i−k| (the autocovariance of a stationary AR(1)).
    /// </summary>
    public static double WeightedSumVariance(ReadOnlySpan<double> weights, double sigma, double rho)
    {
        double c0 = StationaryVariance(sigma, rho), v = 0;
        for (int i = 0; i < weights.Length; i++)
            for (int k = 0; k < weights.Length; k++)
                v += weights[i] * weights[k] * c0 * Math.Pow(rho, Math.Abs(i - k));
        return v;
    }
}
