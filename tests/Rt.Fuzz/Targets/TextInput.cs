using System.Text;
using Rt.TestSupport;

namespace Rt.Fuzz.Targets;

/// <summary>Helpers for the text readers: the bytes as the file's text (UTF-8, as File.ReadAllText reads it) and repo files as seeds.</summary>
internal static class TextInput
{
    /// <summary>Decodes as File.ReadAllText does (BOM honoured, invalid sequences replaced).</summary>
    public static string Decode(ReadOnlySpan<byte> input)
    {
        using var reader = new StreamReader(new MemoryStream(input.ToArray()), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Every file under <paramref name="relativeDir"/> of the repo matching <paramref name="pattern"/>, as a seed.</summary>
    public static IEnumerable<(string, byte[])> RepoFiles(string relativeDir, string pattern)
    {
        string dir = RepoPaths.Combine(relativeDir.Split('/'));
        if (!Directory.Exists(dir)) yield break;
        foreach (var f in Directory.GetFiles(dir, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            yield return (Path.GetFileNameWithoutExtension(f), File.ReadAllBytes(f));
    }
}
