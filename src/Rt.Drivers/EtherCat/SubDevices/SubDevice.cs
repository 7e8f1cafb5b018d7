using Rt.Drivers.EtherCat.CoE;
using Rt.Drivers.EtherCat.Mailbox;
using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.EtherCat.SubDevices;

/// <summary>
/// What the master knows about one slave: where it is (position, station address, alias), what it is (identity, SII),
/// how it talks (mailbox, CoE), its process data (PDO mapping and place in the logical image), its DC timing and its state.
/// Filled during bring-up; read-only afterwards. Not real-time safe to mutate; the cyclic path reads only ints.
/// </summary>
public sealed class SubDevice
{
    public SubDevice(int position, ushort stationAddress)
    {
        Position = position;
        StationAddress = stationAddress;
    }

    /// <summary>0-based position on the line.</summary>
    public int Position { get; }

    /// <summary>Configured station address (0x1001 + position).</summary>
    public ushort StationAddress { get; }

    public ushort Alias { get; internal set; }
    public SlaveIdentity Identity { get; internal set; }
    public SiiInfo? Sii { get; internal set; }

    /// <summary>Device name from the SII General category (or empty).</summary>
    public string Name => Sii?.General?.DeviceName ?? "";

    public AlStatus Status { get; internal set; }
    public byte EscType { get; internal set; }
    public byte FmmuCount { get; internal set; }
    public byte SyncManagerCount { get; internal set; }
    public byte PortDescriptor { get; internal set; }
    public ushort Features { get; internal set; }
    public ushort DlStatus { get; internal set; }

    /// <summary>ESC feature bit 2: distributed clocks.</summary>
    public bool SupportsDc => (Features & 0x0004) != 0;

    /// <summary>ESC feature bit 3: 64-bit system time.</summary>
    public bool Dc64 => (Features & 0x0008) != 0;

    public SlaveMailbox? Mailbox { get; internal set; }
    public SdoClient? Sdo { get; internal set; }

    /// <summary>
    /// A joint drive's own 0x6072 max torque (‰ of rated torque), read by SDO in PREOP after the startup writes, before
    /// the cyclic frame writes the host's (<see cref="Startup.BusStartup"/>); null when not known (no CoE, no such object).
    /// The host's clamp never exceeds it.
    /// </summary>
    public ushort? CommissionedMaxTorquePerMille { get; internal set; }

    /// <summary>The mapping in use (read via CoE 0x1C12/0x1C13 or from SII). Empty lists when the slave has no process data.</summary>
    public IReadOnlyList<Sii.Pdo> RxPdos { get; internal set; } = [];
    public IReadOnlyList<Sii.Pdo> TxPdos { get; internal set; } = [];

    /// <summary>Where the mapping came from: "CoE", "SII" or "none".</summary>
    public string MappingSource { get; internal set; } = "none";

    public int OutputBits { get; internal set; }
    public int InputBits { get; internal set; }
    public int OutputBytes => (OutputBits + 7) / 8;
    public int InputBytes => (InputBits + 7) / 8;

    /// <summary>Byte offset of this slave's outputs / inputs in the cyclic LRW data (−1 when none).</summary>
    public int OutputOffset { get; internal set; } = -1;
    public int InputOffset { get; internal set; } = -1;

    /// <summary>Physical start of the outputs / inputs buffers (SM2 / SM3 start).</summary>
    public ushort OutputSmStart { get; internal set; }
    public ushort InputSmStart { get; internal set; }

    /// <summary>DC: measured propagation delay from the reference clock (ns), written to 0x0928.</summary>
    public long PropagationDelayNs { get; internal set; }

    /// <summary>DC: system time offset written to 0x0920 (ns).</summary>
    public long SystemTimeOffsetNs { get; internal set; }

    /// <summary>DC: loop time of the frame through the ports behind this slave (port 1 − port 0 receive time, ns).</summary>
    public long DownstreamLoopNs { get; internal set; }

    /// <summary>Identity and place as one line.</summary>
    public override string ToString() => $"position {Position} station 0x{StationAddress:X4} {Identity} '{Name}' {Status}";
}
