using Rt.Core.Config;
using Rt.Hil;
using Rt.Hil.Sim;
using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Injections;

/// <summary>
/// Draws a scenario's plant and sensor values from its seed and applies them to the bench before the first tick:
/// link masses and principal inertias ×(1 ± f), joint friction loss and damping ×(1 ± f), motor constants ×(1 ± f),
/// per-drive encoder noise and per-IMU accelerometer/gyro noise in [min, max], and per-sensor latency in whole plant
/// substeps. It also restarts every drive's and IMU's noise stream from the seed, so the seed alone fixes the run.
/// <para>
/// Each value is drawn from its own stream, seeded by (scenario seed, value name): the same seed gives the same values,
/// and a value does not change when another bound is added or removed. Uniform draws; a fraction or range of zero
/// leaves the nominal value (and is not listed in the result).
/// </para>
/// Not real-time safe: call once, after the session is built and before its first tick.
/// </summary>
public static class DomainRandomiser
{
    /// <summary>Not real-time safe. Applies <paramref name="scenario"/>'s randomisation to the session's bench; returns name → value drawn.</summary>
    public static IReadOnlyDictionary<string, double> Apply(HostSession session, Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(session);
        var bench = session.Bench?.Bench
            ?? throw new InvalidOperationException("domain randomisation acts on the bench, and this session has none in its process (apply it where the bench runs: Apply(bench, config, scenario))");
        return Apply(bench, session.Config, scenario);
    }

    /// <summary>Not real-time safe. The same, for a bench owned elsewhere (e.g. <c>rt hil serve</c>).</summary>
    public static IReadOnlyDictionary<string, double> Apply(Bench bench, RtConfig config, Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(bench);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(scenario);
        var r = scenario.Randomisation;
        ulong seed = scenario.Seed, noiseSeed = scenario.NoiseSeed ?? scenario.Seed;
        var drawn = new Dictionary<string, double>(StringComparer.Ordinal);
        var plant = bench.Plant;

        // Links: every moving body with an inertial (the root hangs on the stand; its mass changes nothing).
        foreach (var link in plant.Robot.Links)
        {
            if (link.Name == plant.Robot.RootLink || link.Inertial is null) continue;
            if (r.MassFraction > 0)
            {
                double m = plant.GetLinkMass(link.Name) * Factor(seed, $"{link.Name}.mass", r.MassFraction);
                plant.SetLinkMass(link.Name, m);
                drawn[$"{link.Name}.mass_kg"] = m;
            }
            if (r.InertiaFraction > 0)
            {
                // One factor for the three principal moments keeps them a physical triple (triangle inequality).
                double k = Factor(seed, $"{link.Name}.inertia", r.InertiaFraction);
                var i = plant.GetLinkInertia(link.Name);
                plant.SetLinkInertia(link.Name, new Rt.Core.Description.Vec3(i.X * k, i.Y * k, i.Z * k));
                drawn[$"{link.Name}.inertia_factor"] = k;
            }
        }

        var drives = bench.Drives;
        for (int j = 0; j < drives.Count; j++)
        {
            string name = config.Joints[j].Name;
            var drive = drives[j];
            drive.ReseedNoise(Mix(noiseSeed, Fnv1a($"{name}.encoder_noise_stream")));
            if (r.FrictionFraction > 0)
            {
                double f = plant.GetJointFrictionLoss(j) * Factor(seed, $"{name}.frictionloss", r.FrictionFraction);
                double d = plant.GetJointDamping(j) * Factor(seed, $"{name}.damping", r.FrictionFraction);
                plant.SetJointFrictionLoss(j, f);
                plant.SetJointDamping(j, d);
                drawn[$"{name}.frictionloss_nm"] = f;
                drawn[$"{name}.damping_nms"] = d;
            }
            if (r.MotorConstantFraction > 0)
            {
                drive.MotorConstantScale = Factor(seed, $"{name}.motor_constant", r.MotorConstantFraction);
                drawn[$"{name}.motor_constant_scale"] = drive.MotorConstantScale;
            }
            if (r.EncoderNoiseCounts is [var lo, var hi] && hi > 0)
            {
                drive.EncoderNoiseCounts = Uniform(seed, $"{name}.encoder_noise", lo, hi);
                drawn[$"{name}.encoder_noise_counts"] = drive.EncoderNoiseCounts;
            }
            if (r.SensorLatencySubsteps is [var llo, var lhi] && lhi > 0)
            {
                drive.FeedbackLatencySubsteps = Whole(seed, $"{name}.sensor_latency", llo, lhi);
                drawn[$"{name}.sensor_latency_substeps"] = drive.FeedbackLatencySubsteps;
            }
        }

        var imus = bench.Imus;
        for (int k = 0; k < imus.Count; k++)
        {
            string name = config.Imus[k].Name;
            var imu = imus[k];
            imu.ReseedNoise(Mix(noiseSeed, Fnv1a($"{name}.noise_stream")));
            if (r.ImuAccelNoiseMs2 is [var alo, var ahi])
            {
                imu.AccelNoiseMs2 = Uniform(seed, $"{name}.accel_noise", alo, ahi);
                drawn[$"{name}.accel_noise_ms2"] = imu.AccelNoiseMs2;
            }
            if (r.ImuGyroNoiseRadS is [var glo, var ghi])
            {
                imu.GyroNoiseRadS = Uniform(seed, $"{name}.gyro_noise", glo, ghi);
                drawn[$"{name}.gyro_noise_rad_s"] = imu.GyroNoiseRadS;
            }
            if (r.SensorLatencySubsteps is [var llo, var lhi] && lhi > 0)
            {
                int l = Whole(seed, $"{name}.sensor_latency", llo, lhi);
                bench.SetImuLatencySubsteps(k, l);
                drawn[$"{name}.sensor_latency_substeps"] = l;
            }
        }
        return drawn;
    }

    /// <summary>×(1 ± f), uniform.</summary>
    private static double Factor(ulong seed, string name, double fraction) => 1 + fraction * (2 * Draw(seed, name) - 1);

    private static double Uniform(ulong seed, string name, double lo, double hi) => lo + (hi - lo) * Draw(seed, name);

    private static int Whole(ulong seed, string name, int lo, int hi) => Math.Min(hi, lo + (int)Math.Floor(Draw(seed, name) * (hi - lo + 1)));

    /// <summary>Uniform in [0, 1) from the value's own stream.</summary>
    private static double Draw(ulong seed, string name) => new NoiseSource(Mix(seed, Fnv1a(name))).NextDouble();

    /// <summary>Combines the scenario seed and a name hash into one stream seed (NoiseSource's SplitMix spreads it).</summary>
    private static ulong Mix(ulong seed, ulong nameHash) => seed * 0x9E3779B97F4A7C15UL ^ nameHash;

    /// <summary>FNV-1a over the name's UTF-16 code units: stable across processes (string.GetHashCode is not).</summary>
    private static ulong Fnv1a(string s)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in s)
        {
            h ^= c;
            h *= 0x100000001B3UL;
        }
        return h;
    }
}
