namespace Rt.Core.Config;

/// <summary>
/// Where each key of a configuration file was written: key path (e.g. <c>joints[3].gear_ratio</c>) to 1-based line and column.
/// Lets validation messages point at the line even though they are checked on the bound objects.
/// Not real-time safe.
/// </summary>
public sealed class ConfigKeyLines
{
    private readonly Dictionary<string, (int Line, int Column)> _lines = new(StringComparer.Ordinal);

    public static ConfigKeyLines Empty { get; } = new();

    internal void Record(string keyPath, YamlDotNet.Core.Mark mark) => _lines.TryAdd(keyPath, ((int)mark.Line, (int)mark.Column));

    /// <summary>The line of <paramref name="keyPath"/>, or of its nearest written ancestor (a defaulted key has none); 0 if unknown.</summary>
    public int LineOf(string keyPath) => PositionOf(keyPath).Line;

    /// <summary>True when <paramref name="keyPath"/> itself was written in the file (not defaulted).</summary>
    public bool Written(string keyPath) => _lines.ContainsKey(keyPath);

    private (int Line, int Column) PositionOf(string keyPath)
    {
        for (string path = keyPath; path.Length > 0; path = Parent(path))
        {
            if (_lines.TryGetValue(path, out var at)) return at;
        }
        return (0, 0);
    }

    /// <summary>"line 12:5, key joints[3].gear_ratio", or just "key ..." when the line is unknown.</summary>
    public string Locate(string keyPath)
    {
        var (line, column) = PositionOf(keyPath);
        return line > 0 ? $"line {line}:{column}, key {keyPath}" : $"key {keyPath}";
    }

    private static string Parent(string path)
    {
        int cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }
}
