using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Drivers.EtherCat.CoE;
using Rt.Drivers.EtherCat.Esi;
using Rt.Drivers.EtherCat.Sii;
using Rt.Drivers.EtherCat.SubDevices;

namespace Rt.Drivers.EtherCat.Startup;

/// <summary>What a bus position is for in the robot: a joint's CiA 402 drive or an IMU.</summary>
public enum BusRoleKind { Drive, Imu }

/// <summary>A robot role bound to a bus position (from <c>joints[i].drive</c> / <c>imus[i].device</c>).</summary>
public sealed record BusRole(int Position, string Name, BusRoleKind Kind);

/// <summary>
/// Everything between PREOP and the process-data setup, for every slave: match it to its ESI entry, check the bus
/// against the config before anything is written (slave count, identities, each role's objects present in the mapping
/// it will have, each object to be mapped present in the drive), then run the startup plans (SDO writes, PDO
/// assignment and mapping with read-back). Any failure puts the bus back into INIT before it is rethrown: one
/// <see cref="EtherCatException"/> (ConfigMismatch: exit 2; DeviceRefused: exit 3) or <see cref="InputError"/>.
/// Not real-time safe.
/// </summary>
public sealed class BusStartup
{
    private readonly List<string> _notes = [];
    private readonly List<SlaveStartupPlan> _plans = [];

    /// <param name="esi">The ESI files given (may be empty).</param>
    /// <param name="config">The robot config whose <c>bus.slaves</c> (identities, startup, pdo) and roles apply; null: none (rt bus up without a config).</param>
    public BusStartup(EsiLibrary esi, RtConfig? config)
    {
        Esi = esi ?? EsiLibrary.Empty;
        Config = config;
        var roles = new List<BusRole>();
        if (config is not null)
        {
            foreach (var j in config.Joints) if (j.Drive >= 0) roles.Add(new BusRole(j.Drive, $"joint {j.Name}", BusRoleKind.Drive));
            for (int i = 0; i < config.Imus.Count; i++) if (config.Imus[i].Device >= 0) roles.Add(new BusRole(config.Imus[i].Device, $"IMU {config.Imus[i].Name}", BusRoleKind.Imu));
        }
        Roles = roles;
    }

    /// <summary>The config's startup: ESI files from <c>bus.esi</c> (relative to the config file), its slaves and roles.</summary>
    public static BusStartup FromConfig(RtConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var paths = new List<string>();
        foreach (var p in config.Bus.Esi) paths.Add(config.Resolve(p));
        return new BusStartup(paths.Count > 0 ? EsiReader.Load(paths) : EsiLibrary.Empty, config);
    }

    public EsiLibrary Esi { get; }
    public RtConfig? Config { get; }
    public IReadOnlyList<BusRole> Roles { get; }

    /// <summary>One line each: ESI matched for another revision, no ESI for a slave.</summary>
    public IReadOnlyList<string> Notes => _notes;
    public IReadOnlyList<SlaveStartupPlan> Plans => _plans;

    /// <summary>The ESI entry matched per bus position (after <see cref="Apply"/>).</summary>
    public EsiMatch MatchOf(int position) => position < _plans.Count ? _plans[position].Esi : EsiMatch.None;

    /// <summary>Checks, plans and runs startup on a bus in PREOP; on failure the bus goes back to INIT and the error is rethrown.</summary>
    public void Apply(EtherCatMaster master)
    {
        ArgumentNullException.ThrowIfNull(master);
        try
        {
            CheckCountAndIdentities(master);
            Plan(master);
            CheckRoles();
            CheckMappedObjectsExist();
            foreach (var p in _plans) StartupRunner.Run(p);
            ReadCommissionedMaxTorque();
        }
        catch (Exception e) when (e is EtherCatException or InputError)
        {
            BackToInit(master);
            throw;
        }
    }

