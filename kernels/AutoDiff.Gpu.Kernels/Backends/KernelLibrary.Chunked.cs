using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

// The CPU accelerator's backend: each family's work as a chunked body over raw addresses, run on the calling
// thread with thread-pool workers for large launches (see RunChunked).
public sealed unsafe partial class KernelLibrary
{
    private sealed class ChunkedBackend(KernelLibrary library) : IKernelBackend
    {
        /// <summary>
        /// Elements of a reduction that cost what one of a map does: a sum streams them at memory speed, so
        /// threads pay only from this many times the serial threshold on.
        /// </summary>
        private const long ReductionCost = 4;

        /// <summary>Elements of a row segment at least: its chunk costs far less than its sum.</summary>
        private const long MinimumSegment = 64 * 1024;

        public bool HasWindowKernels => true;

        public MatMulImplementation MatMul => MatMulImplementation.Blocked;

        // Maps and zips call RunChunked themselves: the commonest launches take the fewest steps.
        public void Map<T, TOp>(ArrayView<T> x, ArrayView<T> y, TOp op)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TOp : struct, IUnaryOperator =>
            library.RunChunked(new MapBody<T, TOp>(Pointer(x), Pointer(y), op), y.Length, Threads(y.Length));

        public void Zip<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, TOp op)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TOp : struct, IBinaryOperator =>
            library.RunChunked(
                new ZipBody<T, TOp>(Pointer(a), Pointer(b), Pointer(y), op), y.Length, Threads(y.Length));

        public void Fill<T>(ArrayView<T> y, T value)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            Run(new FillBody<T>(Pointer(y), value), y.Length, y.Length);

        public void Strided<T, TOp>(
            in StridedLayout layout, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, TOp op, bool unary)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TOp : struct, IBinaryOperator
        {
            if (Transposes(layout))
            {
                long planes = layout.Count / ((long)layout.N0 * layout.N1);
                long tiles = planes * Ceiling(layout.N0, CpuRoutines.Tile) * Ceiling(layout.N1, CpuRoutines.Tile);
                Run(new TilesBody<T, TOp>(Pointer(a), Pointer(b), Pointer(y), layout, op), tiles, layout.Count);
            }
            else
            {
                var body = new StridedBody<T, TOp>(Pointer(a), Pointer(b), Pointer(y), layout, op);
                Run(body, layout.Count, layout.Count);
            }
        }

        public void Fused<T, TExpr>(
            in SlotViews<T> x, in Operands<BroadcastIndex> indices, ArrayView<T> y, TExpr expr)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TExpr : struct, IExpression =>
            Run(Expression(x, indices, expr, y), y.Length, y.Length * (ExpressionConstants<TExpr>.Inputs + 1));

        public void Update<T, TRule>(ArrayView<T> p, ArrayView<T> g, ArrayView<T> s1, ArrayView<T> s2, TRule rule)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TRule : struct, IUpdateRule =>
            Run(new UpdateBody<T, TRule>(Pointer(p), Pointer(g), Pointer(s1), Pointer(s2), rule), p.Length, p.Length);

        public (long Segments, int Group) RowSegments(long rows, long n)
        {
            long items = Items(rows * n);
            return (rows >= items ? 1 : Math.Min(Ceiling(items, rows), Ceiling(n, MinimumSegment)), 1);
        }

        public void ReduceRows<T, TReduce, TPost>(
            ArrayView<T> x, ArrayView<T> y, long rows, long n, long segment, long segments, int group, TPost post)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator =>
            Rows<T, MemorySource<T>, TReduce, TPost>(new(Pointer(x)), y, rows, n, segment, segments, post);

        public void FusedReduceRows<T, TExpr, TReduce, TPost>(
            in SlotViews<T> x, in Operands<BroadcastIndex> indices, TExpr expr, ArrayView<T> y,
            long rows, long n, long segment, long segments, int group, TPost post)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TExpr : struct, IExpression
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator =>
            Rows<T, ExpressionSource<T, TExpr>, TReduce, TPost>(
                new(Expression(x, indices, expr, ArrayView<T>.Empty)), y, rows, n, segment, segments, post);

        public (long Segments, long Minimum) ColumnSegments(long outer, long n, long inner)
        {
            long items = outer * Ceiling(inner, CpuRoutines.ColumnBlock), wanted = Items(outer * n * inner);
            return (items >= wanted ? 1 : Ceiling(wanted, items), 1024);
        }

        public void ReduceColumns<T, TReduce, TPost>(
            ArrayView<T> x, ArrayView<T> y, long outer, long n, long inner, long segment, long segments, TPost post)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator =>
            Columns<T, MemorySource<T>, TReduce, TPost>(
                new(Pointer(x)), y, outer, n, inner, segment, segments, post);

        public void FusedReduceColumns<T, TExpr, TReduce, TPost>(
            in SlotViews<T> x, in Operands<BroadcastIndex> indices, TExpr expr, ArrayView<T> y,
            long outer, long n, long inner, long segment, long segments, TPost post)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TExpr : struct, IExpression
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator =>
            Columns<T, ExpressionSource<T, TExpr>, TReduce, TPost>(
                new(Expression(x, indices, expr, ArrayView<T>.Empty)), y, outer, n, inner, segment, segments, post);

