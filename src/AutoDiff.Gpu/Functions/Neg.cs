namespace AutoDiff.Gpu
{
    using Functions;

    public static partial class F
    {
        /// <summary>y = −x (an <see cref="Affine"/> function: x·(−1) + (−0), one kernel); backward gx = −gy.</summary>
        public static Variable Neg(Variable x) => Affine.Of(x, -1, Affine.NoTerm);
    }

    public partial class Variable
    {
        /// <summary>y = −a (<see cref="F.Neg"/>).</summary>
        public static Variable operator -(Variable a) => F.Neg(a);
    }
}
