namespace Rt.Core.Config;

/// <summary>
/// Where each key of a configuration file was written: key path (e.g. <c>joints[3].gear_ratio</c>) to 1-based line.
/// Lets validation messages point at the line even though they are checked on the bound objects.
/// Not real-time safe.
/// </summary>
public sealed class ConfigKeyLines
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    public static ConfigKeyLines Empty { get; } = new();

    internal void Record(string keyPath, int line) => _lines.TryAdd(keyPath, line);

    /// <summary>The line of <paramref name="keyPath"/>, or of its nearest written ancestor (a defaulted key has none); 0 if unknown.</summary>
    public int LineOf(string keyPath)
    {
        for (string path = keyPath; path.Length > 0; path = Parent(path))
        {
            if (_lines.TryGetValue(path, out int line)) return line;
        }
        return 0;
    }

    /// <summary>"line 12, key joints[3].gear_ratio", or just "key ..." when the line is unknown.</summary>
    public string Locate(string keyPath)
    {
        int line = LineOf(keyPath);
        return line > 0 ? $"line {line}, key {keyPath}" : $"key {keyPath}";
    }

    private static string Parent(string path)
    {
        int cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }
}
