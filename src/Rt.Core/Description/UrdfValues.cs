using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Rt.Core.Errors;

namespace Rt.Core.Description;

/// <summary>
/// Reads typed values out of URDF elements and turns every problem into an <see cref="InputError"/> that names the
/// file, the line, the element (with its owning link/joint) and the attribute. Not real-time safe.
/// </summary>
internal sealed class UrdfValues(string source)
{
    public string Source { get; } = source;

    public InputError Error(XObject node, string problem) => new(Source, Where(node), problem);

    /// <summary>"line 31, &lt;limit&gt; in joint 'l_knee', attribute 'effort'".</summary>
    public static string Where(XObject node)
    {
        var element = node as XElement ?? node.Parent;
        int line = node is IXmlLineInfo info && info.HasLineInfo() ? info.LineNumber : 0;
        var text = line > 0 ? $"line {line}, " : "";
        if (element is null) return text.TrimEnd(',', ' ');
        string? ownName = (string?)element.Attribute("name");
        bool isOwner = element.Name.LocalName is "link" or "joint" or "robot";
        text += isOwner && !string.IsNullOrEmpty(ownName)
            ? $"<{element.Name.LocalName} name='{ownName}'>"
            : $"<{element.Name.LocalName}>";
        if (!isOwner)
        {
            for (var up = element.Parent; up is not null; up = up.Parent)
            {
                if (up.Name.LocalName is "link" or "joint")
                {
                    text += $" in {up.Name.LocalName} '{(string?)up.Attribute("name") ?? "?"}'";
                    break;
                }
            }
        }
        if (node is XAttribute attribute) text += $", attribute '{attribute.Name.LocalName}'";
        return text;
    }

    public string RequiredName(XElement element)
    {
        var attribute = element.Attribute("name");
        if (attribute is null) throw Error(element, $"<{element.Name.LocalName}> has no 'name' attribute; every {element.Name.LocalName} needs a unique name");
        if (string.IsNullOrWhiteSpace(attribute.Value)) throw Error(attribute, $"the name is empty; expected a non-empty {element.Name.LocalName} name");
        return attribute.Value;
    }

    public string RequiredString(XElement element, string name)
    {
        var attribute = element.Attribute(name) ?? throw Error(element, $"missing attribute '{name}'");
        if (string.IsNullOrWhiteSpace(attribute.Value)) throw Error(attribute, $"'{name}' is empty; expected a value");
        return attribute.Value.Trim();
    }

    /// <summary>The only child element called <paramref name="name"/>, or null; two of them is an error.</summary>
    public XElement? Single(XElement parent, string name)
    {
        XElement? found = null;
        foreach (var child in parent.Elements(name))
        {
            if (found is not null) throw Error(child, $"<{name}> appears more than once in <{parent.Name.LocalName}>; expected at most one");
            found = child;
        }
        return found;
    }

    public XElement Required(XElement parent, string name) =>
        Single(parent, name) ?? throw Error(parent, $"<{parent.Name.LocalName}> has no <{name}> element; one is required");

    /// <summary>Rejects child elements this reader does not understand, so a misspelt element is not silently dropped.</summary>
    public void OnlyChildren(XElement parent, params string[] allowed)
    {
        foreach (var child in parent.Elements())
        {
            if (Array.IndexOf(allowed, child.Name.LocalName) < 0)
            {
                throw Error(child, $"unexpected element <{child.Name.LocalName}> in <{parent.Name.LocalName}>; expected only {string.Join(", ", allowed.Select(a => $"<{a}>"))}");
            }
        }
    }

    public double Number(XElement element, string name, double? defaultValue = null)
    {
        var attribute = element.Attribute(name);
        if (attribute is null)
        {
            return defaultValue ?? throw Error(element, $"missing attribute '{name}'; expected a number");
        }
        return ParseNumber(attribute, attribute.Value.AsSpan().Trim());
    }

    /// <summary>A whitespace-separated triple such as xyz="0 0.1 -0.05".</summary>
    public Vec3 Triple(XElement element, string name, Vec3 defaultValue)
    {
        var attribute = element.Attribute(name);
        if (attribute is null) return defaultValue;
        var text = attribute.Value.AsSpan();
        Span<double> values = stackalloc double[3];
        int count = 0;
        foreach (var range in text.SplitAny(" \t\r\n"))
        {
            var token = text[range];
            if (token.IsEmpty) continue;
            if (count == 3) throw Error(attribute, $"'{name}' has more than 3 components ('{attribute.Value}'); expected exactly 3 numbers");
            values[count++] = ParseNumber(attribute, token);
        }
        if (count != 3) throw Error(attribute, $"'{name}' has {count} component(s) ('{attribute.Value}'); expected exactly 3 numbers");
        return new Vec3(values[0], values[1], values[2]);
    }

    /// <summary>&lt;origin xyz rpy&gt;; absent element or attributes default to zero, as URDF specifies.</summary>
    public Pose Origin(XElement parent)
    {
        var origin = Single(parent, "origin");
        if (origin is null) return Pose.Identity;
        return new Pose(Triple(origin, "xyz", Vec3.Zero), Triple(origin, "rpy", Vec3.Zero));
    }

    private double ParseNumber(XAttribute attribute, ReadOnlySpan<char> token)
    {
        if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            throw Error(attribute, $"'{token}' is not a number; expected a decimal number such as 0.25 or -1e-3");
        }
        if (!double.IsFinite(value))
        {
            throw Error(attribute, $"'{token}' is not finite; NaN and infinity are not allowed");
        }
        return value;
    }
}
