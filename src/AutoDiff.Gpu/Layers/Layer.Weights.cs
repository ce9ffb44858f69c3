namespace AutoDiff.Gpu.Layers;

/// <summary>
/// A layer's weights in NumPy's <c>.npz</c>, as DeZero's <c>save_weights</c> and <c>load_weights</c>.
/// </summary>
public abstract partial class Layer
{
    /// <summary>
    /// Saves every parameter and buffer to <paramref name="path"/> as NumPy's <c>.npz</c> (DeZero's
    /// <c>save_weights</c>: one array per path of <see cref="NamedParams"/> and <see cref="NamedBuffers"/>; BatchNorm's running statistics
    /// are <c>avg_mean</c> and <c>avg_var</c>, as DeZero names them), readable by <c>np.load</c> and DeZero's
    /// <c>load_weights</c>. The file is replaced atomically: after a failure the previous one is intact.
    /// </summary>
    /// <exception cref="InvalidOperationException">A parameter is not made yet (a lazy layer never called).</exception>
    /// <exception cref="ObjectDisposedException">A parameter or buffer was disposed (nothing is written).</exception>
    public void SaveWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ThrowIfNotMade(nameof(SaveWeights));
        Npz.Write(path, [.. NamedParams().Select(p => (p.Name, p.Parameter.Data)), .. NamedBuffers()]);
    }

    /// <summary>
    /// Loads every parameter and buffer from the <c>.npz</c> at <paramref name="path"/> (DeZero's <c>load_weights</c>):
    /// each gets a new tensor on its device, in its element type (float32 and float64 files both load), checked
    /// against its shape. Nothing changes unless every one is found and fits; only the arrays needed are read.
    /// </summary>
    /// <exception cref="InvalidOperationException">A parameter is not made yet (call the layer once first).</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not an archive this engine reads, or an array is missing, named twice, malformed or of another
    /// shape; the message names the file and the entry.
    /// </exception>
    public void LoadWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ThrowIfNotMade(nameof(LoadWeights));
        var parameters = NamedParams().ToList();
        var state = BufferSlots().ToList();
        var arrays = Npz.Read(path, [.. parameters.Select(p => (p.Name, p.Parameter.Shape)), .. state.Select(b => (b.Name, b.Slot.Value!.Shape))]);
        var newParameters = parameters.Select(p => Upload(arrays[p.Name].Values, p.Parameter.Data)).ToList();
        var newState = state.Select(b => Upload(arrays[b.Name].Values, b.Slot.Value!)).ToList();
        for (int i = 0; i < parameters.Count; i++)
            parameters[i].Parameter.Data = TensorScope.Detach(newParameters[i]);
        for (int i = 0; i < state.Count; i++)
            state[i].Slot.Value = newState[i];
    }

    /// <summary>
    /// A new tensor of <paramref name="values"/> like <paramref name="like"/>: its device, element type and shape.
    /// </summary>
    private static Tensor Upload(double[] values, Tensor like) => like.DType == DType.Float64
        ? like.Device.FromArray(values, like.Shape)
        : like.Device.FromArray(Array.ConvertAll(values, v => (float)v), like.Shape);

    private void ThrowIfNotMade(string operation)
    {
        var missing = Slots().Where(s => s.Slot.Value is null).Select(s => s.Name)
            .Concat(BufferSlots().Where(b => b.Slot.Value is null).Select(b => b.Name)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"{operation}: parameters {string.Join(", ", missing)} of {GetType().Name} are not made yet: call the layer once (or give its sizes and a device) first");
    }
}
