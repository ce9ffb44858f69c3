namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>MLP</c>: a stack of <see cref="Linear"/> layers <c>l0</c>, <c>l1</c>, … of the given output sizes, with
/// an activation (sigmoid by default) after every one but the last. Input sizes come from the first call.
/// </summary>
public sealed class Mlp : Layer
{
    private readonly Func<Variable, Variable> activation;
    private readonly Linear[] layers;

    /// <summary>Layers of <paramref name="fcOutputSizes"/> outputs (the last one the model's), <paramref name="activation"/> between them (<see cref="F.Sigmoid"/> when null).</summary>
    /// <exception cref="ArgumentException">No size is given.</exception>
    public Mlp(IReadOnlyList<int> fcOutputSizes, Func<Variable, Variable>? activation = null)
    {
        ArgumentNullException.ThrowIfNull(fcOutputSizes);
        if (fcOutputSizes.Count == 0)
            throw new ArgumentException($"{nameof(Mlp)} needs at least one layer size", nameof(fcOutputSizes));
        this.activation = activation ?? F.Sigmoid;
        layers = fcOutputSizes.Select((size, i) => Sublayer($"l{i}", new Linear(size))).ToArray();
    }

    /// <summary>The linear layers, in order.</summary>
    public IReadOnlyList<Linear> Layers => layers;

    /// <inheritdoc/>
    protected override Variable Forward(Variable[] inputs)
    {
        var x = OneInput(inputs);
        for (int i = 0; i < layers.Length - 1; i++)
            x = activation(layers[i].Call(x));
        return layers[^1].Call(x);
    }
}
