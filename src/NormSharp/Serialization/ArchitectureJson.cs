using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using NormSharp.Layers;
using Module = NormSharp.Layers.Module;

namespace NormSharp.Serialization;

/// <summary>
/// Describes a model's architecture as JSON — layer types and constructor arguments, recursively — and
/// rebuilds it: <c>{"format": "normsharp-architecture", "version": 1, "model": {"type": "Sequential",
/// "args": {"layers": [{"type": "Dense", "args": {"inFeatures": 784, "outFeatures": 500, "bias": true}}, …]}}}</c>.
/// </summary>
/// <remarks>
/// <para>Arguments are read by reflection: every layer exposes each constructor argument as a public
/// property of the same name in PascalCase (the layers' shared contract). <see cref="Rng"/> arguments are
/// not recorded — weights come from the state dict — and rebuilding passes a throwaway generator so
/// loading never advances <see cref="RandomState.Global"/>.</para>
/// <para>Only types known to <see cref="LayerTypes"/> can be constructed, and the JSON is parsed with a
/// nesting limit, so a hostile file cannot instantiate arbitrary types or exhaust the stack.</para>
/// </remarks>
public static class ArchitectureJson
{
    /// <summary>Value of the "format" field.</summary>
    public const string Format = "normsharp-architecture";

    /// <summary>Version written (and the highest read).</summary>
    public const int Version = 1;

    /// <summary>Deepest JSON nesting accepted when reading (about 30 levels of nested containers).</summary>
    public const int MaxDepth = 128;

