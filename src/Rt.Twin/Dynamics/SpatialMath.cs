using System.Runtime.CompilerServices;

namespace Rt.Twin.Dynamics;

// Small value types for the dynamics kernels. Spatial vectors are kept as pairs of 3-vectors (angular, linear)
// and Plücker transforms as (E, r) pairs (Featherstone, RBDA §2.8) rather than 6×6 matrices: the same algebra with
// a fraction of the flops, and no heap. Everything here is real-time safe (structs, no allocation).

/// <summary>A 3-vector of doubles. Real-time safe.</summary>
internal struct V3
{
    public double X, Y, Z;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public V3(double x, double y, double z)
    {
        X = x;
        Y = y;
        Z = z;
    }

    public static V3 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V3 operator +(in V3 a, in V3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V3 operator -(in V3 a, in V3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V3 operator -(in V3 a) => new(-a.X, -a.Y, -a.Z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V3 operator *(in V3 a, double s) => new(a.X * s, a.Y * s, a.Z * s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V3 operator *(double s, in V3 a) => new(a.X * s, a.Y * s, a.Z * s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Dot(in V3 a, in V3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V3 Cross(in V3 a, in V3 b) =>
        new(a.Y * b.Z - a.Z * b.Y, a.Z * b.X - a.X * b.Z, a.X * b.Y - a.Y * b.X);

    public readonly double Norm => Math.Sqrt(X * X + Y * Y + Z * Z);

    public override readonly string ToString() => $"({X}, {Y}, {Z})";
}

/// <summary>A 3×3 matrix of doubles, row-major. Real-time safe.</summary>
internal struct M3
{
    public double M00, M01, M02, M10, M11, M12, M20, M21, M22;

    public static M3 Identity => new() { M00 = 1, M11 = 1, M22 = 1 };

    /// <summary>This matrix times a vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly V3 Mul(in V3 v) =>
        new(M00 * v.X + M01 * v.Y + M02 * v.Z, M10 * v.X + M11 * v.Y + M12 * v.Z, M20 * v.X + M21 * v.Y + M22 * v.Z);

    /// <summary>The transpose of this matrix times a vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly V3 MulT(in V3 v) =>
        new(M00 * v.X + M10 * v.Y + M20 * v.Z, M01 * v.X + M11 * v.Y + M21 * v.Z, M02 * v.X + M12 * v.Y + M22 * v.Z);

    public static M3 operator *(in M3 a, in M3 b) => new()
    {
        M00 = a.M00 * b.M00 + a.M01 * b.M10 + a.M02 * b.M20,
        M01 = a.M00 * b.M01 + a.M01 * b.M11 + a.M02 * b.M21,
        M02 = a.M00 * b.M02 + a.M01 * b.M12 + a.M02 * b.M22,
        M10 = a.M10 * b.M00 + a.M11 * b.M10 + a.M12 * b.M20,
        M11 = a.M10 * b.M01 + a.M11 * b.M11 + a.M12 * b.M21,
        M12 = a.M10 * b.M02 + a.M11 * b.M12 + a.M12 * b.M22,
        M20 = a.M20 * b.M00 + a.M21 * b.M10 + a.M22 * b.M20,
        M21 = a.M20 * b.M01 + a.M21 * b.M11 + a.M22 * b.M21,
        M22 = a.M20 * b.M02 + a.M21 * b.M12 + a.M22 * b.M22,
    };

    public readonly M3 Transpose() => new()
    {
        M00 = M00, M01 = M10, M02 = M20,
        M10 = M01, M11 = M11, M12 = M21,
        M20 = M02, M21 = M12, M22 = M22,
    };

    /// <summary>URDF fixed-axis roll-pitch-yaw: R = Rz(yaw)·Ry(pitch)·Rx(roll).</summary>
    public static M3 FromRpy(double roll, double pitch, double yaw)
    {
        double cr = Math.Cos(roll), sr = Math.Sin(roll);
        double cp = Math.Cos(pitch), sp = Math.Sin(pitch);
        double cy = Math.Cos(yaw), sy = Math.Sin(yaw);
        return new M3
        {
            M00 = cy * cp, M01 = cy * sp * sr - sy * cr, M02 = cy * sp * cr + sy * sr,
            M10 = sy * cp, M11 = sy * sp * sr + cy * cr, M12 = sy * sp * cr - cy * sr,
            M20 = -sp, M21 = cp * sr, M22 = cp * cr,
        };
    }

    /// <summary>Rotation by <paramref name="c"/> = cos θ, <paramref name="s"/> = sin θ about unit axis <paramref name="a"/> (Rodrigues).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static M3 AxisAngle(in V3 a, double c, double s)
    {
        double t = 1 - c;
        double xy = a.X * a.Y * t, xz = a.X * a.Z * t, yz = a.Y * a.Z * t;
        return new M3
        {
            M00 = c + a.X * a.X * t, M01 = xy - a.Z * s, M02 = xz + a.Y * s,
            M10 = xy + a.Z * s, M11 = c + a.Y * a.Y * t, M12 = yz - a.X * s,
            M20 = xz - a.Y * s, M21 = yz + a.X * s, M22 = c + a.Z * a.Z * t,
        };
    }
}

/// <summary>
/// The 10 inertial parameters of one rigid body about its frame origin, in its own coordinates:
/// mass m, first moment h = m·c, rotational inertia I_O (symmetric). Linear in everything the dynamics needs.
/// Layout in a π vector: [m, hx, hy, hz, Ixx, Ixy, Ixz, Iyy, Iyz, Izz]. Real-time safe.
/// </summary>
internal struct BodyInertia
{
    public double M;
    public V3 H;
    public double Ixx, Ixy, Ixz, Iyy, Iyz, Izz;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BodyInertia FromPi(ReadOnlySpan<double> pi, int body)
    {
        var p = pi.Slice(body * 10, 10);
        return new BodyInertia
        {
            M = p[0], H = new V3(p[1], p[2], p[3]),
            Ixx = p[4], Ixy = p[5], Ixz = p[6], Iyy = p[7], Iyz = p[8], Izz = p[9],
        };
    }

    public readonly void ToPi(Span<double> pi, int body)
    {
        var p = pi.Slice(body * 10, 10);
        p[0] = M;
        p[1] = H.X;
        p[2] = H.Y;
        p[3] = H.Z;
        p[4] = Ixx;
        p[5] = Ixy;
        p[6] = Ixz;
        p[7] = Iyy;
        p[8] = Iyz;
        p[9] = Izz;
    }

    /// <summary>I_O · w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly V3 RotMul(in V3 w) =>
        new(Ixx * w.X + Ixy * w.Y + Ixz * w.Z, Ixy * w.X + Iyy * w.Y + Iyz * w.Z, Ixz * w.X + Iyz * w.Y + Izz * w.Z);

    /// <summary>Spatial inertia times a motion vector (w, v): force (n, f) = (I_O w + h × v, m v − h × w).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Mul(in V3 w, in V3 v, out V3 n, out V3 f)
    {
        n = RotMul(w) + V3.Cross(H, v);
        f = M * v - V3.Cross(H, w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(in BodyInertia o)
    {
        M += o.M;
        H = H + o.H;
        Ixx += o.Ixx;
        Ixy += o.Ixy;
        Ixz += o.Ixz;
        Iyy += o.Iyy;
        Iyz += o.Iyz;
        Izz += o.Izz;
    }

    /// <summary>
    /// This inertia (in child coordinates about the child origin) expressed in the parent frame about the parent origin,
    /// for the transform "child origin at <paramref name="r"/> in parent coordinates, parent→child rotation <paramref name="e"/>".
    /// h_p = Eᵀh + m r;  I_p = EᵀI E + m(|r|²1 − r rᵀ) + 2(r·h')1 − (r h'ᵀ + h' rᵀ) with h' = Eᵀh (parallel axis, no division by m).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly BodyInertia ToParent(in M3 e, in V3 r)
    {
        // Rotate: I' = Eᵀ I E.
        var i = new M3 { M00 = Ixx, M01 = Ixy, M02 = Ixz, M10 = Ixy, M11 = Iyy, M12 = Iyz, M20 = Ixz, M21 = Iyz, M22 = Izz };
        var ir = e.Transpose() * (i * e);
        var h = e.MulT(H);
        double rr = V3.Dot(r, r), rh = V3.Dot(r, h);
        double d = M * rr + 2 * rh;
        return new BodyInertia
        {
            M = M,
            H = h + M * r,
            Ixx = ir.M00 + d - M * r.X * r.X - 2 * r.X * h.X,
            Iyy = ir.M11 + d - M * r.Y * r.Y - 2 * r.Y * h.Y,
            Izz = ir.M22 + d - M * r.Z * r.Z - 2 * r.Z * h.Z,
            Ixy = ir.M01 - M * r.X * r.Y - (r.X * h.Y + h.X * r.Y),
            Ixz = ir.M02 - M * r.X * r.Z - (r.X * h.Z + h.X * r.Z),
            Iyz = ir.M12 - M * r.Y * r.Z - (r.Y * h.Z + h.Y * r.Z),
        };
    }
}
