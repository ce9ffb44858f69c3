namespace AutoDiff.Gpu.Layers;

/// <summary>Freezing a layer: its parameters stay as they are while the rest of a model trains.</summary>
public abstract partial class Layer
{
    /// <summary>
    /// Marks every parameter of this layer and its sublayers as requiring no gradient
    /// (<see cref="Variable.RequiresGrad"/> false), those made later on a first call included: optimizers skip
    /// them, and no backward work is spent on a part of the graph that only frozen parameters and inputs marked
    /// the same way reach. <see cref="Params"/> still lists them, so weights save and load as before.
    /// </summary>
    public void Freeze() => SetFrozen(true);

    /// <summary>Undoes <see cref="Freeze"/>: every parameter requires a gradient again.</summary>
    public void Unfreeze() => SetFrozen(false);

    private void SetFrozen(bool frozen)
    {
        foreach (var (_, slot) in Slots())
        {
            slot.Frozen = frozen;
            if (slot.Value is { } parameter)
                parameter.RequiresGrad = !frozen;
        }
    }
}
