namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>Layer</c> (and <c>Model</c>): a function with parameters, which may hold other layers. A subclass
/// writes <see cref="Forward"/> and keeps its sublayers and <see cref="Layers.Parameter"/>s in fields or
/// auto-properties, as DeZero keeps them in attributes: <see cref="Params"/> finds them there, base classes first, in
/// declaration order, named after the field (arrays and lists of layers too, as <c>name/0</c>, <c>name/1</c>, …).
/// Plain variables held there (a recurrent state) are not parameters. A subclass may also register members by name
/// in its constructor (<see cref="Parameter(string, Variable?)"/>, <see cref="Sublayer{TLayer}"/>): those come first,
/// and a field holding one of them adds nothing. A parameter may be created on the first call, once the input's
/// shape, device and element type are known (DeZero's lazy <c>Linear</c>).
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
    public IEnumerable<Variable> Params()
    {
        // Found when enumerated, as DeZero's generator: a layer that makes its parameters on the first call shows them.
        foreach (var p in ParamList())
            yield return p;
    }

    /// <summary>Every parameter with its path, as DeZero names them: <c>W</c>, <c>l0/b</c>, …</summary>
    public IEnumerable<(string Name, Variable Parameter)> NamedParams()
    {
        // Found when enumerated, as Params.
        foreach (var (name, slot) in Slots())
        {
            if (slot.Value is { } parameter)
                yield return (name, parameter);
        }
    }

    /// <summary>Drops the gradient of every parameter (DeZero's <c>cleargrads</c>).</summary>
    public void ClearGrads()
    {
        foreach (var p in ParamList())
            p.ClearGrad();
    }

    /// <summary>The parameters of <see cref="Params"/> in a list, found without making their paths.</summary>
    internal List<Variable> ParamList()
    {
        var found = new List<Variable>();
        Walk(found, null, static (found, _, slot) =>
        {
            if (slot.Value is { } parameter)
                found.Add(parameter);
        });
        return found;
    }

    /// <summary>Every parameter slot with its path, made or not.</summary>
    private List<(string Name, Slot Slot)> Slots()
    {
        var slots = new List<(string Name, Slot Slot)>();
        Walk(slots, string.Empty, static (slots, path, slot) => slots.Add((path!, slot)));
        return slots;
    }

    /// <summary>
    /// Calls <paramref name="visit"/> on every parameter slot of this layer and its sublayers, in order, with its path
    /// below <paramref name="path"/>; with a null path, none is made (the walk of every training step).
    /// <paramref name="enter"/> sees each layer first, with its own path. Either may be null.
    /// </summary>
    private void Walk<TState>(
        TState state, string? path, Action<TState, string?, Slot>? visit,
        Action<TState, string?, Layer>? enter = null) =>
        Walk(state, path, visit, enter, []);

    /// <summary>The walk inside the layers of <paramref name="enclosing"/> (a path, to refuse cycles).</summary>
    private void Walk<TState>(
        TState state, string? path, Action<TState, string?, Slot>? visit, Action<TState, string?, Layer>? enter,
        List<Layer> enclosing)
    {
        enter?.Invoke(state, path, this);
        enclosing.Add(this);
        foreach (var (name, slot, layer) in Members())
        {
            if (slot is not null && visit is not null)
                visit(state, path is null ? null : Join(path, name), slot);
            if (layer is null)
                continue;
            if (enclosing.Contains(layer))
                throw Cycle(name, layer);
            // An unnamed member (a wrapped layer) adds nothing to the path.
            layer.Walk(state, path is null || name.Length == 0 ? path : Join(path, name), visit, enter, enclosing);
        }
        enclosing.RemoveAt(enclosing.Count - 1);
    }

    private InvalidOperationException Cycle(string name, Layer layer) => new(
        $"{GetType().Name}: member '{name}' is a {layer.GetType().Name} that already holds this layer; "
        + "layers cannot hold each other");

    /// <summary>
    /// The members registered by name, then the sublayers and <see cref="Layers.Parameter"/>s found in fields and
    /// auto-properties (see <see cref="LayerFields"/>), each object once.
    /// </summary>
    /// <exception cref="InvalidOperationException">A field takes a registered member's name for another object.</exception>
    private List<(string Name, Slot? Slot, Layer? Layer)> Members()
    {
        var fields = LayerFields.Of(GetType());
        if (fields.Count == 0 || AllRegistered(fields))
            return members;
        var all = new List<(string Name, Slot? Slot, Layer? Layer)>(members);
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var (_, slot, layer) in members)
        {
            if (((object?)slot?.Value ?? layer) is { } registered)
                seen.Add(registered);
        }
        foreach (var field in fields)
        {
            var value = field.Info.GetValue(this);
            if (!field.IsSequence)
                Add(field.Name, value);
            else if (value is IEnumerable<Layer> sequence)
            {
                foreach (var (layer, i) in sequence.Select((layer, i) => (layer, i)))
                    Add($"{field.Name}/{i}", layer);
            }
        }
        return all;

        void Add(string name, object? value)
        {
            if (value is not (Layer or Layers.Parameter) || !seen.Add(value))
                return;
            if (all.Exists(m => m.Name == name))
                throw new InvalidOperationException(
                    $"{GetType().Name}: field '{name}' holds another object than the member registered as '{name}'; rename one");
            all.Add(value is Layer layer ? (name, null, layer) : (name, new Slot((Variable)value), null));
        }
    }

    /// <summary>
    /// Whether every sublayer or parameter the fields hold is a registered member: they add nothing then.
    /// </summary>
    private bool AllRegistered(IReadOnlyList<LayerFields.Field> fields)
    {
        foreach (var field in fields)
        {
            var value = field.Info.GetValue(this);
            if (!field.IsSequence)
            {
                if (!Registered(value))
                    return false;
            }
            else if (value is IEnumerable<Layer> sequence)
            {
                foreach (var layer in sequence)
                {
                    if (!Registered(layer))
                        return false;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// Whether <paramref name="value"/> adds nothing to the members: neither a layer nor a parameter, or registered.
    /// </summary>
    private bool Registered(object? value)
    {
        if (value is not (Layer or Layers.Parameter))
            return true;
        foreach (var (_, slot, layer) in members)
        {
            if (ReferenceEquals(value, layer) || (slot is not null && ReferenceEquals(value, slot.Value)))
                return true;
        }
        return false;
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

        /// <summary>An empty slot, for a parameter made now or on the first call.</summary>
        public Slot()
        {
        }

        /// <summary>A slot around a parameter that a field already holds (not one made now).</summary>
        internal Slot(Variable held) => parameter = TensorScope.Detach(held);

        /// <summary>
        /// The parameter, or null before it is created; it belongs to the layer, never to a <see cref="TensorScope"/>.
        /// One set while the slot is <see cref="Frozen"/> requires no gradient. One set in an empty slot is made:
        /// the watcher of <see cref="WatchingParameters"/> sees it first.
        /// </summary>
        public Variable? Value
        {
            get => Volatile.Read(ref parameter);
            set
            {
                if (value is not null && Frozen)
                    value.RequiresGrad = false;
                var kept = value is null ? null : TensorScope.Detach(value);
                if (kept is not null && Volatile.Read(ref parameter) is null)
                    parameterMade?.Invoke(kept);
                Volatile.Write(ref parameter, kept);
            }
        }

        /// <summary>True while the layer is frozen: a parameter made later is made frozen.</summary>
        internal bool Frozen { get; set; }
    }
}
