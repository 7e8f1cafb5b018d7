using System.CommandLine;
using Rt.Host.Commands;

namespace Rt.Host;

/// <summary>The <c>rt</c> binary: one host for the robot, the bench and the tools around them.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Rt: real-time controller host for humanoid-class robots (EtherCAT drives and IMUs, digital twin, safety supervisor, MQTT telemetry).")
        {
            RunCommand.Create(),
            BenchCommand.Create(),
        };
        foreach (var extra in ExtraCommands.Create()) root.Add(extra);
        return root.Parse(args).Invoke();
    }
}
