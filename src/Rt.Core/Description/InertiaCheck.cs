namespace Rt.Core.Description;

/// <summary>
/// Whether an inertia tensor can belong to a rigid body: symmetric positive definite, and its principal moments
/// satisfy the triangle inequality (each is at most the sum of the other two). Not real-time safe (builds a message).
/// </summary>
public static class InertiaCheck
{
    /// <summary>Null when the tensor is physical, otherwise what is wrong with it.</summary>
    public static string? Problem(double ixx, double ixy, double ixz, double iyy, double iyz, double izz)
    {
        var (a, b, c) = PrincipalMoments(ixx, ixy, ixz, iyy, iyz, izz);
        string moments = $"principal moments {a:G6}, {b:G6}, {c:G6} kg·m²";
        if (a <= 0) return $"the inertia tensor is not positive definite ({moments}); expected a physical rigid body";
        // Relative tolerance: a thin rod or plate sits exactly on the bound, and rounding must not reject it.
        if (a + b < c * (1 - 1e-9)) return $"the inertia tensor violates the triangle inequality ({moments}: {a:G6} + {b:G6} < {c:G6}); no rigid body has these moments";
        return null;
    }

    /// <summary>
    /// Eigenvalues of the symmetric tensor, ascending. Cyclic Jacobi rotations rather than the closed form: the closed
    /// form loses about half the digits on repeated moments (discs, rods), exactly where the triangle bound is tight.
    /// </summary>
    public static (double Smallest, double Middle, double Largest) PrincipalMoments(double ixx, double ixy, double ixz, double iyy, double iyz, double izz)
    {
        Span<double> a = [ixx, ixy, ixz, ixy, iyy, iyz, ixz, iyz, izz]; // row-major 3×3
        for (int sweep = 0; sweep < 50; sweep++)
        {
            double off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5];
            double scale = a[0] * a[0] + a[4] * a[4] + a[8] * a[8];
            if (off <= 1e-30 * scale || off == 0) break;
            Rotate(a, 0, 1);
            Rotate(a, 0, 2);
            Rotate(a, 1, 2);
        }
        Span<double> e = [a[0], a[4], a[8]];
        e.Sort();
        return (e[0], e[1], e[2]);
    }

    // Zeroes a[p,q] with a plane rotation (Golub & Van Loan, symmetric Schur decomposition).
    private static void Rotate(Span<double> a, int p, int q)
    {
        double apq = a[p * 3 + q];
        if (apq == 0) return;
        double theta = (a[q * 3 + q] - a[p * 3 + p]) / (2 * apq);
        double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        if (theta == 0) t = 1;
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 3; k++)
        {
            double akp = a[k * 3 + p], akq = a[k * 3 + q];
            a[k * 3 + p] = c * akp - s * akq;
            a[k * 3 + q] = s * akp + c * akq;
        }
        for (int k = 0; k < 3; k++)
        {
            double apk = a[p * 3 + k], aqk = a[q * 3 + k];
            a[p * 3 + k] = c * apk - s * aqk;
            a[q * 3 + k] = s * apk + c * aqk;
        }
    }
}
