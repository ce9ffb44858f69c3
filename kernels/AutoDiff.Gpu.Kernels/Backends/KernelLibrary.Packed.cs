using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

// The GPU backend: each family's work as grid-stride kernels, contiguous operands in 16-byte packs where they are
// aligned (see RunPacked), launched asynchronously on the accelerator's default stream.
public sealed unsafe partial class KernelLibrary
{
    private sealed class PackedBackend(KernelLibrary library) : IKernelBackend
    {
        public bool HasWindowKernels => false;

        public MatMulImplementation MatMul => MatMulImplementation.Tiled;

        public void Map<T, TOp>(ArrayView<T> x, ArrayView<T> y, TOp op)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TOp : struct, IUnaryOperator =>
            Zip(x, x, y, new UnaryAsBinary<TOp>(op));

        public void Zip<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, TOp op)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TOp : struct, IBinaryOperator =>
            library.RunPacked<T, ZipLaunch<T, TOp>>(new(a, b, y, op), Aligned(a, b, y));

        public void Fill<T>(ArrayView<T> y, T value)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            library.RunPacked<T, FillLaunch<T>>(new(y, value), Aligned(y));

        public void Strided<T, TOp>(
            in StridedLayout layout, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, TOp op, bool unary)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TOp : struct, IBinaryOperator
        {
            bool yContiguous = layout.IsContiguous(2);
            if (yContiguous && unary && Broadcast2D(layout, 0) is { } only)
            {
                // b = a is the broadcast operand; there is no full one.
                Broadcast(ArrayView<T>.Empty, a, y.SubView(0, layout.Count), only, op);
            }
            else if (yContiguous && layout.IsContiguous(0) && Broadcast2D(layout, 1) is { } right)
            {
                Broadcast(a, b, y.SubView(0, layout.Count), right, op);
            }
            else if (yContiguous && layout.IsContiguous(1) && Broadcast2D(layout, 0) is { } left)
            {
                Broadcast(b, a, y.SubView(0, layout.Count), left, new Flip<TOp>(op));
            }
            else
            {
                var kernel = library.Kernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, StridedLayout, TOp>(
                    ElementwiseKernels.ZipStrided);
                kernel(library.GridStride(layout.Count), a, b, y, layout, op);
            }
        }

        public void Fused<T, TExpr>(
            in SlotViews<T> x, in Operands<BroadcastIndex> indices, ArrayView<T> y, TExpr expr)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TExpr : struct, IExpression =>
            library.RunPacked<T, FusedLaunch<T, TExpr>>(new(x, indices, y, expr), WholeAligned<T, TExpr>(x, y));

        public void Update<T, TRule>(ArrayView<T> p, ArrayView<T> g, ArrayView<T> s1, ArrayView<T> s2, TRule rule)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TRule : struct, IUpdateRule
        {
            // A state the rule does not keep is never read: p stands in for it (no launch passes an empty view).
            var first = TRule.States > 0 ? s1 : p;
            var second = TRule.States > 1 ? s2 : p;
            bool aligned = Aligned(p, g, first) && Aligned(second);
            library.RunPacked<T, UpdateLaunch<T, TRule>>(new(p, g, first, second, rule), aligned);
        }

        public (long Segments, int Group) RowSegments(long rows, long n)
        {
            // At least 64 elements a thread where the row allows (four unrolled steps of float packs), so the
            // group's halving is paid once per 16 loads or more: (16384, 16384) over its last axis takes groups
            // of 256, two waves of them (8 per SM, twice) striding over the rows. Groups of 64 or more: an SM
            // holds at most 32 groups, which is all its threads only from 64 up.
            var accelerator = library.accelerator;
            int threads = (int)Math.Clamp(CeilingPowerOfTwo(n / 64), 64, ReduceKernels.MaxGroup);
            int group = LaunchPlan.PowerOfTwoGroup(accelerator, threads);
            long parallel = library.ReduceParallelism > 0
                ? library.ReduceParallelism
                : library.waves * LaunchPlan.Wave(accelerator, group);
            // A segment gives each thread at least one unrolled step (16 elements). All of 256Mi elements as one
            // row on an H100 or H200 (132 SMs): two waves' worth, 1056 segments for groups of 512, 124 float packs
            // a thread; the second pass folds the 1056 partials in one group.
            return (rows >= parallel ? 1 : Math.Min(Ceiling(parallel, rows), Ceiling(n, group * 16L)), group);
        }

