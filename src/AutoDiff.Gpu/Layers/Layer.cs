namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>Layer</c> (and <c>Model</c>): a function with parameters, which may hold other layers. A subclass
/// registers its parameters and sublayers by name in its constructor (<see cref="Parameter"/>,
/// <see cref="Sublayer{TLayer}"/>) and writes <see cref="Forward"/>; <see cref="Params"/> walks them all, in the order
/// registered, for an optimizer. A parameter may be created on the first call, once the input's shape, device and
/// element type are known (DeZero's lazy <c>Linear</c>).
/// </summary>
public abstract partial class Layer
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

    /// <summary>Every parameter with its path, as DeZero names them: <c>W</c>, <c>l0/b</c>, …</summary>
    public IEnumerable<(string Name, Variable Parameter)> NamedParams() =>
        Slots().Where(s => s.Slot.Value is not null).Select(s => (s.Name, s.Slot.Value!));

    /// <summary>Drops the gradient of every parameter (DeZero's <c>cleargrads</c>).</summary>
    public void ClearGrads()
    {
        foreach (var p in Params())
            p.ClearGrad();
    }

    /// <summary>Every parameter slot with its path, made or not.</summary>
    private IEnumerable<(string Name, Slot Slot)> Slots()
    {
        foreach (var (name, slot, layer) in members)
        {
            if (slot is not null)
                yield return (name, slot);
            if (layer is not null)
            {
                foreach (var (inner, s) in layer.Slots())
                    yield return ($"{name}/{inner}", s);
            }
        }
    }

    /// <summary>The only input of a layer that takes one; the error names the layer and the count.</summary>
    protected Variable OneInput(Variable[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return inputs.Length == 1 ? inputs[0] : throw new ArgumentException($"{GetType().Name} takes one input, not {inputs.Length}", nameof(inputs));
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
        if (members.Any(m => m.Name == name) || buffers.Any(b => b.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'", nameof(name));
    }

    /// <summary>Where a layer keeps one parameter (null until created).</summary>
    protected sealed class Slot
    {
        private Variable? parameter;

        /// <summary>The parameter, or null before it is created; it belongs to the layer, never to a <see cref="TensorScope"/>.</summary>
        public Variable? Value
        {
            get => Volatile.Read(ref parameter);
            set => Volatile.Write(ref parameter, value is null ? null : TensorScope.Detach(value));
        }
    }
}
