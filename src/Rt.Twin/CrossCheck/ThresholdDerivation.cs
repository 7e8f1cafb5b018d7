using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace Rt.Twin.CrossCheck;

/// <summary>
/// Turns a stated false-alarm rate and minimum detectable shift into detector thresholds (see docs/TWIN.md,
/// "Cross-check and thresholds"). All functions are pure and not real-time safe (MathNet, iteration); they run once
/// at prepare time.
/// </summary>
public static class ThresholdDerivation
{
    /// <summary>Siegmund's boundary correction: the CUSUM overshoots h by ≈ 0.583 on each side, 2·0.583 = 1.166.</summary>
    public const double SiegmundCorrection = 1.166;

    /// <summary>In-control average run length (ticks between false alarms) for "one per <paramref name="hours"/> hours" at <paramref name="rateHz"/>.</summary>
    public static double AverageRunLengthTicks(double rateHz, double hours) => rateHz * 3600.0 * hours;

    /// <summary>
    /// Siegmund's approximation of the average run length of a one-sided CUSUM S = max(0, S + z − k), alarm at S &gt; h,
    /// for z ~ N(μ, 1): ARL ≈ (exp(−2Δb) + 2Δb − 1) / (2Δ²), Δ = μ − k, b = h + 1.166 (and (b)² when Δ = 0).
    /// </summary>
    public static double SiegmundArl(double k, double h, double mu = 0)
    {
        double delta = mu - k;
        double b = h + SiegmundCorrection;
        if (Math.Abs(delta) < 1e-12) return b * b;
        double x = 2 * delta * b;
        return (Math.Exp(-x) + x - 1) / (2 * delta * delta);
    }

    /// <summary>Solves <see cref="SiegmundArl"/>(k, h, 0) = <paramref name="arl"/> for h (bisection; ARL rises monotonically with h).</summary>
    public static double SolveCusumThresholdSiegmund(double k, double arl)
    {
        ValidateArl(arl);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        double lo = 0, hi = 1;
        while (SiegmundArl(k, hi) < arl) hi *= 2;
        for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (SiegmundArl(k, mid) < arl) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>
    /// Numerical ARL of the one-sided CUSUM by the Brook–Evans Markov-chain approximation: [0, h] is cut into
    /// <paramref name="states"/> cells (cell 0 holds S = 0 exactly and its half-cell), ARL = first entry of (I − R)⁻¹·1.
    /// Accurate to well under 1 % at 200+ states; used to check (and refine) Siegmund's closed form.
    /// </summary>
    public static double BrookEvansArl(double k, double h, double mu = 0, int states = 250)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(h);
        int m = states;
        double w = 2 * h / (2 * m - 1);
        var a = Matrix<double>.Build.Dense(m, m);
        for (int i = 0; i < m; i++)
        {
            double si = i * w;
            // From state i, the next S = max(0, si + z − k): to state 0 when si + z − k < w/2.
            a[i, 0] = -Phi(w / 2 - si + k - mu);
            for (int j = 1; j < m; j++)
                a[i, j] = -(Phi((j + 0.5) * w - si + k - mu) - Phi((j - 0.5) * w - si + k - mu));
            a[i, i] += 1;
        }
        var ones = Vector<double>.Build.Dense(m, 1.0);
        var arl = a.LU().Solve(ones);
        return arl[0];
    }

