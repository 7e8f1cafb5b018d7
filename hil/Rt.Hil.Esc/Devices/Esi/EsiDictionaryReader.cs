using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Rt.Core.Errors;
using Rt.Hil.Esc.ObjectDictionary;

namespace Rt.Hil.Esc.Devices.Esi;

/// <summary>
/// Reads what the master's ESI reader skips and the emulator needs, from one ETG.2000 <c>Device</c> element:
/// <c>Profile</c> (<c>ProfileNo</c>, <c>AddInfo</c>, also under <c>ChannelInfo</c>) and its <c>Dictionary</c> —
/// <c>DataTypes/DataType</c> (base types, aliases through <c>BaseType</c>, records through <c>SubItem</c>, arrays through
/// <c>ArrayInfo</c>) and <c>Objects/Object</c> (<c>Index</c>, <c>Name</c>, <c>Type</c>, <c>BitSize</c>,
/// <c>Info/DefaultData</c> (hex, bytes as in memory: little-endian) or <c>DefaultValue</c> or <c>DefaultString</c>, per
/// subindex <c>Info/SubItem</c>, <c>Flags/Access</c> ro/rw/wo and <c>Flags/PdoMapping</c> R/T/RT) — and the behaviour key
/// <c>VendorSpecific/RtBench Behaviour="cia402|imu|generic"</c>. Errors are one line,
/// <c>file:line: element &lt;X&gt;: expected …, found …</c>. Not real-time safe.
/// </summary>
internal static class EsiDictionaryReader
{
    public sealed record Result(int? ProfileNo, uint AddInfo, IReadOnlyList<ObjectSpec> Objects, string? Behaviour, XElement? BehaviourElement);

    public static Result Read(XElement device, string source)
    {
        var ctx = new Ctx(source);
        int? profileNo = null;
        uint addInfo = 0;
        var objects = new List<ObjectSpec>();
        if (Child(device, "Profile") is { } profile)
        {
            var holder = Child(profile, "ProfileNo") is not null ? profile : Child(profile, "ChannelInfo");
            if (holder is not null && Child(holder, "ProfileNo") is { } no) profileNo = (int)ctx.U32(no, ctx.Text(no));
            if (holder is not null && Child(holder, "AddInfo") is { } add) addInfo = ctx.U32(add, ctx.Text(add));
            if (Child(profile, "Dictionary") is { } dictionary) ReadDictionary(ctx, dictionary, objects);
        }

        string? behaviour = null;
        XElement? behaviourElement = null;
        if (Child(device, "VendorSpecific") is { } vs && Child(vs, "RtBench") is { } rt)
        {
            behaviourElement = rt;
            behaviour = ((string?)rt.Attribute("Behaviour"))?.Trim();
            if (behaviour is not ("cia402" or "imu" or "generic"))
                throw ctx.Error(rt, "expected attribute Behaviour=\"cia402\", \"imu\" or \"generic\"", behaviour is null ? "none" : $"'{behaviour}'");
        }

        return new Result(profileNo, addInfo, objects, behaviour, behaviourElement);
    }

    private sealed record TypeInfo(string Name, OdDataType? Base, int Bits, XElement? Element, int ArrayLow, int ArrayElements, string? ElementType);

