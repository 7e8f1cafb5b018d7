using Rt.Core.Config;
using Rt.Drivers.EtherCat.Transport;

namespace Rt.Drivers.EtherCat;

/// <summary>Bring-up settings of the <see cref="EtherCatMaster"/>. Timeouts are poll counts, never clock time.</summary>
public sealed class MasterOptions
{
    public TransportOptions Transport { get; set; } = new();

    /// <summary>AL status polls before a requested state counts as not reached.</summary>
    public int StatePolls { get; set; } = 2000;

    /// <summary>SM status polls before a mailbox transfer times out.</summary>
    public int MailboxPolls { get; set; } = 2000;

    /// <summary>Receive polls per cyclic frame (a loopback answers on the first; a raw socket needs more).</summary>
    public int CyclePolls { get; set; } = 1000;

    /// <summary>Read the PDO mapping over CoE (0x1C12/0x1C13) when the slave has CoE; otherwise use SII.</summary>
    public bool MappingViaCoe { get; set; } = true;

    /// <summary>Configure distributed clocks (delays, offsets, drift compensation, SYNC0) during bring-up.</summary>
    public bool DistributedClocks { get; set; } = true;

    /// <summary>ARMW frames sent on 0x0910 for static drift compensation (ETG.1020 suggests ~15000).</summary>
    public int DcStaticDriftFrames { get; set; } = 15000;

    /// <summary>SYNC0 start lead: the first SYNC0 pulse is at least this far after the reference clock's current time (ns).</summary>
    public long Sync0StartLeadNs { get; set; } = 100_000_000;

    /// <summary>Options as the config asks (<c>bus.distributed_clocks</c>); everything else default. Not real-time safe.</summary>
    public static MasterOptions FromConfig(RtConfig config) => new() { DistributedClocks = config.Bus.DistributedClocks };

    /// <summary>Logical address of the first byte of the cyclic image.</summary>
    public uint LogicalStart { get; set; } = 0x0001_0000;
}
