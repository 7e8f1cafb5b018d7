using System.CommandLine;

namespace Rt.Host.Commands;

/// <summary>Commands contributed by later capabilities (scan, calibrate, validate, monitor, hil).</summary>
internal static class ExtraCommands
{
    public static IEnumerable<Command> Create()
    {
        yield break;
    }
}
