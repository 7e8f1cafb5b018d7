using System.Collections;
using System.Globalization;
using System.Reflection;
using Rt.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Rt.Core.Config;

/// <summary>
/// Binds a YAML node tree onto the config classes by reflection, with snake_case keys
/// (<see cref="UnderscoredNamingConvention"/>: <c>RateHz</c> ↔ <c>rate_hz</c>). Stricter than YamlDotNet's deserializer:
/// an unknown key or a value of the wrong type is an <see cref="InputError"/> naming the full key path and line,
/// and NaN/infinity are refused. Properties marked <see cref="YamlIgnoreAttribute"/> are not keys.
/// Records the line of every key it binds for later validation messages. Not real-time safe.
/// </summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2062", Justification = "The config classes are all in Rt.Core, which the robot's native binary roots whole (TrimmerRootAssembly in src/Rt.Robot); a test loads the shipped config with that binary.")]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "As IL2062: Rt.Core is rooted whole in the native binary.")]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "As IL2062: Rt.Core is rooted whole in the native binary.")]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "As IL2062: Rt.Core is rooted whole in the native binary.")]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "As IL2062: Rt.Core is rooted whole in the native binary.")]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Only double[] (imus[i].xyz, rpy) and uint[] (bus.slaves[i].pdo) properties are bound as arrays; both are compiled into every binary.")]
internal sealed class YamlBinder(string source, ConfigKeyLines lines)
{
    private static readonly INamingConvention Naming = UnderscoredNamingConvention.Instance;

    public T BindRoot<T>(YamlNode node) where T : class, new()
    {
        if (node is not YamlMappingNode) throw TypeError(node, "", "a mapping of sections (robot:, loop:, joints:, ...)");
        return (T)Bind(node, typeof(T), "", new T())!;
    }

    private object? Bind(YamlNode node, Type type, string path, object? existing)
    {
        var nullable = Nullable.GetUnderlyingType(type);
        if (nullable is not null) type = nullable;

        if (type == typeof(string)) return YamlInput.Text(source, node, path);
        if (type == typeof(bool)) return YamlInput.Bool(source, node, path);
        if (type == typeof(double)) return YamlInput.Real(source, node, path);
        if (type == typeof(float)) return (float)YamlInput.Real(source, node, path, float.MinValue, float.MaxValue, "");
        if (type == typeof(int) || type == typeof(long) || type == typeof(uint) || type == typeof(ulong)
            || type == typeof(short) || type == typeof(ushort) || type == typeof(byte))
        {
            return ParseInteger(node, path, type);
        }
        if (type.IsEnum) return ParseEnum(node, path, type);
        if (type.IsArray)
        {
            var items = BindSequence(node, type.GetElementType()!, path);
            var array = Array.CreateInstance(type.GetElementType()!, items.Count);
            for (int i = 0; i < items.Count; i++) array.SetValue(items[i], i);
            return array;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var list = (IList)Activator.CreateInstance(type)!;
            foreach (var item in BindSequence(node, type.GetGenericArguments()[0], path)) list.Add(item);
            return list;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            if (type.GetGenericArguments()[0] != typeof(string)) throw new NotSupportedException($"config dictionaries must have string keys ({type})");
            return BindDictionary(node, type, path);
        }
        if (type.IsClass && type.GetConstructor(Type.EmptyTypes) is not null) return BindObject(node, type, path, existing ?? Activator.CreateInstance(type)!);
        throw new NotSupportedException($"config property type {type} at '{path}' is not supported by the binder");
    }

    private object BindObject(YamlNode node, Type type, string path, object target)
    {
        if (node is not YamlMappingNode mapping) throw TypeError(node, path, "a mapping of keys");
        var properties = KeysOf(type);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            string key = YamlInput.KeyText(source, keyNode, path);
            string keyPath = YamlInput.Join(path, key);
            if (!properties.TryGetValue(key, out var property))
            {
                var known = string.Join(", ", properties.Keys.Order(StringComparer.Ordinal));
                throw YamlInput.Error(source, keyNode, keyPath, $"unknown key '{key}'; expected one of: {known}");
            }
            lines.Record(keyPath, keyNode.Start);
            if (IsNull(valueNode)) continue; // "key:" with no value keeps the default
            property.SetValue(target, Bind(valueNode, property.PropertyType, keyPath, property.GetValue(target)));
        }
        return target;
    }

    private object BindDictionary(YamlNode node, Type type, string path)
    {
        if (node is not YamlMappingNode mapping) throw TypeError(node, path, "a mapping of names to entries");
        var dictionary = (IDictionary)Activator.CreateInstance(type)!;
        var valueType = type.GetGenericArguments()[1];
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            string key = YamlInput.KeyText(source, keyNode, path);
            string keyPath = YamlInput.Join(path, key);
            lines.Record(keyPath, keyNode.Start);
            dictionary[key] = IsNull(valueNode) && valueType.IsClass && valueType != typeof(string)
                ? Activator.CreateInstance(valueType)
                : Bind(valueNode, valueType, keyPath, null);
        }
        return dictionary;
    }

    private List<object?> BindSequence(YamlNode node, Type itemType, string path)
    {
        if (node is not YamlSequenceNode sequence) throw TypeError(node, path, "a list (- item per line, or [a, b, c])");
        var items = new List<object?>(sequence.Children.Count);
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            var item = sequence.Children[i];
            string itemPath = $"{path}[{i}]";
            lines.Record(itemPath, item.Start);
            if (IsNull(item)) throw TypeError(item, itemPath, "a value, got an empty list item");
            items.Add(Bind(item, itemType, itemPath, null));
        }
        return items;
    }

    internal static Dictionary<string, PropertyInfo> KeysOf(Type type)
    {
        var keys = new Dictionary<string, PropertyInfo>(StringComparer.Ordinal);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } || property.GetIndexParameters().Length > 0) continue;
            if (property.GetCustomAttribute<YamlIgnoreAttribute>() is not null) continue;
            string key = property.GetCustomAttribute<YamlMemberAttribute>()?.Alias ?? Naming.Apply(property.Name);
            keys.Add(key, property);
        }
        return keys;
    }

    private static bool IsNull(YamlNode node) => YamlInput.IsNull(node);

    private object ParseInteger(YamlNode node, string path, Type type)
    {
        if (type == typeof(ulong)) return YamlInput.UnsignedInteger(source, node, path);
        var (min, max) = type == typeof(int) ? (int.MinValue, int.MaxValue)
            : type == typeof(uint) ? (uint.MinValue, uint.MaxValue)
            : type == typeof(short) ? (short.MinValue, short.MaxValue)
            : type == typeof(ushort) ? (ushort.MinValue, ushort.MaxValue)
            : type == typeof(byte) ? (byte.MinValue, byte.MaxValue)
            : (long.MinValue, long.MaxValue);
        long value = YamlInput.Integer(source, node, path, min, max);
        return Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
    }

    private object ParseEnum(YamlNode node, string path, Type type)
    {
        var names = Enum.GetNames(type);
        var text = YamlInput.Text(source, node, path, $"one of {string.Join(", ", names.Select(Naming.Apply))}");
        // "in_process", "InProcess" and "inprocess" all name BusKind.InProcess.
        string wanted = text.Replace("_", "", StringComparison.Ordinal);
        foreach (var name in names)
        {
            if (string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase)) return Enum.Parse(type, name);
        }
        throw TypeError(node, path, $"one of {string.Join(", ", names.Select(Naming.Apply))}, got '{text}'");
    }

    private InputError TypeError(YamlNode node, string path, string expected) => YamlInput.TypeError(source, node, path, expected);
}