    private static void ReadDictionary(Ctx ctx, XElement dictionary, List<ObjectSpec> objects)
    {
        var types = new Dictionary<string, XElement>(StringComparer.Ordinal);
        if (Child(dictionary, "DataTypes") is { } dts)
            foreach (var dt in Children(dts, "DataType"))
                types[ctx.Text(ctx.Required(dt, "Name"))] = dt;
        if (Child(dictionary, "Objects") is not { } objs) return;
        foreach (var o in Children(objs, "Object"))
        {
            var indexElement = ctx.Required(o, "Index");
            uint index = ctx.U32(indexElement, ctx.Text(indexElement));
            if (index > 0xFFFF) throw ctx.Error(indexElement, "expected a 16-bit object index", $"#x{index:X}");
            string name = ctx.Text(ctx.Required(o, "Name"));
            var typeElement = ctx.Required(o, "Type");
            var type = Resolve(ctx, types, typeElement, ctx.Text(typeElement), 0);
            var flags = Child(o, "Flags");
            var infos = new List<XElement>();
            if (Child(o, "Info") is { } info) infos.AddRange(Children(info, "SubItem"));

            if (type.Base is { } baseType)
            {
                int bits = Child(o, "BitSize") is { } bs ? (int)ctx.U32(bs, ctx.Text(bs)) : type.Bits;
                if (bits <= 0) throw ctx.Error(o, "expected <BitSize> for this object", "none");
                var entry = new ObjectEntrySpec(0, name, baseType, bits, Access(ctx, flags, null), Default(ctx, Child(o, "Info"), baseType, bits));
                objects.Add(new ObjectSpec((ushort)index, name, OdObject.Var, [entry]));
                continue;
            }

            // A record (SubItems) or an array (a SubItem whose type has ArrayInfo): expand to subindex entries.
            var entries = new List<(ObjectEntrySpec Spec, string TypeName)>();
            bool array = false;
            byte next = 0;
            foreach (var si in Children(type.Element!, "SubItem"))
            {
                var siType = ctx.Required(si, "Type");
                var t = Resolve(ctx, types, siType, ctx.Text(siType), 0);
                string siName = Child(si, "Name") is { } n ? ctx.Text(n) : "";
                byte sub = Child(si, "SubIdx") is { } idx ? ctx.U8(idx, ctx.U32(idx, ctx.Text(idx))) : next;
                var access = Access(ctx, Child(si, "Flags"), flags);
                if (t.ArrayElements > 0)
                {
                    array = true;
                    var elementType = Resolve(ctx, types, siType, t.ElementType!, 0);
                    if (elementType.Base is not { } eb) throw ctx.Error(siType, "expected an array of a base type", $"'{t.ElementType}'");
                    for (int k = 0; k < t.ArrayElements; k++)
                    {
                        byte s = (byte)(t.ArrayLow + k);
                        entries.Add((new ObjectEntrySpec(s, $"SubIndex {s:D3}", eb, elementType.Bits, access, []), ""));
                    }
                    next = (byte)(t.ArrayLow + t.ArrayElements);
                    continue;
                }
                if (t.Base is not { } sb) throw ctx.Error(siType, "expected a base type for a subindex (records of records are not emulated)", $"'{ctx.Text(siType)}'");
                int bits = Child(si, "BitSize") is { } bs ? (int)ctx.U32(bs, ctx.Text(bs)) : t.Bits;
                entries.Add((new ObjectEntrySpec(sub, siName, sb, bits, access, []), siName));
                next = (byte)(sub + 1);
            }

            // Info/SubItem gives names and defaults: by name where one matches, else in order to the rest.
            var taken = new bool[entries.Count];
            var unmatched = new List<XElement>();
            foreach (var si in infos)
            {
                string siName = Child(si, "Name") is { } n ? ctx.Text(n) : "";
                int at = entries.FindIndex(e => e.TypeName.Length > 0 && e.TypeName == siName);
                if (at >= 0 && !taken[at]) Apply(ctx, entries, taken, at, si, siName);
                else unmatched.Add(si);
            }
            int cursor = 0;
            foreach (var si in unmatched)
            {
                while (cursor < entries.Count && taken[cursor]) cursor++;
                if (cursor == entries.Count) throw ctx.Error(si, $"expected at most {entries.Count} <SubItem> defaults for object #x{index:X4}", "more");
                Apply(ctx, entries, taken, cursor, si, Child(si, "Name") is { } n ? ctx.Text(n) : entries[cursor].Spec.Name);
            }

            var list = new List<ObjectEntrySpec>(entries.Count);
            foreach (var e in entries) list.Add(e.Spec);
            list.Sort((a, b) => a.SubIndex.CompareTo(b.SubIndex));
            for (int i = 1; i < list.Count; i++)
                if (list[i].SubIndex == list[i - 1].SubIndex) throw ctx.Error(o, $"expected distinct subindices in object #x{index:X4}", $"subindex {list[i].SubIndex} twice");
            objects.Add(new ObjectSpec((ushort)index, name, array ? OdObject.Array : OdObject.Record, list));
        }
    }

    private static void Apply(Ctx ctx, List<(ObjectEntrySpec Spec, string TypeName)> entries, bool[] taken, int at, XElement infoSubItem, string name)
    {
        var spec = entries[at].Spec;
        var value = Default(ctx, Child(infoSubItem, "Info"), spec.Type, spec.BitLength);
        entries[at] = (spec with { Name = name.Length > 0 ? name : spec.Name, Default = value }, entries[at].TypeName);
        taken[at] = true;
    }

