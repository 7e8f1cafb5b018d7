using Rt.Core.Description;

namespace Rt.Core.Tests.Description;

public sealed class InertiaCheckTests
{
    /// <summary>R · diag(m) · Rᵀ for a random rotation R (from a random unit quaternion).</summary>
    private static double[] Rotated(Random random, double a, double b, double c)
    {
        double qw = random.NextDouble() - 0.5, qx = random.NextDouble() - 0.5, qy = random.NextDouble() - 0.5, qz = random.NextDouble() - 0.5;
        double n = Math.Sqrt(qw * qw + qx * qx + qy * qy + qz * qz);
        qw /= n; qx /= n; qy /= n; qz /= n;
        double[,] r =
        {
            { 1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw) },
            { 2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw) },
            { 2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy) },
        };
        double[] d = [a, b, c];
        double I(int i, int j) => r[i, 0] * d[0] * r[j, 0] + r[i, 1] * d[1] * r[j, 1] + r[i, 2] * d[2] * r[j, 2];
        return [I(0, 0), I(0, 1), I(0, 2), I(1, 1), I(1, 2), I(2, 2)];
    }

    [Fact]
    public void Principal_moments_of_rotated_bodies_are_recovered_including_discs_and_rods()
    {
        var random = new Random(12345);
        for (int trial = 0; trial < 2000; trial++)
        {
            double a = 0.001 + random.NextDouble(), b = 0.001 + random.NextDouble();
            if (trial % 3 == 1) b = a * (0.05 + 1.95 * random.NextDouble()); // (a, a, b) with b <= 2a: a disc or a rod
            double c = (trial % 3) switch
            {
                0 => a + b,          // on the triangle bound (a flat plate)
                1 => a,              // a repeated moment
                _ => Math.Abs(a - b) + random.NextDouble() * (a + b - Math.Abs(a - b)),
            };
            var t = Rotated(random, a, b, c);
            var (s, m, l) = InertiaCheck.PrincipalMoments(t[0], t[1], t[2], t[3], t[4], t[5]);
            double[] expected = [a, b, c];
            Array.Sort(expected);
            double scale = expected[2];
            Assert.True(Math.Abs(s - expected[0]) < 1e-12 * scale && Math.Abs(m - expected[1]) < 1e-12 * scale && Math.Abs(l - expected[2]) < 1e-12 * scale,
                $"trial {trial}: got {s}, {m}, {l}; expected {string.Join(", ", expected)}");
            var problem = InertiaCheck.Problem(t[0], t[1], t[2], t[3], t[4], t[5]);
            Assert.True(problem is null, $"trial {trial} ({a}, {b}, {c}): {problem}");
        }
    }

    [Fact]
    public void Rotated_impossible_bodies_are_rejected()
    {
        var random = new Random(54321);
        for (int trial = 0; trial < 500; trial++)
        {
            double a = 0.01 + random.NextDouble(), b = 0.01 + random.NextDouble();
            var tooBig = Rotated(random, a, b, (a + b) * 1.01);
            Assert.Contains("triangle inequality", InertiaCheck.Problem(tooBig[0], tooBig[1], tooBig[2], tooBig[3], tooBig[4], tooBig[5]), StringComparison.Ordinal);
            var negative = Rotated(random, a, b, -0.001);
            Assert.Contains("not positive definite", InertiaCheck.Problem(negative[0], negative[1], negative[2], negative[3], negative[4], negative[5]), StringComparison.Ordinal);
        }
    }
}