        public void Random<T>(ArrayView<T> x, ArrayView<T> y, RandomArguments arguments, long blocks)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            Run(new RandomBody<T>(Pointer(x), Pointer(y), y.Length, arguments), blocks, y.Length);

        public void ArgReduce<T>(
            ArrayView<T> x, ArrayView<int> indices, ArrayView<int> labels, ArrayView<T> hits, ArgGeometry geometry)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            long lines = geometry.Outer * geometry.Inner;
            var body = new ArgReduceBody<T>(Pointer(x), Pointer(indices), Pointer(labels), Pointer(hits), geometry);
            Run(body, lines, x.Length);
        }

        public void Index<T>(
            ArrayView<T> x, ArrayView<int> indices, ArrayView<T> y, IndexGeometry geometry, bool scatter)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            long rows = y.Length / geometry.Inner;
            int threads = library.ChunkedThreads(rows, y.Length);
            // Compare-and-swap adds where threads may add into the same rows.
            int mode = !scatter ? 0 : threads > 1 ? 2 : 1;
            library.RunChunked(
                new IndexBody<T>(Pointer(x), Pointer(indices), Pointer(y), geometry, mode), rows, threads);
        }

        /// <summary>The rows reduction of the elements <paramref name="source"/> reads.</summary>
        private void Rows<T, TSource, TReduce, TPost>(
            TSource source, ArrayView<T> y, long rows, long n, long segment, long segments, TPost post)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TSource : struct, IReduceSource<T>
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator
        {
            var body = new RowsBody<T, TSource, TReduce, TPost>(source, Pointer(y), n, segment, segments, post);
            RunReduction(body, rows * segments, rows * n);
        }

        /// <summary>The columns reduction of the elements <paramref name="source"/> reads.</summary>
        private void Columns<T, TSource, TReduce, TPost>(
            TSource source, ArrayView<T> y, long outer, long n, long inner, long segment, long segments, TPost post)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TSource : struct, IReduceSource<T>
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator
        {
            long items = outer * segments * Ceiling(inner, CpuRoutines.ColumnBlock);
            var body = new ColumnsBody<T, TSource, TReduce, TPost>(
                source, Pointer(y), n, inner, segment, segments, post);
            RunReduction(body, items, outer * n * inner);
        }

        /// <summary>The chunked body of an expression writing into y (empty where it evaluates into buffers).</summary>
        private static FusedBody<T, TExpr> Expression<T, TExpr>(
            in SlotViews<T> x, in Operands<BroadcastIndex> indices, TExpr expr, ArrayView<T> y)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TExpr : struct, IExpression
        {
            var addresses = default(Operands<Address<T>>);
            for (int k = 0; k < ExpressionConstants<TExpr>.Inputs; k++)
                addresses.Set(k, Pointer(x[k]));
            return new FusedBody<T, TExpr>(
                y.Length == 0 ? null : Pointer(y), addresses, indices, expr,
                ExpressionConstants<TExpr>.Streams && NonTemporal.Worth<T>(y.Length));
        }

        /// <summary>The threads a reduction of <paramref name="elements"/> elements aims to keep busy.</summary>
        private long Parallelism(long elements) => library.ReduceParallelism > 0
            ? library.ReduceParallelism
            : LaunchPlan.ChunkedThreads(library.accelerator, elements / ReductionCost);

        /// <summary>
        /// Runs <paramref name="items"/> items of a reduction of <paramref name="elements"/> elements; few long items
        /// (segments, column blocks) go out one a chunk.
        /// </summary>
        private void RunReduction<TBody>(in TBody body, long items, long elements)
            where TBody : struct, ICpuBody
        {
            int threads = library.ChunkedThreads(items, elements / ReductionCost);
            bool few = items <= (long)threads * Kernels.CpuLaunch.FineChunksPerThread;
            library.RunChunked(
                body, items, threads, few ? Kernels.CpuLaunch.FineChunksPerThread : Kernels.CpuLaunch.ChunksPerThread);
        }

        /// <summary>
        /// Work items a reduction of <paramref name="elements"/> elements splits into: one per thread. A static split
        /// beats finer chunks on a quiet machine: each thread streams one half, as libtorch's does.
        /// </summary>
        private long Items(long elements) => Parallelism(elements);

        /// <summary>Threads for <paramref name="elements"/> work items of one element each.</summary>
        private int Threads(long elements) => library.ChunkedThreads(elements, elements);

        /// <summary>Runs <paramref name="items"/> work items that touch <paramref name="elements"/> elements.</summary>
        private void Run<TBody>(in TBody body, long items, long elements)
            where TBody : struct, ICpuBody =>
            library.RunChunked(body, items, library.ChunkedThreads(items, elements));

        /// <summary>
        /// True when some operand walks the innermost dimension with a stride beyond 1 but the next one
        /// contiguously, in dimensions large enough for tiles to pay: a transpose, which the CPU does in tiles.
        /// </summary>
        private static bool Transposes(in StridedLayout layout)
        {
            if (layout.Rank < 2 || layout.N0 < 8 || layout.N1 < 8)
                return false;
            for (int operand = 0; operand < 3; operand++)
            {
                if (layout.Stride(operand, 0) > 1 && layout.Stride(operand, 1) == 1)
                    return true;
            }
            return false;
        }
    }
}
