namespace AutoDiff.Gpu.Layers;

/// <summary>
/// A layer's weights in NumPy's <c>.npz</c>, as DeZero's <c>save_weights</c> and <c>load_weights</c>.
/// </summary>
public abstract partial class Layer
{
    /// <summary>
    /// Saves every parameter and buffer to <paramref name="path"/> as safetensors when the path ends in
    /// <c>.safetensors</c> (what PyTorch and Hugging Face load), else as NumPy's <c>.npz</c> (DeZero's
    /// <c>save_weights</c>: one array per path of <see cref="NamedParams"/> and <see cref="NamedBuffers"/>;
    /// BatchNorm's running statistics are <c>avg_mean</c> and <c>avg_var</c>, as DeZero names them), readable by
    /// <c>np.load</c> and DeZero's <c>load_weights</c>. The file is replaced atomically: after a failure the previous one is intact.
    /// </summary>
    /// <exception cref="InvalidOperationException">A parameter is not made yet (a lazy layer never called).</exception>
    /// <exception cref="ObjectDisposedException">A parameter or buffer was disposed (nothing is written).</exception>
    public void SaveWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ThrowIfNotMade(nameof(SaveWeights));
        List<(string Name, Tensor Tensor)> arrays = [.. NamedParams().Select(p => (p.Name, p.Parameter.Data)), .. NamedBuffers()];
        ThrowIfDisposed(path, arrays);
        if (IsSafeTensors(path))
            SafeTensors.Write(path, [.. arrays.Select(a => SafeTensors.Of(a.Name, a.Tensor))]);
        else
            Npz.Write(path, arrays);
    }

    /// <summary>
    /// Loads every parameter and buffer from the <c>.npz</c> (or <c>.safetensors</c>) at <paramref name="path"/>
    /// (DeZero's <c>load_weights</c>):
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
        var wanted = Wanted(nameof(LoadWeights));
        var arrays = IsSafeTensors(path) ? ReadSafeTensors(path, wanted) : Npz.Read(path, wanted).ToDictionary(a => a.Key, a => a.Value.Values);
        Prepare(name => arrays[name])();
    }

    /// <summary>The path and shape of every parameter and buffer; the error names those not made yet.</summary>
    internal List<(string Name, Shape Shape)> Wanted(string operation)
    {
        ThrowIfNotMade(operation);
        return [.. NamedParams().Select(p => (p.Name, p.Parameter.Shape)), .. BufferSlots().Select(b => (b.Name, b.Slot.Value!.Shape))];
    }

    /// <summary>
    /// Puts new tensors of <paramref name="values"/> (by path) on the devices now, and returns the step that makes them
    /// the parameters and buffers: it cannot fail, so a caller loading more than weights changes all or nothing.
    /// </summary>
    internal Action Prepare(Func<string, double[]> values)
    {
        var parameters = NamedParams().ToList();
        var state = BufferSlots().ToList();
        var newParameters = parameters.Select(p => Upload(values(p.Name), p.Parameter.Data)).ToList();
        var newState = state.Select(b => Upload(values(b.Name), b.Slot.Value!)).ToList();
        return () =>
        {
            for (int i = 0; i < parameters.Count; i++)
                parameters[i].Parameter.Data = TensorScope.Detach(newParameters[i]);
            for (int i = 0; i < state.Count; i++)
                state[i].Slot.Value = newState[i];
        };
    }

    /// <summary>
    /// Whether <paramref name="path"/> names a safetensors file (by its extension) rather than an <c>.npz</c>.
    /// </summary>
    private static bool IsSafeTensors(string path) => path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Refuses a disposed tensor before anything is written; the error names the file and the tensor.
    /// </summary>
    internal static void ThrowIfDisposed(string path, IEnumerable<(string Name, Tensor Tensor)> arrays)
    {
        foreach (var (name, t) in arrays)
        {
            if (t.IsDisposed)
                throw new ObjectDisposedException(nameof(Tensor), $"{path}: '{name}' {t.Shape} {t.DType.Name()} was disposed{t.DisposalNote}: nothing was written");
        }
    }

    /// <summary>
    /// The wanted tensors of a safetensors file as float64, every header checked before any data is read.
    /// </summary>
    internal static Dictionary<string, double[]> ReadSafeTensors(
        string path, IReadOnlyList<(string Name, Shape Shape)> wanted)
    {
        using var reader = new SafeTensors.Reader(path);
        var headers = wanted.Select(w => reader.Find(w.Name, w.Shape, "F32", "F64")).ToList();
        return headers.ToDictionary(h => h.Name, reader.ReadValues, StringComparer.Ordinal);
    }

    /// <summary>
    /// A new tensor of <paramref name="values"/> like <paramref name="like"/>: its device, element type and shape.
    /// </summary>
    internal static Tensor Upload(double[] values, Tensor like) => like.DType == DType.Float64
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
