using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Rt.Core.Errors;

namespace Rt.Drivers.EtherCat.Esi;

/// <summary>
/// Reads ETG.2000 EtherCAT Slave Information files (the vendor's <c>*.xml</c>): <c>EtherCATInfo/Vendor/Id</c> and each
/// <c>Descriptions/Devices/Device</c> with its <c>Type</c> (ProductCode, RevisionNo), <c>Name</c>, <c>Fmmu</c>, <c>Sm</c>,
/// <c>RxPdo</c>/<c>TxPdo</c>, <c>Mailbox</c> (CoE flags and <c>InitCmd</c>s, directly under <c>CoE</c> or in an
/// <c>InitCmds</c> wrapper) and <c>Dc/OpMode</c>. Numbers are decimal or hex (<c>#x1A00</c>, also <c>0x1A00</c>);
/// booleans are 1/0/true/false; elements the master does not use are skipped. Element names are matched without
/// namespace. A malformed file throws <see cref="InputError"/> as one line:
/// <c>file:line: element &lt;X&gt;: expected …, found …</c>. Not real-time safe.
/// </summary>
public static class EsiReader
{
    /// <summary>Reads every <c>*.xml</c> of each directory (sorted, not recursive) and each file given.</summary>
    public static EsiLibrary Load(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<EsiFile>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var names = Directory.GetFiles(path, "*.xml");
                if (names.Length == 0) throw new InputError(path, "", "expected ESI files (*.xml) in this folder, found none");
                Array.Sort(names, StringComparer.Ordinal);
                foreach (var f in names) files.Add(ReadFile(f));
            }
            else if (File.Exists(path)) files.Add(ReadFile(path));
            else throw new InputError(path, "", "expected an ESI file or a folder of them, found nothing at this path");
        }
        return new EsiLibrary(files);
    }

    /// <summary>Reads one ESI file.</summary>
    public static EsiFile ReadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads ESI XML from <paramref name="xml"/>; <paramref name="source"/> names it in messages.</summary>
    public static EsiFile ReadText(string xml, string source)
    {
        using var reader = new StringReader(xml);
        return Read(XmlReader.Create(reader, Settings()), source);
    }

    public static EsiFile Read(Stream stream, string source) => Read(XmlReader.Create(stream, Settings()), source);

    private static XmlReaderSettings Settings() => new() { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true };

    private static EsiFile Read(XmlReader xml, string source)
    {
        XDocument doc;
        try
        {
            using (xml) doc = XDocument.Load(xml, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            // XmlException's message repeats the position; keep its first sentence only.
            string what = e.Message;
            int cut = what.IndexOf(" Line ", StringComparison.Ordinal);
            if (cut > 0) what = what[..cut].TrimEnd('.', ' ');
            throw new InputError($"{source}:{e.LineNumber}", "", $"not well-formed XML: {what}");
        }
        var ctx = new Ctx(source);
        var root = doc.Root!;
        if (root.Name.LocalName != "EtherCATInfo")
            throw ctx.Error(root, "expected <EtherCATInfo> as the root element of an ESI file", $"<{root.Name.LocalName}>");
        var vendor = ctx.Required(root, "Vendor");
        uint vendorId = ctx.U32(ctx.Required(vendor, "Id"));
        string vendorName = Child(vendor, "Name")?.Value.Trim() ?? "";
        var devices = new List<EsiDevice>();
        var descriptions = ctx.Required(root, "Descriptions");
        foreach (var group in Children(descriptions, "Devices"))
            foreach (var d in Children(group, "Device"))
                devices.Add(ReadDevice(ctx, d, vendorId));
        return new EsiFile(source, vendorId, vendorName, devices);
    }

    private static EsiDevice ReadDevice(Ctx ctx, XElement d, uint vendorId)
    {
        var type = ctx.Required(d, "Type");
        uint product = ctx.U32Attr(type, "ProductCode") ?? throw ctx.Error(type, "expected attribute ProductCode (e.g. \"#x00000402\")", "none");
        uint? revision = ctx.U32Attr(type, "RevisionNo");

        var fmmus = new List<string>();
        foreach (var f in Children(d, "Fmmu")) fmmus.Add(f.Value.Trim());

        var sms = new List<EsiSyncManager>();
        foreach (var s in Children(d, "Sm"))
        {
            sms.Add(new EsiSyncManager(sms.Count,
                ctx.U16(s, ctx.U32Attr(s, "StartAddress") ?? throw ctx.Error(s, "expected attribute StartAddress", "none")),
                ctx.U16(s, ctx.U32Attr(s, "DefaultSize") ?? 0),
                ctx.U8(s, ctx.U32Attr(s, "ControlByte") ?? throw ctx.Error(s, "expected attribute ControlByte", "none")),
                ctx.BoolAttr(s, "Enable") ?? true,
                s.Value.Trim()));
        }

        var rx = new List<EsiPdo>();
        var tx = new List<EsiPdo>();
        foreach (var p in d.Elements())
        {
            if (p.Name.LocalName == "RxPdo") rx.Add(ReadPdo(ctx, p, sms.Count));
            else if (p.Name.LocalName == "TxPdo") tx.Add(ReadPdo(ctx, p, sms.Count));
        }

        EsiMailbox? mailbox = null;
        if (Child(d, "Mailbox") is { } mb)
        {
            EsiCoe? coe = null;
            if (Child(mb, "CoE") is { } c)
            {
                var cmds = new List<EsiInitCmd>();
                foreach (var e in c.Elements())
                {
                    if (e.Name.LocalName == "InitCmd") cmds.Add(ReadInitCmd(ctx, e));
                    else if (e.Name.LocalName == "InitCmds")
                        foreach (var i in Children(e, "InitCmd")) cmds.Add(ReadInitCmd(ctx, i));
                }
                coe = new EsiCoe(ctx.BoolAttr(c, "SdoInfo") ?? false, ctx.BoolAttr(c, "PdoAssign") ?? false, ctx.BoolAttr(c, "PdoConfig") ?? false,
                    ctx.BoolAttr(c, "PdoUpload") ?? false, ctx.BoolAttr(c, "CompleteAccess") ?? false, ctx.BoolAttr(c, "SegmentedSdo") ?? true, cmds);
            }
            mailbox = new EsiMailbox(coe is not null, Child(mb, "EoE") is not null, Child(mb, "FoE") is not null, Child(mb, "SoE") is not null,
                Child(mb, "AoE") is not null, Child(mb, "VoE") is not null, coe);
        }

        var dc = new List<EsiDcMode>();
        if (Child(d, "Dc") is { } dcElement)
        {
            foreach (var m in Children(dcElement, "OpMode"))
            {
                var c0 = Child(m, "CycleTimeSync0");
                var c1 = Child(m, "CycleTimeSync1");
                dc.Add(new EsiDcMode(Child(m, "Name")?.Value.Trim() ?? "", Child(m, "Desc")?.Value.Trim() ?? "",
                    ctx.U16(m, ctx.U32(ctx.Required(m, "AssignActivate"))),
                    c0 is null ? 0 : ctx.U32(c0), c0 is null ? 0 : ctx.I32Attr(c0, "Factor") ?? 0, Child(m, "ShiftTimeSync0") is { } s0 ? ctx.I32(s0) : 0,
                    c1 is null ? 0 : ctx.U32(c1), c1 is null ? 0 : ctx.I32Attr(c1, "Factor") ?? 0, Child(m, "ShiftTimeSync1") is { } s1 ? ctx.I32(s1) : 0));
            }
        }

        return new EsiDevice
        {
            VendorId = vendorId,
            ProductCode = product,
            RevisionNo = revision,
            TypeName = type.Value.Trim(),
            Name = PreferredName(d),
            Source = ctx.Where(d),
            Fmmus = fmmus,
            SyncManagers = sms,
            RxPdos = rx,
            TxPdos = tx,
            Mailbox = mailbox,
            DcModes = dc,
        };
    }

    private static EsiPdo ReadPdo(Ctx ctx, XElement p, int smCount)
    {
        ushort index = ctx.U16(p, ctx.U32(ctx.Required(p, "Index")));
        int? sm = ctx.I32Attr(p, "Sm");
        if (sm is { } n && (n < 0 || (smCount > 0 && n >= smCount)))
            throw ctx.Error(p, $"expected attribute Sm to name one of the device's {smCount} sync managers (0–{smCount - 1})", n.ToString(CultureInfo.InvariantCulture));
        var excludes = new List<ushort>();
        foreach (var x in Children(p, "Exclude")) excludes.Add(ctx.U16(x, ctx.U32(x)));
        var entries = new List<EsiPdoEntry>();
        foreach (var e in Children(p, "Entry"))
        {
            ushort index2 = ctx.U16(e, ctx.U32(ctx.Required(e, "Index")));
            var subElement = Child(e, "SubIndex");
            if (subElement is null && index2 != 0) throw ctx.Error(e, "expected <SubIndex> in a PDO entry that is not padding", "none");
            byte sub = subElement is null ? (byte)0 : ctx.U8(subElement, ctx.U32(subElement));
            var bitLenElement = ctx.Required(e, "BitLen");
            uint bits = ctx.U32(bitLenElement);
            if (bits is 0 or > 255) throw ctx.Error(bitLenElement, "expected a bit length of 1–255 (a mapping entry holds it in one byte)", bits.ToString(CultureInfo.InvariantCulture));
            entries.Add(new EsiPdoEntry(index2, sub, (byte)bits, Child(e, "Name")?.Value.Trim() ?? "", Child(e, "DataType")?.Value.Trim() ?? ""));
        }
        return new EsiPdo(index, PreferredName(p), sm, ctx.BoolAttr(p, "Fixed") ?? false, ctx.BoolAttr(p, "Mandatory") ?? false, excludes, entries);
    }

    private static EsiInitCmd ReadInitCmd(Ctx ctx, XElement c)
    {
        var transitions = new List<string>();
        foreach (var t in Children(c, "Transition"))
        {
            string v = t.Value.Trim().ToUpperInvariant();
            if (v.Length != 2 || "IPSOB".IndexOf(v[0], StringComparison.Ordinal) < 0 || "IPSOB".IndexOf(v[1], StringComparison.Ordinal) < 0)
                throw ctx.Error(t, "expected a state transition of two letters from I, P, S, O, B (e.g. PS for PREOP→SAFEOP)", $"'{t.Value.Trim()}'");
            transitions.Add(v);
        }
        if (transitions.Count == 0) throw ctx.Error(c, "expected at least one <Transition> (e.g. PS)", "none");
        ushort index = ctx.U16(c, ctx.U32(ctx.Required(c, "Index")));
        var subElement = ctx.Required(c, "SubIndex");
        byte sub = ctx.U8(subElement, ctx.U32(subElement));
        var dataElement = ctx.Required(c, "Data");
        return new EsiInitCmd(transitions, index, sub, ctx.Hex(dataElement), Child(c, "Comment")?.Value.Trim() ?? "",
            ctx.BoolAttr(c, "CompleteAccess") ?? false, ctx.Where(c));
    }

    private static string PreferredName(XElement e)
    {
        string? first = null;
        foreach (var n in Children(e, "Name"))
        {
            first ??= n.Value.Trim();
            if ((string?)n.Attribute("LcId") == "1033") return n.Value.Trim();
        }
        return first ?? "";
    }

    private static XElement? Child(XElement e, string name)
    {
        foreach (var c in e.Elements()) if (c.Name.LocalName == name) return c;
        return null;
    }

    private static IEnumerable<XElement> Children(XElement e, string name)
    {
        foreach (var c in e.Elements()) if (c.Name.LocalName == name) yield return c;
    }

    /// <summary>The file name and the error format shared by every check.</summary>
    private sealed class Ctx(string source)
    {
        public string Where(XObject e) => $"{source}:{Line(e)}";

        private static int Line(XObject e) => e is IXmlLineInfo li && li.HasLineInfo() ? li.LineNumber : 0;

        public InputError Error(XElement e, string expected, string found) =>
            new(Where(e), $"element <{e.Name.LocalName}>", $"{expected}, found {found}");

        private InputError AttrError(XElement e, XAttribute a, string expected) =>
            new(Where(a), $"element <{e.Name.LocalName}>", $"{expected} in attribute {a.Name.LocalName}, found '{a.Value}'");

        public XElement Required(XElement parent, string name) =>
            Child(parent, name) ?? throw Error(parent, $"expected a child <{name}>", "none");

        public uint U32(XElement e) =>
            TryNumber(e.Value, out ulong v) && v <= uint.MaxValue ? (uint)v : throw Error(e, "expected a number (decimal or #x hex) of at most 32 bits", $"'{e.Value.Trim()}'");

        public int I32(XElement e)
        {
            string t = e.Value.Trim();
            if (t.StartsWith('-') && TryNumber(t[1..], out ulong neg) && neg <= 0x8000_0000UL) return (int)-(long)neg;
            return TryNumber(t, out ulong v) && v <= int.MaxValue ? (int)v : throw Error(e, "expected a signed 32-bit number", $"'{t}'");
        }

        public uint? U32Attr(XElement e, string name)
        {
            if (e.Attribute(name) is not { } a) return null;
            return TryNumber(a.Value, out ulong v) && v <= uint.MaxValue ? (uint)v : throw AttrError(e, a, "expected a number (decimal or #x hex) of at most 32 bits");
        }

        public int? I32Attr(XElement e, string name)
        {
            if (e.Attribute(name) is not { } a) return null;
            string t = a.Value.Trim();
            if (t.StartsWith('-') && TryNumber(t[1..], out ulong neg) && neg <= 0x8000_0000UL) return (int)-(long)neg;
            return TryNumber(t, out ulong v) && v <= int.MaxValue ? (int)v : throw AttrError(e, a, "expected a signed 32-bit number");
        }

        public bool? BoolAttr(XElement e, string name)
        {
            if (e.Attribute(name) is not { } a) return null;
            return a.Value.Trim() switch
            {
                "1" or "true" => true,
                "0" or "false" => false,
                _ => throw AttrError(e, a, "expected 1, 0, true or false"),
            };
        }

        public ushort U16(XElement e, uint v) => v <= ushort.MaxValue ? (ushort)v : throw Error(e, "expected a 16-bit value (at most #xFFFF)", $"#x{v:X}");

        public byte U8(XElement e, uint v) => v <= byte.MaxValue ? (byte)v : throw Error(e, "expected an 8-bit value (at most 255)", v.ToString(CultureInfo.InvariantCulture));

        /// <summary>hexBinary: pairs of hex digits, bytes in the order written (whitespace ignored).</summary>
        public byte[] Hex(XElement e)
        {
            var text = e.Value.AsSpan().Trim();
            Span<char> digits = stackalloc char[Math.Min(text.Length, 4096)];
            int n = 0;
            foreach (char ch in text)
            {
                if (char.IsWhiteSpace(ch)) continue;
                if (!char.IsAsciiHexDigit(ch) || n == digits.Length) throw Error(e, "expected hex bytes (e.g. 0800 for the two bytes 08 00)", $"'{e.Value.Trim()}'");
                digits[n++] = ch;
            }
            if (n == 0 || n % 2 != 0) throw Error(e, "expected an even number of hex digits (whole bytes)", $"'{e.Value.Trim()}'");
            return Convert.FromHexString(digits[..n]);
        }

        private static bool TryNumber(string text, out ulong value)
        {
            var t = text.AsSpan().Trim();
            if (t.StartsWith("#x", StringComparison.OrdinalIgnoreCase) || t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                return ulong.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && t.Length > 2;
            return ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
    }
}
