using System.Globalization;
using System.Text;
using MathNet.Numerics.LinearAlgebra;
using Rt.Twin.Dynamics;

namespace Rt.Twin.Calibration;

/// <summary>One identified base parameter: Σ coefficient·x_name = value (x = π plus friction coefficients).</summary>
public sealed record BaseParameterEstimate(string Name, double Value, int Column, int[] DependentColumns, double[] DependentCoefficients);

/// <summary>Result of the link-dynamics and friction identification; vectors in the rigid-body model's joint order unless noted.</summary>
public sealed record DynamicsFit(
    IReadOnlyList<string> ParameterNames,
    double[] Parameters,
    IReadOnlyList<BaseParameterEstimate> BaseParameters,
    IReadOnlyList<string> Unidentifiable,
    double ConditionNumber,
    double[] TorqueR2,
    double[] TorqueResidualSigma,
    int Samples)
{
    /// <summary>Value of base parameter <paramref name="index"/> for a full parameter vector x (e.g. the true one in a test).</summary>
    public double BaseValueOf(ReadOnlySpan<double> x, int index)
    {
        var b = BaseParameters[index];
        double v = x[b.Column];
        for (int k = 0; k < b.DependentColumns.Length; k++) v += b.DependentCoefficients[k] * x[b.DependentColumns[k]];
        return v;
    }
}

/// <summary>
/// Base-parameter least squares for the link inertial parameters and joint friction:
/// τ_measured = Y(q, q̇, q̈)·π + F_c·tanh(q̇/ε) + F_v·q̇, with Y's column j the RNEA torques for the unit parameter
/// vector e_j (inverse dynamics is linear in π). The structurally identifiable combinations come from QR with column
/// pivoting on a regressor of random states; the recording must excite all of them (same rank), else the parameters
/// it leaves unexcited are named. The solve is refused when the condition number of the column-scaled base
/// regressor exceeds the limit. Not real-time safe.
/// </summary>
public static class DynamicsIdentification
{
    private const double ZeroColumn = 1e-9;   // relative to the largest column norm
    private const double RankTolerance = 1e-7; // residual norm of a unit-scaled column after projection

    public static string[] ColumnNames(RigidBodyModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = new List<string>(model.ParameterNames);
        foreach (var j in model.JointNames) names.Add($"{j}.coulomb_friction");
        foreach (var j in model.JointNames) names.Add($"{j}.viscous_friction");
        return [.. names];
    }