        public void ReduceRows<T, TReduce, TPost>(
            ArrayView<T> x, ArrayView<T> y, long rows, long n, long segment, long segments, int group, TPost post)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator
        {
            var config = RowsConfig(rows * segments, group);
            var launch = new RowsLaunch<T, TReduce, TPost>(x, y, rows, n, segment, segments, config, post);
            library.RunPacked<T, RowsLaunch<T, TReduce, TPost>>(launch, Aligned(x), n);
        }

        public void FusedReduceRows<T, TExpr, TReduce, TPost>(
            in SlotViews<T> x, in Operands<BroadcastIndex> indices, TExpr expr, ArrayView<T> y,
            long rows, long n, long segment, long segments, int group, TPost post)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TExpr : struct, IExpression
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator
        {
            var config = RowsConfig(rows * segments, group);
            // Packs as over the written expression, whose pool block is aligned: the same order, the same bits.
            int gathered = WholeAligned<T, TExpr>(x, default) ? 0 : 1;
            var geometry = new ReduceGeometry(rows, n, 1, segment, segments, gathered);
            var launch = new FusedRowsLaunch<T, TExpr, TReduce, TPost>(x, indices, expr, y, geometry, config, post);
            library.RunPacked<T, FusedRowsLaunch<T, TExpr, TReduce, TPost>>(launch, true, n);
        }

        public (long Segments, long Minimum) ColumnSegments(long outer, long n, long inner)
        {
            // Enough columns of packs to fill the accelerator with resident threads, else split the axis. One
            // wave, not two: the second pass reads the partials from L2 with one thread per column pack, so its
            // time grows with the segments; (16384, 16384) over its first axis takes 66 segments of 249 rows.
            var accelerator = library.accelerator;
            long items = outer * Ceiling(inner, 4);
            int threads = Math.Min(LaunchPlan.GpuGroupSize, accelerator.MaxNumThreadsPerGroup);
            long resident = library.ReduceParallelism > 0
                ? library.ReduceParallelism
                : LaunchPlan.Wave(accelerator, LaunchPlan.GpuGroupSize) * threads;
            return (items * 2 >= resident ? 1 : Ceiling(resident, items), 32);
        }

        public void ReduceColumns<T, TReduce, TPost>(
            ArrayView<T> x, ArrayView<T> y, long outer, long n, long inner, long segment, long segments, TPost post)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator
        {
            var launch = new ColumnsLaunch<T, TReduce, TPost>(x, y, outer, n, inner, segment, segments, post);
            library.RunPacked<T, ColumnsLaunch<T, TReduce, TPost>>(launch, Aligned(x, y), inner);
        }

        public void FusedReduceColumns<T, TExpr, TReduce, TPost>(
            in SlotViews<T> x, in Operands<BroadcastIndex> indices, TExpr expr, ArrayView<T> y,
            long outer, long n, long inner, long segment, long segments, TPost post)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TExpr : struct, IExpression
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator
        {
            int gathered = WholeAligned<T, TExpr>(x, default) ? 0 : 1;
            var geometry = new ReduceGeometry(outer, n, inner, segment, segments, gathered);
            var launch = new FusedColumnsLaunch<T, TExpr, TReduce, TPost>(x, indices, expr, y, geometry, post);
            library.RunPacked<T, FusedColumnsLaunch<T, TExpr, TReduce, TPost>>(launch, Aligned(y), inner);
        }

        public void Random<T>(ArrayView<T> x, ArrayView<T> y, RandomArguments arguments, long blocks)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            library.Kernel<ArrayView<T>, ArrayView<T>, RandomArguments>(RandomKernels.Fill)(
                library.GridStride(blocks), x, y, arguments);