    private static TypeInfo Resolve(Ctx ctx, Dictionary<string, XElement> types, XElement at, string name, int depth)
    {
        if (depth > 8) throw ctx.Error(at, "expected data types without a cycle", $"'{name}'");
        if (BaseType(name, out var b, out int bits)) return new TypeInfo(name, b, bits, null, 0, 0, null);
        if (!types.TryGetValue(name, out var dt)) throw ctx.Error(at, "expected a base type (BOOL, SINT, INT, DINT, LINT, USINT, UINT, UDINT, ULINT, REAL, STRING(n), BITn) or a <DataType> of the dictionary", $"'{name}'");
        if (Child(dt, "ArrayInfo") is { } ai)
        {
            var baseType = ctx.Required(dt, "BaseType");
            var low = ctx.Required(ai, "LBound");
            var count = ctx.Required(ai, "Elements");
            return new TypeInfo(name, null, 0, dt, (int)ctx.U32(low, ctx.Text(low)), (int)ctx.U32(count, ctx.Text(count)), ctx.Text(baseType));
        }
        if (Child(dt, "SubItem") is not null) return new TypeInfo(name, null, 0, dt, 0, 0, null);
        if (Child(dt, "BaseType") is { } alias)
        {
            var t = Resolve(ctx, types, alias, ctx.Text(alias), depth + 1);
            int bits2 = Child(dt, "BitSize") is { } bs ? (int)ctx.U32(bs, ctx.Text(bs)) : t.Bits;
            return t with { Bits = bits2 };
        }
        if (BaseType(name, out b, out bits)) return new TypeInfo(name, b, bits, null, 0, 0, null);
        var size = Child(dt, "BitSize");
        // A base type declared in DataTypes (<Name>UINT</Name><BitSize>16</BitSize>) was handled above by its name.
        throw ctx.Error(dt, "expected <BaseType>, <SubItem>s or <ArrayInfo> in a data type the emulator does not know by name", size is null ? $"'{name}'" : $"'{name}' of {ctx.Text(size)} bits");
    }

    private static bool BaseType(string name, out OdDataType type, out int bits)
    {
        (type, bits) = name switch
        {
            "BOOL" or "BIT" or "BIT1" => (OdDataType.Boolean, 1),
            "SINT" => (OdDataType.Integer8, 8),
            "INT" => (OdDataType.Integer16, 16),
            "DINT" => (OdDataType.Integer32, 32),
            "LINT" => (OdDataType.Integer64, 64),
            "USINT" or "BYTE" => (OdDataType.Unsigned8, 8),
            "UINT" or "WORD" => (OdDataType.Unsigned16, 16),
            "UDINT" or "DWORD" => (OdDataType.Unsigned32, 32),
            "ULINT" or "LWORD" => (OdDataType.Unsigned64, 64),
            "REAL" => (OdDataType.Real32, 32),
            _ => (default, 0),
        };
        if (bits > 0) return true;
        if (name.StartsWith("BIT", StringComparison.Ordinal) && int.TryParse(name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 2 and <= 8)
        {
            (type, bits) = (OdDataType.Unsigned8, n);
            return true;
        }
        foreach (var (prefix, t) in new[] { ("STRING(", OdDataType.VisibleString), ("OCTET_STRING(", OdDataType.OctetString) })
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(')') &&
                int.TryParse(name.AsSpan(prefix.Length, name.Length - prefix.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int chars) && chars is > 0 and <= 1024)
            {
                (type, bits) = (t, chars * 8);
                return true;
            }
        }
        return false;
    }

    private static OdAccess Access(Ctx ctx, XElement? flags, XElement? inherited)
    {
        var accessElement = (flags is null ? null : Child(flags, "Access")) ?? (inherited is null ? null : Child(inherited, "Access"));
        var mappingElement = (flags is null ? null : Child(flags, "PdoMapping")) ?? (inherited is null ? null : Child(inherited, "PdoMapping"));
        OdAccess access = OdAccess.Read;
        if (accessElement is not null)
        {
            string a = ctx.Text(accessElement).ToLowerInvariant();
            access = a switch
            {
                "ro" => OdAccess.Read,
                "wo" => OdAccess.Write,
                "rw" or "rwr" or "rww" => OdAccess.ReadWrite,
                _ => throw ctx.Error(accessElement, "expected ro, rw, wo, rwr or rww", $"'{a}'"),
            };
        }
        if (mappingElement is not null)
        {
            string m = ctx.Text(mappingElement).ToUpperInvariant();
            access |= m switch
            {
                "R" => OdAccess.RxPdo,
                "T" => OdAccess.TxPdo,
                "RT" or "TR" => OdAccess.RxPdo | OdAccess.TxPdo,
                "" => OdAccess.None,
                _ => throw ctx.Error(mappingElement, "expected R, T or RT", $"'{m}'"),
            };
        }
        return access;
    }

