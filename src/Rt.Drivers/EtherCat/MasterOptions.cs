using Rt.Core.Config;
using Rt.Drivers.EtherCat.Transport;

namespace Rt.Drivers.EtherCat;

/// <summary>
/// Bring-up settings of the <see cref="EtherCatMaster"/>. Every timeout is a duration in ns on the transport's clock
/// (<see cref="TransportOptions.Clock"/>, by default the link's: CLOCK_MONOTONIC, or a loopback's virtual time).
/// </summary>
public sealed class MasterOptions
{
    public TransportOptions Transport { get; set; } = new();

    /// <summary>How long a slave may take to reach a requested AL state (SOEM EC_TIMEOUTSTATE: 2 s; ethercrab: 5 s).</summary>
    public long StateTimeoutNs { get; set; } = 5_000_000_000;

    /// <summary>How long a mailbox transfer may take (SOEM EC_TIMEOUTRXM: 700 ms).</summary>
    public long MailboxTimeoutNs { get; set; } = 1_000_000_000;

    /// <summary>How long the SII EEPROM may stay busy with one read (SOEM EC_TIMEOUTEEP: 20 ms).</summary>
    public long EepromTimeoutNs { get; set; } = 20_000_000;

    /// <summary>Reply wait of each cyclic frame exchanged while slaves go to SAFEOP/OP.</summary>
    public long CycleReplyTimeoutNs { get; set; } = 2_000_000;

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
