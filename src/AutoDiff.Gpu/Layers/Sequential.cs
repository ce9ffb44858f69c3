namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>Sequential</c>: steps applied in order, each to the previous one's output. A step is a layer (registered
/// as <c>l0</c>, <c>l1</c>, … by its position) or a function without parameters (an activation).
/// </summary>
public sealed class Sequential : Layer
{
    private readonly Func<Variable, Variable>[] steps;

    /// <summary>Layers and functions, in the order they run.</summary>
    /// <exception cref="ArgumentException">No step, or a step that is neither a layer nor a function.</exception>
    public Sequential(params object[] steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Length == 0)
            throw new ArgumentException($"{nameof(Sequential)} needs at least one step", nameof(steps));
        this.steps = steps.Select(Step).ToArray();
    }

    private Func<Variable, Variable> Step(object step, int i)
    {
        switch (step)
        {
            case Layer layer:
                var registered = Sublayer($"l{i}", layer);
                return x => registered.Call(x);
            case Func<Variable, Variable> f:
                return f;
            case null:
                throw new ArgumentNullException(nameof(step), $"{nameof(Sequential)}: step {i} is null");
            default:
                throw new ArgumentException(
                    $"{nameof(Sequential)}: step {i} is a {step.GetType().Name}; give a Layer or a Func<Variable, Variable>",
                    nameof(step));
        }
    }

    /// <inheritdoc/>
    protected override Variable Forward(Variable[] inputs)
    {
        var x = OneInput(inputs);
        foreach (var step in steps)
            x = step(x);
        return x;
    }
}