    /// <summary>The default bytes (little-endian, the entry's size) from <c>DefaultData</c>, <c>DefaultValue</c> or <c>DefaultString</c>.</summary>
    private static byte[] Default(Ctx ctx, XElement? info, OdDataType type, int bits)
    {
        int size = (bits + 7) / 8;
        if (info is null) return [];
        if (Child(info, "DefaultData") is { } data)
        {
            var bytes = ctx.Hex(data);
            bool isString = type is OdDataType.VisibleString or OdDataType.OctetString;
            if (bytes.Length > size || (!isString && bytes.Length != size))
                throw ctx.Error(data, $"expected {size} byte(s) of default data for a {bits}-bit entry", $"{bytes.Length}");
            return bytes;
        }
        if (Child(info, "DefaultString") is { } str)
        {
            var bytes = Encoding.ASCII.GetBytes(str.Value);
            if (bytes.Length > size) throw ctx.Error(str, $"expected a default string of at most {size} characters", $"{bytes.Length}");
            return bytes;
        }
        if (Child(info, "DefaultValue") is { } value)
        {
            string t = ctx.Text(value);
            long v;
            if (type == OdDataType.Real32 && float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out float f))
            {
                var fb = new byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(fb, f);
                return fb;
            }
            if (t.StartsWith('-') && ctx.TryNumber(t[1..], out ulong neg) && neg <= long.MaxValue) v = -(long)neg;
            else if (ctx.TryNumber(t, out ulong pos)) v = (long)pos;
            else throw ctx.Error(value, "expected a number (decimal or #x hex)", $"'{t}'");
            var bytes = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, v);
            // The value must fit the entry (signed or unsigned).
            long min = bits >= 64 ? long.MinValue : -(1L << (bits - 1)), max = bits >= 64 ? long.MaxValue : (1L << bits) - 1;
            if (v < min || v > max) throw ctx.Error(value, $"expected a value that fits {bits} bits", t);
            return bytes[..Math.Min(size, 8)];
        }
        return [];
    }

    internal static XElement? Child(XElement e, string name)
    {
        foreach (var c in e.Elements()) if (c.Name.LocalName == name) return c;
        return null;
    }

    internal static IEnumerable<XElement> Children(XElement e, string name)
    {
        foreach (var c in e.Elements()) if (c.Name.LocalName == name) yield return c;
    }

    /// <summary>The one-line error format of the master's ESI reader: <c>file:line: element &lt;X&gt;: expected …, found …</c>.</summary>
    internal sealed class Ctx(string source)
    {
        public string Where(XObject e) => $"{source}:{(e is IXmlLineInfo li && li.HasLineInfo() ? li.LineNumber : 0)}";

        public InputError Error(XElement e, string expected, string found) =>
            new(Where(e), $"element <{e.Name.LocalName}>", $"{expected}, found {found}");

        public XElement Required(XElement parent, string name) =>
            Child(parent, name) ?? throw Error(parent, $"expected a child <{name}>", "none");

        public string Text(XElement e) => e.Value.Trim();

        public uint U32(XElement e, string text) =>
            TryNumber(text, out ulong v) && v <= uint.MaxValue ? (uint)v : throw Error(e, "expected a number (decimal or #x hex) of at most 32 bits", $"'{text}'");

        public byte U8(XElement e, uint v) => v <= byte.MaxValue ? (byte)v : throw Error(e, "expected an 8-bit value (at most 255)", v.ToString(CultureInfo.InvariantCulture));

        public byte[] Hex(XElement e)
        {
            var sb = new StringBuilder();
            foreach (char ch in e.Value)
            {
                if (char.IsWhiteSpace(ch)) continue;
                if (!char.IsAsciiHexDigit(ch)) throw Error(e, "expected hex bytes (e.g. 92010200)", $"'{e.Value.Trim()}'");
                sb.Append(ch);
            }
            if (sb.Length % 2 != 0) throw Error(e, "expected an even number of hex digits (whole bytes)", $"'{e.Value.Trim()}'");
            return Convert.FromHexString(sb.ToString());
        }

        public bool TryNumber(string text, out ulong value)
        {
            var t = text.AsSpan().Trim();
            if (t.StartsWith("#x", StringComparison.OrdinalIgnoreCase) || t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                return ulong.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && t.Length > 2;
            return ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
    }
}