    /// <summary>Best effort: every slave to INIT (a slave that does not answer is left as it is; the error that led here matters more).</summary>
    public static void BackToInit(EtherCatMaster master)
    {
        ArgumentNullException.ThrowIfNull(master);
        foreach (var s in master.SubDevices)
        {
            try
            {
                master.RequestStateDirect(s, AlState.Init);
            }
            catch (EtherCatException)
            {
                // Reported by the caller's error; nothing more to do for this slave.
            }
        }
    }

    private string ConfigSource => Config?.SourcePath is { Length: > 0 } p ? p : "config";

    private void CheckCountAndIdentities(EtherCatMaster master)
    {
        var expected = Config?.Bus.Slaves;
        if (expected is not { Count: > 0 }) return;
        int count = master.SubDevices.Count;
        if (count > expected.Count)
        {
            var extra = master.SubDevices[expected.Count];
            throw new EtherCatException(BusErrorKind.ConfigMismatch,
                $"the bus has {count} slaves, {ConfigSource} bus.slaves describes {expected.Count}: {SlaveStartupPlan.Who(extra)} is not in the config", extra.Position);
        }
        if (count < expected.Count)
            throw new EtherCatException(BusErrorKind.ConfigMismatch,
                $"the bus has {count} slaves, {ConfigSource} bus.slaves describes {expected.Count}: nothing answers at position {count} (check the cable and the power of the slaves from there on)", count);
        master.VerifyIdentities(expected);
    }

    private void Plan(EtherCatMaster master)
    {
        _plans.Clear();
        foreach (var s in master.SubDevices)
        {
            var match = Esi.Devices.Count > 0 ? Esi.Match(s.Identity) : EsiMatch.None;
            if (match.Note is not null) _notes.Add($"position {s.Position}: {match.Note}");
            else if (match.Device is null && Esi.Devices.Count > 0)
                _notes.Add($"position {s.Position}: no ESI entry for vendor 0x{s.Identity.Vendor:X8} product 0x{s.Identity.Product:X8}: using SII and CoE as the slave reports them");
            int cfgIndex = -1;
            SlaveIdentityConfig? cfg = null;
            if (Config is not null)
                for (int i = 0; i < Config.Bus.Slaves.Count; i++)
                    if (Config.Bus.Slaves[i].Position == s.Position)
                    {
                        cfg = Config.Bus.Slaves[i];
                        cfgIndex = i;
                    }
            _plans.Add(StartupPlanner.Plan(s, match, cfg, ConfigSource, cfgIndex));
        }
    }

    private void CheckRoles()
    {
        foreach (var role in Roles)
        {
            if (role.Position < 0 || role.Position >= _plans.Count)
                throw new EtherCatException(BusErrorKind.ConfigMismatch, $"{role.Name}: bus position {role.Position} does not exist ({_plans.Count} slaves found)", role.Position);
            var plan = _plans[role.Position];
            if (role.Kind == BusRoleKind.Drive)
            {
                Need(role, plan, rx: true, 0x6040, 0, "controlword");
                Need(role, plan, rx: false, 0x6041, 0, "statusword");
                Need(role, plan, rx: false, 0x6064, 0, "position actual value");
                if (!Has(plan.PlannedRx, 0x607A, 0) && !Has(plan.PlannedRx, 0x60FF, 0) && !Has(plan.PlannedRx, 0x6071, 0))
                    Need(role, plan, rx: true, 0x607A, 0, "a target (0x607A position, 0x60FF velocity or 0x6071 torque)");
            }
            else
            {
                for (byte sub = 1; sub <= 3; sub++)
                {
                    Need(role, plan, rx: false, 0x6000, sub, "specific force");
                    Need(role, plan, rx: false, 0x6010, sub, "angular rate");
                }
            }
        }
    }

