using System.Numerics;

namespace AutoDiff.Gpu;

// What porting code expects of a variable: a tensor where a variable is wanted, and a typed item.
public partial class Variable
{
    /// <summary>
    /// DeZero's <c>as_variable</c>: a tensor given where a variable is expected (<c>F.Exp(t)</c>, <c>t * v</c>)
    /// becomes a leaf variable that owns it.
    /// </summary>
    public static implicit operator Variable(Tensor data) => new(data);

    /// <summary>The value of a one-element variable as <typeparamref name="T"/> (<c>x.Item&lt;float&gt;()</c>).</summary>
    /// <exception cref="InvalidOperationException">The variable has more or fewer than one element.</exception>
    public T Item<T>()
        where T : INumberBase<T> =>
        T.CreateChecked(Item());
}