    /// <summary>
    /// Identifies from samples (model joint order, S × n each). <paramref name="nominal"/> is the full parameter vector
    /// (π from the URDF, then F_c, F_v per joint) that fills the combinations the data cannot determine.
    /// </summary>
    /// <exception cref="CalibrationException">Insufficient excitation or ill-conditioning, with the parameters named.</exception>
    public static DynamicsFit Fit(RigidBodyModel model, double[][] q, double[][] qd, double[][] qdd, double[][] tau,
        double[] nominal, double maxConditionNumber, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(tau);
        ArgumentNullException.ThrowIfNull(nominal);
        int n = model.DegreesOfFreedom;
        string[] names = ColumnNames(model);
        int p = names.Length;

        // Structural analysis on random, richly exciting states.
        var rng = new Random(seed);
        int structuralSamples = Math.Max(60, 4 * p / n);
        var rq = new double[structuralSamples][];
        var rqd = new double[structuralSamples][];
        var rqdd = new double[structuralSamples][];
        for (int s = 0; s < structuralSamples; s++)
        {
            rq[s] = new double[n];
            rqd[s] = new double[n];
            rqdd[s] = new double[n];
            for (int i = 0; i < n; i++)
            {
                rq[s][i] = (rng.NextDouble() * 2 - 1) * Math.PI;
                rqd[s][i] = (rng.NextDouble() * 2 - 1) * 3;
                rqdd[s][i] = (rng.NextDouble() * 2 - 1) * 30;
            }
        }
        var ys = Regressor(model, rq, rqd, rqdd);
        var structuralNorms = Norms(ys);
        double maxStructural = structuralNorms.Max();
        var candidates = Enumerable.Range(0, p).Where(j => structuralNorms[j] > ZeroColumn * maxStructural).ToList();
        var (baseSet, _) = PivotedQr(ys, candidates, structuralNorms);
        var dependent = candidates.Except(baseSet).ToList();
        var unidentifiable = new List<string>();
        foreach (int j in Enumerable.Range(0, p).Except(candidates)) unidentifiable.Add($"{names[j]}: no effect on the joint torques (structurally; column norm 0)");

        // β: dependent columns as combinations of base columns (structural, exact).
        var beta = SolveColumns(ys, baseSet, dependent);
        for (int d = 0; d < dependent.Count; d++)
            unidentifiable.Add($"{names[dependent[d]]}: not separable; enters only through {Combination(names, baseSet, d, beta, dependent[d])}");

        // The recording.
        var yr = Regressor(model, q, qd, qdd);
        var recordNorms = Norms(yr);
        double maxRecord = recordNorms.Max();
        var excited = baseSet.Where(j => recordNorms[j] > ZeroColumn * maxRecord).ToList();
        var (recordBase, _) = PivotedQr(yr, excited, recordNorms);
        var lost = baseSet.Except(recordBase).ToList();
        if (lost.Count > 0) throw new CalibrationException(ExcitationMessage(names, lost, recordNorms, maxRecord, model, q, qd));

        // Least squares on column-scaled base columns.
        int m = tau.Length * n;
        int r = baseSet.Count;
        var a = Matrix<double>.Build.Dense(m, r);
        for (int c = 0; c < r; c++)
        {
            var col = yr[baseSet[c]];
            double inv = 1 / recordNorms[baseSet[c]];
            for (int i = 0; i < m; i++) a[i, c] = col[i] * inv;
        }
        var b = Vector<double>.Build.Dense(m);
        for (int s = 0; s < tau.Length; s++)
            for (int i = 0; i < n; i++) b[s * n + i] = tau[s][i];
        var qr = a.QR();
        var singular = qr.R.SubMatrix(0, r, 0, r).Svd(true);
        double cond = singular.S[0] / singular.S[r - 1];
        if (!(cond <= maxConditionNumber))
        {
            var weakest = singular.VT.Row(r - 1);
            var terms = Enumerable.Range(0, r).OrderByDescending(k => Math.Abs(weakest[k])).Take(4)
                .Where(k => Math.Abs(weakest[k]) > 0.1)
                .Select(k => $"{weakest[k].ToString("+0.00;-0.00", CultureInfo.InvariantCulture)}·{names[baseSet[k]]}");
            throw new CalibrationException(
                $"ill-conditioned identification: condition number {cond:G3} of the column-scaled base regressor exceeds {maxConditionNumber:G3}. " +
                $"Insufficient excitation: the recording barely distinguishes the combination {string.Join(" ", terms)} (normalised columns). " +
                "Record a richer excitation (every joint through its range, several frequencies, higher accelerations).");
        }
        var thetaScaled = qr.Solve(b);
        var theta = new double[r];
        for (int c = 0; c < r; c++) theta[c] = thetaScaled[c] / recordNorms[baseSet[c]];

        // A full parameter vector realising the base values, nominal where the data cannot decide.
        var x = (double[])nominal.Clone();
        var estimates = new List<BaseParameterEstimate>();
        for (int c = 0; c < r; c++)
        {
            double v = theta[c];
            var depCols = new List<int>();
            var depCoef = new List<double>();
            for (int d = 0; d < dependent.Count; d++)
            {
                double coef = beta[c, d];
                if (Math.Abs(coef) < 1e-9) continue;
                depCols.Add(dependent[d]);
                depCoef.Add(coef);
                v -= coef * nominal[dependent[d]];
            }
            x[baseSet[c]] = v;
            string name = depCols.Count == 0 ? names[baseSet[c]]
                : names[baseSet[c]] + string.Concat(depCols.Select((dc, k) => $" {(depCoef[k] < 0 ? "−" : "+")} {Math.Abs(depCoef[k]).ToString("G4", CultureInfo.InvariantCulture)}·{names[dc]}"));
            estimates.Add(new BaseParameterEstimate(name, theta[c], baseSet[c], [.. depCols], [.. depCoef]));
        }

        // Fit quality per joint.
        var fitted = a * thetaScaled;
        var r2 = new double[n];
        var sigma = new double[n];
        for (int i = 0; i < n; i++)
        {
            double mean = 0;
            for (int s = 0; s < tau.Length; s++) mean += tau[s][i];
            mean /= tau.Length;
            double ssr = 0, sst = 0;
            for (int s = 0; s < tau.Length; s++)
            {
                double e = tau[s][i] - fitted[s * n + i];
                ssr += e * e;
                sst += (tau[s][i] - mean) * (tau[s][i] - mean);
            }
            sigma[i] = Math.Sqrt(ssr / tau.Length);
            r2[i] = sst > 0 ? 1 - ssr / sst : 0;
        }
        return new DynamicsFit(names, x, estimates, unidentifiable, cond, r2, sigma, tau.Length);
    }

