using Rt.Core.Errors;

namespace Rt.Drivers.Imu.I2c;

/// <summary>
/// The body frame as a signed permutation of the chip's axes, written <c>[x, -y, -z]</c>: body x = chip x,
/// body y = −chip y, body z = −chip z. Applying it is real-time safe.
/// </summary>
public readonly struct AxisMap
{
    private readonly int _x, _y, _z;
    private readonly float _sx, _sy, _sz;

    private AxisMap(int x, float sx, int y, float sy, int z, float sz)
    {
        (_x, _y, _z, _sx, _sy, _sz) = (x, y, z, sx, sy, sz);
    }

    public static AxisMap Identity => new(0, 1, 1, 1, 2, 1);

    /// <summary>Determinant sign of the mapping: −1 for a mirror (left-handed) mapping.</summary>
    public int Handedness
    {
        get
        {
            // Permutation parity times the product of signs.
            int parity = (_x, _y, _z) switch { (0, 1, 2) or (1, 2, 0) or (2, 0, 1) => 1, _ => -1 };
            return parity * Math.Sign(_sx * _sy * _sz);
        }
    }

    /// <summary>Parses three entries, each "x", "y" or "z" optionally prefixed by "-" or "+", each chip axis once. Not real-time safe.</summary>
    public static AxisMap Parse(IReadOnlyList<string>? axes, string source, string key)
    {
        if (axes is null || axes.Count != 3)
            throw new InputError(source, key, $"expected three axes as a signed permutation like [x, -y, -z]; got {axes?.Count ?? 0} entries");
        Span<int> idx = stackalloc int[3];
        Span<float> sign = stackalloc float[3];
        int seen = 0;
        for (int i = 0; i < 3; i++)
        {
            var t = (axes[i] ?? "").Trim();
            float s = 1;
            if (t.StartsWith('-')) { s = -1; t = t[1..]; }
            else if (t.StartsWith('+')) t = t[1..];
            int a = t switch { "x" or "X" => 0, "y" or "Y" => 1, "z" or "Z" => 2, _ => -1 };
            if (a < 0) throw new InputError(source, $"{key}[{i}]", $"expected x, y or z with an optional sign (e.g. -y); got '{axes[i]}'");
            if ((seen & (1 << a)) != 0) throw new InputError(source, key, $"chip axis {"xyz"[a]} appears twice in [{string.Join(", ", axes)}]; expected each of x, y, z once");
            seen |= 1 << a;
            idx[i] = a;
            sign[i] = s;
        }
        var map = new AxisMap(idx[0], sign[0], idx[1], sign[1], idx[2], sign[2]);
        if (map.Handedness < 0)
            throw new InputError(source, key, $"[{string.Join(", ", axes)}] is a mirror image (left-handed); expected a rotation of the chip frame (flip one more sign)");
        return map;
    }

    /// <summary>Chip-frame vector to body frame. Real-time safe.</summary>
    public void Apply(float cx, float cy, float cz, out float bx, out float by, out float bz)
    {
        bx = _sx * Pick(_x, cx, cy, cz);
        by = _sy * Pick(_y, cx, cy, cz);
        bz = _sz * Pick(_z, cx, cy, cz);
    }

    /// <summary>Body-frame vector back to the chip frame (the bench's chip models take chip-frame values). Real-time safe.</summary>
    public void ApplyInverse(double bx, double by, double bz, out double cx, out double cy, out double cz)
    {
        Span<double> c = stackalloc double[3];
        c[_x] = _sx * bx;
        c[_y] = _sy * by;
        c[_z] = _sz * bz;
        (cx, cy, cz) = (c[0], c[1], c[2]);
    }

    private static float Pick(int a, float x, float y, float z) => a == 0 ? x : a == 1 ? y : z;
}
