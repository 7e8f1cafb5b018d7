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
    }
}
