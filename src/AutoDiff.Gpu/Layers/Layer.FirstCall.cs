namespace AutoDiff.Gpu.Layers;

/// <summary>The first call of a layer, which makes its parameters: once, and only when it succeeds.</summary>
public abstract partial class Layer
{
    private readonly Lock making = new();
    private volatile bool made;

    /// <summary>
    /// Runs <paramref name="forward"/>, which may make this layer's parameters (<c>slot.Value ??= …</c>). Until one
    /// call has succeeded, calls run one at a time, so concurrent first calls make each parameter once and all use
    /// it. A call that fails leaves this layer's parameters and buffers as they were (a wrongly sized one is not kept).
    /// </summary>
    protected Variable MakingParameters(Func<Variable> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (made)
            return forward();
        lock (making)
        {
            if (made)
                return forward();
            var own = members.Where(m => m.Slot is not null).Select(m => (m.Slot!, m.Slot!.Value)).ToList();
            var state = buffers.Select(b => (b.Slot, b.Slot.Value)).ToList();
            try
            {
                var y = forward();
                made = true;
                return y;
            }
            catch
            {
                foreach (var (slot, before) in own)
                    slot.Value = before;
                foreach (var (slot, before) in state)
                    slot.Value = before;
                throw;
            }
        }
    }
}
