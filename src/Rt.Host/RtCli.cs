using System.CommandLine;
using Rt.Host.Commands;

namespace Rt.Host;

/// <summary>
/// The <c>rt</c> command line, shared by the robot's binary (no bench) and the bench's (which passes its
/// <see cref="IBenchCommands"/>: <c>--bench</c> on <c>rt run</c>/<c>rt scan</c>, <c>rt hil …</c>, <c>rt bench …</c>).
/// </summary>
public static class RtCli
{
    public static int Run(string[] args, IBenchCommands? bench)
    {
        var root = new RootCommand("Rt: real-time controller host for humanoid-class robots (EtherCAT drives and IMUs, digital twin, safety supervisor, MQTT telemetry).")
        {
            RunCommand.Create(bench),
        };
        foreach (var extra in ExtraCommands.Create(bench)) root.Add(extra);
        if (bench != null)
            foreach (var c in bench.Commands()) root.Add(c);
        return root.Parse(args).Invoke();
    }
}