        public void ArgReduce<T>(
            ArrayView<T> x, ArrayView<int> indices, ArrayView<int> labels, ArrayView<T> hits, ArgGeometry geometry)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            // The views of the other mode stand in for the unused ones: no launch passes an empty view.
            bool compare = labels.Length > 0;
            var (i, l, h) = (compare ? labels : indices, compare ? labels : indices, compare ? hits : x);
            var (outer, n) = (geometry.Outer, geometry.Length);
            KernelConfig config;
            Action<ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArgGeometry, int> method;
            if (geometry.Inner == 1 && n >= LongRow)
            {
                // Long rows: a group a row, its threads reading the row a group apart.
                var accelerator = library.accelerator;
                int threads = (int)Math.Clamp(CeilingPowerOfTwo(n / 16), 32, ReduceKernels.MaxGroup);
                int group = LaunchPlan.PowerOfTwoGroup(accelerator, threads);
                long groups = Math.Min(outer, library.waves * LaunchPlan.Wave(accelerator, group));
                config = new KernelConfig((int)groups, group);
                method = ArgReduceRowKernels.ArgReduceRows;
            }
            else
            {
                config = library.GridStride(outer * geometry.Inner);
                method = ArgReduceKernels.ArgReduce;
            }
            library.Kernel(method)(config, x, i, l, h, geometry, compare ? 1 : 0);
        }

        public void Index<T>(
            ArrayView<T> x, ArrayView<int> indices, ArrayView<T> y, IndexGeometry geometry, bool scatter)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            library.Kernel<ArrayView<T>, ArrayView<int>, ArrayView<T>, IndexGeometry, int>(IndexKernels.Index)(
                library.GridStride(y.Length), x, indices, y, geometry, scatter ? 1 : 0);

        /// <summary>Groups of <paramref name="group"/> threads for a rows reduction of that many segments.</summary>
        private KernelConfig RowsConfig(long items, int group) =>
            new((int)Math.Min(items, library.waves * LaunchPlan.Wave(library.accelerator, group)), group);

        /// <summary>
        /// y = op(full, broadcast), the broadcast operand in the rows or columns pattern (no full operand:
        /// op(broadcast, broadcast)).
        /// </summary>
        private void Broadcast<T, TOp>(
            ArrayView<T> full, ArrayView<T> broadcast, ArrayView<T> y, BroadcastKind kind, TOp op)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TOp : struct, IBinaryOperator
        {
            var source = full.Length == 0 ? full : full.SubView(0, y.Length);
            var row = kind.Rows ? broadcast.SubView(0, kind.Columns) : ArrayView<T>.Empty;
            var column = kind.Rows ? ArrayView<T>.Empty : broadcast;
            var launch = new BroadcastLaunch<T, TOp>(source, row, column, y, kind.Columns, op);
            library.RunPacked<T, BroadcastLaunch<T, TOp>>(launch, Aligned(source, row, y), kind.Columns);
        }

        /// <summary>
        /// The rows or columns pattern of operand <paramref name="operand"/> in a launch of rank ≤ 2, or null: a
        /// scalar is the columns pattern of one row.
        /// </summary>
        private static BroadcastKind? Broadcast2D(in StridedLayout layout, int operand)
        {
            if (layout.IsScalar(operand))
                return new BroadcastKind(false, layout.Count);
            if (layout.Rank != 2)
                return null;
            long inner = layout.Stride(operand, 0), outer = layout.Stride(operand, 1);
            if (inner == 1 && outer == 0)
                return new BroadcastKind(true, layout.N0);
            if (inner == 0 && outer == 1)
                return new BroadcastKind(false, layout.N0);
            return null;
        }
    }

    /// <summary>A 2-D launch's broadcast operand: by column (<see cref="Rows"/>: a row repeated) or by row.</summary>
    private readonly record struct BroadcastKind(bool Rows, long Columns);
}
