namespace AutoDiff.Gpu.Layers;

/// <summary>
/// A layer's buffers: state saved with its weights but never trained, as BatchNorm's running statistics.
/// </summary>
public abstract partial class Layer
{
    private readonly List<(string Name, BufferSlot Slot)> buffers = [];

    /// <summary>
    /// Every buffer of this layer and its sublayers that exists yet, with its path (<c>bn/avg_mean</c>).
    /// </summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers() =>
        BufferSlots().Where(b => b.Slot.Value is not null).Select(b => (b.Name, b.Slot.Value!));

    /// <summary>
    /// Registers a buffer named <paramref name="name"/> (null until it is created) and returns its slot.
    /// </summary>
    protected BufferSlot Buffer(string name)
    {
        CheckName(name);
        var slot = new BufferSlot();
        buffers.Add((name, slot));
        return slot;
    }

    /// <summary>
    /// Every buffer slot with its path, made or not: this layer's, then its sublayers' (registered or held in
    /// fields) in the order of their parameters.
    /// </summary>
    private List<(string Name, BufferSlot Slot)> BufferSlots()
    {
        var found = new List<(string Name, BufferSlot Slot)>();
        Walk(found, string.Empty, null, static (found, path, layer) =>
        {
            foreach (var (name, slot) in layer.buffers)
                found.Add((Join(path!, name), slot));
        });
        return found;
    }

    /// <summary>Where a layer keeps one buffer (null until created).</summary>
    protected sealed class BufferSlot
    {
        private Tensor? buffer;

        /// <summary>
        /// The buffer, or null before it is created; it belongs to the layer, never to a <see cref="TensorScope"/>.
        /// </summary>
        public Tensor? Value
        {
            get => Volatile.Read(ref buffer);
            set => Volatile.Write(ref buffer, value is null ? null : TensorScope.Detach(value));
        }
    }
}
