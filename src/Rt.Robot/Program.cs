using Rt.Host;

namespace Rt.Robot;

/// <summary>The robot's <c>rt</c> binary: the command line without the bench (no <c>--bench</c>, <c>rt hil</c>, <c>rt bench</c>).</summary>
public static class Program
{
    public static int Main(string[] args) => RtCli.Run(args, bench: null);
}
