using MathNet.Numerics.LinearAlgebra;

namespace Rt.Twin.Calibration;

/// <summary>One joint's identified servo loop (see <see cref="ServoIdentification"/>).</summary>
public sealed record ServoFit(
    string Joint,
    double NaturalFrequencyRadS,
    double DampingRatio,
    double Gain,
    int DelayTicks,
    double VelocityFeedforwardGain,
    double[] Arx,
    double SimulationR2,
    double PositionResidualSigma,
    double VelocityResidualSigma,
    int Samples);

/// <summary>
/// Fits the drive's closed position loop of one joint from commanded target u (and velocity feed-forward v) to
/// measured position y: the ARX model y[t] = a1·y[t−1] + a2·y[t−2] + b1·u[t−1−d] + b2·u[t−2−d] (+ c1·v[t−1−d] +
/// c2·v[t−2−d]) by least squares for each delay d = 1..8, keeping the d with the smallest residual. This is the exact
/// zero-order-hold discretisation of q̈ = ω²(G·u − q) + 2ζω(K_v·v − q̇), so the continuous parameters follow from the
/// poles (z = e^{sT}): ω = |s|, ζ = −Re(s)/|s|, G = Σb/(1 − a1 − a2), K_v = (Σc/Σb)·ωG/(2ζ).
/// Not real-time safe (MathNet).
/// </summary>
public static class ServoIdentification
{
    public const int MaxDelayTicks = Models.ServoModel.MaxDelayTicks;

    /// <summary>
    /// Fits one joint. <paramref name="use"/>[t] marks ticks whose data may be used (drive operational); a row needs
    /// its whole history usable. Returns null with <paramref name="problem"/> set when the joint's target never moves
    /// or the fit is not a stable, well-damped second-order loop.
    /// </summary>
    public static ServoFit? Fit(string joint, double[] y, double[] yd, double[] u, double[] v, bool[] use, double periodS, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(use);
        problem = null;
        bool withVelocity = RootMeanSquare(v) > 1e-12;
        if (StdDev(u) < 1e-6)
        {
            problem = $"joint '{joint}': the commanded position never moves (std {StdDev(u):G2} rad); the servo loop cannot be identified, nominal values kept";
            return null;
        }
        double bestRss = double.PositiveInfinity;
        double[]? best = null;
        int bestDelay = 0, bestRows = 0;
        for (int d = 1; d <= MaxDelayTicks; d++)
        {
            var rows = Rows(use, 2 + d, d);
            if (rows.Count < 20) continue;
            int p = withVelocity ? 6 : 4;
            var a = Matrix<double>.Build.Dense(rows.Count, p);
            var b = Vector<double>.Build.Dense(rows.Count);
            for (int r = 0; r < rows.Count; r++)
            {
                int t = rows[r];
                a[r, 0] = y[t - 1];
                a[r, 1] = y[t - 2];
                a[r, 2] = u[t - 1 - d];
                a[r, 3] = u[t - 2 - d];
                if (withVelocity)
                {
                    a[r, 4] = v[t - 1 - d];
                    a[r, 5] = v[t - 2 - d];
                }
                b[r] = y[t];
            }
            var theta = a.QR().Solve(b);
            double rss = (a * theta - b).DotProduct(a * theta - b);
            if (rss < bestRss && theta.All(double.IsFinite))
            {
                bestRss = rss;
                best = theta.ToArray();
                bestDelay = d;
                bestRows = rows.Count;
            }
        }
        if (best is null)
        {
            problem = $"joint '{joint}': fewer than 20 usable ticks with the drive operational; the servo loop cannot be identified";
            return null;
        }

        double a1 = best[0], a2 = best[1], sumB = best[2] + best[3];
        if (!PolesToContinuous(a1, a2, periodS, out double wn, out double zeta))
        {
            problem = $"joint '{joint}': the fitted loop (a1 = {a1:G6}, a2 = {a2:G6}) is not a stable second-order response; nominal values kept (is the position actually following the target?)";
            return null;
        }
        double gain = sumB / (1 - a1 - a2);
        double kv = withVelocity && Math.Abs(sumB) > 0 ? (best[4] + best[5]) / sumB * wn * gain / (2 * zeta) : 0;

        // Free-run simulation R² (from the measured first two positions): judges the model, not the one-step fit.
        int start = 2 + bestDelay;
        var sim = new double[y.Length];
        sim[start - 1] = y[start - 1];
        sim[start - 2] = y[start - 2];
        double mean = 0;
        for (int t = start; t < y.Length; t++) mean += y[t];
        mean /= Math.Max(1, y.Length - start);
        double ssRes = 0, ssTot = 0;
        for (int t = start; t < y.Length; t++)
        {
            sim[t] = a1 * sim[t - 1] + a2 * sim[t - 2] + best[2] * u[t - 1 - bestDelay] + best[3] * u[t - 2 - bestDelay]
                + (withVelocity ? best[4] * v[t - 1 - bestDelay] + best[5] * v[t - 2 - bestDelay] : 0);
            ssRes += (y[t] - sim[t]) * (y[t] - sim[t]);
            ssTot += (y[t] - mean) * (y[t] - mean);
        }
        double r2 = ssTot > 0 ? 1 - ssRes / ssTot : 0;

        // One-step residuals of the state-space form the twin uses (predict from the measured q, q̇ of the last tick).
        var (phi, gamma) = ServoDiscretisation.ZeroOrderHold(wn, zeta, gain, kv, periodS);
        double sp = 0, sv = 0;
        int n = 0;
        foreach (int t in Rows(use, 2 + bestDelay, bestDelay))
        {
            double uc = u[t - 1 - bestDelay], vc = withVelocity ? v[t - 1 - bestDelay] : 0;
            double qp = phi[0] * y[t - 1] + phi[1] * yd[t - 1] + gamma[0] * uc + gamma[1] * vc;
            double vp = phi[2] * y[t - 1] + phi[3] * yd[t - 1] + gamma[2] * uc + gamma[3] * vc;
            sp += (y[t] - qp) * (y[t] - qp);
            sv += (yd[t] - vp) * (yd[t] - vp);
            n++;
        }
        return new ServoFit(joint, wn, zeta, gain, bestDelay, kv, best, r2, Math.Sqrt(sp / Math.Max(1, n)), Math.Sqrt(sv / Math.Max(1, n)), bestRows);
    }

