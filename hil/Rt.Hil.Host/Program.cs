using Rt.Hil.Host.Commands;
using Rt.Host;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Host;

/// <summary>The bench's <c>rt</c> binary: the robot's command line plus the bench (<c>--bench</c>, <c>rt hil</c>, <c>rt bench</c>).</summary>
public static class Program
{
    public static int Main(string[] args) => RtCli.Run(args, new BenchCommands());
}
