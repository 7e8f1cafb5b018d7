using System.Globalization;
using System.Text;
using Rt.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Rt.Core.Config;

/// <summary>
/// The one validating YAML reader behind every input file of the host: the host config (<see cref="ConfigLoader"/>),
/// HIL scenario files and twin-parameter files. It reads exactly one document into a node tree, refusing before the
/// tree is built what could exhaust the process (nesting deeper than <see cref="MaxDepth"/>, aliases, files over
/// <see cref="MaxFileBytes"/>), and gives typed access to scalars with one message shape for every problem:
/// <c>{file}: line L:C, key a.b[3].c: what is wrong; expected what</c>, as an <see cref="InputError"/> (exit code 2).
/// Numbers and booleans must be written plain (a quoted <c>"5"</c> is text), numbers must be finite.
/// Not real-time safe (allocation, file I/O): call while preparing.
/// </summary>
public static class YamlInput
{
    /// <summary>Deepest nesting of mappings and lists accepted. The shipped files nest at most 5 deep.</summary>
    public const int MaxDepth = 64;

    /// <summary>Largest input file, bytes. The shipped files are under 100 kB.</summary>
    public const int MaxFileBytes = 8 << 20;

    /// <summary>Longest text value (a path included), characters: Linux PATH_MAX.</summary>
    public const int MaxTextLength = 4096;

