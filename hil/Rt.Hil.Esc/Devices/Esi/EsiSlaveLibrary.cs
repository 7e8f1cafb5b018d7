using System.Xml;
using System.Xml.Linq;
using Rt.Core.Errors;
using Rt.Drivers.EtherCat.Esi;
using Rt.Hil.Esc.ObjectDictionary;
using Rt.Hil.Esc.Sii;

namespace Rt.Hil.Esc.Devices.Esi;

/// <summary>
/// The emulator's device factory: builds emulated slaves from ETG.2000 ESI files, so a vendor's device can be tried on
/// the bench before it arrives and the sample robots' buses are described by the files they ship. From each
/// <c>Device</c> entry (read by the master's <see cref="EsiReader"/>, plus the <c>Profile/Dictionary</c> the emulator
/// needs): identity (<c>Type</c> ProductCode/RevisionNo, vendor <c>Id</c>), names (SII strings: <c>Name</c>,
/// <c>GroupType</c>'s group name, <c>Type</c> text as order code), sync managers (<c>Sm</c>: start, control byte,
/// mailbox size), FMMU usages (<c>Fmmu</c>), every <c>RxPdo</c>/<c>TxPdo</c> (those with <c>Sm</c> assigned at
/// power-up, the others alternatives; <c>Fixed</c> PDOs read-only), CoE flags (<c>PdoAssign</c>, <c>PdoConfig</c>,
/// <c>SdoInfo</c>), mailbox protocols, DC (an <c>OpMode</c> with SYNC0 → sync type 2 supported) and the dictionary's
/// objects with their defaults, access and PDO mappability.
/// <para>Behaviour (what the bench binds the device to) is chosen by a small key: <c>VendorSpecific/RtBench
/// Behaviour="cia402|imu|generic"</c> if present, else <c>Profile/ProfileNo</c> 402 → a CiA 402 drive, else generic
/// (bytes only). Not real-time safe.</para>
/// </summary>
public sealed class EsiSlaveLibrary
{
    private EsiSlaveLibrary(IReadOnlyList<SlaveDescription> descriptions) => Descriptions = descriptions;

    /// <summary>Every device description read, in file order.</summary>
    public IReadOnlyList<SlaveDescription> Descriptions { get; }

    /// <summary>
    /// Reads every <c>*.xml</c> of each folder and each file given (as <c>bus.esi</c> / <c>--esi</c>). A malformed file is
    /// an <see cref="InputError"/> of one line naming file, line and element.
    /// </summary>
    public static EsiSlaveLibrary Load(IEnumerable<string> paths)
    {
        var library = EsiReader.Load(paths);
        var descriptions = new List<SlaveDescription>();
        foreach (var file in library.Files)
        {
            var elements = DeviceElements(file.Path);
            if (elements.Count != file.Devices.Count)
                throw new InputError(file.Path, "", $"expected {file.Devices.Count} <Device> elements, found {elements.Count}");
            for (int i = 0; i < elements.Count; i++) descriptions.Add(Describe(file, file.Devices[i], elements[i]));
        }
        return new EsiSlaveLibrary(descriptions);
    }

    /// <summary>
    /// The description of (vendor, product, revision): the exact revision, else an entry without <c>RevisionNo</c>;
    /// null if the files describe no such device (the bench does not guess at another revision's dictionary).
    /// </summary>
    public SlaveDescription? Find(uint vendor, uint product, uint revision)
    {
        SlaveDescription? any = null;
        foreach (var d in Descriptions)
        {
            if (d.Identity.VendorId != vendor || d.Identity.ProductCode != product) continue;
            if (d.Identity.Revision == revision) return d;
            if (d.Identity.Revision == AnyRevision) any ??= d;
        }
        return any;
    }

    /// <summary>Revision recorded for an ESI entry without <c>RevisionNo</c>.</summary>
    public const uint AnyRevision = 0;

    /// <summary>The emulated slave for a description, with the behaviour it names. Not real-time safe.</summary>
    public static EmulatedSlave Create(SlaveDescription description, SlaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        return description.Behaviour switch
        {
            SlaveBehaviour.Cia402Drive => new ServoDriveDevice(description, options),
            SlaveBehaviour.Imu => new ImuDevice(description, options),
            _ => new GenericDevice(description, options),
        };
    }

