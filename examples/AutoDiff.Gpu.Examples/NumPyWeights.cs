using AutoDiff.Gpu.Layers;

namespace AutoDiff.Gpu.Examples;

/// <summary>
/// The initial weights DeZero's <c>L.Linear</c> draws with NumPy: W = randn(in, out) in float32 times √(1/in).
/// The engine draws its weights on the device instead; the examples put NumPy's draws in their place, so that they
/// print the book's numbers.
/// </summary>
internal static class NumPyWeights
{
    /// <summary>Sets the weights <paramref name="names"/> (made already), in the order DeZero draws them.</summary>
    public static void Set(Layer model, NumPyRandom random, params string[] names)
    {
        var parameters = model.NamedParams().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (string name in names)
        {
            var w = parameters[name];
            int inSize = w.Shape[0], outSize = w.Shape[1];
            float scale = (float)Math.Sqrt(1.0 / inSize);
            var values = random.Randn(inSize * outSize).Select(v => (float)v * scale).ToArray();
            var data = w.Device.FromArray(values, inSize, outSize);
            w.Data = w.DType == DType.Float32 ? data : data.To(w.DType);
        }
    }
}
