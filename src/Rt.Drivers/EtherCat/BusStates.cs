using Rt.Drivers.EtherCat.ProcessData;
using Rt.Drivers.EtherCat.SubDevices;

namespace Rt.Drivers.EtherCat;

/// <summary>
/// Typestate of the bring-up (ethercrab style): each handle is only handed out once every slave has reached its state,
/// and only an <see cref="OpBus"/> can build the tick's <see cref="EtherCatFieldbus"/> — cyclic exchange on a bus that
/// never reached OP does not compile. A handle records what bring-up achieved; a slave may still fall out of OP later,
/// which the tick reports as BusSlaveLeftOp. Not real-time safe.
/// </summary>
public abstract class BusInState
{
    private protected BusInState(EtherCatMaster master) => Master = master;

    public EtherCatMaster Master { get; }
    public IReadOnlyList<SubDevice> SubDevices => Master.SubDevices;
}

/// <summary>Every slave in PREOP: addresses, SII, mailboxes and PDO mapping known; SDOs possible.</summary>
public sealed class PreOpBus : BusInState
{
    internal PreOpBus(EtherCatMaster master) : base(master) { }

    /// <summary>
    /// Runs the startup (checks before OP, SDO writes, PDO assignment and mapping; see <see cref="Startup.BusStartup"/>) when
    /// given, lays out process data, configures DC (if enabled), and brings every slave to SAFEOP. A failure leaves the bus in INIT.
    /// </summary>
    public SafeOpBus ToSafeOp(long masterTimeNs, long cycleNs, Startup.BusStartup? startup = null)
    {
        startup?.Apply(Master); // puts the bus back into INIT itself when it fails
        try
        {
            Master.ConfigureProcessData();
            if (Master.Options.DistributedClocks) Master.ConfigureDistributedClocks(masterTimeNs, cycleNs);
            Master.RequestState(AlState.SafeOp);
        }
        catch (EtherCatException)
        {
            Startup.BusStartup.BackToInit(Master);
            throw;
        }
        return new SafeOpBus(Master, Master.Cyclic!);
    }
}

/// <summary>Every slave in SAFEOP: inputs valid, outputs not yet applied.</summary>
public sealed class SafeOpBus : BusInState
{
    internal SafeOpBus(EtherCatMaster master, CyclicFrame cyclic) : base(master) => Cyclic = cyclic;

    public CyclicFrame Cyclic { get; }

    /// <summary>Brings every slave to OP (the cyclic frame keeps running while waiting).</summary>
    public OpBus ToOp()
    {
        try
        {
            Master.RequestState(AlState.Op);
        }
        catch (EtherCatException)
        {
            Startup.BusStartup.BackToInit(Master);
            throw;
        }
        return new OpBus(Master, Cyclic);
    }
}

/// <summary>Every slave in OP: the bus the tick's <see cref="EtherCatFieldbus"/> exchanges process data on.</summary>
public sealed class OpBus : BusInState
{
    internal OpBus(EtherCatMaster master, CyclicFrame cyclic) : base(master) => Cyclic = cyclic;

    public CyclicFrame Cyclic { get; }
}
