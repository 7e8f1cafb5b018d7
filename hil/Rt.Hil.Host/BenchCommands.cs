using System.CommandLine;
using Rt.Hil.Campaign;
using Rt.Hil.Host.Commands;
using Rt.Host;
using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Host;

/// <summary>What the bench adds to the <c>rt</c> command line (see <see cref="IBenchCommands"/>). Not real-time safe.</summary>
public sealed class BenchCommands : IBenchCommands
{
    public IBenchFactory Factory => BenchFactory.Instance;

    public string Randomise(HostSession session, FileInfo scenario, int seed)
    {
        var loaded = ScenarioLoader.Load(scenario.FullName) with { Seed = (ulong)seed };
        var values = DomainRandomiser.Apply(session, loaded);
        return $"bench randomised from {scenario.FullName} with seed {seed}: {values.Count} values drawn";
    }

    public IEnumerable<Command> Commands()
    {
        yield return HilServeCommand.Create();
        yield return PerfCommand.Create();
        yield return DatasetCommand.Create();
    }
}
