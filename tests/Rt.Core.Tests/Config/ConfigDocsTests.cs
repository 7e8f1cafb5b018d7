using Rt.Core.Config;
using Rt.TestSupport;

namespace Rt.Core.Tests.Config;

public sealed class ConfigDocsTests
{
    /// <summary>Every key the loader accepts, as written in docs/CONFIG.md: lists as <c>[i]</c>, maps as <c>&lt;name&gt;</c>.</summary>
    private static IEnumerable<string> Keys(Type type, string prefix)
    {
        foreach (var (key, property) in YamlBinder.KeysOf(type))
        {
            string path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            var t = property.PropertyType;
            yield return path;
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>) && t.GetGenericArguments()[0].IsClass)
            {
                foreach (var k in Keys(t.GetGenericArguments()[0], path + "[i]")) yield return k;
            }
            else if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                foreach (var k in Keys(t.GetGenericArguments()[1], path + ".<name>")) yield return k;
            }
            else if (t.IsClass && t != typeof(string) && !t.IsArray)
            {
                foreach (var k in Keys(t, path)) yield return k;
            }
        }
    }

    [Fact]
    public void Every_config_key_is_documented()
    {
        string doc = File.ReadAllText(RepoPaths.Combine("docs", "CONFIG.md"));
        var keys = Keys(typeof(RtConfig), "").ToList();
        Assert.Contains("joints[i].limits.torque_nm", keys);
        Assert.Contains("safety.triggers.<name>.reaction", keys);
        var missing = keys.Where(k => !doc.Contains($"`{k}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "docs/CONFIG.md does not document: " + string.Join(", ", missing));
    }
}