    private void Need(BusRole role, SlaveStartupPlan plan, bool rx, ushort index, byte sub, string what)
    {
        if (Has(rx ? plan.PlannedRx : plan.PlannedTx, index, sub)) return;
        string dir = rx ? "RxPDOs" : "TxPDOs";
        string hint = "";
        if (plan.Esi.Device is { } d)
            foreach (var p in rx ? d.RxPdos : d.TxPdos)
                foreach (var e in p.Entries)
                    if (e.Index == index && e.SubIndex == sub && hint.Length == 0)
                        hint = $"; the ESI's {(rx ? "RxPDO" : "TxPDO")} 0x{p.Index:X4} '{p.Name}' has it: assign it with bus.slaves[…].pdo.{(rx ? "rx" : "tx")}";
        if (hint.Length == 0) hint = $"; map it with bus.slaves[…].pdo.map (entry 0x{index:X4}{sub:X2}xx)";
        throw new EtherCatException(BusErrorKind.ConfigMismatch,
            $"{role.Name} at {SlaveStartupPlan.Who(plan.Slave)}: needs 0x{index:X4}:{sub:X2} {what} in its {dir}, which the mapping it will have lacks{hint}", plan.Slave.Position);
    }

    private static bool Has(IReadOnlyList<Pdo> pdos, ushort index, byte sub)
    {
        foreach (var p in pdos)
            foreach (var e in p.Entries)
                if (e.Index == index && e.SubIndex == sub) return true;
        return false;
    }

    /// <summary>
    /// PREOP, after the startup writes and before the cyclic frame writes the host's value: each joint drive's own 0x6072
    /// max torque, its commissioned limit (<see cref="SubDevice.CommissionedMaxTorquePerMille"/>), which the host's motion
    /// clamp and collision hold never exceed. Not known (no CoE, no such object, not readable): the config's limits alone.
    /// A drive whose own limit reads 0 has no ceiling the host can keep: the configured limits alone, with a note line.
    /// </summary>
    private void ReadCommissionedMaxTorque()
    {
        foreach (var role in Roles)
        {
            if (role.Kind != BusRoleKind.Drive) continue;
            var slave = _plans[role.Position].Slave;
            slave.CommissionedMaxTorquePerMille = null;
            if (slave.Sdo is not { } sdo) continue;
            byte[] value;
            try
            {
                value = sdo.Upload(Cia402.Cia402Object.MaxTorque.Index, Cia402.Cia402Object.MaxTorque.SubIndex);
            }
            catch (SdoAbortException)
            {
                continue; // no such object, or write-only: the drive's limit is not known to the host
            }
            if (value.Length < 2) continue;
            ushort perMille = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(value);
            // 0 is not a ceiling: the object is RxPDO-mapped, so 0 is what any master's cyclic frame left in it (e.g.
            // `rt bus`'s all-zero outputs in OP) or an uncommissioned drive; the host's own write each tick governs then.
            slave.CommissionedMaxTorquePerMille = perMille;
        }
    }

    /// <summary>Every object a plan maps must exist in the drive: asked by SDO upload before anything is written.</summary>
    private void CheckMappedObjectsExist()
    {
        foreach (var plan in _plans)
        {
            if (plan.Slave.Sdo is not { } sdo) continue;
            foreach (var a in new[] { plan.Rx, plan.Tx })
            {
                if (a is null) continue;
                foreach (var (pdo, entries) in a.Mappings)
                    foreach (var v in entries)
                    {
                        var index = (ushort)(v >> 16);
                        var sub = (byte)(v >> 8);
                        if (index == 0) continue; // padding
                        try
                        {
                            sdo.Upload(index, sub);
                        }
                        catch (SdoAbortException e) when (e.Abort is SdoAbortCode.ObjectDoesNotExist or SdoAbortCode.SubindexDoesNotExist)
                        {
                            throw new EtherCatException(BusErrorKind.ConfigMismatch,
                                $"{SlaveStartupPlan.Who(plan.Slave)}: PDO mapping 0x{pdo:X4} from {a.Origin} maps 0x{index:X4}:{sub:X2}, which the slave does not have ({SdoAbortCodes.Describe(e.Code)})", plan.Slave.Position);
                        }
                        catch (SdoAbortException)
                        {
                            // Exists but cannot be read (write-only, e.g. an RxPDO object on some drives): mappable as far as we can tell.
                        }
                    }
            }
        }
    }
}
