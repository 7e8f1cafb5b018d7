using Rt.Core.Time;
using Rt.Hil.Esc.Devices;

namespace Rt.Hil.Esc.Segment;

/// <summary>Options for a bench chain. Not real-time safe (plain options object).</summary>
public sealed class EscBenchOptions
{
    /// <summary>One-way delay into each slave's port 0 (cable + PHY + forwarding), ns.</summary>
    public long LinkDelayNs { get; init; } = 500;

    /// <summary>Give every slave a different clock offset and drift (deterministic spread), so DC has work to do.</summary>
    public bool SpreadClocks { get; init; } = true;

    /// <summary>With <see cref="SpreadClocks"/>: the largest drift (ppm) a slave's clock gets; drifts are spread
    /// deterministically over [−this, +this] along the line.</summary>
    public double DriftSpreadPpm { get; init; } = 20;

    /// <summary>Time base of the slaves' DC clocks (see <see cref="EscSegment.DcClock"/>); null = bench time (lockstep).</summary>
    public IMonotonicClock? DcClock { get; init; }

    /// <summary>Enables the process-data watchdog on every slave (off for lockstep tests).</summary>
    public bool ProcessDataWatchdog { get; init; }

    /// <summary>Require a complete output write in SAFEOP before SAFEOP→OP.</summary>
    public bool RequireOutputsBeforeOp { get; init; }
}

/// <summary>Builds the bench's chain of emulated slaves: drives first (positions 0..n-1), then IMUs.</summary>
public static class EscBenchSegment
{
    /// <summary>
    /// Creates a segment with <paramref name="drives"/> CiA 402 drives followed by <paramref name="imus"/> IMUs
    /// (the biped12 bench is 12 + 3). Serial numbers are the 1-based positions. Not real-time safe.
    /// </summary>
    public static EscSegment Create(int drives, int imus, EscBenchOptions? options = null) => Create(drives, imus, null, options);

    /// <summary>
    /// As <see cref="Create(int, int, EscBenchOptions?)"/>, but a drive position whose expected identity
    /// (<paramref name="identities"/>, the config's <c>bus.slaves</c>) names another vendor's drive the bench emulates
    /// (<see cref="ArmServoDrive"/>) gets that device instead of the Rt bench drive. Not real-time safe.
    /// </summary>
    public static EscSegment Create(int drives, int imus, IReadOnlyList<Core.Config.SlaveIdentityConfig>? identities, EscBenchOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(drives);
        ArgumentOutOfRangeException.ThrowIfNegative(imus);
        options ??= new EscBenchOptions();
        var slaves = new List<EmulatedSlave>(drives + imus);
        for (int i = 0; i < drives + imus; i++)
        {
            var o = new SlaveOptions
            {
                SerialNumber = (uint)(i + 1),
                LinkDelayNs = options.LinkDelayNs,
                ProcessDataWatchdog = options.ProcessDataWatchdog,
                RequireOutputsBeforeOp = options.RequireOutputsBeforeOp,
                ClockOffsetNs = options.SpreadClocks ? 1_000_000_000L * (i + 1) + 12_345L * i : 0,
                ClockDriftPpm = options.SpreadClocks ? ((i * 7) % 11 - 5) / 5.0 * options.DriftSpreadPpm : 0,
            };
            slaves.Add(i >= drives ? new ImuDevice(o) : ArmModelAt(identities, i) is { } arm ? new ArmServoDrive(arm, o) : new ServoDriveDevice(o));
        }

        return new EscSegment(slaves) { DcClock = options.DcClock };
    }

    private static ArmDriveModel? ArmModelAt(IReadOnlyList<Core.Config.SlaveIdentityConfig>? identities, int position)
    {
        if (identities is null) return null;
        foreach (var id in identities)
            if (id.Position == position) return ArmServoDrive.ModelOf(id.Vendor, id.Product);
        return null;
    }

    /// <summary>The drives of a bench segment, in position order. Not real-time safe (allocates the list once).</summary>
    public static IReadOnlyList<ServoDriveDevice> Drives(EscSegment segment) =>
        segment is null ? [] : segment.Slaves.OfType<ServoDriveDevice>().ToList();

    /// <summary>The IMUs of a bench segment, in position order. Not real-time safe.</summary>
    public static IReadOnlyList<ImuDevice> Imus(EscSegment segment) =>
        segment is null ? [] : segment.Slaves.OfType<ImuDevice>().ToList();
}
