namespace AutoDiff.Gpu.Layers;

/// <summary>
/// What a layer that wraps another needs: a sublayer whose paths stay its own, and a sight of each parameter as it is
/// made, before anything uses it.
/// </summary>
public abstract partial class Layer
{
    [ThreadStatic]
    private static Action<Variable>? parameterMade;

    /// <summary>
    /// Registers <paramref name="layer"/> as a sublayer without a name: its parameters and buffers keep their own
    /// paths (<c>l0/W</c>, not <c>module/l0/W</c>), so the wrapper saves and loads as the layer it wraps.
    /// </summary>
    private protected TLayer Wrapped<TLayer>(TLayer layer)
        where TLayer : Layer
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (members.Count > 0)
            throw new InvalidOperationException($"{GetType().Name} wraps one layer and holds nothing else");
        members.Add(("", null, layer));
        return layer;
    }

    /// <summary>
    /// Until disposed, calls <paramref name="made"/> on this thread with each parameter a layer makes in a registered
    /// slot (a first call's <c>slot.Value ??= …</c>), before the slot holds it.
    /// </summary>
    internal static IDisposable WatchingParameters(Action<Variable> made)
    {
        var outer = parameterMade;
        parameterMade = made;
        return new Restore(outer);
    }

    /// <summary>The path of <paramref name="inner"/> in the member <paramref name="name"/> (unnamed: itself).</summary>
    private static string Join(string name, string inner) => name.Length == 0 ? inner : $"{name}/{inner}";

    private sealed class Restore(Action<Variable>? outer) : IDisposable
    {
        public void Dispose() => parameterMade = outer;
    }
}
