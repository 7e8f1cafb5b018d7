using Rt.Core.Description;

namespace Rt.Hil.Plant;

/// <summary>Unit quaternion in MuJoCo's order (w, x, y, z). Real-time safe (immutable value, pure arithmetic).</summary>
public readonly record struct Quat(double W, double X, double Y, double Z)
{
    public static readonly Quat Identity = new(1, 0, 0, 0);

    /// <summary>Hamilton product a·b (apply b first, then a).</summary>
    public static Quat operator *(Quat a, Quat b) => new(
        a.W * b.W - a.X * b.X - a.Y * b.Y - a.Z * b.Z,
        a.W * b.X + a.X * b.W + a.Y * b.Z - a.Z * b.Y,
        a.W * b.Y - a.X * b.Z + a.Y * b.W + a.Z * b.X,
        a.W * b.Z + a.X * b.Y - a.Y * b.X + a.Z * b.W);

    /// <summary>Rotates <paramref name="v"/> by this quaternion: v' = q v q*.</summary>
    public Vec3 Rotate(Vec3 v)
    {
        // t = 2 (q_vec × v); v' = v + w t + q_vec × t
        double tx = 2 * (Y * v.Z - Z * v.Y);
        double ty = 2 * (Z * v.X - X * v.Z);
        double tz = 2 * (X * v.Y - Y * v.X);
        return new Vec3(
            v.X + W * tx + (Y * tz - Z * ty),
            v.Y + W * ty + (Z * tx - X * tz),
            v.Z + W * tz + (X * ty - Y * tx));
    }
}

/// <summary>URDF roll-pitch-yaw conversions. Pure functions; real-time safe.</summary>
public static class Rotation
{
    /// <summary>
    /// URDF rpy (fixed axes X, then Y, then Z: R = Rz(yaw)·Ry(pitch)·Rx(roll)) as a MuJoCo quaternion (w, x, y, z):
    /// q = qz(yaw) ⊗ qy(pitch) ⊗ qx(roll), with q_axis(θ) = (cos θ/2, sin θ/2 · axis).
    /// </summary>
    public static Quat QuatFromRpy(Vec3 rpy)
    {
        double cr = Math.Cos(rpy.X / 2), sr = Math.Sin(rpy.X / 2);
        double cp = Math.Cos(rpy.Y / 2), sp = Math.Sin(rpy.Y / 2);
        double cy = Math.Cos(rpy.Z / 2), sy = Math.Sin(rpy.Z / 2);
        return new Quat(
            cr * cp * cy + sr * sp * sy,
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy);
    }

    /// <summary>R = Rz(yaw)·Ry(pitch)·Rx(roll) as a row-major 3×3 matrix (written out independently of the quaternion, for checks).</summary>
    public static double[,] MatrixFromRpy(Vec3 rpy)
    {
        double cr = Math.Cos(rpy.X), sr = Math.Sin(rpy.X);
        double cp = Math.Cos(rpy.Y), sp = Math.Sin(rpy.Y);
        double cy = Math.Cos(rpy.Z), sy = Math.Sin(rpy.Z);
        return new[,]
        {
            { cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr },
            { sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr },
            { -sp, cp * sr, cp * cr },
        };
    }
}