    /// <summary>The architecture of <paramref name="model"/> as an indented JSON document.</summary>
    /// <exception cref="NotSupportedException">A layer lacks a property for one of its constructor arguments.</exception>
    public static string Serialize(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var root = new JsonObject
        {
            ["format"] = Format,
            ["version"] = Version,
            ["model"] = Describe(model, "model"),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Builds a freshly initialised model from <paramref name="json"/> (weights still to be loaded).</summary>
    /// <exception cref="InvalidDataException">The JSON is malformed, names an unknown layer or a bad argument.</exception>
    public static Module Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"architecture JSON is malformed or nested deeper than {MaxDepth} levels: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
                throw new InvalidDataException($"architecture JSON must be an object with \"format\": \"{Format}\"");
            if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out int v) || v < 1 || v > Version)
                throw new InvalidDataException($"architecture JSON has an unsupported version (this build reads 1 to {Version})");
            if (!root.TryGetProperty("model", out var model))
                throw new InvalidDataException("architecture JSON has no \"model\"");
            ArchitectureBudget.Check(model); // before any layer allocates its weights
            return Build(model, "model");
        }
    }

    private static JsonObject Describe(Module module, string path)
    {
        var type = module.GetType();
        var constructor = SerializableConstructor(type)
            ?? throw new NotSupportedException(
                $"cannot describe {path} ({type.Name}): no public constructor whose every argument has a public property of the same name (PascalCase)");
        var args = new JsonObject();
        foreach (var parameter in constructor.GetParameters())
        {
            if (parameter.ParameterType == typeof(Rng)) continue;
            var property = PropertyFor(type, parameter)!;
            args[parameter.Name!] = ToNode(property.GetValue(module), $"{path}.{parameter.Name}");
        }
        return new JsonObject { ["type"] = type.Name, ["args"] = args };
    }

    private static JsonNode? ToNode(object? value, string path) => value switch
    {
        null => null,
        Module module => Describe(module, path),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        float f => float.IsFinite(f) ? JsonValue.Create(f) : throw new NotSupportedException($"{path} is {f}, which JSON cannot hold"),
        double d => double.IsFinite(d) ? JsonValue.Create(d) : throw new NotSupportedException($"{path} is {d}, which JSON cannot hold"),
        string s => JsonValue.Create(s),
        Enum e => JsonValue.Create(e.ToString()),
        IEnumerable items => ToArray(items, path),
        _ => throw new NotSupportedException($"{path}: cannot describe a constructor argument of type {value.GetType().Name}"),
    };

    private static JsonArray ToArray(IEnumerable items, string path)
    {
        var array = new JsonArray();
        int index = 0;
        foreach (var item in items) array.Add(ToNode(item, $"{path}[{index++}]"));
        return array;
    }

    private static Module Build(JsonElement node, string path)
    {
        if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty("type", out var typeName) || typeName.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{path}: expected a layer object {{\"type\": …, \"args\": {{…}}}}");
        Type type;
        try
        {
            type = LayerTypes.Find(typeName.GetString()!);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        var args = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (node.TryGetProperty("args", out var argsNode))
        {
            if (argsNode.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: \"args\" must be an object");
            foreach (var arg in argsNode.EnumerateObject()) args[arg.Name] = arg.Value;
        }
        var constructor = type.GetConstructors()
            .Where(c => Accepts(c, args))
            .OrderByDescending(c => c.GetParameters().Length)
            .FirstOrDefault()
            ?? throw new InvalidDataException(
                $"{path}: {type.Name} has no constructor taking ({string.Join(", ", args.Keys)}) with defaults for the rest");
        var parameters = constructor.GetParameters();
        var values = new object?[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            if (p.ParameterType == typeof(Rng)) values[i] = new Rng(0); // weights are loaded afterwards
            else if (args.TryGetValue(p.Name!, out var value)) values[i] = FromNode(value, p.ParameterType, $"{path}.{p.Name}");
            else values[i] = p.DefaultValue;
        }
        try
        {
            return (Module)constructor.Invoke(values);
        }
        catch (TargetInvocationException e) when (e.InnerException is ArgumentException inner)
        {
            throw new InvalidDataException($"{path}: {type.Name} rejected its arguments: {inner.Message}", inner);
        }
    }

    private static bool Accepts(ConstructorInfo constructor, Dictionary<string, JsonElement> args)
    {
        var parameters = constructor.GetParameters();
        foreach (var name in args.Keys)
            if (!parameters.Any(p => p.Name == name)) return false;
        foreach (var p in parameters)
            if (!args.ContainsKey(p.Name!) && !p.HasDefaultValue && p.ParameterType != typeof(Rng)) return false;
        return true;
    }

    private static object? FromNode(JsonElement value, Type type, string path)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (value.ValueKind == JsonValueKind.Null)
            return underlying is not null || !type.IsValueType ? null : throw new InvalidDataException($"{path} may not be null");
        type = underlying ?? type;
        try
        {
            if (type == typeof(bool)) return value.GetBoolean();
            if (type == typeof(int)) return value.GetInt32();
            if (type == typeof(long)) return value.GetInt64();
            if (type == typeof(float)) return value.GetSingle();
            if (type == typeof(double)) return value.GetDouble();
            if (type == typeof(string)) return value.GetString();
            if (type.IsEnum) return Enum.Parse(type, value.GetString() ?? "", ignoreCase: false);
            if (typeof(Module).IsAssignableFrom(type)) return Build(value, path);
            if (ElementType(type) is { } element) return FromArray(value, element, path);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: {value.ValueKind} {SafetensorsDTypes.Truncate(value.GetRawText())} is not a valid {type.Name}", e);
        }
        throw new InvalidDataException($"{path}: constructor arguments of type {type.Name} are not supported");
    }

    private static Array FromArray(JsonElement value, Type element, string path)
    {
        if (value.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{path}: expected an array");
        var array = Array.CreateInstance(element, value.GetArrayLength());
        int index = 0;
        foreach (var item in value.EnumerateArray())
        {
            array.SetValue(FromNode(item, element, $"{path}[{index}]"), index);
            index++;
        }
        return array;
    }

    /// <summary>The element type of T[], IEnumerable&lt;T&gt;, IReadOnlyList&lt;T&gt; … (arrays satisfy all of them).</summary>
    private static Type? ElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (type.IsGenericType && type.GetGenericArguments() is [var element] && type.IsAssignableFrom(element.MakeArrayType())) return element;
        return null;
    }

    private static ConstructorInfo? SerializableConstructor(Type type) =>
        type.GetConstructors()
            .Where(c => c.GetParameters().All(p => p.ParameterType == typeof(Rng) || PropertyFor(type, p) is not null))
            .OrderByDescending(c => c.GetParameters().Length)
            .FirstOrDefault();

    private static PropertyInfo? PropertyFor(Type type, ParameterInfo parameter)
    {
        string name = parameter.Name!;
        string pascal = char.ToUpperInvariant(name[0]) + name[1..];
        var property = type.GetProperty(pascal, BindingFlags.Public | BindingFlags.Instance);
        return property is { CanRead: true } ? property : null;
    }
}
