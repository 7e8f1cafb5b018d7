using System.CommandLine;
using Rt.Session;

namespace Rt.Host;

/// <summary>
/// What the bench's binary adds to the command line. The robot's binary passes none: it has no <c>--bench</c>, no
/// <c>rt hil</c> and no <c>rt bench</c>, and nothing of hil/ in its closure. Not real-time safe.
/// </summary>
public interface IBenchCommands
{
    /// <summary>The emulated robot sessions run against with <c>--bench</c>.</summary>
    IBenchFactory Factory { get; }

    /// <summary>
    /// <c>rt run --bench --randomise &lt;scenario&gt;</c>: draws the plant and sensor variations of the HIL scenario's
    /// <c>randomisation</c> section with <paramref name="seed"/> onto the session's bench; returns the line to print.
    /// </summary>
    string Randomise(HostSession session, FileInfo scenario, int seed);

    /// <summary>The bench's own top-level commands (<c>rt hil</c>, <c>rt bench</c>).</summary>
    IEnumerable<Command> Commands();
}
