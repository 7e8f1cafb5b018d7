using System.Text.Json;

namespace Rt.Twin;

/// <summary>Not real-time safe. The reports' one rule for numbers in JSON: a value that is not finite is written as null.</summary>
internal static class JsonNumbers
{
    public static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
