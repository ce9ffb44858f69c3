using static AutoDiff.Gpu.F;

// Index arrays written inline read as the NumPy expressions they stand for.
#pragma warning disable CA1861

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Indexing (DeZero's get_item with NumPy's semantics), transpose, mean, max and min on a device: results read as
/// NumPy gives them, gradients routed and accumulated as DeZero does, derivatives of the backward functions, bad
/// indices and axes named in clear errors that change nothing, and buffers that go back to the pool at once.
/// </summary>
public abstract class IndexingTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    /// <summary>0, 1, 2, … as a float64 variable of <paramref name="shape"/> (for (2, 3, 4): x[i, j, k] = 12i + 4j + k).</summary>
    private Variable Arange(params int[] shape)
    {
        var s = new Shape(shape);
        return new Variable(Device.FromArray(Enumerable.Range(0, (int)s.Length).Select(i => (double)i).ToArray(), s));
    }

    private static void AssertValues(Variable y, int[] shape, params double[] expected)
    {
        Assert.Equal(new Shape(shape), y.Shape);
        Assert.Equal(expected, y.ToDoubleArray());
    }

    [Fact]
    public void Integers_slices_and_ranges_read_as_NumPy_does()
    {
        var x = Arange(2, 3, 4);
        AssertValues(x[1], [3, 4], 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23);
        AssertValues(x[^1, 2], [4], 20, 21, 22, 23);
        AssertValues(x[0, 1..], [2, 4], 4, 5, 6, 7, 8, 9, 10, 11);
        AssertValues(x[.., ^1, TensorIndex.Slice(1, null, 2)], [2, 2], 9, 11, 21, 23);
        AssertValues(x[1, TensorIndex.Slice(step: -1), TensorIndex.Slice(-1, 0, -2)], [3, 2], 23, 21, 19, 17, 15, 13);
        AssertValues(x[0, 0, TensorIndex.Slice(-100, 100)], [4], 0, 1, 2, 3);   // bounds clamp as in Python
        AssertValues(x[TensorIndex.Ellipsis, 3], [2, 3], 3, 7, 11, 15, 19, 23);
        AssertValues(x[1, TensorIndex.NewAxis, .., 0], [1, 3], 12, 16, 20);
        Assert.Same(x, x[..]);
        Assert.Same(x, x.GetItem(TensorIndex.Ellipsis));
    }

    [Fact]
    public void Index_arrays_pick_pair_up_and_move_first_as_in_NumPy()
    {
        var x = Arange(2, 3, 4);
        AssertValues(x[new[] { 1, 0, 1 }, 2, 3], [3], 23, 11, 23);
        AssertValues(x[.., new[] { 2, -3 }, 0], [2, 2], 8, 0, 20, 12);
        AssertValues(x[new[] { 0, 1 }, new[] { 2, 0 }], [2, 4], 8, 9, 10, 11, 12, 13, 14, 15);
        AssertValues(x[new[] { 1 }, new[] { 0, 2 }, 1], [2], 13, 21);                        // a length-1 array pairs with every entry
        // Index arrays separated by a slice (here an integer and an array): NumPy puts the indexed axis first.
        AssertValues(x[1, .., new[] { 0, 3 }], [2, 3], 12, 16, 20, 15, 19, 23);
        AssertValues(x[new[] { 0, 1 }, .., new[] { 3, 0 }], [2, 3], 3, 7, 11, 12, 16, 20);
        using (Config.NoGrad())
            AssertValues(x[new[] { 0, 1 }, .., 2], [2, 3], 2, 6, 10, 14, 18, 22);         // already first: no move
        var logits = Arange(4, 3);
        AssertValues(logits[Enumerable.Range(0, 4).ToArray(), new[] { 2, 0, 1, 2 }], [4], 2, 3, 7, 11);
        AssertValues(PickPerRow(logits, [2, 0, 1, -1]), [4], 2, 3, 7, 11);
        AssertValues(Take(x, [3, 3], axis: -1)[1, 2], [2], 23, 23);
    }

    [Fact]
    public void Repeated_indices_accumulate_their_gradients()
    {
        var x = Arange(5);
        Sum(x[new[] { 0, 2, 2, 4, 4, -1 }]).Backward();
        Assert.Equal([1.0, 0, 2, 0, 3], x.Grad!.ToDoubleArray());

        var m = Arange(3, 2);
        Sum(PickPerRow(m, [1, 1, 0])).Backward();
        Assert.Equal([0.0, 1, 0, 1, 1, 0], m.Grad!.ToDoubleArray());

        var s = Arange(5);
        Sum(s[TensorIndex.Slice(4, null, -3)]).Backward();
        Assert.Equal([0.0, 1, 0, 0, 1], s.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Max_and_min_give_each_tied_element_the_gradient()
    {
        var x = new Variable(Device.FromArray([1.0, 3, 3, 2, -5, 0, -5, 4], 2, 4));
        Max(x).Backward();
        Assert.Equal([0.0, 0, 0, 0, 0, 0, 0, 1], x.Grad!.ToDoubleArray());

        x.ClearGrad();
        var rows = Max(x, 1);
        AssertValues(rows, [2], 3, 4);
        rows.Backward();
        Assert.Equal([0.0, 1, 1, 0, 0, 0, 0, 1], x.Grad!.ToDoubleArray());

        x.ClearGrad();
        var columns = Min(x, 0, keepDims: true);
        AssertValues(columns, [1, 4], -5, 0, -5, 2);
        columns.Backward();
        Assert.Equal([0.0, 0, 0, 1, 1, 1, 1, 0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Mean_and_transpose_follow_NumPy()
    {
        var x = Arange(2, 3, 4);
        AssertValues(Mean(x), [], 11.5);
        AssertValues(Mean(x, [0, 2]), [3], 7.5, 11.5, 15.5);
        AssertValues(Mean(x, -1, keepDims: true), [2, 3, 1], 1.5, 5.5, 9.5, 13.5, 17.5, 21.5);
        var t = x.Transpose(1, 2, 0);
        Assert.Equal(new Shape(3, 4, 2), t.Shape);
        Assert.Equal([0.0, 12, 1, 13], t.ToDoubleArray()[..4]);
        AssertValues(Arange(2, 3).T, [3, 2], 0, 3, 1, 4, 2, 5);
        Assert.IsType<Functions.Reshape>(Arange(1, 3).T.Creator);   // moving an axis of size 1 is a view, not a copy
        Mean(Square(x)).Backward();
        var expected = x.ToDoubleArray().Select(v => 2 * v / 24).ToArray();
        var actual = x.Grad!.ToDoubleArray();
        Assert.All(Enumerable.Range(0, 24), i => Assert.Equal(expected[i], actual[i], 1e-15));
    }

    [Fact]
    public void The_backward_functions_differentiate_again()
    {
        // f = Σ g(x)² for each g; the gradient's sum differentiated again is Σ over picks of 2 (with multiplicity).
        var cases = new (string Name, Func<Variable, Variable> G, double[] Expected)[]
        {
            ("index array", x => x[new[] { 0, 0, 3 }], [4.0, 0, 0, 2]),
            ("slice", x => x[1..3], [0.0, 2, 2, 0]),
            ("reversed slice", x => x[TensorIndex.Slice(null, 0, -2)], [0.0, 2, 0, 2]),
            ("transpose", x => x.Reshape(2, 2).T, [2.0, 2, 2, 2]),
            ("max", x => Max(x.Reshape(2, 2), 0), [0.0, 0, 2, 2]),
            ("mean", x => Mean(x.Reshape(2, 2), 1), [1.0, 1, 1, 1]),
        };
        foreach (var (name, g, expected) in cases)
        {
            var x = new Variable(Device.FromArray([1.0, 2, 3, 4]), "x");
            Sum(Square(g(x))).Backward(createGraph: true);
            var gx = x.Grad!;
            Assert.NotNull(gx.Creator);
            x.ClearGrad();
            Sum(gx).Backward();
            Assert.True(expected.SequenceEqual(x.Grad!.ToDoubleArray()), $"{name}: {string.Join(", ", x.Grad!.ToDoubleArray())}");
        }
    }

    [Fact]
    public void Bad_indices_name_the_index_the_axis_and_the_shape_and_change_nothing()
    {
        var x = Arange(2, 3, 4);
        void Fails<TException>(Func<Variable> f, params string[] parts)
            where TException : Exception
        {
            var e = Assert.Throws<TException>(() => f());
            foreach (var part in parts)
                Assert.Contains(part, e.Message, StringComparison.Ordinal);
        }

        Fails<ArgumentOutOfRangeException>(() => x[0, 3], "index 3", "axis 1", "size 3", "(2, 3, 4)");
        Fails<ArgumentOutOfRangeException>(() => x[-3], "index -3", "axis 0", "(2, 3, 4)");
        Fails<ArgumentOutOfRangeException>(() => x[^0], "index ^0", "axis 0");
        Fails<ArgumentOutOfRangeException>(() => x[int.MaxValue], "index 2147483647 is", "axis 0");
        Fails<ArgumentOutOfRangeException>(() => x[.., new[] { 0, 2, 3 }], "index 3 at position 2", "axis 1", "(2, 3, 4)");
        Fails<ArgumentException>(() => x[0, 0, 0, 0], "too many indices (4)", "3 axes", "(2, 3, 4)");
        Fails<ArgumentException>(() => x[.., TensorIndex.Slice(0, 3, 0)], "step 0", "axis 1", "0:3:0");
        Fails<ArgumentException>(() => x[TensorIndex.Ellipsis, 0, TensorIndex.Ellipsis], "one Ellipsis");
        Fails<ArgumentException>(() => x[new[] { 0, 1 }, new[] { 0, 1, 2 }], "lengths 2 and 3");
        Fails<ArgumentException>(() => x[new[] { 0 }, TensorIndex.NewAxis], "NewAxis");
        Fails<ArgumentOutOfRangeException>(() => Take(x, [4], axis: 2), "index 4", "axis 2", "(2, 3, 4)");
        Fails<ArgumentOutOfRangeException>(() => Take(x, [0], axis: 3), "axis 3", "(2, 3, 4)");
        Fails<ArgumentOutOfRangeException>(() => PickPerRow(Arange(2, 3), [0, 3]), "index 3 at position 1", "(2, 3)");
        Fails<ArgumentException>(() => PickPerRow(Arange(2, 3), [0, 1, 2]), "3 indices", "2 slices", "(2, 3)");
        Fails<ArgumentException>(() => PickPerRow(Arange(3), [0, 1, 2]), "(3,)");
        Assert.Throws<ArgumentNullException>(() => x.GetItem(null!));
        // Selecting nothing is an empty tensor, as in NumPy, not an error.
        Assert.Equal(new Shape(2, 0, 4), x[.., 2..1].Shape);
        Assert.Equal(new Shape(0, 3, 4), x[Array.Empty<int>()].Shape);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (double)i), x.ToDoubleArray());
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Bad_axes_and_shapes_name_the_axis_or_both_shapes()
    {
        var x = Arange(2, 3, 4);
        Assert.Contains("axis 3 is out of range for shape (2, 3, 4)", Assert.Throws<ArgumentOutOfRangeException>(() => Mean(x, 3)).Message, StringComparison.Ordinal);
        Assert.Contains("axis -4 is out of range for shape (2, 3, 4)", Assert.Throws<ArgumentOutOfRangeException>(() => Max(x, -4)).Message, StringComparison.Ordinal);
        Assert.Contains("axis 5 is out of range for shape (2, 3, 4)", Assert.Throws<ArgumentOutOfRangeException>(() => Min(x, [0, 5])).Message, StringComparison.Ordinal);
        Assert.Contains("axis -2 is repeated in (1, -2)", Assert.Throws<ArgumentException>(() => Max(x, [1, -2])).Message, StringComparison.Ordinal);
        Assert.Contains("axes (0, 1) for shape (2, 3, 4)", Assert.Throws<ArgumentException>(() => x.Transpose(0, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("axis -3 is repeated", Assert.Throws<ArgumentException>(() => x.Transpose(0, 1, -3)).Message, StringComparison.Ordinal);
        Assert.Contains("axis 3 is out of range for shape (2, 3, 4)", Assert.Throws<ArgumentOutOfRangeException>(() => x.Transpose(0, 1, 3)).Message, StringComparison.Ordinal);
        var reshape = Assert.Throws<ArgumentException>(() => x.Reshape(5, 5));
        Assert.Contains("(2, 3, 4)", reshape.Message, StringComparison.Ordinal);
        Assert.Contains("(5, 5)", reshape.Message, StringComparison.Ordinal);
        Assert.Null(x.Grad);
        Assert.Equal(23.0, x.ToDoubleArray()[^1]);
    }

    [Fact]
    public void Indices_and_reduction_intermediates_go_back_to_the_pool_at_once()
    {
        using var device = fixture.OpenFresh();
        var x = new Variable(device.Ones(100, 300));
        long one = device.Memory.AllocatedBytes;
        using (Config.NoGrad())
        {
            x[new[] { 3, 1, 4, 1, 5 }].Dispose();
            Max(x, 0).Dispose();
            Mean(x, [0, 1]).Dispose();
            x[TensorIndex.Slice(step: -1), 7].Dispose();
            Sum(x, 1).Dispose();
        }
        Assert.Equal(one, device.Memory.AllocatedBytes);

        // With a graph, after the backward pass: x, its gradient, the outputs the graph holds (x.T, the picked rows,
        // their maxima, y) and the indices; every intermediate gradient went back to the pool.
        var y = Mean(Max(x.T[new[] { 0, 2, 2 }], 1));
        y.Backward();
        long small = DeviceMemory.RoundSize(1);
        Assert.Equal((3 * one) + DeviceMemory.RoundSize(3 * 100 * sizeof(float)) + (3 * small), device.Memory.AllocatedBytes);
        // Every element of a row of ones ties for the maximum; column 2 was picked twice.
        var g = x.Grad!.ToDoubleArray();
        Assert.Equal(1.0 / 3, g[0], 1e-6);
        Assert.Equal(0.0, g[1]);
        Assert.Equal(2.0 / 3, g[2], 1e-6);
        GC.KeepAlive(y);
    }
}

public sealed class CpuIndexingTests(CpuFixture fixture) : IndexingTests<CpuFixture>(fixture);

public sealed class CudaIndexingTests(CudaFixture fixture) : IndexingTests<CudaFixture>(fixture);

public sealed class OpenCLIndexingTests(OpenCLFixture fixture) : IndexingTests<OpenCLFixture>(fixture);