    /// <summary>Continuous (ω, ζ) of the discrete poles of z² − a1·z − a2. False when a pole is not inside (0, 1) or complex-stable.</summary>
    public static bool PolesToContinuous(double a1, double a2, double periodS, out double wn, out double zeta)
    {
        wn = zeta = 0;
        double disc = a1 * a1 + 4 * a2;
        if (disc < 0)
        {
            double r = Math.Sqrt(-a2);
            if (!(r > 0 && r < 1)) return false;
            double theta = Math.Acos(Math.Clamp(a1 / (2 * r), -1, 1));
            double re = Math.Log(r) / periodS, im = theta / periodS;
            wn = Math.Sqrt(re * re + im * im);
            zeta = -re / wn;
        }
        else
        {
            double z1 = 0.5 * (a1 + Math.Sqrt(disc)), z2 = 0.5 * (a1 - Math.Sqrt(disc));
            if (!(z1 > 0 && z1 < 1 && z2 > 0 && z2 < 1)) return false;
            double s1 = Math.Log(z1) / periodS, s2 = Math.Log(z2) / periodS;
            wn = Math.Sqrt(s1 * s2);
            zeta = -(s1 + s2) / (2 * wn);
        }
        return double.IsFinite(wn) && double.IsFinite(zeta) && wn > 0 && zeta > 0;
    }

    private static List<int> Rows(bool[] use, int history, int delay)
    {
        var rows = new List<int>();
        int need = history + delay; // y[t-2], u[t-2-d]
        for (int t = need; t < use.Length; t++)
        {
            bool ok = true;
            for (int k = 0; k <= need && ok; k++) ok = use[t - k];
            if (ok) rows.Add(t);
        }
        return rows;
    }

    internal static double StdDev(double[] x)
    {
        if (x.Length == 0) return 0;
        double m = 0;
        foreach (double v in x) m += v;
        m /= x.Length;
        double s = 0;
        foreach (double v in x) s += (v - m) * (v - m);
        return Math.Sqrt(s / x.Length);
    }

    private static double RootMeanSquare(double[] x)
    {
        double s = 0;
        foreach (double v in x) s += v * v;
        return x.Length == 0 ? 0 : Math.Sqrt(s / x.Length);
    }
}

/// <summary>Exact zero-order-hold discretisation of the servo's continuous model (prepare time / offline only).</summary>
public static class ServoDiscretisation
{
    /// <summary>
    /// Φ (2×2 row-major) and Γ (2×2 row-major, columns u and v) with x[t+1] = Φ·x[t] + Γ·[u; v] for x = [q; q̇] and
    /// q̈ = ω²(G·u − q) + 2ζω(K_v·v − q̇), by the matrix exponential of the augmented 4×4 system (scaling and squaring).
    /// </summary>
    public static (double[] Phi, double[] Gamma) ZeroOrderHold(double wn, double zeta, double gain, double kv, double periodS)
    {
        var m = new double[16];
        // [A B; 0 0]·T, rows of 4.
        m[1] = periodS;
        m[4] = -wn * wn * periodS;
        m[5] = -2 * zeta * wn * periodS;
        m[6] = wn * wn * gain * periodS;
        m[7] = 2 * zeta * wn * kv * periodS;
        double norm = 0;
        foreach (double v in m) norm = Math.Max(norm, Math.Abs(v));
        int squarings = Math.Max(0, (int)Math.Ceiling(Math.Log2(norm + 1e-300)) + 4);
        double scale = Math.Pow(2, -squarings);
        for (int i = 0; i < 16; i++) m[i] *= scale;
        var result = new double[16];
        var term = new double[16];
        for (int i = 0; i < 4; i++) result[i * 5] = term[i * 5] = 1;
        var next = new double[16];
        for (int k = 1; k <= 20; k++)
        {
            Multiply(term, m, next);
            for (int i = 0; i < 16; i++) term[i] = next[i] / k;
            for (int i = 0; i < 16; i++) result[i] += term[i];
        }
        for (int s = 0; s < squarings; s++)
        {
            Multiply(result, result, next);
            Array.Copy(next, result, 16);
        }
        return ([result[0], result[1], result[4], result[5]], [result[2], result[3], result[6], result[7]]);
    }

    private static void Multiply(double[] a, double[] b, double[] c)
    {
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                double s = 0;
                for (int k = 0; k < 4; k++) s += a[i * 4 + k] * b[k * 4 + j];
                c[i * 4 + j] = s;
            }
    }
}
