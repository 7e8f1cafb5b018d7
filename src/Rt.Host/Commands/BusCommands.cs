using System.CommandLine;

namespace Rt.Host.Commands;

internal static partial class ExtraCommands
{
    private static partial IEnumerable<Command> BusCommands()
    {
        yield break;
    }
}

internal static partial class ExtraBenchmarks
{
    private static partial IEnumerable<Command> BusBenchmarks()
    {
        yield break;
    }
}
