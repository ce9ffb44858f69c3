using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = min x</c> over the given axes (all when none), the reduced axes kept as 1 with keepDims;
    /// backward <c>gx = (x == y) · gy</c>, y and gy broadcast back to x's shape (<see cref="WhereEqual"/>): every
    /// element equal to the minimum (each of a tie) gets the gradient.
    /// </summary>
    /// <param name="axes">The axes to reduce (negative counts from the end); none for all.</param>
    /// <param name="keepDims">Keep the reduced axes as size 1.</param>
    public sealed class Min(int[] axes, bool keepDims) : Extremum<MinReduction>(axes, keepDims);
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>The smallest element: a scalar.</summary>
        public static Variable Min(Variable x) => new Functions.Min([], false).Call(x)[0];

        /// <summary>The minimum over <paramref name="axes"/> (negative counts from the end), the reduced axes kept as 1 with <paramref name="keepDims"/>.</summary>
        public static Variable Min(Variable x, int[] axes, bool keepDims = false)
        {
            ArgumentNullException.ThrowIfNull(axes);
            return new Functions.Min((int[])axes.Clone(), keepDims).Call(x)[0];
        }

        /// <summary>The minimum over one axis (negative counts from the end).</summary>
        public static Variable Min(Variable x, int axis, bool keepDims = false) => new Functions.Min([axis], keepDims).Call(x)[0];
    }
}
