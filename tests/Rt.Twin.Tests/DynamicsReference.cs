using Rt.Core.Description;

namespace Rt.Twin.Tests;

/// <summary>
/// A slow, independent reference for the dynamics: world-frame forward kinematics straight from the URDF (4×4-style
/// composition per link, no spatial algebra, no body merging), Jacobians by central differences, and
/// M = Σ m J_vᵀJ_v + J_ωᵀ(R I_c Rᵀ)J_ω, g = ∂V/∂q. Shares no code with RigidBodyModel.
/// </summary>
internal sealed class DynamicsReference
{
    private readonly RobotDescription _d;
    private readonly string[] _movable;

    public DynamicsReference(RobotDescription d)
    {
        _d = d;
        _movable = d.MovableJoints.Select(j => j.Name).ToArray();
    }

    public int N => _movable.Length;

    /// <summary>World pose (R row-major 3×3, p) of every link at q.</summary>
    public Dictionary<string, (double[] R, double[] P)> LinkPoses(ReadOnlySpan<double> q)
    {
        var poses = new Dictionary<string, (double[] R, double[] P)> { [_d.RootLink] = (Identity(), new double[3]) };
        foreach (var j in _d.JointsInTreeOrder)
        {
            var (rp, pp) = poses[j.Parent];
            var ro = Rpy(j.Origin.Rpy.X, j.Origin.Rpy.Y, j.Origin.Rpy.Z);
            var r = Mul(rp, ro);
            var p = Add(pp, MulV(rp, [j.Origin.Xyz.X, j.Origin.Xyz.Y, j.Origin.Xyz.Z]));
            int k = Array.IndexOf(_movable, j.Name);
            if (k >= 0)
            {
                double n = Math.Sqrt(j.Axis.X * j.Axis.X + j.Axis.Y * j.Axis.Y + j.Axis.Z * j.Axis.Z);
                double[] a = [j.Axis.X / n, j.Axis.Y / n, j.Axis.Z / n];
                if (j.Type == JointType.Prismatic) p = Add(p, MulV(r, [a[0] * q[k], a[1] * q[k], a[2] * q[k]]));
                else r = Mul(r, AxisAngle(a, q[k]));
            }
            poses[j.Child] = (r, p);
        }
        return poses;
    }

    /// <summary>Mass matrix by finite-difference Jacobians of each link's centre of mass and orientation.</summary>
    public double[] MassMatrix(double[] q)
    {
        int n = N;
        var m = new double[n * n];
        const double h = 1e-6;
        var plus = new Dictionary<string, (double[] R, double[] P)>[n];
        var minus = new Dictionary<string, (double[] R, double[] P)>[n];
        for (int j = 0; j < n; j++)
        {
            var qp = (double[])q.Clone();
            var qm = (double[])q.Clone();
            qp[j] += h;
            qm[j] -= h;
            plus[j] = LinkPoses(qp);
            minus[j] = LinkPoses(qm);
        }
        var at = LinkPoses(q);
        foreach (var link in _d.Links)
        {
            if (link.Inertial is not { } inr || !at.ContainsKey(link.Name)) continue;
            double[] c = [inr.Origin.Xyz.X, inr.Origin.Xyz.Y, inr.Origin.Xyz.Z];
            var jv = new double[3, n];
            var jw = new double[3, n];
            for (int j = 0; j < n; j++)
            {
                var (rp, pp) = plus[j][link.Name];
                var (rm, pm) = minus[j][link.Name];
                var cp = Add(pp, MulV(rp, c));
                var cm = Add(pm, MulV(rm, c));
                for (int a = 0; a < 3; a++) jv[a, j] = (cp[a] - cm[a]) / (2 * h);
                // ω = vee(Ṙ Rᵀ).
                var rdot = new double[9];
                for (int e = 0; e < 9; e++) rdot[e] = (rp[e] - rm[e]) / (2 * h);
                var w = Mul(rdot, Transpose(at[link.Name].R));
                jw[0, j] = 0.5 * (w[7] - w[5]);
                jw[1, j] = 0.5 * (w[2] - w[6]);
                jw[2, j] = 0.5 * (w[3] - w[1]);
            }
            var rc = Mul(at[link.Name].R, Rpy(inr.Origin.Rpy.X, inr.Origin.Rpy.Y, inr.Origin.Rpy.Z));
            double[] ic = [inr.Ixx, inr.Ixy, inr.Ixz, inr.Ixy, inr.Iyy, inr.Iyz, inr.Ixz, inr.Iyz, inr.Izz];
            var iw = Mul(Mul(rc, ic), Transpose(rc));
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int a = 0; a < 3; a++)
                    {
                        s += inr.Mass * jv[a, i] * jv[a, j];
                        for (int b = 0; b < 3; b++) s += jw[a, i] * iw[a * 3 + b] * jw[b, j];
                    }
                    m[i * n + j] += s;
                }
        }
        return m;
    }

    /// <summary>Potential energy V(q) = −Σ m g·c with g = (0, 0, −9.81).</summary>
    public double Potential(double[] q)
    {
        var at = LinkPoses(q);
        double v = 0;
        foreach (var link in _d.Links)
        {
            if (link.Inertial is not { } inr || !at.TryGetValue(link.Name, out var pose)) continue;
            var c = Add(pose.P, MulV(pose.R, [inr.Origin.Xyz.X, inr.Origin.Xyz.Y, inr.Origin.Xyz.Z]));
            v += inr.Mass * 9.81 * c[2];
        }
        return v;
    }

    /// <summary>g(q) = ∂V/∂q by central differences.</summary>
    public double[] Gravity(double[] q)
    {
        var g = new double[N];
        const double h = 1e-6;
        for (int j = 0; j < N; j++)
        {
            var qp = (double[])q.Clone();
            var qm = (double[])q.Clone();
            qp[j] += h;
            qm[j] -= h;
            g[j] = (Potential(qp) - Potential(qm)) / (2 * h);
        }
        return g;
    }

    public static double[] Identity() => [1, 0, 0, 0, 1, 0, 0, 0, 1];

    public static double[] Rpy(double r, double p, double y)
    {
        double[] rx = [1, 0, 0, 0, Math.Cos(r), -Math.Sin(r), 0, Math.Sin(r), Math.Cos(r)];
        double[] ry = [Math.Cos(p), 0, Math.Sin(p), 0, 1, 0, -Math.Sin(p), 0, Math.Cos(p)];
        double[] rz = [Math.Cos(y), -Math.Sin(y), 0, Math.Sin(y), Math.Cos(y), 0, 0, 0, 1];
        return Mul(rz, Mul(ry, rx));
    }

    public static double[] AxisAngle(double[] a, double t)
    {
        // exp([a]× t) by the series (independent of the model's Rodrigues formula).
        double[] k = [0, -a[2], a[1], a[2], 0, -a[0], -a[1], a[0], 0];
        var result = Identity();
        var term = Identity();
        for (int i = 1; i < 40; i++)
        {
            term = Mul(term, k);
            for (int e = 0; e < 9; e++) term[e] *= t / i;
            for (int e = 0; e < 9; e++) result[e] += term[e];
        }
        return result;
    }

    public static double[] Mul(double[] a, double[] b)
    {
        var c = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++) c[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
        return c;
    }

    public static double[] MulV(double[] a, double[] v) =>
        [a[0] * v[0] + a[1] * v[1] + a[2] * v[2], a[3] * v[0] + a[4] * v[1] + a[5] * v[2], a[6] * v[0] + a[7] * v[1] + a[8] * v[2]];

    public static double[] Transpose(double[] a) => [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];

    public static double[] Add(double[] a, double[] b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}
