using System.CommandLine;
using Rt.Hil.Campaign;
using Rt.Host.Commands;
using Rt.Perf;
using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Host.Commands;

internal static partial class ExtraPerfCommands
{
    private static partial IEnumerable<Command> TwinBenchmarks()
    {
        var config = CommandOptions.ConfigOption();
        var twin = new Command("twin", "Twin step time, RNEA vs MuJoCo's mj_rne on the same model in the same run, cross-check evaluation") { config };
        twin.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
            using var rig = BenchRig.Create(cfg, new SessionOptions { Bench = true });
            int n = cfg.Joints.Count;
            var rng = new Random(7);
            double[] q = new double[n], qd = new double[n], qdd = new double[n], tau = new double[n];
            for (int i = 0; i < n; i++)
            {
                q[i] = rng.NextDouble() - 0.5;
                qd[i] = 2 * rng.NextDouble() - 1;
                qdd[i] = 10 * rng.NextDouble() - 5;
            }
            var plant = rig.Bench.Plant;
            TwinPerf.Run(cfg, Console.Out, () => plant.InverseDynamics(q, qd, qdd, tau));
            foreach (var line in Rt.Twin.CrossCheck.CrossCheckPerf.Run().Lines()) Console.WriteLine(line);
            return ExitCodes.Ok;
        }));
        yield return twin;

        var detectConfig = CommandOptions.ConfigOption();
        var glrWindow = new Option<int>("--glr-window") { Description = "Step GLR window in ticks on correlated components (0 = off, the default)", DefaultValueFactory = _ => 0 };
        var detect = new Command("detect", "Smallest step the cross-check detects within 5 ms and 50 ms per channel group, with the config's noise model and thresholds") { detectConfig, glrWindow };
        detect.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = CommandOptions.LoadConfig(r.GetValue(detectConfig)!);
            var layout = new Rt.Core.Divergence.ChannelLayout(cfg.Joints.Select(j => j.Name).ToList(), cfg.Imus.Select(i => i.Name).ToList());
            var noise = Rt.Twin.Parameters.TwinParameterOptions.FromConfig(cfg, layout).Noise ?? Rt.Twin.CrossCheck.NoiseModel.Nominal(layout, cfg);
            int window = r.GetValue(glrWindow);
            if (window is < 0 or > 1000)
            {
                Console.Error.WriteLine($"error: --glr-window {window}: expected 0 … 1000 ticks");
                return ExitCodes.BadInput;
            }
            var result = Rt.Twin.CrossCheck.StepDetectionPerf.Run(layout, noise, cfg.Twin, new Rt.Twin.CrossCheck.CrossCheckOptions { StepGlrWindowTicks = window });
            foreach (var line in result.Lines(window > 0 ? "detect_glr" : "detect")) Console.WriteLine(line);
            return ExitCodes.Ok;
        }));
        yield return detect;
    }
}
