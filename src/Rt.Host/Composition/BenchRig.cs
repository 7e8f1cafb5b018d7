using Rt.ControlLoop.Scheduling;
using Rt.Core.Config;
using Rt.Core.Tick;
using Rt.Hil;
using Rt.Hil.Plant;

namespace Rt.Host.Composition;

/// <summary>
/// The emulated robot behind the host: the MuJoCo plant with its emulated CiA 402 drives and IMUs, seen by the
/// pipeline as a fieldbus (in-process process image) and by the scheduler as the simulated world to advance.
/// Construction is not real-time safe; <see cref="Exchange"/> and <see cref="Advance"/> are.
/// </summary>
public sealed class BenchRig : IFieldbus, ISimulatedWorld, IDisposable
{
    private BenchRig(Bench bench, string description)
    {
        Bench = bench;
        Description = description;
    }

    public Bench Bench { get; }
    public string Description { get; }

    public static BenchRig Create(RtConfig config, SessionOptions options)
    {
        try
        {
            var bench = Hil.Bench.Create(config, new BenchOptions { Seed = (ulong)options.Seed });
            return new BenchRig(bench, $"bench: MuJoCo plant, {bench.Drives.Count} emulated CiA 402 drives, {bench.Imus.Count} IMUs, {bench.Substeps} substeps per tick");
        }
        catch (BenchUnavailableException e)
        {
            throw new HostUnavailableException(e.Message, e);
        }
    }

    public void Exchange(TickState state) => Bench.Exchange(state);

    public void Advance(long periodNs) => Bench.Advance(periodNs);

    public void Dispose() => Bench.Dispose();
}