    /// <summary>Longest single path component (file or folder name), bytes: Linux NAME_MAX.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Not real-time safe. Reads the file at <paramref name="fullPath"/> as text; <paramref name="what"/> names it in messages ("the scenario").</summary>
    public static string ReadFile(string fullPath, string what)
    {
        try
        {
            if (Directory.Exists(fullPath)) throw new InputError(fullPath, "", $"is a folder; expected {what}, a file");
            var info = new FileInfo(fullPath);
            if (info.Exists && info.Length > MaxFileBytes)
                throw new InputError(fullPath, "", $"{what} is {info.Length} bytes; expected at most {MaxFileBytes} bytes");
            return System.IO.File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputError(fullPath, "", $"cannot read {what}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Not real-time safe. Parses <paramref name="text"/> (as the file <paramref name="source"/>) into the root node of
    /// its single document. <paramref name="emptyMessage"/> is the problem reported for a file with no document.
    /// </summary>
    /// <exception cref="InputError">Malformed YAML, no document or more than one, nesting deeper than <see cref="MaxDepth"/>, an alias, or too large.</exception>
    public static YamlNode Parse(string text, string source, string emptyMessage)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxFileBytes) throw new InputError(source, "", $"the file is {text.Length} characters long; expected at most {MaxFileBytes}");
        var stream = new YamlStream();
        var parser = new GuardedParser(new Parser(new StringReader(text)), source);
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            string message = e.InnerException is not null ? $"{e.Message} {e.InnerException.Message}" : e.Message;
            throw new InputError(source, At(e.Start), $"malformed YAML: {message}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this (without a position) on some unterminated constructs, e.g. "[1000".
            throw new InputError(source, $"after {At(parser.LastGood)}",
                "malformed YAML: the document ends inside a construct; check for an unclosed [ or { or quote", e);
        }
        catch (ArgumentException e)
        {
            // Older YamlDotNet builds surface a duplicate mapping key this way.
            throw new InputError(source, At(parser.LastGood), $"malformed YAML: {e.Message}; expected each key once per mapping", e);
        }
        if (stream.Documents.Count == 0) throw new InputError(source, "", emptyMessage);
        return stream.Documents[0].RootNode;
    }

    // ------------------------------------------------------------------ locations and errors

    /// <summary>"line L:C" of a mark (1-based line and column).</summary>
    public static string At(Mark mark) => $"line {mark.Line}:{mark.Column}";

    /// <summary>"line L:C, key a.b[3]" (or "(top level)" for the root).</summary>
    public static string Locate(YamlNode node, string keyPath) => Locate(node.Start, keyPath);

    /// <inheritdoc cref="Locate(YamlNode, string)"/>
    public static string Locate(Mark mark, string keyPath) => $"{At(mark)}, key {(keyPath.Length == 0 ? "(top level)" : keyPath)}";

    /// <summary>An <see cref="InputError"/> at <paramref name="node"/> under <paramref name="keyPath"/>.</summary>
    public static InputError Error(string source, YamlNode node, string keyPath, string problem) =>
        new(source, Locate(node, keyPath), problem);

    /// <summary>A wrong-type error: "found a list; expected ..." or "wrong value type; expected ...".</summary>
    public static InputError TypeError(string source, YamlNode node, string keyPath, string expected)
    {
        string? kind = node switch
        {
            YamlMappingNode => "a mapping",
            YamlSequenceNode => "a list",
            _ => null,
        };
        string problem = kind is null ? $"wrong value type; expected {expected}" : $"found {kind}; expected {expected}";
        return Error(source, node, keyPath, problem);
    }

    /// <summary>Joins a parent key path and a key: "loop" + "rate_hz" = "loop.rate_hz".</summary>
    public static string Join(string parent, string key) => key.Length == 0 ? parent : parent.Length == 0 ? key : $"{parent}.{key}";

    // ------------------------------------------------------------------ structure

    /// <summary>True for an empty or null value (<c>key:</c>, <c>~</c>, <c>null</c>), written plain.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    /// <summary>The key's text, or an error: a key must be plain, non-empty text.</summary>
    public static string KeyText(string source, YamlNode keyNode, string parentPath) =>
        keyNode is YamlScalarNode { Value: { Length: > 0 } key } && key.IndexOf('\0') < 0
            ? key
            : throw Error(source, keyNode, parentPath, "a key must be plain text");

    /// <summary>Refuses the first key of <paramref name="mapping"/> not in <paramref name="known"/>, naming the allowed ones.</summary>
    public static void CheckKeys(string source, YamlMappingNode mapping, string path, IReadOnlyCollection<string> known)
    {
        foreach (var (k, _) in mapping.Children)
        {
            string key = KeyText(source, k, path);
            if (!known.Contains(key))
                throw Error(source, k, Join(path, key), $"unknown key '{key}'; expected one of: {string.Join(", ", known.Order(StringComparer.Ordinal))}");
        }
    }

    // ------------------------------------------------------------------ scalars

    /// <summary>Text value: a scalar without NUL, at most <see cref="MaxTextLength"/> characters.</summary>
    public static string Text(string source, YamlNode node, string keyPath, string expected = "text")
    {
        if (node is not YamlScalarNode scalar) throw TypeError(source, node, keyPath, expected);
        string value = scalar.Value ?? "";
        if (value.IndexOf('\0') >= 0) throw Error(source, node, keyPath, $"contains a NUL character; expected {expected}");
        if (value.Length > MaxTextLength) throw Error(source, node, keyPath, $"is {value.Length} characters long; expected {expected} of at most {MaxTextLength} characters");
        return value;
    }

    /// <summary>The text of a scalar that must be written plain (numbers, booleans): a quoted "5" is text, not a number.</summary>
    private static string PlainScalar(string source, YamlNode node, string keyPath, string expected)
    {
        if (node is not YamlScalarNode scalar) throw TypeError(source, node, keyPath, expected);
        string value = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
            throw Error(source, node, keyPath, $"is quoted text \"{Shorten(value)}\"; expected {expected}, written without quotes");
        return value;
    }

    /// <summary>A finite number; NaN and infinity (in any spelling) are refused.</summary>
    public static double Real(string source, YamlNode node, string keyPath)
    {
        string text = PlainScalar(source, node, keyPath, "a number");
        string bare = text.TrimStart('+', '-');
        if (bare.Equals(".nan", StringComparison.OrdinalIgnoreCase) || bare.Equals(".inf", StringComparison.OrdinalIgnoreCase))
            throw TypeError(source, node, keyPath, $"a finite number, got '{text}' (NaN and infinity are not allowed)");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw TypeError(source, node, keyPath, $"a number, got '{Shorten(text)}'");
        if (!double.IsFinite(value)) throw TypeError(source, node, keyPath, $"a finite number, got '{text}' (NaN and infinity are not allowed)");
        return value;
    }

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>] (<paramref name="unit"/> for the message).</summary>
    public static double Real(string source, YamlNode node, string keyPath, double min, double max, string unit)
    {
        double value = Real(source, node, keyPath);
        if (RangeProblem(value, min, max, unit) is { } problem) throw Error(source, node, keyPath, problem);
        return value;
    }

    /// <summary>
    /// A whole number in [<paramref name="min"/>, <paramref name="max"/>]; <c>_</c> separators and <c>0x</c> hex are
    /// accepted. Written plain.
    /// </summary>
    public static long Integer(string source, YamlNode node, string keyPath, long min, long max)
    {
        string raw = PlainScalar(source, node, keyPath, "a whole number");
        string text = raw.Replace("_", "", StringComparison.Ordinal);
        bool ok;
        decimal value;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            ok = ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong h);
            value = h;
        }
        else ok = decimal.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        if (!ok) throw TypeError(source, node, keyPath, $"a whole number, got '{Shorten(raw)}'");
        if (value < min || value > max) throw Error(source, node, keyPath, $"is {Shorten(raw)}; expected a whole number in [{min}, {max}]");
        return (long)value;
    }

    /// <summary>A whole number in [0, ulong.MaxValue] (seeds, vendor ids). Written plain.</summary>
    public static ulong UnsignedInteger(string source, YamlNode node, string keyPath, ulong max = ulong.MaxValue)
    {
        string raw = PlainScalar(source, node, keyPath, "a whole number ≥ 0");
        string text = raw.Replace("_", "", StringComparison.Ordinal);
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok) throw TypeError(source, node, keyPath, $"a whole number ≥ 0, got '{Shorten(raw)}'");
        if (value > max) throw Error(source, node, keyPath, $"is {raw}; expected a whole number in [0, {max}]");
        return value;
    }

    /// <summary>true or false, written plain.</summary>
    public static bool Bool(string source, YamlNode node, string keyPath)
    {
        string text = PlainScalar(source, node, keyPath, "true or false");
        return bool.TryParse(text, out bool b) ? b : throw TypeError(source, node, keyPath, $"true or false, got '{Shorten(text)}'");
    }

    // ------------------------------------------------------------------ bounds and paths

    /// <summary>"is 1e+308; expected a value in [0, 3.14159] rad", or null when <paramref name="value"/> is inside the closed range.</summary>
    public static string? RangeProblem(double value, double min, double max, string unit)
    {
        if (value >= min && value <= max) return null;
        string u = unit.Length == 0 ? "" : " " + unit;
        return $"is {Num(value)}{u}; expected a value in [{Num(min)}, {Num(max)}]{u}";
    }

    /// <summary>Like <see cref="RangeProblem"/> with an open lower end: (min, max].</summary>
    public static string? RangeProblemAboveMin(double value, double min, double max, string unit)
    {
        if (value > min && value <= max) return null;
        string u = unit.Length == 0 ? "" : " " + unit;
        return $"is {Num(value)}{u}; expected a value in ({Num(min)}, {Num(max)}]{u}";
    }

    /// <summary>What a path key names, for <see cref="PathProblem"/>.</summary>
    public enum PathUse
    {
        /// <summary>A file that must exist (a parameter file, a certificate).</summary>
        ExistingFile,

        /// <summary>A file read by its own loader, which reports a missing file itself: here only "not a folder".</summary>
        File,

        /// <summary>A file the host creates: it must not be a folder, and its folder must exist (checked when the path is absolute or <paramref name="baseFolder"/> is given).</summary>
        NewFile,

        /// <summary>A folder the host creates or fills: it must not be a file, and its parent must exist.</summary>
        NewFolder,
    }

    /// <summary>
    /// Not real-time safe (file-system checks). Null when <paramref name="value"/> is usable as a path of kind
    /// <paramref name="use"/>, else what is wrong and what was expected. Empty values are for the caller to judge.
    /// Relative paths are resolved against <paramref name="baseFolder"/>; null leaves relative paths to the syntax checks
    /// (they resolve at run time against a state folder).
    /// </summary>
    public static string? PathProblem(string value, PathUse use, string? baseFolder)
    {
        if (value.Length == 0) return null;
        if (value.IndexOf('\0') >= 0) return "contains a NUL character; expected a file-system path";
        if (value.Length > MaxTextLength) return $"is {value.Length} characters long; expected a path of at most {MaxTextLength} characters";
        foreach (var part in value.Split('/'))
        {
            int bytes = Encoding.UTF8.GetByteCount(part);
            if (bytes > MaxNameBytes) return $"has a {bytes}-byte name '{Shorten(part)}'; expected names of at most {MaxNameBytes} bytes between '/'";
        }
        if (use != PathUse.NewFolder && value.EndsWith('/')) return $"'{Shorten(value)}' ends in '/'; expected a file, not a folder";
        string? full = Path.IsPathRooted(value) ? value : baseFolder is null ? null : Path.GetFullPath(Path.Combine(baseFolder, value));
        if (full is null) return null;
        switch (use)
        {
            case PathUse.ExistingFile or PathUse.File:
                if (Directory.Exists(full)) return $"'{Shorten(value)}' is a folder ({full}); expected a file";
                if (use == PathUse.ExistingFile && !System.IO.File.Exists(full)) return $"'{Shorten(value)}' does not exist ({full}); expected an existing file";
                return null;
            case PathUse.NewFile:
                if (Directory.Exists(full)) return $"'{Shorten(value)}' is a folder ({full}); expected a file to write";
                string? folder = Path.GetDirectoryName(full.TrimEnd('/'));
                if (folder is not null && !Directory.Exists(folder)) return $"the folder {folder} of '{Shorten(value)}' does not exist; expected an existing folder to create the file in";
                return null;
            default:
                if (System.IO.File.Exists(full.TrimEnd('/'))) return $"'{Shorten(value)}' is a file ({full}); expected a folder";
                string? parent = Path.GetDirectoryName(full.TrimEnd('/'));
                if (parent is not null && !Directory.Exists(parent)) return $"the parent folder {parent} of '{Shorten(value)}' does not exist; expected an existing folder to create it in";
                return null;
        }
    }

    /// <summary>A number for messages: shortest round-trip form.</summary>
    public static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>At most 60 characters of <paramref name="s"/>, NULs shown as \0, for echoing bad input in one line.</summary>
    public static string Shorten(string s)
    {
        string t = s.Length > 60 ? s[..57] + "..." : s;
        return t.Replace("\0", "\\0", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    /// <summary>
    /// Passes YamlDotNet's parser events through, refusing — before the recursive node builder descends — nesting
    /// deeper than <see cref="MaxDepth"/>, a second document and aliases (an alias chain can expand exponentially when
    /// the tree is walked). YamlDotNet's scanner and parser are iterative; only the node builder recurses.
    /// Remembers where the last good event ended, for errors the parser reports without a position.
    /// </summary>
    private sealed class GuardedParser(IParser inner, string source) : IParser
    {
        private int _depth;
        private int _documents;

        public Mark LastGood { get; private set; } = Mark.Empty;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            bool moved = inner.MoveNext();
            var current = inner.Current;
            if (current is null) return moved;
            switch (current)
            {
                case SequenceStart or MappingStart:
                    if (++_depth > MaxDepth)
                        throw new InputError(source, At(current.Start), $"lists and mappings nest more than {MaxDepth} deep; expected at most {MaxDepth} levels");
                    break;
                case SequenceEnd or MappingEnd:
                    _depth--;
                    break;
                case DocumentStart:
                    if (++_documents > 1)
                        throw new InputError(source, At(current.Start), "more than one YAML document ('---'); expected a single document");
                    break;
                case AnchorAlias alias:
                    throw new InputError(source, At(current.Start), $"alias '*{Shorten(alias.Value.Value)}'; expected each value written out (anchors and aliases are not supported)");
            }
            LastGood = current.End;
            return moved;
        }
    }
}
