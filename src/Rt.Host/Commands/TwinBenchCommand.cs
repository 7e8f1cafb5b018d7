using System.CommandLine;
using Rt.Host.Composition;

namespace Rt.Host.Commands;

internal static partial class ExtraBenchmarks
{
    private static partial IEnumerable<Command> TwinBenchmarks()
    {
        var twin = new Command("twin", "Twin step time, RNEA vs MuJoCo's mj_rne, cross-check evaluation");
        twin.SetAction(_ => CommandRunner.Guard(() =>
        {
            foreach (var line in Rt.Twin.CrossCheck.CrossCheckBench.Run().Lines()) Console.WriteLine(line);
            return ExitCodes.Ok;
        }));
        yield return twin;
    }
}