    /// <summary>Regressor columns (p arrays of S·n rows): RNEA with unit π_j, then the friction columns.</summary>
    public static double[][] Regressor(RigidBodyModel model, double[][] q, double[][] qd, double[][] qdd)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(qd);
        ArgumentNullException.ThrowIfNull(qdd);
        int n = model.DegreesOfFreedom, np = model.ParameterCount, samples = q.Length;
        int p = np + 2 * n;
        var cols = new double[p][];
        for (int j = 0; j < p; j++) cols[j] = new double[samples * n];
        var unit = new double[np];
        var t = new double[n];
        for (int s = 0; s < samples; s++)
        {
            for (int j = 0; j < np; j++)
            {
                unit[j] = 1;
                model.InverseDynamics(q[s], qd[s], qdd[s], t, unit, true);
                unit[j] = 0;
                for (int i = 0; i < n; i++) cols[j][s * n + i] = t[i];
            }
            for (int i = 0; i < n; i++)
            {
                cols[np + i][s * n + i] = Math.Tanh(qd[s][i] / Models.ServoParameters.CoulombSmoothingRadS);
                cols[np + n + i][s * n + i] = qd[s][i];
            }
        }
        return cols;
    }

    private static double[] Norms(double[][] cols)
    {
        var norms = new double[cols.Length];
        for (int j = 0; j < cols.Length; j++)
        {
            double s = 0;
            foreach (double v in cols[j]) s += v * v;
            norms[j] = Math.Sqrt(s);
        }
        return norms;
    }

    /// <summary>
    /// QR with column pivoting (modified Gram–Schmidt, re-orthogonalised) on the unit-scaled candidate columns: returns
    /// the selected independent columns in pivot order and the rest.
    /// </summary>
    private static (List<int> Selected, List<int> Remaining) PivotedQr(double[][] cols, List<int> candidates, double[] norms)
    {
        int m = cols.Length == 0 ? 0 : cols[0].Length;
        var work = new Dictionary<int, double[]>();
        foreach (int j in candidates)
        {
            var c = new double[m];
            double inv = 1 / norms[j];
            for (int i = 0; i < m; i++) c[i] = cols[j][i] * inv;
            work[j] = c;
        }
        var selected = new List<int>();
        var remaining = new List<int>(candidates);
        while (remaining.Count > 0)
        {
            int best = -1;
            double bestNorm = 0;
            foreach (int j in remaining)
            {
                double s = Dot(work[j], work[j]);
                if (s > bestNorm)
                {
                    bestNorm = s;
                    best = j;
                }
            }
            if (Math.Sqrt(bestNorm) < RankTolerance) break;
            var qv = work[best];
            double inv = 1 / Math.Sqrt(bestNorm);
            for (int i = 0; i < m; i++) qv[i] *= inv;
            selected.Add(best);
            remaining.Remove(best);
            foreach (int j in remaining)
            {
                var c = work[j];
                for (int pass = 0; pass < 2; pass++)
                {
                    double d = Dot(qv, c);
                    for (int i = 0; i < m; i++) c[i] -= d * qv[i];
                }
            }
        }
        return (selected, remaining);
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>β (|base| × |dependent|) with Y_dependent = Y_base·β, least squares.</summary>
    private static Matrix<double> SolveColumns(double[][] cols, List<int> baseSet, List<int> dependent)
    {
        int m = cols[0].Length;
        var a = Matrix<double>.Build.Dense(m, baseSet.Count, (i, c) => cols[baseSet[c]][i]);
        if (dependent.Count == 0) return Matrix<double>.Build.Dense(baseSet.Count, 0);
        var d = Matrix<double>.Build.Dense(m, dependent.Count, (i, c) => cols[dependent[c]][i]);
        return a.QR().Solve(d);
    }

    private static string Combination(string[] names, List<int> baseSet, int d, Matrix<double> beta, int column)
    {
        var terms = new List<string>();
        for (int c = 0; c < baseSet.Count; c++)
        {
            double coef = beta[c, d];
            if (Math.Abs(coef) < 1e-9) continue;
            terms.Add($"{names[baseSet[c]]} (×{coef.ToString("G4", CultureInfo.InvariantCulture)})");
        }
        return terms.Count == 0 ? $"nothing ({names[column]})" : string.Join(", ", terms);
    }

    private static string ExcitationMessage(string[] names, List<int> lost, double[] norms, double maxNorm, RigidBodyModel model,
        double[][] q, double[][] qd)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"insufficient excitation: {lost.Count} parameter combination(s) that the robot's structure makes identifiable are not excited by this recording (rank-deficient regressor): ");
        s.Append(string.Join("; ", lost.Select(j => norms[j] <= ZeroColumn * maxNorm
            ? $"{names[j]}: not excited (column norm {norms[j]:G2})"
            : $"{names[j]}: not excited independently (linear combination of the other columns in this recording)")));
        var still = new List<string>();
        for (int i = 0; i < model.DegreesOfFreedom; i++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity, ms = 0;
            for (int t = 0; t < q.Length; t++)
            {
                lo = Math.Min(lo, q[t][i]);
                hi = Math.Max(hi, q[t][i]);
                ms += qd[t][i] * qd[t][i];
            }
            double rms = Math.Sqrt(ms / Math.Max(1, q.Length));
            if (hi - lo < 0.05 || rms < 0.05)
                still.Add($"joint '{model.JointNames[i]}' barely moves (position range {hi - lo:G3} rad, velocity RMS {rms:G3} rad/s)");
        }
        if (still.Count > 0) s.Append(". ").Append(string.Join("; ", still));
        s.Append(". Record an excitation that moves every joint through its range at several speeds, or calibrate without link dynamics.");
        return s.ToString();
    }
}

/// <summary>Calibration cannot produce trustworthy parameters from this recording; the message says which and why.</summary>
public sealed class CalibrationException : Exception
{
    public CalibrationException(string message) : base(message) { }

    public CalibrationException() { }

    public CalibrationException(string message, Exception inner) : base(message, inner) { }
}
