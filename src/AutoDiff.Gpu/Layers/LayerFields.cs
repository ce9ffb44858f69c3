using System.Collections.Concurrent;
using System.Reflection;

namespace AutoDiff.Gpu.Layers;

/// <summary>
/// The fields of a layer type that can hold a sublayer or a parameter (found once per type, kept): fields and
/// auto-properties of a <see cref="Layer"/>, a <see cref="Variable"/> or a sequence of layers, base classes first,
/// each class's in declaration order.
/// </summary>
internal static class LayerFields
{
    private static readonly ConcurrentDictionary<Type, Field[]> Cache = new();

    /// <summary>One field: the name it registers under (its property's for a backing field) and the field.</summary>
    public readonly record struct Field(string Name, FieldInfo Info, bool IsSequence);

    /// <summary>The candidate fields of <paramref name="type"/>, a subclass of <see cref="Layer"/>.</summary>
    public static IReadOnlyList<Field> Of(Type type) => Cache.GetOrAdd(type, Find);

    private static Field[] Find(Type type)
    {
        var chain = new Stack<Type>();
        for (var t = type; t is not null && t != typeof(Layer); t = t.BaseType)
            chain.Push(t);
        const BindingFlags Declared =
            BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var fields = new List<Field>();
        foreach (var t in chain)
        {
            // Metadata order is declaration order (backing fields where their properties are declared).
            foreach (var f in t.GetFields(Declared).OrderBy(f => f.MetadataToken))
            {
                if (typeof(Layer).IsAssignableFrom(f.FieldType) || typeof(Variable).IsAssignableFrom(f.FieldType))
                    fields.Add(new Field(NameOf(f), f, IsSequence: false));
                else if (typeof(IEnumerable<Layer>).IsAssignableFrom(f.FieldType))
                    fields.Add(new Field(NameOf(f), f, IsSequence: true));
            }
        }
        return [.. fields];
    }

    // "<W>k__BackingField" of an auto-property W and "<l1>P" of a captured constructor parameter l1: the name written.
    private static string NameOf(FieldInfo field) =>
        field.Name.StartsWith('<') && field.Name.IndexOf('>', StringComparison.Ordinal) is > 1 and var end
            ? field.Name[1..end]
            : field.Name;
}