    private static List<XElement> DeviceElements(string path)
    {
        using var stream = File.OpenRead(path);
        using var xml = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true });
        var doc = XDocument.Load(xml, LoadOptions.SetLineInfo); // well-formedness was checked by EsiReader
        var list = new List<XElement>();
        if (EsiDictionaryReader.Child(doc.Root!, "Descriptions") is not { } descriptions) return list;
        foreach (var group in EsiDictionaryReader.Children(descriptions, "Devices"))
            list.AddRange(EsiDictionaryReader.Children(group, "Device"));
        return list;
    }

    private static SlaveDescription Describe(EsiFile file, EsiDevice device, XElement element)
    {
        var ctx = new EsiDictionaryReader.Ctx(file.Path);
        var dict = EsiDictionaryReader.Read(element, file.Path);
        var behaviour = dict.Behaviour switch
        {
            "cia402" => SlaveBehaviour.Cia402Drive,
            "imu" => SlaveBehaviour.Imu,
            "generic" => SlaveBehaviour.Generic,
            _ => dict.ProfileNo == 402 ? SlaveBehaviour.Cia402Drive : SlaveBehaviour.Generic,
        };

        // Sync managers: the emulator has SM0 mailbox out, SM1 mailbox in, SM2 outputs, SM3 inputs.
        if (device.SyncManagers.Count != 4)
            throw ctx.Error(element, "expected four <Sm> elements (MBoxOut, MBoxIn, Outputs, Inputs) for the emulator", $"{device.SyncManagers.Count}");
        string[] smNames = ["MBoxOut", "MBoxIn", "Outputs", "Inputs"];
        var sms = new List<SyncManagerSpec>(4);
        for (int i = 0; i < 4; i++)
        {
            var sm = device.SyncManagers[i];
            if (sm.Type.Length > 0 && sm.Type != smNames[i])
                throw ctx.Error(element, $"expected <Sm> {i} to be {smNames[i]} (the emulator's order)", $"'{sm.Type}'");
            sms.Add(new SyncManagerSpec(sm.StartAddress, sm.DefaultSize, sm.ControlByte, (SiiSmType)(i + 1)));
        }
        if (device.Mailbox?.Coe is null) throw ctx.Error(element, "expected <Mailbox> with <CoE> (the emulator serves CoE only)", "none");
        if (sms[0].DefaultLength is < 16 or > 1024 || sms[1].DefaultLength is < 16 or > 1024)
            throw ctx.Error(element, "expected mailbox <Sm> DefaultSize of 16–1024 bytes", $"{sms[0].DefaultLength}/{sms[1].DefaultLength}");

        var fmmus = new List<byte>();
        foreach (var f in device.Fmmus)
        {
            fmmus.Add(f switch
            {
                "Outputs" => 1,
                "Inputs" => 2,
                "MBoxState" => 3,
                _ => throw ctx.Error(element, "expected <Fmmu> Outputs, Inputs or MBoxState", $"'{f}'"),
            });
        }

        var coe = device.Mailbox.Coe;
        var mailbox = device.Mailbox;
        ushort protocols = (ushort)((mailbox.AoE ? 0x01 : 0) | (mailbox.EoE ? 0x02 : 0) | 0x04 | (mailbox.FoE ? 0x08 : 0) | (mailbox.SoE ? 0x10 : 0) | (mailbox.VoE ? 0x20 : 0));
        bool sync0 = false;
        foreach (var m in device.DcModes) sync0 |= m.UsesSync0;

        var objects = dict.Objects;
        string groupName = GroupName(element) ?? "";
        var identity = new DeviceIdentity(device.VendorId, device.ProductCode, device.RevisionNo ?? AnyRevision, 1,
            DeviceType(dict, objects), device.Name, device.TypeName);
        var description = new SlaveDescription
        {
            Identity = identity,
            GroupName = groupName,
            SyncManagers = sms,
            Fmmus = fmmus,
            RxPdos = Pdos(device.RxPdos),
            TxPdos = Pdos(device.TxPdos),
            Objects = objects,
            SdoInfo = coe.SdoInfo,
            PdoAssign = coe.PdoAssign,
            PdoConfig = coe.PdoConfig,
            MailboxProtocols = protocols,
            DcSync0 = sync0,
            Behaviour = behaviour,
            Source = device.Source,
        };
        Check(ctx, element, description);
        return description;
    }

    /// <summary>0x1000 device type: the dictionary's own 0x1000 default if it has one, else AddInfo &lt;&lt; 16 | ProfileNo.</summary>
    private static uint DeviceType(EsiDictionaryReader.Result dict, IReadOnlyList<ObjectSpec> objects)
    {
        foreach (var o in objects)
            if (o.Index == 0x1000 && o.Entries.Count > 0 && o.Entries[0].Default.Length >= 4)
                return BitConverter.ToUInt32(o.Entries[0].Default, 0);
        return (dict.AddInfo << 16) | (uint)(dict.ProfileNo ?? 0);
    }

    private static string? GroupName(XElement device)
    {
        var type = EsiDictionaryReader.Child(device, "GroupType")?.Value.Trim();
        if (type is null) return null;
        var root = device.Document!.Root!;
        foreach (var descriptions in EsiDictionaryReader.Children(root, "Descriptions"))
            foreach (var groups in EsiDictionaryReader.Children(descriptions, "Groups"))
                foreach (var g in EsiDictionaryReader.Children(groups, "Group"))
                    if (EsiDictionaryReader.Child(g, "Type")?.Value.Trim() == type)
                        return PreferredName(g);
        return type;
    }

    private static string PreferredName(XElement e)
    {
        string? first = null;
        foreach (var n in EsiDictionaryReader.Children(e, "Name"))
        {
            first ??= n.Value.Trim();
            if ((string?)n.Attribute("LcId") == "1033") return n.Value.Trim();
        }
        return first ?? "";
    }

    private static List<PdoSpec> Pdos(IReadOnlyList<EsiPdo> pdos)
    {
        var list = new List<PdoSpec>(pdos.Count);
        foreach (var p in pdos)
        {
            var entries = new List<PdoEntrySpec>(p.Entries.Count);
            foreach (var e in p.Entries) entries.Add(new PdoEntrySpec(e.Index, e.SubIndex, e.BitLen, e.Name));
            list.Add(new PdoSpec(p.Index, p.Name, p.Sm, p.Fixed, entries));
        }
        return list;
    }

    /// <summary>What the emulator cannot build or the bench cannot bind: one line naming the file, the device's line and what is wrong.</summary>
    private static void Check(EsiDictionaryReader.Ctx ctx, XElement element, SlaveDescription d)
    {
        var objects = new Dictionary<(ushort, byte), ObjectEntrySpec>();
        foreach (var o in d.Objects) foreach (var e in o.Entries) objects[(o.Index, e.SubIndex)] = e;
        foreach (var (pdos, rx) in new[] { (d.RxPdos, true), (d.TxPdos, false) })
        {
            foreach (var p in pdos)
            {
                if (rx ? p.Index is < 0x1600 or > 0x17FF : p.Index is < 0x1A00 or > 0x1BFF)
                    throw ctx.Error(element, $"expected {(rx ? "RxPdo" : "TxPdo")} indices in {(rx ? "#x1600–#x17FF" : "#x1A00–#x1BFF")}", $"#x{p.Index:X4}");
                if (p.Entries.Count > 16) throw ctx.Error(element, $"expected at most 16 entries in PDO #x{p.Index:X4} (the emulator's mapping objects)", $"{p.Entries.Count}");
                foreach (var e in p.Entries)
                {
                    if (e.Index == 0) continue;
                    if (!objects.TryGetValue((e.Index, e.SubIndex), out var o))
                        throw ctx.Error(element, $"expected PDO #x{p.Index:X4}'s entry #x{e.Index:X4}:{e.SubIndex} in the device's <Dictionary>", "no such object");
                    if (o.BitLength != e.BitLength)
                        throw ctx.Error(element, $"expected PDO #x{p.Index:X4}'s entry #x{e.Index:X4}:{e.SubIndex} to have the dictionary's {o.BitLength} bits", $"{e.BitLength}");
                    if ((o.Access & (rx ? OdAccess.RxPdo : OdAccess.TxPdo)) == 0)
                        throw ctx.Error(element, $"expected #x{e.Index:X4}:{e.SubIndex} (in PDO #x{p.Index:X4}) to be {(rx ? "RxPDO" : "TxPDO")}-mappable (<PdoMapping>{(rx ? "R" : "T")}</PdoMapping>)", "not mappable");
                }
            }
        }

        // The bench writes the behaviour's objects with fixed sizes: they must have them (absent is fine).
        (ushort, byte, int)[] sizes = d.Behaviour switch
        {
            SlaveBehaviour.Cia402Drive =>
            [
                (0x603F, 0, 16), (0x6040, 0, 16), (0x6041, 0, 16), (0x6060, 0, 8), (0x6061, 0, 8), (0x6064, 0, 32), (0x606C, 0, 32),
                (0x6071, 0, 16), (0x6072, 0, 16), (0x6077, 0, 16), (0x60FE, 1, 32), (0x60FE, 2, 32), (0x607A, 0, 32), (0x60B1, 0, 32), (0x60B2, 0, 16), (0x60FF, 0, 32), (0x6502, 0, 32),
            ],
            SlaveBehaviour.Imu =>
            [
                (0x6000, 1, 32), (0x6000, 2, 32), (0x6000, 3, 32), (0x6010, 1, 32), (0x6010, 2, 32), (0x6010, 3, 32), (0x6020, 0, 32),
                (0x6030, 0, 16), (0x6031, 0, 16),
            ],
            _ => [],
        };
        foreach (var (index, sub, bits) in sizes)
            if (objects.TryGetValue((index, sub), out var o) && o.BitLength != bits)
                throw ctx.Error(element, $"expected #x{index:X4}:{sub} to have {bits} bits for the {(d.Behaviour == SlaveBehaviour.Imu ? "IMU" : "CiA 402")} behaviour", $"{o.BitLength}");
        if (d.Behaviour == SlaveBehaviour.Cia402Drive && (!objects.ContainsKey((0x6040, 0)) || !objects.ContainsKey((0x6041, 0))))
            throw ctx.Error(element, "expected #x6040 controlword and #x6041 statusword in the <Dictionary> of a CiA 402 drive (ProfileNo 402)", "none");
    }
}
