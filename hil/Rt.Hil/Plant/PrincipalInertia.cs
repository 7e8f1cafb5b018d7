using Rt.Core.Description;

namespace Rt.Hil.Plant;

/// <summary>
/// Principal moments and axes of a symmetric 3×3 inertia tensor, in double precision (cyclic Jacobi rotations).
/// The MJCF gets the inertia as <c>diaginertia</c> + <c>quat</c> computed here rather than as <c>fullinertia</c>, because
/// MuJoCo 2.2.2 diagonalises fullinertia with an iterative solver that stops near 1e-7 relative error, which would
/// show up as a spurious difference between the plant and the twin's URDF dynamics. Not real-time safe (allocates).
/// </summary>
public static class PrincipalInertia
{
    /// <summary>
    /// Decomposes <paramref name="inertia"/> (symmetric) as R·diag(moments)·Rᵀ with R a proper rotation whose columns
    /// are the principal axes; returns the moments and R as a quaternion (w, x, y, z).
    /// </summary>
    public static (Vec3 Moments, Quat Axes) Decompose(double[,] inertia)
    {
        ArgumentNullException.ThrowIfNull(inertia);
        var a = (double[,])inertia.Clone();
        var v = new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        for (int sweep = 0; sweep < 64; sweep++)
        {
            double off = Math.Abs(a[0, 1]) + Math.Abs(a[0, 2]) + Math.Abs(a[1, 2]);
            double scale = Math.Abs(a[0, 0]) + Math.Abs(a[1, 1]) + Math.Abs(a[2, 2]);
            if (off <= 1e-300 || off <= scale * 1e-18) break;
            for (int p = 0; p < 2; p++)
                for (int q = p + 1; q < 3; q++)
                {
                    if (a[p, q] == 0) continue;
                    // Rotation in the (p, q) plane that zeroes a[p, q] (Golub & Van Loan, symmetric Schur).
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < 3; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < 3; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < 3; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        double det = v[0, 0] * (v[1, 1] * v[2, 2] - v[1, 2] * v[2, 1])
                   - v[0, 1] * (v[1, 0] * v[2, 2] - v[1, 2] * v[2, 0])
                   + v[0, 2] * (v[1, 0] * v[2, 1] - v[1, 1] * v[2, 0]);
        if (det < 0)
            for (int k = 0; k < 3; k++) v[k, 2] = -v[k, 2]; // a reflection is not a frame: flip one axis
        return (new Vec3(a[0, 0], a[1, 1], a[2, 2]), FromMatrix(v));
    }

    /// <summary>Quaternion (w, x, y, z) of a proper rotation matrix (Shepperd's method, numerically stable).</summary>
    public static Quat FromMatrix(double[,] r)
    {
        ArgumentNullException.ThrowIfNull(r);
        double tr = r[0, 0] + r[1, 1] + r[2, 2];
        double w, x, y, z;
        if (tr > 0)
        {
            double s = Math.Sqrt(tr + 1) * 2;
            w = s / 4; x = (r[2, 1] - r[1, 2]) / s; y = (r[0, 2] - r[2, 0]) / s; z = (r[1, 0] - r[0, 1]) / s;
        }
        else if (r[0, 0] > r[1, 1] && r[0, 0] > r[2, 2])
        {
            double s = Math.Sqrt(1 + r[0, 0] - r[1, 1] - r[2, 2]) * 2;
            w = (r[2, 1] - r[1, 2]) / s; x = s / 4; y = (r[0, 1] + r[1, 0]) / s; z = (r[0, 2] + r[2, 0]) / s;
        }
        else if (r[1, 1] > r[2, 2])
        {
            double s = Math.Sqrt(1 + r[1, 1] - r[0, 0] - r[2, 2]) * 2;
            w = (r[0, 2] - r[2, 0]) / s; x = (r[0, 1] + r[1, 0]) / s; y = s / 4; z = (r[1, 2] + r[2, 1]) / s;
        }
        else
        {
            double s = Math.Sqrt(1 + r[2, 2] - r[0, 0] - r[1, 1]) * 2;
            w = (r[1, 0] - r[0, 1]) / s; x = (r[0, 2] + r[2, 0]) / s; y = (r[1, 2] + r[2, 1]) / s; z = s / 4;
        }
        double n = Math.Sqrt(w * w + x * x + y * y + z * z);
        return new Quat(w / n, x / n, y / n, z / n);
    }
}
