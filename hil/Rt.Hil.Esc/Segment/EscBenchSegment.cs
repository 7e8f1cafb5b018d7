using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Time;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Devices.Esi;

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

/// <summary>Builds the bench's chain of emulated slaves: drives first (positions 0..n-1), then IMUs, then other listed devices.</summary>
public static class EscBenchSegment
{
    /// <summary>
    /// Creates a segment with <paramref name="drives"/> CiA 402 drives followed by <paramref name="imus"/> IMUs
    /// (the biped12 bench is 12 + 3). Serial numbers are the 1-based positions. Not real-time safe.
    /// </summary>
    public static EscSegment Create(int drives, int imus, EscBenchOptions? options = null) => Create(drives, imus, null, options, null);

    /// <summary>
    /// As <see cref="Create(int, int, EscBenchOptions?)"/>, with the devices of the config's <c>bus.slaves</c> identities
    /// (<paramref name="identities"/>) taken from <paramref name="esi"/>; other positions are the Rt bench drive and IMU
    /// (from <paramref name="esi"/> when it describes them, else built in). A described device whose behaviour does not
    /// fit its position (an IMU where a joint's drive sits) is an <see cref="InputError"/>. Not real-time safe.
    /// </summary>
    public static EscSegment Create(int drives, int imus, IReadOnlyList<SlaveIdentityConfig>? identities, EscBenchOptions? options = null, EsiSlaveLibrary? esi = null, string source = "bus")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(drives);
        ArgumentOutOfRangeException.ThrowIfNegative(imus);
        options ??= new EscBenchOptions();
        // Positions past the drives and IMUs that bus.slaves lists (e.g. a vendor's I/O module tried on the bench) follow them.
        int count = drives + imus;
        if (identities is not null)
            foreach (var id in identities) count = Math.Max(count, id.Position + 1);
        var slaves = new List<EmulatedSlave>(count);
        for (int i = 0; i < count; i++)
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
            var expected = i < drives ? SlaveBehaviour.Cia402Drive : i < drives + imus ? SlaveBehaviour.Imu : SlaveBehaviour.Generic;
            if (DescriptionAt(identities, i, expected, esi) is not { } description) break; // no further described device
            if (i < drives + imus && description.Behaviour != expected)
                throw new InputError(source, $"bus.slaves (position {i})",
                    $"position {i} is {(expected == SlaveBehaviour.Imu ? "an IMU" : "a joint's drive")} on the bench, but {description.Source} describes '{description.Identity.Name}' as {Describe(description.Behaviour)}");
            slaves.Add(EsiSlaveLibrary.Create(description, o));
        }

        return new EscSegment(slaves) { DcClock = options.DcClock };
    }

    /// <summary>
    /// The bench chain of a robot config: one drive per joint, one IMU per <c>imus</c> entry, then any further
    /// <c>bus.slaves</c> positions, each built from the config's ESI files (<c>bench.esi</c>, else <c>bus.esi</c>) by identity. Malformed ESI
    /// or an identity no ESI describes is an <see cref="InputError"/> (one line, exit 2). Not real-time safe.
    /// </summary>
    public static EscSegment FromConfig(RtConfig config, EscBenchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        EsiSlaveLibrary? esi = null;
        var files = config.Bench.Esi.Count > 0 ? config.Bench.Esi : config.Bus.Esi; // what the hardware is; default: what the master knows
        if (files.Count > 0)
        {
            var paths = new List<string>();
            foreach (var p in files) paths.Add(config.Resolve(p));
            esi = EsiSlaveLibrary.Load(paths);
        }
        return Create(config.Joints.Count, config.Imus.Count, config.Bus.Slaves, options, esi, config.SourcePath);
    }

    /// <summary>The device at a position: its listed identity's ESI description; else (nothing listed, or an identity
    /// no ESI describes — the master then meets a bus that differs from its config, as with a wrong drive plugged in)
    /// the Rt bench drive or IMU, from the ESI files when they describe it. Null past the drives and IMUs when no ESI
    /// describes the listed identity (the bench has no such device).</summary>
    private static SlaveDescription? DescriptionAt(IReadOnlyList<SlaveIdentityConfig>? identities, int position, SlaveBehaviour expected, EsiSlaveLibrary? esi)
    {
        SlaveIdentityConfig? listed = null;
        if (identities is not null)
            foreach (var id in identities)
                if (id.Position == position) listed = id;
        if (listed is not null && esi?.Find(listed.Vendor, listed.Product, listed.Revision) is { } described) return described;
        if (expected == SlaveBehaviour.Generic) return null;
        var builtIn = expected == SlaveBehaviour.Imu ? ImuDevice.RtBenchDescription() : ServoDriveDevice.RtBenchDescription();
        var b = builtIn.Identity;
        return esi?.Find(b.VendorId, b.ProductCode, b.Revision) ?? builtIn;
    }

    private static string Describe(SlaveBehaviour b) => b switch
    {
        SlaveBehaviour.Cia402Drive => "a CiA 402 drive",
        SlaveBehaviour.Imu => "an IMU",
        _ => "a device without bench behaviour (no ProfileNo 402, no VendorSpecific/RtBench)",
    };

    /// <summary>The drives of a bench segment, in position order. Not real-time safe (allocates the list once).</summary>
    public static IReadOnlyList<ServoDriveDevice> Drives(EscSegment segment) =>
        segment is null ? [] : segment.Slaves.OfType<ServoDriveDevice>().ToList();

    /// <summary>The IMUs of a bench segment, in position order. Not real-time safe.</summary>
    public static IReadOnlyList<ImuDevice> Imus(EscSegment segment) =>
        segment is null ? [] : segment.Slaves.OfType<ImuDevice>().ToList();
}
