using Rt.ControlLoop.Scheduling;
using Rt.Core.Config;
using Rt.Core.Tick;
using Rt.Drivers.EtherCat.Link;
using Rt.Hil;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Plant;
using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign;

/// <summary>
/// The emulated robot behind the host: the MuJoCo plant with its emulated CiA 402 drives and IMUs, seen by the
/// pipeline as a fieldbus (in-process process image) or, through <see cref="CreateLink"/>, as EtherCAT slaves on an
/// in-process segment, and by the scheduler as the simulated world to advance.
/// Construction is not real-time safe; <see cref="Exchange"/> and <see cref="Advance"/> are.
/// </summary>
public sealed class BenchRig : ISessionRig, IFieldbus, ISimulatedWorld
{
    private readonly RtConfig _config;

    private BenchRig(Bench bench, RtConfig config, string description)
    {
        Bench = bench;
        _config = config;
        Description = description;
    }

    public Bench Bench { get; }
    public string Description { get; }

    /// <summary>The emulated slave chain of the last <see cref="CreateLink"/> (its fault hooks: link down, dropped frames, AL errors).</summary>
    public BenchBridge? Bridge { get; private set; }

    IFieldbus ISessionRig.Fieldbus => this;
    ISimulatedWorld ISessionRig.World => this;

    public static BenchRig Create(RtConfig config, SessionOptions options)
    {
        try
        {
            var bench = Hil.Bench.Create(config, new BenchOptions { Seed = (ulong)options.Seed });
            return new BenchRig(bench, config, $"bench: MuJoCo plant, {bench.Drives.Count} emulated CiA 402 drives, {bench.Imus.Count} IMUs, {bench.Substeps} substeps per tick");
        }
        catch (BenchUnavailableException e)
        {
            throw new HostUnavailableException(e.Message, e);
        }
    }

    /// <summary>Not real-time safe. A new emulated slave chain in front of the plant, on an in-process link.</summary>
    public IEthernetLink CreateLink()
    {
        Bridge = new BenchBridge(Bench, _config);
        return new LoopbackLink(Bridge);
    }

    public void Exchange(TickState state) => Bench.Exchange(state);

    public void Advance(long periodNs) => Bench.Advance(periodNs);

    public void Dispose() => Bench.Dispose();
}
