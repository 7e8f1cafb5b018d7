using Rt.Core.Description;
using Rt.Hil.Plant;

namespace Rt.Hil.Tests;

public class RotationTests
{
    [Fact]
    public void Quaternion_from_rpy_rotates_points_like_the_urdf_matrix_Rz_Ry_Rx()
    {
        var rng = new Random(7);
        for (int k = 0; k < 500; k++)
        {
            var rpy = new Vec3(Next(rng, Math.PI), Next(rng, Math.PI / 2), Next(rng, Math.PI));
            var p = new Vec3(Next(rng, 1), Next(rng, 1), Next(rng, 1));
            var m = Rotation.MatrixFromRpy(rpy);
            var expected = new Vec3(
                m[0, 0] * p.X + m[0, 1] * p.Y + m[0, 2] * p.Z,
                m[1, 0] * p.X + m[1, 1] * p.Y + m[1, 2] * p.Z,
                m[2, 0] * p.X + m[2, 1] * p.Y + m[2, 2] * p.Z);
            var q = Rotation.QuatFromRpy(rpy);
            var actual = q.Rotate(p);
            Assert.Equal(1.0, q.W * q.W + q.X * q.X + q.Y * q.Y + q.Z * q.Z, 12);
            Assert.Equal(expected.X, actual.X, 12);
            Assert.Equal(expected.Y, actual.Y, 12);
            Assert.Equal(expected.Z, actual.Z, 12);
        }
    }

    [Fact]
    public void Pure_yaw_of_90_degrees_maps_x_to_y()
    {
        var q = Rotation.QuatFromRpy(new Vec3(0, 0, Math.PI / 2));
        var v = q.Rotate(new Vec3(1, 0, 0));
        Assert.Equal(0, v.X, 12);
        Assert.Equal(1, v.Y, 12);
        Assert.Equal(0, v.Z, 12);
    }

    [Fact]
    public void Order_matters_roll_is_applied_before_pitch()
    {
        // Rz·Ry·Rx with roll = pitch = 90°: y → Ry(Rx y) = Ry(z) = x.
        var q = Rotation.QuatFromRpy(new Vec3(Math.PI / 2, Math.PI / 2, 0));
        var v = q.Rotate(new Vec3(0, 1, 0));
        Assert.Equal(1, v.X, 12);
        Assert.Equal(0, v.Y, 12);
        Assert.Equal(0, v.Z, 12);
    }

    private static double Next(Random rng, double range) => (rng.NextDouble() * 2 - 1) * range;
}
