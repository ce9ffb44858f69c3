using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

// The random family: Philox streams turned into uniform or normal elements, or into a dropout of an input.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>
    /// Fills y with the stream's uniform or normal numbers (<see cref="RandomKind.Uniform"/> or
    /// <see cref="RandomKind.Normal"/>), which depend only on the arguments and the element's index.
    /// </summary>
    public void Random<T>(ArrayView<T> y, RandomArguments arguments)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (arguments.Kind == RandomKind.Dropout)
            throw new ArgumentException("a dropout reads an input: use Dropout", nameof(arguments));
        RandomFill(y, y, arguments);
    }

    /// <summary>
    /// Launches <c>y = x·(kept ? scale : 0)</c> (<see cref="RandomKind.Dropout"/>): the same arguments keep the same
    /// elements, so a backward pass applies the forward's mask to the gradient without storing it. x and y may be
    /// the same view.
    /// </summary>
    public void Dropout<T>(ArrayView<T> x, ArrayView<T> y, RandomArguments arguments)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (arguments.Kind != RandomKind.Dropout)
            throw new ArgumentException($"a dropout needs {RandomKind.Dropout} arguments, not {arguments.Kind}", nameof(arguments));
        CheckLength(x, y.Length, nameof(x));
        RandomFill(x, y, arguments);
    }

    private void RandomFill<T>(ArrayView<T> x, ArrayView<T> y, RandomArguments arguments)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Enter();
        if (y.Length == 0)
            return;
        long blocks = arguments.Blocks<T>(y.Length);
        backend.Random(x, y, arguments, blocks);
    }
}
