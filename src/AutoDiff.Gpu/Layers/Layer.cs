namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>Layer</c> (and <c>Model</c>): a function with parameters, which may hold other layers. A subclass
/// registers its parameters and sublayers by name in its constructor (<see cref="Parameter"/>,
/// <see cref="Sublayer{TLayer}"/>) and writes <see cref="Forward"/>; <see cref="Params"/> walks them all, in the order
/// registered, for an optimizer. A parameter may be created on the first call, once the input's shape, device and
/// element type are known (DeZero's lazy <c>Linear</c>).
/// </summary>
public abstract class Layer
{
    private readonly List<(string Name, Slot? Slot, Layer? Layer)> members = [];

    /// <summary>Runs the layer on <paramref name="inputs"/>.</summary>
    public Variable Call(params Variable[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Forward(inputs);
    }

    /// <summary>Every parameter of this layer and its sublayers that exists yet, in the order registered.</summary>
    public IEnumerable<Variable> Params() => NamedParams().Select(p => p.Parameter);

    /// <summary>Every parameter with its path: <c>W</c>, <c>l0.b</c>, …</summary>
    public IEnumerable<(string Name, Variable Parameter)> NamedParams()
    {
        foreach (var (name, slot, layer) in members)
        {
            if (slot?.Value is { } p)
                yield return (name, p);
            if (layer is not null)
            {
                foreach (var (inner, p2) in layer.NamedParams())
                    yield return ($"{name}.{inner}", p2);
            }
        }
    }

    /// <summary>Drops the gradient of every parameter (DeZero's <c>cleargrads</c>).</summary>
    public void ClearGrads()
    {
        foreach (var p in Params())
            p.ClearGrad();
    }

    /// <summary>The layer's function of its inputs.</summary>
    protected abstract Variable Forward(Variable[] inputs);

    /// <summary>Registers a parameter named <paramref name="name"/> (null until it is created) and returns its slot.</summary>
    protected Slot Parameter(string name, Variable? value = null)
    {
        CheckName(name);
        var slot = new Slot { Value = value };
        members.Add((name, slot, null));
        return slot;
    }

    /// <summary>Registers <paramref name="layer"/> as a sublayer named <paramref name="name"/>.</summary>
    protected TLayer Sublayer<TLayer>(string name, TLayer layer)
        where TLayer : Layer
    {
        ArgumentNullException.ThrowIfNull(layer);
        CheckName(name);
        members.Add((name, null, layer));
        return layer;
    }

    private void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (members.Any(m => m.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'", nameof(name));
    }

    /// <summary>Where a layer keeps one parameter (null until created).</summary>
    protected sealed class Slot
    {
        /// <summary>The parameter, or null before it is created.</summary>
        public Variable? Value { get; set; }
    }
}