    /// <summary>
    /// Solves <see cref="BrookEvansArl"/>(k, h) = <paramref name="arl"/> for h, starting from Siegmund's solution: secant
    /// iteration on log ARL (nearly linear in h, ARL ∝ e^(2kh)), so a handful of Markov-chain solves suffice; bisection
    /// as the fallback if the secant ever leaves its bracket.
    /// </summary>
    public static double SolveCusumThresholdNumeric(double k, double arl, int states = 250)
    {
        double target = Math.Log(arl);
        double F(double h) => Math.Log(BrookEvansArl(k, h, 0, states)) - target;
        double h0 = SolveCusumThresholdSiegmund(k, arl);
        double x0 = h0, f0 = F(x0);
        double x1 = h0 + (f0 > 0 ? -0.05 : 0.05), f1 = F(x1);
        for (int i = 0; i < 30; i++)
        {
            if (f1 == f0) break;
            double x2 = x1 - f1 * (x1 - x0) / (f1 - f0);
            if (!double.IsFinite(x2) || x2 <= 0 || Math.Abs(x2 - h0) > 0.5 * h0 + 1) break;
            x0 = x1;
            f0 = f1;
            x1 = x2;
            f1 = F(x1);
            if (Math.Abs(x1 - x0) < 1e-7 * x1) return x1;
        }
        // Fallback: bisection on a bracket around Siegmund's h.
        double lo = Math.Max(1e-6, 0.5 * h0), hi = 1.5 * h0 + 0.5;
        while (F(hi) < 0) hi *= 1.5;
        while (lo > 1e-6 && F(lo) > 0) lo *= 0.5;
        for (int i = 0; i < 60 && hi - lo > 1e-7 * hi; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (F(mid) < 0) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>Upper χ² quantile: x with P(χ²_d &gt; x) = <paramref name="alpha"/> (root of the regularised upper incomplete gamma, solved in log space so α down to 1e-300 works).</summary>
    public static double ChiSquareUpperQuantile(int dof, double alpha)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dof);
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "tail probability must be in (0, 1)");
        double target = Math.Log(alpha);
        double lo = 0, hi = Math.Max(1, dof);
        while (LogUpperTail(dof, hi) > target) hi *= 2;
        for (int i = 0; i < 300 && hi - lo > 1e-13 * hi; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (LogUpperTail(dof, mid) > target) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>Upper F(d1, d2) quantile: x with P(F &gt; x) = <paramref name="alpha"/>, by bisection in log space. Not real-time safe (the held-leg step test's thresholds).</summary>
    public static double FUpperQuantile(int d1, int d2, double alpha)
    {
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "tail probability must be in (0, 1)");
        double lo = 0, hi = 1;
        while (FUpperTail(d1, d2, hi) > alpha) hi *= 2;
        for (int i = 0; i < 300 && hi - lo > 1e-12 * hi; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (FUpperTail(d1, d2, mid) > alpha) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>P(F(d1, d2) &gt; x) = I_{d2/(d2 + d1·x)}(d2/2, d1/2).</summary>
    public static double FUpperTail(int d1, int d2, double x) =>
        x <= 0 ? 1 : SpecialFunctions.BetaRegularized(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * x));

    /// <summary>P(χ²_d &gt; x).</summary>
    public static double ChiSquareUpperTail(int dof, double x) => x <= 0 ? 1 : SpecialFunctions.GammaUpperRegularized(dof / 2.0, x / 2);

    private static double LogUpperTail(int dof, double x)
    {
        double q = ChiSquareUpperTail(dof, x);
        if (q > 1e-280) return Math.Log(q);
        // Far tail: Q(a, y) ≈ y^(a−1) e^(−y) / Γ(a).
        double a = dof / 2.0, y = x / 2;
        return (a - 1) * Math.Log(y) - y - SpecialFunctions.GammaLn(a);
    }

    /// <summary>Standard normal CDF.</summary>
    public static double Phi(double x) => 0.5 * SpecialFunctions.Erfc(-x / Math.Sqrt(2));

    /// <summary>
    /// Threshold x (σ units) of the step GLR: every onset of the window and every component of a channel is a two-sided
    /// N(0, 1) test, and the union bound 2·Φ̄(x)·window·dof = share/ARL₀ gives its alarm rate at most share/ARL₀ per
    /// channel (nearly tight: each onset's statistic is dominated by its own first sample). Bisection on log Φ̄.
    /// </summary>
    public static double StepGlrThreshold(double arlTicks, double share, int windowTicks, int dof)
    {
        double logTarget = Math.Log(share / (2.0 * windowTicks * dof * arlTicks));
        double lo = 0, hi = 40;
        for (int it = 0; it < 200; it++)
        {
            double mid = 0.5 * (lo + hi);
            double tail = 0.5 * SpecialFunctions.Erfc(mid / Math.Sqrt(2));
            if (Math.Log(tail) > logTarget) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>
    /// Thresholds for one channel of <paramref name="dof"/> components. The channel is one detector with the configured
    /// run length <paramref name="arlTicks"/>; its alarm is the OR of a χ² gate on the NIS and 2·d one-sided CUSUMs
    /// (±, per component). The rate is split Bonferroni-style: the gate gets <paramref name="gateShare"/> of it and each
    /// one-sided CUSUM (1 − gateShare)/(2d), so the channel's total stays at (slightly under) the stated rate.
    /// </summary>
    public static ChannelThresholds ForChannel(int dof, double arlTicks, double minShiftSigma, double gateShare = 0.5,
        CusumThresholdMethod method = CusumThresholdMethod.Numeric)
    {
        ValidateArl(arlTicks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dof);
        if (!(minShiftSigma > 0) || !double.IsFinite(minShiftSigma))
            throw new ArgumentOutOfRangeException(nameof(minShiftSigma), minShiftSigma, "minimum detectable shift must be finite and > 0 σ");
        if (!(gateShare > 0 && gateShare < 1)) throw new ArgumentOutOfRangeException(nameof(gateShare), gateShare, "must be in (0, 1)");
        double k = minShiftSigma / 2;
        double gateArl = arlTicks / gateShare;
        double oneSidedArl = arlTicks / (1 - gateShare) * (2 * dof);
        double hSiegmund = SolveCusumThresholdSiegmund(k, oneSidedArl);
        double h = method == CusumThresholdMethod.Siegmund ? hSiegmund : SolveCusumThresholdNumeric(k, oneSidedArl);
        double gate = ChiSquareUpperQuantile(dof, 1 / gateArl);
        return new ChannelThresholds(dof, arlTicks, k, h, hSiegmund, oneSidedArl, gate, gateArl,
            DetectionDelaySiegmund(k, h, minShiftSigma));
    }

    /// <summary>Expected detection delay (ticks) of a one-sided CUSUM for a step of <paramref name="shiftSigma"/> σ: Siegmund's ARL at μ = shift, ≈ (h + 1.166)/(shift − k).</summary>
    public static double DetectionDelaySiegmund(double k, double h, double shiftSigma) => SiegmundArl(k, h, shiftSigma);

    private static void ValidateArl(double arl)
    {
        if (!(arl > 1) || !double.IsFinite(arl))
            throw new ArgumentOutOfRangeException(nameof(arl), arl, "average run length must be finite and > 1 tick");
    }
}

/// <summary>How the CUSUM threshold h is solved from the run length.</summary>
public enum CusumThresholdMethod
{
    /// <summary>Siegmund's closed-form approximation (a few % error in the run length at small h).</summary>
    Siegmund,

    /// <summary>Brook–Evans Markov-chain ARL, bisection started from Siegmund's h (default).</summary>
    Numeric,
}

/// <summary>
/// The derived thresholds of one channel (one detector) and the numbers behind them.
/// <see cref="CusumThreshold"/> is h in σ units; <see cref="GateThreshold"/> is on the NIS (χ²_d).
/// </summary>
public sealed record ChannelThresholds(
    int Dof,
    double ArlTicks,
    double CusumDrift,
    double CusumThreshold,
    double CusumThresholdSiegmund,
    double OneSidedArlTicks,
    double GateThreshold,
    double GateArlTicks,
    double ExpectedDetectionDelayTicks);
